import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { listProfiles } from '../../agent/config/profile.js'
import { FILES_DIR, makeFakeRoot, procdCalls, procdInstances, type FakeRoot } from '../helpers/openwrt-root.js'

const MT6000 = { board_name: 'glinet,gl-mt6000', model: 'GL.iNet GL-MT6000', release: { target: 'mediatek/filogic' } }
const APP = '/usr/lib/meshbox/meshbox.mjs'
const defaults = async (): Promise<string> => await readFile(`${FILES_DIR}/meshbox.config`, 'utf8')
const heapOf = (id: string): number | undefined => listProfiles().find(p => p.id === id)?.memory.maxOldSpaceMb

async function run (fake: FakeRoot, action = 'start'): Promise<Awaited<ReturnType<typeof procdCalls>>> {
  await fake.sh([`${fake.root}/etc/rc.common`, `${fake.root}/etc/init.d/meshbox`, action])
  return await procdCalls(fake.procdLog)
}

describe('init script under procd', () => {
  it('default: on a GL-MT6000, node with the profile\'s heap runs the bundle; musl, respawn, limits, logd', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    const calls = await run(fake)
    const [inst, ...more] = procdInstances(calls)
    assert.equal(more.length, 0)
    assert.equal(inst?.name, 'main')
    assert.deepEqual(inst?.command, ['/usr/bin/node', `--max-old-space-size=${heapOf('gl-mt6000')}`, APP, 'start'])
    assert.deepEqual(inst?.env, { LIBC: 'musl', NODE_ENV: 'production' })
    assert.deepEqual(inst?.params, {
      respawn: ['3600', '5', '5'],
      limits: ['nofile=4096 4096', 'core=0 0'],
      term_timeout: ['10'],
      stdout: ['1'],
      stderr: ['1'],
      pidfile: ['/var/run/meshbox.pid']
    })
    assert.deepEqual(calls[0], { name: 'open_service', args: ['meshbox', `${fake.root}/etc/init.d/meshbox`] })
    assert.deepEqual(calls.filter(c => c.name.includes('trigger')), [{ name: 'reload_trigger', args: ['meshbox'] }])
    assert.equal(calls.at(-1)?.name, 'close_service')
  })

  it('args: max_old_space_mb wins over the profile; an explicit profile is used for the heap', async () => {
    const withHeap = await makeFakeRoot({ board: MT6000, config: (await defaults()).replace("#option max_old_space_mb '160'", "option max_old_space_mb '64'") })
    assert.deepEqual(procdInstances(await run(withHeap))[0]?.command, ['/usr/bin/node', '--max-old-space-size=64', APP, 'start'])
    const lab = await makeFakeRoot({ board: MT6000, config: (await defaults()).replace("option profile 'auto'", "option profile 'x86-64-lab'") })
    assert.deepEqual(procdInstances(await run(lab))[0]?.command, ['/usr/bin/node', `--max-old-space-size=${heapOf('x86-64-lab')}`, APP, 'start'])
  })

  it('behavior: settings the agent reads from UCI itself never become flags (a flag would beat UCI on reload)', async () => {
    const config = `
config agent 'main'
	option enabled 'yes'
	option data_dir '/mnt/usb/meshbox'
	option log_level 'debug'
config http 'http'
	option host '10.0.0.1'
	option port '9000'
config mesh 'mesh'
	list listen '/ip4/10.0.0.1/tcp/4002'
	list discovery_interfaces 'br-lan'
config chain 'chain'
	option enabled '0'
	list rpc 'https://a.example/rpc'
config services 'services'
	list roles 'monitor'
`
    const fake = await makeFakeRoot({ board: MT6000, config })
    const [inst] = procdInstances(await run(fake))
    assert.deepEqual(inst?.command, ['/usr/bin/node', `--max-old-space-size=${heapOf('gl-mt6000')}`, APP, 'start'])
    // Only the code cache follows data_dir into the environment, and the agent reads no setting from it.
    assert.deepEqual(inst?.env, { LIBC: 'musl', NODE_ENV: 'production', MESHBOX_CODE_CACHE_DIR: '/mnt/usb/meshbox/code-cache' })
  })

  it('behavior: enabled 0 starts nothing (procd then drops a running instance)', async () => {
    const fake = await makeFakeRoot({ board: MT6000, config: (await defaults()).replace("option enabled '1'", "option enabled '0'") })
    const calls = await run(fake)
    assert.deepEqual(procdInstances(calls), [])
    assert.deepEqual(calls.map(c => c.name), ['open_service', 'reload_trigger', 'close_service'])
  })

  it('behavior: a board no profile lists gets the generic profile\'s heap (the agent picks generic too), or none', async () => {
    const fake = await makeFakeRoot({ board: { board_name: 'acme,unknown-router' } })
    const [inst] = procdInstances(await run(fake))
    const generic = heapOf('generic')
    assert.deepEqual(inst?.command, ['/usr/bin/node', ...(generic === undefined ? [] : [`--max-old-space-size=${generic}`]), APP, 'start'])
  })

  it('behavior: reload re-sends the instance (procd restarts only on a change), then SIGHUP, no stop', async () => {
    const fake = await makeFakeRoot({ board: MT6000 })
    const calls = await run(fake, 'reload')
    assert.equal(procdInstances(calls).length, 1)
    assert.deepEqual(calls.map(c => c.name).filter(n => n.endsWith('_service') || n === 'send_signal'), ['open_service', 'close_service', 'send_signal'])
    assert.deepEqual(calls.at(-1), { name: 'send_signal', args: ['meshbox', 'main', 'HUP'] })
  })
})

describe('/usr/bin/meshbox', () => {
  it('default: runs the CLI with LIBC=musl and the arguments as given (the CLI reads UCI itself)', async () => {
    const fake = await makeFakeRoot()
    const out = await fake.sh([`${fake.root}/usr/bin/meshbox`, 'status', '--json'])
    assert.deepEqual(out.trim().split('\n'), ['LIBC=musl', `${fake.root}${APP}`, 'status', '--json'])
  })

  it('behavior: no arguments means help', async () => {
    const fake = await makeFakeRoot()
    assert.deepEqual((await fake.sh([`${fake.root}/usr/bin/meshbox`])).trim().split('\n').slice(2), ['help'])
  })
})
