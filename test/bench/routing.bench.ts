/**
 * Multi-hop routing benchmark (`/meshbox/route/1.0.0` + `/meshbox/fwd/1.0.0`) on graphs of
 * namespaces from test/helpers/topologies.ts. One agent bundle per node, default listen addresses,
 * HTTP API on 127.0.0.1 inside its namespace. Three phases, one after the other, each with its own
 * lab (at most 9 agents at once), everything removed after each phase:
 *
 *   1. line(6)  n0—n1—n2—n3—n4—n5
 *      - convergence from cold start (figure 1);
 *      - 60 s of idle: bytes on every segment interface → control traffic per box per minute (5);
 *      - mesh-ping RTT from n0 to 1…5 hops, slope per hop, and sequential mesh-pings n0→n5 per
 *        second through the HTTP API (3);
 *      - n0→n2: routed mesh-ping over 2 hops vs libp2p ping over the circuit relay via n1 (4).
 *   2. grid(3,3): convergence from cold start (1).
 *   3. line(6) plus a detour node d (n2—d—n3): repair after a silent cut of the link on the
 *      current n0→n5 path, 3 times (restore, wait until every box is back on shortest routes plus
 *      3 s, cut again) (2).
 *
 * HTTP calls go through one small long-lived node process per namespace (mesh-lab.ts) that does
 * fetch() on 127.0.0.1 there: starting a process per call (fetchInNamespace) would cost ~50 ms of
 * CPU each and make 200 ms polling of 9 agents load the 2 cores more than the agents do.
 * No assertions; every figure is printed as one JSON line, with its bar where docs give one.
 * Env: BENCH_ROUTING_IDLE_MS (60000), BENCH_ROUTING_PINGS (20), BENCH_ROUTING_REPAIRS (3),
 *      BENCH_ROUTING_RATE_MS (5000).
 */
import { loadavg } from 'node:os'
import { isNetnsAvailable } from '../helpers/netns.js'
import { grid, line, type GraphSpec } from '../helpers/topologies.js'
import { emit, fit, median, note, percentile, round, sleep } from './lib.js'
import { METRIC_INFINITY, POLL_MS, Phase, type NsHttp, type PeerPing, type RouteLogRow, type RouteRow, type Traceroute, type NeighbourRow } from './mesh-lab.js'

const BENCH = 'routing'
const IDLE_MS = Number(process.env.BENCH_ROUTING_IDLE_MS ?? 60_000)
const PINGS = Number(process.env.BENCH_ROUTING_PINGS ?? 20)
const REPAIRS = Number(process.env.BENCH_ROUTING_REPAIRS ?? 3)
const RATE_MS = Number(process.env.BENCH_ROUTING_RATE_MS ?? 5_000)
const CONVERGENCE_BOUND_MS = 40_000
const REPAIR_BOUND_MS = 20_000
const RELINK_BOUND_MS = 45_000
/** After a restored link is routable again, until its young-link penalty (10 s) is gone. */
const SETTLE_MS = 3_000
const RELAYED_PING_BOUND_MS = 25_000
const WATCHDOG_MS = 7 * 60_000
const HOP_SLOPE_BAR_MS = 3
const REPAIR_BAR_MS = 5_000

const load1 = (): number | null => round(loadavg()[0] ?? 0, 2)


