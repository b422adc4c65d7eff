import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { chooseProfile } from '../../agent/config/choose-profile.js'
import { checkProfileAllowed, loadConfig } from '../../agent/config/load.js'
import { listProfiles } from '../../agent/config/profile.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { detectOpenWrt, parseBoardInfo, parseOpenWrtRelease } from '../../agent/system/openwrt.js'
import { openWrtSource } from '../../agent/system/platform.js'
import { boardJson, FAKE_BIN, fakeCalls, fakeFixtures, fakeRunner, GL_MT6000 } from '../helpers/fake-openwrt.js'
import { tempDir } from '../helpers/tmp.js'

const profiles = listProfiles()

async function loadOnFakeOpenWrt (changes: Record<string, string | null>, opts: { mode?: string, env?: NodeJS.ProcessEnv, flags?: Map<string, unknown> } = {}) {
  const callsFile = join(tempDir('calls'), 'calls.log')
  const run = fakeRunner({ fixtures: fakeFixtures(changes), callsFile, ...(opts.mode !== undefined ? { mode: opts.mode } : {}) })
  const loaded = await loadConfig({ env: opts.env ?? {}, ...(opts.flags !== undefined ? { flags: opts.flags } : {}), openwrt: openWrtSource({ run }) })
  return { ...loaded, calls: fakeCalls(callsFile) }
}

describe('OpenWrt detection', () => {
  it('default: the release file says OpenWrt, with its arch and target', async () => {
    const d = await detectOpenWrt({ releaseFile: join(GL_MT6000, 'openwrt_release') })
    assert.equal(d.openwrt, true)
    assert.equal(d.release.DISTRIB_ARCH, 'aarch64_cortex-a53')
    assert.equal(d.release.DISTRIB_TARGET, 'mediatek/filogic')
  })
  it('behavior: ubus on PATH says OpenWrt; neither says not', async () => {
    assert.equal((await detectOpenWrt({ pathEnv: FAKE_BIN, releaseFile: undefined })).openwrt, true)
    const none = await detectOpenWrt({ pathEnv: tempDir('empty-path') })
    assert.equal(none.openwrt, false, none.reason)
    assert.equal((await detectOpenWrt({ releaseFile: '' })).openwrt, false, 'empty = detection off (test seam)')
    assert.equal((await detectOpenWrt({ releaseFile: '/nonexistent/openwrt_release' })).openwrt, false)
  })
  it('behavior: release file lines in every quoting', () => {
    assert.deepEqual(parseOpenWrtRelease("A='x y'\nB=\"z\"\nC=plain\nnoise\n"), { A: 'x y', B: 'z', C: 'plain' })
  })
  it('error: a board answer without board_name', () => {
    assert.throws(() => parseBoardInfo({ model: 'x' }), (e: unknown) => e instanceof AgentError && e.code === ErrorCode.SYSTEM_OUTPUT_INVALID)
    assert.equal(parseBoardInfo(JSON.parse(boardJson('glinet,gl-mt6000')) as Record<string, unknown>).target, 'test/test')
  })
})

describe('profile choice (pure)', () => {
  it('default: a configured profile wins, auto off OpenWrt is the lab profile', () => {
    assert.deepEqual(chooseProfile('rpi4', { openwrt: true, boardName: 'glinet,gl-mt6000' }, profiles), { id: 'rpi4', reason: 'configured' })
    assert.deepEqual(chooseProfile('auto', { openwrt: false }, profiles), { id: 'x86-64-lab', reason: 'not-openwrt' })
  })
  it('behavior: every listed board name picks its profile', () => {
    for (const p of profiles) for (const b of p.boardNames) assert.equal(chooseProfile('auto', { openwrt: true, boardName: b }, profiles).id, p.id, b)
  })
  it('behavior: unknown or unreadable board → generic', () => {
    assert.deepEqual(chooseProfile('auto', { openwrt: true, boardName: 'acme,router-9000' }, profiles), { id: 'generic', reason: 'unknown-board', boardName: 'acme,router-9000' })
    assert.deepEqual(chooseProfile('auto', { openwrt: true, boardError: 'timeout' }, profiles), { id: 'generic', reason: 'board-unreadable', boardError: 'timeout' })
  })
})

describe('board detection through the fake ubus', () => {
  it('default: the GL-MT6000 is recognised and its profile applies under UCI', async () => {
    const { config, profile, profileChoice, calls } = await loadOnFakeOpenWrt({})
    assert.equal(profile.id, 'gl-mt6000')
    assert.deepEqual(profileChoice, { id: 'gl-mt6000', reason: 'board', boardName: 'glinet,gl-mt6000' })
    assert.equal(config.profile, 'gl-mt6000')
    assert.equal(config.dataDir, '/srv/meshbox', 'from the profile')
    assert.equal(config.mesh.relay.maxReservations, 48, 'UCI beats the profile')
    assert.ok(calls.includes('ubus.system.board normal'))
  })
  it('behavior: an unknown board gets the generic profile and its name for the warning', async () => {
    const { profile, profileChoice } = await loadOnFakeOpenWrt({ 'ubus/system.board.json': boardJson('acme,router-9000') })
    assert.equal(profile.id, 'generic')
    assert.equal(profileChoice.reason, 'unknown-board')
    assert.equal(profileChoice.boardName, 'acme,router-9000')
  })
  it('behavior: --profile (or UCI profile) skips ubus', async () => {
    const { profile, calls } = await loadOnFakeOpenWrt({}, { flags: new Map([['profile', 'bpi-r4']]) })
    assert.equal(profile.id, 'bpi-r4')
    assert.ok(!calls.some(c => c.startsWith('ubus')), calls.join())
  })
  it('error: an unsupported board is refused unless allowed', async () => {
    const loaded = await loadOnFakeOpenWrt({ 'ubus/system.board.json': boardJson('glinet,gl-b1300') })
    assert.equal(loaded.profile.id, 'ipq40xx')
    assert.throws(() => { checkProfileAllowed(loaded) }, (e: unknown) => e instanceof AgentError && e.code === ErrorCode.PROFILE_UNSUPPORTED && /RAM/.test(e.message) && /allow-unsupported/.test(e.describe()))
    checkProfileAllowed(await loadOnFakeOpenWrt({ 'ubus/system.board.json': boardJson('glinet,gl-b1300') }, { env: { MESHBOX_ALLOW_UNSUPPORTED: '1' } }))
    checkProfileAllowed(await loadOnFakeOpenWrt({ 'ubus/system.board.json': boardJson('glinet,gl-b1300'), 'uci/show-meshbox.txt': "meshbox.main=agent\nmeshbox.main.allow_unsupported='1'\n" }))
  })
  it('behavior: ubus hanging, failing or talking garbage → generic, with the reason, in bounded time', async () => {
    for (const [mode, fragment] of [['hang', 'no answer within 3000 ms'], ['fail', 'exit 1'], ['garbage', 'not JSON']] as const) {
      const started = Date.now()
      const { profile, profileChoice } = await loadOnFakeOpenWrt({}, { mode: `ubus.system.board=${mode}` })
      assert.equal(profile.id, 'generic', mode)
      assert.equal(profileChoice.reason, 'board-unreadable')
      assert.ok(profileChoice.boardError?.includes(fragment), `${mode}: ${profileChoice.boardError ?? ''}`)
      assert.ok(Date.now() - started < 6_000, `${mode} took ${Date.now() - started} ms`)
    }
  })
})
