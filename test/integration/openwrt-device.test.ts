/**
 * The agent bundle on a pretend OpenWrt box: fake uci/ubus/iwinfo first on PATH, the OpenWrt
 * signal injected with MESHBOX_OPENWRT_RELEASE. Board detection picks the profile, UCI is a
 * configuration layer, /api/v1/system and /api/v1/wifi answer (and the CLI prints them), a broken
 * ubus costs one request its answer but never stalls the agent, an unsupported board is refused,
 * and SIGHUP re-reads UCI. Agents run inside a private network namespace (skipped without one).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { boardJson, fakeEnv, fakeFixtures, GL_MT6000 } from '../helpers/fake-openwrt.js'
import { AgentSet, availability, runCli, skipUnlessNetns } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

const RELEASE = join(GL_MT6000, 'openwrt_release')
const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']
interface SystemAnswer {
  collectMs: number
  platform: { openwrt: boolean, boardName: string, release: Record<string, string> }
  cpu: { cores: number }
  memory: { totalBytes: number }
  interfaces: Array<{ name: string }>
  disk: { totalBytes: number }
}
/** Times `count` sequential GETs of `url` from a node process inside `ns`, `gapMs` apart. */
async function timeGets (ns: string, url: string, count: number, gapMs: number): Promise<number[]> {
  const script = 'const [u,n,g]=process.argv.slice(1);(async()=>{const t=[];for(let i=0;i<Number(n);i++){const s=performance.now();await (await fetch(u)).json();t.push(performance.now()-s);await new Promise(r=>setTimeout(r,Number(g)))}process.stdout.write(JSON.stringify(t))})()'
  const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', ns, process.execPath, '-e', script, url, String(count), String(gapMs)])
  return JSON.parse(stdout) as number[]
}
const openwrtEnv = (fixtures: string, mode = ''): NodeJS.ProcessEnv => ({ ...fakeEnv({ fixtures, mode }), MESHBOX_OPENWRT_RELEASE: RELEASE })