async function convergence (topology: string, spec: GraphSpec): Promise<Phase> {
  note(`routing: ${topology}: building ${spec.nodes.length} namespaces, ${spec.edges.length} links`)
  const ph = await Phase.build(spec)
  try {
    await ph.startAgents()
    note(`routing: ${topology}: all ${spec.nodes.length} agents ready ${Math.round(ph.lastReadyAt - ph.spawnedAt)} ms after spawn`)
    const c = await ph.waitConverged(ph.lastReadyAt, CONVERGENCE_BOUND_MS)
    const diameter = Math.max(...spec.nodes.map(n => Math.max(...ph.graph.hopCounts(n).values())))
    emit({
      bench: BENCH,
      figure: 'convergence-cold-start',
      topology,
      boxes: spec.nodes.length,
      links: spec.edges.length,
      diameterHops: diameter,
      allRoutesMs: c.allRoutesMs,
      allShortestMs: c.allShortestMs,
      ...(c.allRoutesMs === null ? { error: `not every box had every route within ${CONVERGENCE_BOUND_MS} ms (${c.lastMissing} routes missing)` } : {}),
      ...(c.allShortestMs === null && c.allRoutesMs !== null ? { notShortestAtEnd: c.lastNotShortest.length, notShortestSample: c.lastNotShortest.slice(0, 6) } : {}),
      readySpreadMs: Math.round(ph.lastReadyAt - ph.firstReadyAt),
      spawnToLastReadyMs: Math.round(ph.lastReadyAt - ph.spawnedAt),
      pollMs: POLL_MS,
      polls: c.polls,
      from: 'last agent\'s Agent ready',
      load1: load1()
    })
    return ph
  } catch (err) {
    await ph.close()
    throw err
  }
}

/** rx/tx bytes and packets of every segment interface of every node (ip netns exec … cat). */
async function counters (ph: Phase): Promise<Map<string, { tx: number, rx: number, txPackets: number }>> {
  const out = new Map<string, { tx: number, rx: number, txPackets: number }>()
  await Promise.all(ph.names.map(async n => {
    const files = ph.graph.node(n).interfaces.flatMap(i => ['tx_bytes', 'rx_bytes', 'tx_packets'].map(f => `/sys/class/net/${i.ifname}/statistics/${f}`))
    const { stdout } = await ph.lab.exec(ph.graph.ns(n), 'cat', files)
    const v = stdout.trim().split(/\s+/).map(Number)
    let tx = 0
    let rx = 0
    let txPackets = 0
    for (let i = 0; i + 2 < v.length; i += 3) { tx += v[i] ?? 0; rx += v[i + 1] ?? 0; txPackets += v[i + 2] ?? 0 }
    out.set(n, { tx, rx, txPackets })
  }))
  return out
}

/** Per TCP connection of a namespace (from `ss -tinH`): payload bytes sent and segments out. */
async function tcpCounters (ph: Phase, n: string): Promise<Map<string, { sent: number, segs: number, dataSegs: number }>> {
  const out = new Map<string, { sent: number, segs: number, dataSegs: number }>()
  const { stdout } = await ph.lab.exec(ph.graph.ns(n), 'ss', ['-tinH']).catch(() => ({ stdout: '' }))
  let key: string | null = null
  for (const l of stdout.split('\n')) {
    const head = /^\S+\s+\d+\s+\d+\s+(\S+)\s+(\S+)/.exec(l)
    if (head !== null) { key = `${head[1] ?? ''} ${head[2] ?? ''}`; continue }
    if (key === null || !/\bsegs_out:/.test(l)) continue
    const num = (k: string): number => Number(new RegExp(`\\b${k}:(\\d+)`).exec(l)?.[1] ?? 0)
    out.set(key, { sent: num('bytes_sent'), segs: num('segs_out'), dataSegs: num('data_segs_out') })
    key = null
  }
  return out
}

/** Sums the growth of connections present in both snapshots; lo connections (HTTP) excluded. */
function tcpGrowth (a: Map<string, { sent: number, segs: number, dataSegs: number }>, b: Map<string, { sent: number, segs: number, dataSegs: number }>): { sent: number, segs: number, dataSegs: number, connections: number } {
  const sum = { sent: 0, segs: 0, dataSegs: 0, connections: 0 }
  for (const [k, y] of b) {
    const x = a.get(k)
    if (x === undefined || k.startsWith('127.')) continue
    sum.sent += y.sent - x.sent
    sum.segs += y.segs - x.segs
    sum.dataSegs += y.dataSegs - x.dataSegs
    sum.connections++
  }
  return sum
}

async function neighbourCounts (ph: Phase): Promise<Record<string, string>> {
  const res: Record<string, string> = {}
  await Promise.all(ph.names.map(async n => {
    const r = await ph.api<NeighbourRow[]>(n, 'GET', '/api/v1/neighbours').catch(() => null)
    const rows = Array.isArray(r?.body) ? r.body.filter(x => x.state === 'up') : []
    res[n] = `${rows.filter(x => x.kind === 'direct').length}d+${rows.filter(x => x.kind === 'relayed').length}r`
  }))
  return res
}

