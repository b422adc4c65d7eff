/**
 * Discovery benchmark: how long until a NEW node and the EXISTING nodes see each other, for
 *   - ours: test/helpers/discovery-runner.ts (the agent's per-interface mDNS module with the agent's
 *     defaults: query every 5 s, interface poll every 2 s), run under tsx;
 *   - stock: @libp2p/mdns with its default 10 s interval, in the bare libp2p node
 *     (test/bench/bare-node.ts, bundled with esbuild; listens on tcp/0).
 * Times run from the new node's "started"/"ready" line to the sighting line (same host clock).
 * Topologies:
 *   - loopback: one namespace, lo with multicast on; one existing node, then one new node;
 *   - a-b-c: existing nodes in A (seg1) and C (seg2), then a new node in B (on seg1 and seg2).
 *     The interesting pair is B↔C: stock mDNS speaks on one interface only (seg1 here), so C is
 *     expected not to see B; that is reported as null ("not discovered within 15 s").
 * Bar (docs/design.md): a new neighbour is seen on every interface within 3 s.
 * Env: BENCH_DISCOVERY_REPS (default 3), BENCH_DISCOVERY_TIMEOUT_MS (default 15000).
 */
import { loadavg } from 'node:os'
import { JsonLines } from '../helpers/json-lines.js'
import type { RunnerEvent } from '../helpers/json-lines.js'
import { createNetnsLab, isNetnsAvailable } from '../helpers/netns.js'
import type { NetnsLab } from '../helpers/netns.js'
import { BareNode, ROOT, bundleBareNode, emit, median, note, round, sleep, spawnBareNode } from './lib.js'

const REPS = Number(process.env.BENCH_DISCOVERY_REPS ?? 3)
const TIMEOUT_MS = Number(process.env.BENCH_DISCOVERY_TIMEOUT_MS ?? 15_000)
const BAR_MS = 3000
const TSX = ['--import', 'tsx', '--import', './agent/polyfills.ts']

type Impl = 'ours' | 'stock'

/** One discovery participant, whichever implementation. */
interface Participant {
  out: JsonLines
  id: string
  /** Host clock (ms) of the line saying it is up. */
  upAt: number
  stop: () => Promise<void>
}

async function stopLines (out: JsonLines): Promise<void> {
  if (out.child.exitCode !== null || out.child.signalCode !== null) return
  try { await out.terminate(5000) } catch { out.child.kill('SIGKILL') }
}

/** Starts a participant in `ns` and waits for its "started"/"ready" line. */
async function start (lab: NetnsLab, impl: Impl, ns: string, bareFile: string, listen: string): Promise<Participant> {
  if (impl === 'ours') {
    const child = lab.spawn(ns, process.execPath, [...TSX, 'test/helpers/discovery-runner.ts', '{}'], { cwd: ROOT })
    const out = new JsonLines(child, `ours@${ns}`)
    const started = await out.waitFor(e => e.event === 'started', 20_000, 'started')
    return { out, id: String(started.peerId), upAt: started.t, stop: async () => { await stopLines(out) } }
  }
  const node: BareNode = spawnBareNode(lab, ns, bareFile, { listen: [listen], mdns: true, relayServer: false }, `stock@${ns}`)
  const ready = await node.ready(20_000)
  return { out: node.out, id: node.peerId, upAt: ready.t, stop: async () => { await node.stop() } }
}

/** For ours: wait until the sockets are open on exactly `ifaces` (existing nodes must be listening before the new one starts). */
async function settled (p: Participant, impl: Impl, ifaces: string[]): Promise<void> {
  if (impl === 'ours') {
    await p.out.waitFor(e => e.event === 'interfaces' && JSON.stringify(e.interfaces) === JSON.stringify(ifaces), 10_000, `sockets on ${ifaces.join(',')}`)
  }
}

