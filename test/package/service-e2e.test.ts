/**
 * The package end to end on a pretend router: the .ipk's tree, the UCI state its uci-defaults
 * script writes on a GL-MT6000, and the exact command line and environment its init script
 * gives procd, run in a private network namespace with the device branch's fake uci/ubus/iwinfo
 * (test/fixtures/openwrt/, MESHBOX_OPENWRT_RELEASE). lmdb's glibc build stands in for the musl one
 * on this glibc host, and LIBC=glibc picks it. Checks: the agent starts on the board's profile,
 * the CLI finds it through UCI, SIGHUP re-reads UCI without a restart, SIGTERM stops it cleanly.
 * Skipped (saying why) without root or without the device branch's UCI layer.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access, cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { describe, it } from 'node:test'
import { tarballName } from '../../scripts/package/npm.js'
import { readTar } from '../../scripts/package/tar.js'
import { makeFakeRoot, procdCalls, procdInstances, uciShow } from '../helpers/openwrt-root.js'
import { buildFor } from '../helpers/package-build.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const REPO = fileURLToPath(new URL('../../', import.meta.url))
const FAKE_TOOLS = join(REPO, 'test/fixtures/openwrt')

/** Runs inside `unshare -n`: start the agent as procd would, ask it, reload it, stop it. */
const SCRIPT = `
set -e
ip link set lo up
"$@" > "$WORK/agent.log" 2>&1 &
pid=$!
i=0; until grep -q '"Agent ready"' "$WORK/agent.log"; do i=$((i + 1)); [ $i -lt 120 ] || exit 3; sleep 0.25; done
"$NODE" "$APP" status --json > "$WORK/status.json"
sed -i "s/log_level='info'/log_level='debug'/" "$MESHBOX_FAKE_FIXTURES/uci/show-meshbox.txt"
kill -HUP $pid
i=0; until grep -q '"Configuration reloaded"' "$WORK/agent.log"; do i=$((i + 1)); [ $i -lt 40 ] || exit 4; sleep 0.25; done
kill -TERM $pid
wait $pid
`

describe('the package on a pretend GL-MT6000', { timeout: 120_000 }, () => {
  it('behavior: starts as its init script says, answers the CLI, reloads on SIGHUP, stops on SIGTERM', async (t) => {
    if (process.getuid?.() !== 0) { t.skip('needs root for a private network namespace (unshare -n)'); return }
    if (!await access(join(FAKE_TOOLS, 'bin/uci')).then(() => true, () => false)) { t.skip('needs the device branch\'s UCI layer and fake OpenWrt tools (test/fixtures/openwrt/)'); return }
    const work = tempDir('pkg-e2e')
    const p = await buildFor('x86_64')
    const root = join(work, 'root')
    await cp(p.stageRoot, root, { recursive: true })
    const lmdb = p.packages.find(x => x.name === '@lmdb/lmdb-linux-x64')
    assert.ok(lmdb !== undefined)
    const glibc = readTar(gunzipSync(await readFile(join(REPO, '.cache/npm', tarballName(lmdb.name, lmdb.version))))).find(m => m.path === 'package/node.napi.glibc.node')
    assert.ok(glibc !== undefined)
    await writeFile(join(root, 'usr/lib/meshbox/node_modules/@lmdb/lmdb-linux-x64/node.napi.glibc.node'), glibc.data)

    // Install time: the package's uci-defaults on the shipped config; boot: its init script.
    const fake = await makeFakeRoot({ board: { board_name: 'glinet,gl-mt6000' } })
    await writeFile(fake.uciState, uciShow('meshbox', await readFile(join(root, 'etc/config/meshbox'), 'utf8')) +
      "network.lan=interface\nnetwork.lan.ipaddr='127.0.0.1'\nfirewall.cfg01=zone\nfirewall.cfg01.name='lan'\n")
    await fake.sh([`${fake.root}/etc/uci-defaults/90-meshbox`])
    const show = (await readFile(fake.uciState, 'utf8')).split('\n').filter(l => l.startsWith('meshbox.')).join('\n')
      .replace("data_dir='/srv/meshbox'", `data_dir='${join(work, 'data')}'`)
    await fake.sh([`${fake.root}/etc/rc.common`, `${fake.root}/etc/init.d/meshbox`, 'start'])
    const [inst] = procdInstances(await procdCalls(fake.procdLog))
    assert.ok(inst !== undefined)
    const app = join(root, 'usr/lib/meshbox/meshbox.mjs')
    const command = inst.command.map(a => a === '/usr/bin/node' ? process.execPath : a === '/usr/lib/meshbox/meshbox.mjs' ? app : a)

    const fixtures = join(work, 'fixtures')
    await cp(join(FAKE_TOOLS, 'gl-mt6000'), fixtures, { recursive: true })
    await writeFile(join(fixtures, 'uci/show-meshbox.txt'), show + '\n')
    const env = { ...process.env, ...inst.env, LIBC: 'glibc', PATH: `${join(FAKE_TOOLS, 'bin')}:${process.env.PATH ?? ''}`, MESHBOX_FAKE_FIXTURES: fixtures, MESHBOX_OPENWRT_RELEASE: join(fixtures, 'openwrt_release'), WORK: work, NODE: process.execPath, APP: app }
    const result = await run('unshare', ['-n', 'sh', '-c', SCRIPT, 'sh', ...command], { env, timeout: 90_000 }).then(() => 0, (e: { code?: number }) => e.code ?? -1)
    const log = await readFile(join(work, 'agent.log'), 'utf8').catch(() => '')
    assert.equal(result, 0, log.slice(-3000))
    const lines = log.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { msg: string, ctx?: Record<string, unknown> })
    assert.equal(lines.find(l => l.msg === 'Agent ready')?.ctx?.profile, 'gl-mt6000')
    assert.deepEqual(lines.find(l => l.msg === 'Configuration reloaded')?.ctx?.applied, ['log.level'])
    assert.ok(lines.some(l => l.msg === 'Agent stopped'))
    const status = JSON.parse(await readFile(join(work, 'status.json'), 'utf8')) as { profile?: string }
    assert.equal(status.profile, 'gl-mt6000')
  })
})
