/**
 * Live per-interface mDNS discovery in network namespaces (root only; skipped with the reason
 * otherwise). Nothing here touches the root namespace: every process runs via `ip netns exec`
 * in namespaces with private 10.77.x.y addresses, and every namespace is deleted afterwards.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { JsonLines } from '../helpers/json-lines.js'
import { createNetnsLab, isNetnsAvailable } from '../helpers/netns.js'
import type { RunnerEvent } from '../helpers/json-lines.js'
import type { NetnsLab } from '../helpers/netns.js'
import type { TestContext } from 'node:test'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TSX = ['--import', 'tsx', '--import', './agent/polyfills.ts']
const availability = await isNetnsAvailable()
if (availability !== true) process.stderr.write(`netns discovery tests skipped: ${availability}\n`)

function skipUnlessNetns (t: TestContext): boolean {
  if (availability === true) return false
  t.skip(availability)
  return true
}

function ours (lab: NetnsLab, ns: string, init: Record<string, unknown> = {}): JsonLines {
  const child = lab.spawn(ns, process.execPath, [...TSX, 'test/helpers/discovery-runner.ts', JSON.stringify(init)], { cwd: ROOT })
  return new JsonLines(child, `ours@${ns}`)
}

function stock (lab: NetnsLab, ns: string): JsonLines {
  const child = lab.spawn(ns, process.execPath, [...TSX, 'test/helpers/stock-mdns-runner.ts'], { cwd: ROOT })
  return new JsonLines(child, `stock@${ns}`)
}

const started = async (r: JsonLines): Promise<RunnerEvent> => await r.waitFor(e => e.event === 'started', 20_000, 'start')
const idOf = (e: RunnerEvent): string => String(e.peerId)
const sightings = (r: JsonLines): RunnerEvent[] => r.events.filter(e => e.event === 'peer')
const openOn = async (r: JsonLines, names: string[]): Promise<RunnerEvent> =>
  await r.waitFor(e => e.event === 'interfaces' && JSON.stringify(e.interfaces) === JSON.stringify(names), 10_000, `sockets on ${names.join(',')}`)
const sees = async (r: JsonLines, peerId: string, iface: string, timeoutMs = 5000): Promise<RunnerEvent> =>
  await r.waitFor(e => e.event === 'peer' && e.peerId === peerId && e.interfaceName === iface, timeoutMs, `sighting of ${peerId} on ${iface}`)
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('mesh discovery in network namespaces', { timeout: 120_000 }, () => {
  it('behavior: A—B—C line, each segment sees only its neighbours and B announces per segment', async (t) => {
    if (skipUnlessNetns(t)) return
    const lab = createNetnsLab()
    try {
      const ns = await lab.abcTopology()
      await lab.exec(ns.b, 'ip', ['link', 'set', 'seg2', 'down']) // brought up later: interface hot-plug
      const a = ours(lab, ns.a)
      const c = ours(lab, ns.c)
      const [aStart, cStart] = await Promise.all([started(a), started(c)])
      await Promise.all([openOn(a, ['seg1']), openOn(c, ['seg2'])])

      // B appears as a new neighbour on seg1.
      const b = ours(lab, ns.b)
      const bStart = await started(b)
      await openOn(b, ['seg1'])
      const aSeesB = await sees(a, idOf(bStart), 'seg1')
      const bSeesA = await sees(b, idOf(aStart), 'seg1')

      // B's seg2 comes up: found by the interface poll, then query + announce on it.
      const upAt = Date.now()
      await lab.exec(ns.b, 'ip', ['link', 'set', 'seg2', 'up'])
      const cSeesB = await sees(c, idOf(bStart), 'seg2')
      const bSeesC = await sees(b, idOf(cStart), 'seg2')
      await openOn(b, ['seg1', 'seg2'])

      const latency = {
        aSeesNewB: aSeesB.t - bStart.t,
        newBSeesA: bSeesA.t - bStart.t,
        cSeesBAfterSeg2Up: cSeesB.t - upAt,
        bSeesCAfterSeg2Up: bSeesC.t - upAt
      }
      t.diagnostic(`discovery latency ms ${JSON.stringify(latency)}`)
      for (const [what, ms] of Object.entries(latency)) assert.ok(ms < 3000, `${what} took ${ms} ms`)

      await sleep(2500) // room for any wrong sighting (A seeing C, duplicates on the wrong interface)
      const summary = (r: JsonLines): string[] => [...new Set(sightings(r).map(e => `${idOf(e)}@${String(e.interfaceName)}`))].sort()
      assert.deepEqual(summary(a), [`${idOf(bStart)}@seg1`], 'A sees B only, on seg1')
      assert.deepEqual(summary(c), [`${idOf(bStart)}@seg2`], 'C sees B only, on seg2')
      assert.deepEqual(summary(b), [`${idOf(aStart)}@seg1`, `${idOf(cStart)}@seg2`].sort(), 'B sees A on seg1 and C on seg2')
      const addrs = (r: JsonLines): string[] => [...new Set(sightings(r).flatMap(e => e.multiaddrs as string[]))]
      assert.deepEqual(addrs(c), ['/ip4/10.77.2.2/tcp/4001'], 'B announced only its seg2 address on seg2')
      assert.deepEqual(addrs(a), ['/ip4/10.77.1.2/tcp/4001'], 'B announced only its seg1 address on seg1')
      assert.deepEqual(addrs(b).sort(), ['/ip4/10.77.1.1/tcp/4001', '/ip4/10.77.2.3/tcp/4001'])
      assert.ok(sightings(b).every(e => (e.interfaceName === 'seg1') === String(e.sourceAddress).startsWith('10.77.1.')))
    } finally {
      await lab.cleanup()
    }
  })

  it('behavior: interop with a stock libp2p node running @libp2p/mdns', async (t) => {
    if (skipUnlessNetns(t)) return
    const lab = createNetnsLab()
    try {
      const ns = await lab.abcTopology()
      const s = stock(lab, ns.a)
      const c = ours(lab, ns.c)
      const [sStart, cStart] = await Promise.all([started(s), started(c)])
      const b = ours(lab, ns.b)
      const bStart = await started(b)
      const stockSeesB = await s.waitFor(e => e.event === 'peer' && e.peerId === idOf(bStart), 5000, 'stock sighting of B')
      const bSeesStock = await sees(b, idOf(sStart), 'seg1')
      await sees(c, idOf(bStart), 'seg2')
      t.diagnostic(`interop latency ms ${JSON.stringify({ stockSeesNewB: stockSeesB.t - bStart.t, newBSeesStock: bSeesStock.t - bStart.t })}`)

      assert.deepEqual([...new Set(stockSeesB.multiaddrs as string[])], ['/ip4/10.77.1.2/tcp/4001'], 'stock node got only B\'s seg1 address')
      assert.ok((bSeesStock.multiaddrs as string[]).includes('/ip4/10.77.1.1/tcp/4001'), 'we read the stock node\'s addresses')
      await sleep(1500)
      assert.ok(!sightings(c).some(e => e.peerId === idOf(sStart)), 'C never hears the stock node behind B')
      assert.ok(!sightings(s).some(e => e.peerId === idOf(cStart)), 'the stock node never hears C')
    } finally {
      await lab.cleanup()
    }
  })

  it('behavior: two instances in one namespace find each other over lo with MULTICAST on; stop() leaves nothing running', async (t) => {
    if (skipUnlessNetns(t)) return
    const lab = createNetnsLab()
    try {
      const ns = await lab.addNamespace('solo')
      await lab.loopbackMulticast(ns)
      const x = ours(lab, ns)
      const xStart = await started(x)
      await openOn(x, ['lo'])
      const y = ours(lab, ns)
      const yStart = await started(y)
      const ySeesX = await sees(y, idOf(xStart), 'lo')
      const xSeesY = await sees(x, idOf(yStart), 'lo')
      assert.deepEqual(ySeesX.multiaddrs, ['/ip4/127.0.0.1/tcp/4001'])
      assert.equal(xSeesY.sourceAddress, '127.0.0.1')
      // The runner called start() twice; stop() twice must close every socket and timer, so the
      // process exits on its own (the runner never calls process.exit).
      assert.equal(await x.terminate(3000), 0)
      assert.ok(x.events.some(e => e.event === 'stopped'))
      assert.deepEqual(x.events.filter(e => e.event === 'interfaces').map(e => e.interfaces), [['lo']])
    } finally {
      await lab.cleanup()
    }
  })

  it('error: a busy port is logged with its code and retried on the next interface poll', async (t) => {
    if (skipUnlessNetns(t)) return
    const lab = createNetnsLab()
    try {
      const ns = await lab.abcTopology()
      // Holds 0.0.0.0:5353 without SO_REUSEADDR for 3 s, so our bind fails with EADDRINUSE.
      const blocker = lab.spawn(ns.a, process.execPath, ['-e',
        "const s=require('dgram').createSocket({type:'udp4',reuseAddr:false});s.bind(5353,'0.0.0.0',()=>{console.log('bound');setTimeout(()=>s.close(),3000)})"])
      const blockerOut = new JsonLines(blocker, 'blocker')
      await new Promise<void>((resolve, reject) => {
        blocker.stdout?.once('data', () => { resolve() })
        blocker.once('exit', (code) => { reject(new Error(`blocker exited ${String(code)}: ${blockerOut.stderr}`)) })
      })
      const a = ours(lab, ns.a)
      await started(a)
      await openOn(a, ['seg1'])
      assert.match(a.stderr, /"level":"warn","msg":"mDNS socket failed on interface; retrying on next poll".*"code":"EADDRINUSE"/)
    } finally {
      await lab.cleanup()
    }
  })
})