async function idleTraffic (ph: Phase): Promise<void> {
  const before = await neighbourCounts(ph)
  note(`routing: line-6: ${IDLE_MS} ms of idle (no API calls) for control traffic`)
  const t0 = performance.now()
  const wall0 = Date.now()
  const [c0, t0s] = await Promise.all([counters(ph), Promise.all(ph.names.map(async n => await tcpCounters(ph, n)))])
  await sleep(IDLE_MS)
  const [c1, t1s] = await Promise.all([counters(ph), Promise.all(ph.names.map(async n => await tcpCounters(ph, n)))])
  const minutes = (performance.now() - t0) / 60_000
  const after = await neighbourCounts(ph)
  let changes = 0
  const changeSample: string[] = []
  for (const n of ph.names) {
    const r = await ph.api<RouteLogRow[]>(n, 'GET', '/api/v1/routes/log').catch(() => null)
    if (!Array.isArray(r?.body)) continue
    const during = r.body.filter(x => x.atMs >= wall0)
    changes += during.length
    const hop = (x: { nextHop: string, metric: number } | null | undefined): string => x == null ? '-' : `${ph.label(x.nextHop)}/${x.metric}`
    for (const x of during.slice(0, 2)) changeSample.push(`${n}→${ph.label(x.destination)} ${x.change} ${hop(x.from)} → ${hop(x.to)} (${x.reason ?? ''})`)
  }
  const perBox: Record<string, number> = {}
  let tx = 0
  let rx = 0
  let packets = 0
  for (const n of ph.names) {
    const a = c0.get(n)
    const b = c1.get(n)
    if (a === undefined || b === undefined) continue
    perBox[n] = Math.round((b.tx - a.tx) / minutes)
    tx += b.tx - a.tx
    rx += b.rx - a.rx
    packets += b.txPackets - a.txPackets
  }
  const boxes = ph.names.length
  const interfaces = ph.names.reduce((k, n) => k + ph.graph.node(n).interfaces.length, 0)
  const tcp = ph.names.map((_n, i) => tcpGrowth(t0s[i] ?? new Map(), t1s[i] ?? new Map()))
  const tcpSum = tcp.reduce((x, y) => ({ sent: x.sent + y.sent, segs: x.segs + y.segs, dataSegs: x.dataSegs + y.dataSegs, connections: x.connections + y.connections }), { sent: 0, segs: 0, dataSegs: 0, connections: 0 })
  emit({
    bench: BENCH,
    figure: 'idle-control-traffic',
    topology: 'line-6',
    idleMs: Math.round(performance.now() - t0),
    txBytesPerBoxPerMin: Math.round(tx / boxes / minutes),
    txKiBPerBoxPerMin: round(tx / boxes / minutes / 1024, 1),
    txPacketsPerBoxPerMin: Math.round(packets / boxes / minutes),
    rxBytesPerBoxPerMin: Math.round(rx / boxes / minutes),
    txBytesPerInterfacePerMin: Math.round(tx / interfaces / minutes),
    tcpPerBoxPerMin: {
      payloadBytes: Math.round(tcpSum.sent / boxes / minutes),
      segmentsOut: Math.round(tcpSum.segs / boxes / minutes),
      dataSegmentsOut: Math.round(tcpSum.dataSegs / boxes / minutes),
      meanPayloadBytesPerDataSegment: tcpSum.dataSegs > 0 ? round(tcpSum.sent / tcpSum.dataSegs, 1) : null,
      connections: tcpSum.connections,
      from: 'ss -ti bytes_sent / segs_out / data_segs_out of the mesh TCP connections open at both ends of the window'
    },
    txBytesPerMinByBox: perBox,
    neighboursUp: { before, after },
    routeChangesDuringIdle: changes,
    routeChangesSample: changeSample.slice(0, 8),
    bar: null,
    note: 'tx bytes of every box\'s segment interfaces (Ethernet frames on the veths; lo not counted) / boxes / minutes, at idle after convergence, no API calls during the window. ' +
      'Includes everything the agent sends: TCP/IP and ACKs, Noise and yamux framing, link probes (8-byte payload every 1 s per neighbour, direct and relayed), full route updates every 4 s per neighbour, mDNS queries every 5 s per interface, DHT and identify. ' +
      'Not measured here: babeld, whose documented defaults are a Hello every 4 s and a full update every 16 s per interface (RFC 8966 Appendix B / babeld(8)); by our own arithmetic (Hello/IHU/Update TLVs on IPv6+UDP) that is on the order of 1-2 KB per interface per minute for six routes, an estimate rather than a measurement.',
    load1: load1()
  })
}