describe('agent on a pretend OpenWrt box', { timeout: 120_000 }, () => {
  let lab: NetnsLab | undefined
  let ns = ''
  const agents = new AgentSet()
  let box: AgentProcess | undefined
  let fixtures = ''

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    ns = await lab.addNamespace('owrt')
    fixtures = fakeFixtures()
    box = await agents.start({ name: 'owrt', netns: ns, args: LOOPBACK, env: openwrtEnv(fixtures) })
  })
  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('default: the board picks the profile, and UCI is a layer', async (t) => {
    if (skipUnlessNetns(t) || box === undefined) return
    assert.ok(box.logs.some(l => l.msg === 'Hardware profile chosen for the board' && l.ctx?.boardName === 'glinet,gl-mt6000'))
    const st = await box.api<{ profile: string, maxRssBytes: number }>('GET', '/api/v1/status')
    assert.equal(st.body.profile, 'gl-mt6000')
  })

  it('default: GET /api/v1/system', async (t) => {
    if (skipUnlessNetns(t) || box === undefined) return
    const r = await box.api<SystemAnswer>('GET', '/api/v1/system')
    // timed from inside the namespace, so process start-up is not counted: the first call collects, later ones hit the 2 s cache
    const times = await timeGets(ns, box.httpUrl + 'api/v1/system', 6, 500)
    t.diagnostic(`GET /api/v1/system: ${times.map(x => x.toFixed(1)).join(' / ')} ms (every 500 ms; collection ${String(r.body.collectMs)} ms)`)
    assert.equal(r.status, 200)
    assert.equal(r.body.platform.openwrt, true)
    assert.equal(r.body.platform.boardName, 'glinet,gl-mt6000')
    assert.equal(r.body.platform.release.DISTRIB_ARCH, 'aarch64_cortex-a53')
    assert.ok(r.body.cpu.cores >= 1)
    assert.ok(r.body.memory.totalBytes > 0)
    assert.ok(r.body.interfaces.some(i => i.name === 'lo'))
    assert.ok(r.body.disk.totalBytes > 0)
  })

  it('default: GET /api/v1/wifi and the scan', async (t) => {
    if (skipUnlessNetns(t) || box === undefined) return
    const w = await box.api<{ backend: string, available: boolean, radios: unknown[], stations: Array<{ mac: string }> }>('GET', '/api/v1/wifi')
    assert.equal(w.status, 200)
    assert.equal(w.body.backend, 'openwrt-ubus')
    assert.equal(w.body.radios.length, 3)
    assert.deepEqual(w.body.stations.map(s => s.mac), ['3C:22:FB:10:20:30', 'F0:99:B6:40:50:60', 'A4:83:E7:70:80:90'])
    const s = await box.api<{ networks: unknown[] }>('GET', '/api/v1/wifi/scan?device=phy1-ap0')
    assert.equal(s.status, 200)
    assert.equal(s.body.networks.length, 3)
    const unknown = await box.api<{ error: { code: string } }>('GET', '/api/v1/wifi/scan?device=wlan9')
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'WIFI_DEVICE_UNKNOWN'])
    const bad = await box.api<{ error: { code: string } }>('GET', '/api/v1/wifi/scan?device=no%20such%3Bthing')
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'HTTP_PARAM_INVALID'])
  })

  it('default: meshbox system and meshbox wifi print them', async (t) => {
    if (skipUnlessNetns(t) || box === undefined) return
    const port = new URL(box.httpUrl).port
    const env = openwrtEnv(fixtures)
    const sys = await runCli(['system', '--http-port', port], { netns: ns, env })
    assert.equal(sys.code, 0, sys.stderr)
    assert.match(sys.stdout, /^cpu: .+ cores/m)
    assert.match(sys.stdout, /data dir: /)
    const wifi = await runCli(['wifi', '--http-port', port], { netns: ns, env })
    assert.equal(wifi.code, 0, wifi.stderr)
    assert.match(wifi.stdout, /backend: openwrt-ubus/)
    assert.match(wifi.stdout, /phones \(3\)/)
    const scan = await runCli(['wifi', 'scan', 'phy1-ap0', '--http-port', port], { netns: ns, env })
    assert.equal(scan.code, 0, scan.stderr)
    assert.match(scan.stdout, /Cafe Market/)
    assert.match(scan.stdout, /\(hidden\)/)
  })

  it('behavior: SIGHUP re-reads UCI: log level live, a new port named as needing a restart, a bad value refused', async (t) => {
    if (skipUnlessNetns(t) || box === undefined) return
    const uci = join(fixtures, 'uci/show-meshbox.txt')
    writeFileSync(uci, "meshbox.main=agent\nmeshbox.main.log_level='debug'\nmeshbox.http=http\nmeshbox.http.port='9999'\nmeshbox.mesh=mesh\nmeshbox.mesh.relay_max_reservations='48'\n")
    box.child.kill('SIGHUP')
    const ok = await box.waitForLog(l => l.msg === 'Configuration reloaded', 10_000, 'Configuration reloaded')
    assert.deepEqual(ok.ctx?.applied, ['log.level'])
    assert.ok(!(ok.ctx?.needRestart as string[]).includes('http.port'), 'the --http-port flag still beats UCI')
    assert.ok((ok.ctx?.needRestart as string[]).includes('services.roles'), `roles left UCI: ${JSON.stringify(ok.ctx)}`)
    assert.ok(!(ok.ctx?.changed as string[]).includes('mesh.listen'), 'the --listen flag still beats UCI')
    await box.api('GET', '/api/v1/health')
    await box.waitForLog(l => l.level === 'debug' && l.msg === 'Request answered', 10_000, 'a debug line once the level is debug')
    writeFileSync(uci, "meshbox.main=agent\nmeshbox.http=http\nmeshbox.http.max_body_bytes='lots'\n")
    box.child.kill('SIGHUP')
    const refused = await box.waitForLog(l => l.msg === 'Configuration reload refused; keeping the running configuration', 10_000, 'reload refused')
    assert.match(String(refused.ctx?.reason), /meshbox\.http\.max_body_bytes/)
    assert.equal(refused.ctx?.code, 'CONFIG_INVALID')
    assert.equal((await box.api('GET', '/api/v1/health')).status, 200, 'still running')
  })

  it('behavior: an unknown board gets the generic profile and a warning naming it', async (t) => {
    if (skipUnlessNetns(t)) return
    const other = await agents.start({ name: 'unknown', netns: ns, args: LOOPBACK, env: openwrtEnv(fakeFixtures({ 'ubus/system.board.json': boardJson('acme,router-9000') })) })
    const warn = await other.waitForLog(l => l.msg === 'Board not recognised; using the generic profile', 1_000, 'warning')
    assert.equal(warn.ctx?.boardName, 'acme,router-9000')
    assert.equal(warn.level, 'warn')
    assert.equal((await other.api<{ profile: string }>('GET', '/api/v1/status')).body.profile, 'generic')
    await other.stop()
  })

  it('behavior: a hanging ubus costs the Wi-Fi answer, never the event loop', async (t) => {
    if (skipUnlessNetns(t)) return
    const hung = await agents.start({ name: 'hung', netns: ns, args: LOOPBACK, env: openwrtEnv(fakeFixtures(), 'ubus.iwinfo.devices=hang') })
    const started = performance.now()
    const wifi = hung.api<{ error: { code: string } }>('GET', '/api/v1/wifi')
    const health = await hung.api('GET', '/api/v1/health')
    const healthMs = performance.now() - started
    const w = await wifi
    assert.equal(health.status, 200)
    assert.ok(healthMs < 1_000, `health took ${healthMs} ms while ubus hung`)
    assert.deepEqual([w.status, w.body.error.code], [504, 'SYSTEM_COMMAND_TIMEOUT'])
    await hung.stop()
  })

  it('error: an unsupported board is refused with exit 78 and its reason, unless allowed', async (t) => {
    if (skipUnlessNetns(t)) return
    const env = openwrtEnv(fakeFixtures({ 'ubus/system.board.json': boardJson('glinet,gl-b1300') }))
    const r = await runCli(['start', '--data-dir', join(fixtures, 'never'), ...LOOPBACK, '--http-port', '0'], { netns: ns, env, timeoutMs: 20_000 })
    assert.equal(r.code, 78, r.stderr)
    assert.match(r.stderr, /ipq40xx.*unsupported.*RAM/s)
    assert.match(r.stderr, /--allow-unsupported/)
    const forced = await agents.start({ name: 'forced', netns: ns, args: [...LOOPBACK, '--allow-unsupported'], env })
    assert.ok(forced.logs.some(l => l.msg === 'Hardware profile is not supported' && l.ctx?.profile === 'ipq40xx'))
    await forced.stop()
  })
})