/** Time from `ref` to `watcher`'s first sighting of `target` (ms), or null if none within the deadline. */
async function sighting (watcher: Participant, target: Participant, ref: number, deadline: number): Promise<number | null> {
  try {
    const e: RunnerEvent = await watcher.out.waitFor(x => x.event === 'peer' && x.peerId === target.id, Math.max(0, deadline - Date.now()), `sighting of ${target.id}`)
    return e.t - ref
  } catch {
    return null
  }
}

interface PairSpec { name: string, watcher: string, target: string }

/** One repetition: existing nodes up and settled, then the new one; all pairs timed from the new one's start. */
async function repetition (lab: NetnsLab, impl: Impl, bareFile: string, existing: Array<{ key: string, ns: string, ifaces: string[], listen: string }>,
  fresh: { key: string, ns: string, ifaces: string[], listen: string }, pairs: PairSpec[]): Promise<Record<string, number | null>> {
  const nodes = new Map<string, Participant>()
  try {
    const olds = await Promise.all(existing.map(async e => { const p = await start(lab, impl, e.ns, bareFile, e.listen); nodes.set(e.key, p); return { p, e } }))
    await Promise.all(olds.map(async ({ p, e }) => { await settled(p, impl, e.ifaces) }))
    if (impl === 'stock') await sleep(300) // stock has no "socket open" line; give its bind a moment
    const n = await start(lab, impl, fresh.ns, bareFile, fresh.listen)
    nodes.set(fresh.key, n)
    const deadline = Date.now() + TIMEOUT_MS
    const result: Record<string, number | null> = {}
    await Promise.all(pairs.map(async pair => {
      const w = nodes.get(pair.watcher)
      const t = nodes.get(pair.target)
      if (w === undefined || t === undefined) throw new Error(`bad pair ${pair.name}`)
      result[pair.name] = await sighting(w, t, n.upAt, deadline)
    }))
    return result
  } finally {
    await Promise.all([...nodes.values()].map(async p => { await p.stop() }))
  }
}

/** Median where a miss (null) counts as "later than the timeout": null when the median itself is a miss. */
function medianWithMisses (values: Array<number | null>): number | null {
  const m = median(values.map(v => v ?? Infinity))
  return m === null || !Number.isFinite(m) ? null : round(m)
}

function aggregate (samples: Array<Record<string, number | null>>, key: string): { median: number | null, missed: number, values: Array<number | null> } {
  const values = samples.map(s => s[key] ?? null)
  return { median: medianWithMisses(values), missed: values.filter(v => v === null).length, values }
}

const IMPL_LABEL: Record<Impl, string> = {
  ours: 'ours: meshbox per-interface mDNS (discovery-runner, query 5 s, interface poll 2 s)',
  stock: 'stock: @libp2p/mdns 12.0.32 in a bare libp2p node (interval 10 s)'
}