async function latencyPerHop (ph: Phase): Promise<void> {
  const dests = ['n1', 'n2', 'n3', 'n4', 'n5']
  note(`routing: line-6: mesh-ping n0 → n1…n5, ${PINGS} each after 3 warm-up pings`)
  for (const d of dests) for (let i = 0; i < 3; i++) await ph.meshPing('n0', d)
  const rtts = new Map<string, number[]>(dests.map(d => [d, []]))
  const hops = new Map<string, Set<number>>(dests.map(d => [d, new Set()]))
  const errors: string[] = []
  for (let r = 0; r < PINGS; r++) {
    for (const d of dests) {
      const p = await ph.meshPing('n0', d)
      if (typeof p === 'string') { errors.push(`${d}: ${p}`); continue }
      rtts.get(d)?.push(p.rttMs)
      hops.get(d)?.add(p.hops)
    }
  }
  const rows = dests.map((d, i) => {
    const xs = rtts.get(d) ?? []
    return { lineHops: i + 1, dest: d, reportedHops: [...(hops.get(d) ?? [])], rttMsMedian: round(median(xs), 3), rttMsP90: round(percentile(xs, 90), 3), samples: xs.length }
  })
  const pts = rows.filter(r => r.rttMsMedian !== null)
  const f = fit(pts.map(r => r.lineHops), pts.map(r => r.rttMsMedian ?? 0))
  for (const r of rows) emit({ bench: BENCH, figure: 'mesh-ping-rtt', topology: 'line-6', from: 'n0', ...r, load1: load1() })
  emit({
    bench: BENCH,
    figure: 'added-latency-per-hop',
    topology: 'line-6',
    msPerHop: f === null ? null : round(f.slope, 3),
    interceptMs: f === null ? null : round(f.intercept, 3),
    rttMsMedianByHops: Object.fromEntries(rows.map(r => [r.lineHops, r.rttMsMedian])),
    bar: `<= ${HOP_SLOPE_BAR_MS} ms per hop`,
    met: f === null ? null : f.slope <= HOP_SLOPE_BAR_MS,
    note: 'least-squares slope of the median mesh-ping RTT (as timed by the agent, HTTP not included) over line hops 1..5, warm',
    ...(errors.length > 0 ? { errors: errors.slice(0, 5), errorCount: errors.length } : {}),
    load1: load1()
  })

  note(`routing: line-6: sequential mesh-pings n0 → n5 for ${RATE_MS} ms`)
  const h = ph.http.get('n0') as NsHttp
  const loop = await h.loop('POST', ph.agent('n0').httpUrl + 'api/v1/mesh/ping', { peerId: ph.id('n5') }, RATE_MS)
  emit({
    bench: BENCH,
    figure: 'message-rate-5-hops',
    topology: 'line-6',
    path: 'n0 → n5 (5 hops) and back',
    msgsPerS: round(loop.ok / (loop.elapsedMs / 1000), 1),
    ok: loop.ok,
    failed: loop.fail,
    elapsedMs: Math.round(loop.elapsedMs),
    rttMsMedian: round(median(loop.rtts), 3),
    bar: null,
    note: 'one message = one echo n0→n5 plus its echo-reply, one at a time; each includes an HTTP round trip (POST /api/v1/mesh/ping from a client in n0\'s namespace over loopback, keep-alive), so this is the rate a caller of the API gets, not the forwarding capacity',
    load1: load1()
  })
}