async function main (): Promise<void> {
  const available = await isNetnsAvailable()
  if (available !== true) { emit({ bench: 'discovery', skipped: available }); return }
  const bare = await bundleBareNode()
  const lab = createNetnsLab()
  try {
    // Loopback: one namespace, multicast on lo.
    const lo = await lab.addNamespace('disc')
    await lab.loopbackMulticast(lo)
    const loNode = { ns: lo, ifaces: ['lo'], listen: '/ip4/127.0.0.1/tcp/0' }
    const loPairs: PairSpec[] = [{ name: 'newSeesExisting', watcher: 'new', target: 'old' }, { name: 'existingSeesNew', watcher: 'old', target: 'new' }]
    // A—B—C: existing in A and C, new in B.
    const abc = await lab.abcTopology()
    const abcPairs: PairSpec[] = [
      { name: 'bSeesA', watcher: 'b', target: 'a' }, { name: 'aSeesB', watcher: 'a', target: 'b' },
      { name: 'bSeesC', watcher: 'b', target: 'c' }, { name: 'cSeesB', watcher: 'c', target: 'b' }
    ]
    const everyIface: { loopback: Record<Impl, number | null>, 'a-b-c': Record<Impl, number | null> } = { loopback: { ours: null, stock: null }, 'a-b-c': { ours: null, stock: null } }

    for (const impl of ['ours', 'stock'] as const) {
      note(`discovery: loopback, ${impl}, ${REPS} reps`)
      const loSamples: Array<Record<string, number | null>> = []
      for (let i = 0; i < REPS; i++) loSamples.push(await repetition(lab, impl, bare.file, [{ key: 'old', ...loNode }], { key: 'new', ...loNode }, loPairs))
      const loLine: Record<string, unknown> = { bench: 'discovery', topology: 'loopback', impl: IMPL_LABEL[impl], reps: REPS, timeoutMs: TIMEOUT_MS }
      for (const p of loPairs) {
        const a = aggregate(loSamples, p.name)
        loLine[`${p.name}MsMedian`] = a.median
        loLine[`${p.name}Missed`] = a.missed
        loLine[`${p.name}Ms`] = a.values.map(v => round(v))
      }
      loLine.load1 = round(loadavg()[0] ?? 0, 2)
      emit(loLine)
      // On one segment "seen on every interface" = the existing node sees the new one.
      const loBoth = loSamples.map(s => (s.existingSeesNew ?? null))
      everyIface.loopback[impl] = medianWithMisses(loBoth)

      note(`discovery: a-b-c, ${impl}, ${REPS} reps (stock may wait the full ${TIMEOUT_MS} ms)`)
      const abcSamples: Array<Record<string, number | null>> = []
      for (let i = 0; i < REPS; i++) {
        abcSamples.push(await repetition(lab, impl, bare.file, [
          { key: 'a', ns: abc.a, ifaces: ['seg1'], listen: '/ip4/0.0.0.0/tcp/0' },
          { key: 'c', ns: abc.c, ifaces: ['seg2'], listen: '/ip4/0.0.0.0/tcp/0' }
        ], { key: 'b', ns: abc.b, ifaces: ['seg1', 'seg2'], listen: '/ip4/0.0.0.0/tcp/0' }, abcPairs))
      }
      const abcLine: Record<string, unknown> = { bench: 'discovery', topology: 'a-b-c', newNode: 'b', impl: IMPL_LABEL[impl], reps: REPS, timeoutMs: TIMEOUT_MS }
      for (const p of abcPairs) {
        const a = aggregate(abcSamples, p.name)
        abcLine[`${p.name}MsMedian`] = a.median
        abcLine[`${p.name}Missed`] = a.missed
        abcLine[`${p.name}Ms`] = a.values.map(v => round(v))
      }
      // The new node B seen by its neighbours on every interface (A on seg1 and C on seg2).
      const both = abcSamples.map(s => (s.aSeesB === null || s.aSeesB === undefined || s.cSeesB === null || s.cSeesB === undefined) ? null : Math.max(s.aSeesB, s.cSeesB))
      const bothMedian = medianWithMisses(both)
      const bothMissed = both.filter(v => v === null).length
      abcLine.seenOnEveryInterfaceMsMedian = bothMedian
      abcLine.seenOnEveryInterfaceMs = both.map(v => round(v))
      if (bothMissed > 0) abcLine.seenOnEveryInterfaceNote = `not seen on every interface within ${TIMEOUT_MS} ms in ${bothMissed}/${both.length} reps`
      abcLine.load1 = round(loadavg()[0] ?? 0, 2)
      emit(abcLine)
      everyIface['a-b-c'][impl] = bothMedian
    }

    for (const topology of ['loopback', 'a-b-c'] as const) {
      const v = everyIface[topology]
      emit({
        bench: 'discovery',
        compare: 'new-neighbour-seen-on-every-interface',
        topology,
        oursMsMedian: v.ours,
        stockMsMedian: v.stock,
        ...(v.stock === null ? { stockNote: `not discovered on every interface within ${TIMEOUT_MS} ms` } : {}),
        bar: `<= ${BAR_MS} ms`,
        met: v.ours !== null && v.ours <= BAR_MS
      })
    }
  } finally {
    await lab.cleanup()
    await bare.remove()
  }
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`discovery bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