async function twoHopDelivery (ph: Phase): Promise<void> {
  note('routing: line-6: n0 → n2 over the circuit relay via n1 (waiting for the relayed connection)')
  const deadline = performance.now() + RELAYED_PING_BOUND_MS
  let first: PeerPing | string = 'never tried'
  for (;;) {
    const r = await ph.api<PeerPing>('n0', 'POST', `/api/v1/peers/${ph.id('n2')}/ping`, undefined, 15_000).catch((err: unknown) => err instanceof Error ? err : new Error(String(err)))
    first = r instanceof Error ? r.message : r.status === 200 ? r.body : `HTTP ${r.status} ${JSON.stringify(r.body)}`
    if (typeof first !== 'string' && first.kind === 'relayed') break
    if (performance.now() > deadline) break
    await sleep(500)
  }
  const relayedOk = typeof first !== 'string' && first.kind === 'relayed'
  const routed: number[] = []
  const relayed: number[] = []
  const routedHops = new Set<number>()
  const relayKinds = new Set<string>()
  for (let i = 0; i < 3; i++) await ph.meshPing('n0', 'n2')
  const direct1Routed: number[] = []
  const direct1Libp2p: number[] = []
  for (let i = 0; i < PINGS; i++) {
    const m = await ph.meshPing('n0', 'n2')
    if (typeof m !== 'string') { routed.push(m.rttMs); routedHops.add(m.hops) }
    // One direct hop, both ways, to tell the relay's share from the cost of a stream per libp2p ping.
    const m1 = await ph.meshPing('n0', 'n1')
    if (typeof m1 !== 'string') direct1Routed.push(m1.rttMs)
    const p1 = await ph.api<PeerPing>('n0', 'POST', `/api/v1/peers/${ph.id('n1')}/ping`).catch(() => null)
    if (p1 !== null && p1.status === 200) direct1Libp2p.push(p1.body.rttMs)
    if (!relayedOk) continue
    const r = await ph.api<PeerPing>('n0', 'POST', `/api/v1/peers/${ph.id('n2')}/ping`).catch(() => null)
    if (r !== null && r.status === 200) { relayed.push(r.body.rttMs); relayKinds.add(`${r.body.kind}${r.body.via !== null ? ` via ${ph.label(r.body.via)}` : ''}`) }
  }
  const routedMedian = median(routed)
  const relayMedian = median(relayed)
  emit({
    bench: BENCH,
    figure: 'two-hop-delivery',
    topology: 'line-6 (n0—n1—n2, the first three boxes)',
    routed: { what: 'POST /api/v1/mesh/ping n0→n2', rttMsMedian: round(routedMedian, 3), rttMsP90: round(percentile(routed, 90), 3), hops: [...routedHops], samples: routed.length },
    circuitRelay: {
      what: 'POST /api/v1/peers/<n2>/ping from n0 (libp2p ping over the relayed connection via n1)',
      rttMsMedian: round(relayMedian, 3),
      rttMsP90: round(percentile(relayed, 90), 3),
      connection: [...relayKinds],
      samples: relayed.length,
      ...(relayedOk ? {} : { error: `no relayed connection within ${RELAYED_PING_BOUND_MS} ms; last answer: ${typeof first === 'string' ? first : JSON.stringify(first)}` })
    },
    oneDirectHop: { meshPingRttMsMedian: round(median(direct1Routed), 3), libp2pPingRttMsMedian: round(median(direct1Libp2p), 3), samples: [direct1Routed.length, direct1Libp2p.length] },
    ratioRoutedToRelay: routedMedian !== null && relayMedian !== null && relayMedian > 0 ? round(routedMedian / relayMedian, 3) : null,
    bar: null,
    note: 'all RTTs are timed inside the agent (HTTP not included); oneDirectHop is n0→n1 with both tools, as a calibration; the libp2p ping opens a new stream (multistream-select) for every ping, the mesh-ping reuses one long-lived stream per neighbour and is forwarded by n1\'s agent',
    load1: load1()
  })
}

async function repair (): Promise<void> {
  const spec = line(6)
  spec.nodes.push('d')
  spec.edges.push(['n2', 'd'], ['d', 'n3'])
  const topology = 'line-6 + detour n2—d—n3'
  note(`routing: ${topology}: building, starting 7 agents`)
  const ph = await Phase.build(spec)
  const results: Array<Record<string, unknown>> = []
  try {
    await ph.startAgents()
    const c = await ph.waitConverged(ph.lastReadyAt, CONVERGENCE_BOUND_MS)
    note(`routing: ${topology}: converged (all routes ${String(c.allRoutesMs)} ms, shortest ${String(c.allShortestMs)} ms)`)
    for (let rep = 0; rep < REPAIRS; rep++) {
      const tr = await ph.api<Traceroute>('n0', 'POST', '/api/v1/mesh/traceroute', { peerId: ph.id('n5') }, 30_000)
      const path = tr.status === 200 ? ['n0', ...tr.body.hops.map(h => h.peerId === null ? '?' : ph.label(h.peerId))] : []
      const cut: [string, string] = path.includes('d') ? ['n2', 'd'] : ['n2', 'n3']
      const rowOf = async (n: string, dest: string): Promise<RouteRow | undefined> => (await ph.routes(n).catch(() => [])).find(r => ph.label(r.destination) === dest && r.metric < METRIC_INFINITY)
      // The routes that cross the cut: at either end of it, towards n0 or n5, with the other end as next hop.
      const candidates = [{ at: cut[0], dest: 'n5', other: cut[1] }, { at: cut[0], dest: 'n0', other: cut[1] }, { at: cut[1], dest: 'n5', other: cut[0] }, { at: cut[1], dest: 'n0', other: cut[0] }]
      const rows = await Promise.all(candidates.map(async w => await rowOf(w.at, w.dest)))
      const watch = candidates.filter((w, i) => rows[i] !== undefined && ph.label(rows[i].nextHop) === w.other)
      const before = watch.map(w => rows[candidates.indexOf(w)])
      const pingBefore = await ph.meshPing('n0', 'n5')
      note(`routing: repair ${rep + 1}/${REPAIRS}: path ${path.join('→')}, cutting ${cut.join('—')}`)

      const t0 = performance.now()
      await ph.graph.cutLink(cut)
      const cutTookMs = performance.now() - t0
      let ping: { ms: number, hops: number, rttMs: number } | null = null
      let failedPings = 0
      const routeMs: Array<number | null> = watch.map(() => null)
      const routeAfter: Array<RouteRow | undefined> = watch.map(() => undefined)
      const inflight: Array<Promise<void>> = []
      while (performance.now() - t0 < REPAIR_BOUND_MS && (ping === null || routeMs.some(x => x === null))) {
        const round0 = performance.now()
        if (ping === null) {
          inflight.push(ph.meshPing('n0', 'n5').then(p => {
            if (typeof p === 'string') { failedPings++; return }
            ping ??= { ms: performance.now() - t0, hops: p.hops, rttMs: p.rttMs }
          }))
        }
        await Promise.all(watch.map(async (w, i) => {
          if (routeMs[i] !== null) return
          const r = await rowOf(w.at, w.dest)
          const b = before[i]
          if (r === undefined) return
          if (b === undefined || r.nextHop !== b.nextHop || r.metric > b.metric * 1.3) {
            routeMs[i] = performance.now() - t0
            routeAfter[i] = r
          }
        }))
        await sleep(Math.max(0, POLL_MS - (performance.now() - round0)))
      }
      await Promise.all(inflight)
      const got = ping as { ms: number, hops: number, rttMs: number } | null
      const doneRoutes = routeMs.filter((x): x is number => x !== null)
      const result = {
        bench: BENCH,
        figure: 'repair-run',
        topology,
        run: rep + 1,
        pathBefore: path,
        hopsBefore: typeof pingBefore === 'string' ? null : pingBefore.hops,
        cut: cut.join('—'),
        cutTookMs: Math.round(cutTookMs),
        meshPingAnsweredMs: got === null ? null : Math.round(got.ms),
        hopsAfter: got?.hops ?? null,
        failedPingsBefore: failedPings,
        nextHopChangedMs: Object.fromEntries(watch.map((w, i) => [`${w.at}→${w.dest}`, routeMs[i] === null ? null : Math.round(routeMs[i] ?? 0)])),
        nextHops: Object.fromEntries(watch.map((w, i) => [`${w.at}→${w.dest}`, `${before[i] === undefined ? '?' : ph.label(before[i].nextHop)} → ${routeAfter[i] === undefined ? '?' : ph.label(routeAfter[i].nextHop)}`])),
        routeRepairedMs: watch.length > 0 && doneRoutes.length === watch.length ? Math.round(Math.max(...doneRoutes)) : null,
        ...(got === null ? { error: `no mesh-ping answer within ${REPAIR_BOUND_MS} ms` } : {}),
        load1: load1()
      }
      if (rep + 1 === REPAIRS) {
        results.push(result)
        emit(result)
        break
      }
      // Restore, and wait until every box is back on shortest routes (so the next cut is again n2—n3
      // on a settled 5-hop path), then let the restored link finish its warm-up.
      const r0 = performance.now()
      await ph.graph.restoreLink(cut)
      const back = await ph.waitConverged(r0, RELINK_BOUND_MS, RELINK_BOUND_MS)
      const restored = { ...result, restoredAllShortestMs: back.allShortestMs }
      results.push(restored)
      emit(restored)
      note(`routing: repair ${rep + 1}: ${cut.join('—')} restored; every box on shortest routes again after ${String(back.allShortestMs)} ms`)
      if (back.allShortestMs === null) {
        emit({ bench: BENCH, figure: 'repair-run', topology, run: rep + 1, error: `not every box back on shortest routes within ${RELINK_BOUND_MS} ms of restoring ${cut.join('—')}; stopping the repeats` })
        break
      }
      await sleep(SETTLE_MS)
    }
  } finally {
    await ph.close()
  }
  const pingMs = results.map(r => r.meshPingAnsweredMs).filter((x): x is number => typeof x === 'number')
  const routeMs = results.map(r => r.routeRepairedMs).filter((x): x is number => typeof x === 'number')
  const med = median(pingMs)
  emit({
    bench: BENCH,
    figure: 'repair',
    topology,
    runs: results.length,
    meshPingAnsweredMsMedian: round(med, 0),
    routeRepairedMsMedian: round(median(routeMs), 0),
    meshPingAnsweredMs: results.map(r => r.meshPingAnsweredMs),
    routeRepairedMs: results.map(r => r.routeRepairedMs),
    restoredAllShortestMs: results.map(r => r.restoredAllShortestMs ?? null),
    bar: `<= ${REPAIR_BAR_MS} ms`,
    met: med === null || pingMs.length < results.length ? false : med <= REPAIR_BAR_MS,
    note: 'silent cut (both ends of the segment down, no FIN/RST) of the link on n0\'s current path to n5; meshPingAnswered = first mesh-ping n0→n5 answered after the cut (one launched every 200 ms); routeRepaired = both ends of the cut (n2→n5, n3→n0) have a usable route with another next hop (or a ≥30 % dearer metric); ms after the cut started; 200 ms resolution',
    load1: load1()
  })
}

async function main (): Promise<void> {
  const available = await isNetnsAvailable()
  if (available !== true) { emit({ bench: BENCH, skipped: available }); return }
  const watchdog = setTimeout(() => {
    process.stderr.write(`routing bench: still running after ${WATCHDOG_MS} ms; giving up (the exit hooks remove the namespaces)\n`)
    process.exit(1)
  }, WATCHDOG_MS)
  watchdog.unref()
  const t0 = performance.now()

  const lineVm = await convergence('line-6', line(6))
  try {
    // Let relayed links and young-link penalties settle before measuring the steady state.
    await sleep(5_000)
    await idleTraffic(lineVm)
    await latencyPerHop(lineVm)
    await twoHopDelivery(lineVm)
  } finally {
    await lineVm.close()
  }

  const gridVm = await convergence('grid-3x3', grid(3, 3))
  await gridVm.close()

  await repair()
  note(`routing: done in ${Math.round((performance.now() - t0) / 1000)} s`)
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`routing bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
