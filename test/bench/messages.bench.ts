/**
 * End-to-end message benchmark (`/meshbox/msg/1.0.0`) on a line of six namespaces
 * n0—n1—n2—n3—n4—n5 (mesh-lab.ts), each message sealed, signed, carried hop by hop with custody
 * written to LMDB at every box, and acknowledged by a receipt from the destination:
 *   - delivery time (send → receipt back at the sender) to 1…5 hops, and its slope per hop;
 *   - end-to-end rate at 5 hops: one at a time (each waits for its receipt), and pipelined
 *     (a burst queued at once, timed until the destination has them all and the receipts are back);
 *   - two hops, side by side: a routed 1 KiB message n0→n2 vs 1 KiB over a fresh circuit-relay
 *     stream n0→n2 via n1 (the perf protocol over the relayed connection).
 * No assertions; every figure is one JSON line. Env: BENCH_MESSAGES_SAMPLES (20),
 * BENCH_MESSAGES_RATE_MS (5000), BENCH_MESSAGES_BURST (500).
 */
import { loadavg } from 'node:os'
import { isNetnsAvailable } from '../helpers/netns.js'
import { line } from '../helpers/topologies.js'
import { emit, fit, median, note, percentile, round, sleep } from './lib.js'
import { Phase, type PeerPing } from './mesh-lab.js'

const BENCH = 'messages'
const SAMPLES = Number(process.env.BENCH_MESSAGES_SAMPLES ?? 20)
const RATE_MS = Number(process.env.BENCH_MESSAGES_RATE_MS ?? 5_000)
const BURST = Number(process.env.BENCH_MESSAGES_BURST ?? 500)
const RELAYED_BOUND_MS = 25_000
const WATCHDOG_MS = 5 * 60_000
const KIB = 'x'.repeat(1024)
/** No handler takes the benchmark's notes, so the inbox must hold them all. */
const ENV = { MESHBOX_MESH_MESSAGES_MAX_INBOX_MESSAGES: '100000' }

interface SentReply { id: string, status: string, rttMs?: number }
interface Summary { inbox: number, counters: Record<string, number> }
interface Perf { durationMs: number, kind: string, via: string | null }

const load1 = (): number | null => round(loadavg()[0] ?? 0, 2)

async function sendTimed (ph: Phase, from: string, to: string, text: string): Promise<number | string> {
  const r = await ph.api<SentReply>(from, 'POST', '/api/v1/messages', { peerId: ph.id(to), text, waitMs: 10_000 }, 15_000).catch((err: unknown) => err instanceof Error ? err : new Error(String(err)))
  if (r instanceof Error) return r.message
  if (r.status !== 200 || typeof r.body.rttMs !== 'number') return `HTTP ${r.status} ${JSON.stringify(r.body)}`
  return r.body.rttMs
}

async function deliveryByHops (ph: Phase): Promise<void> {
  const dests = ['n1', 'n2', 'n3', 'n4', 'n5']
  for (const d of dests) for (let i = 0; i < 3; i++) await sendTimed(ph, 'n0', d, 'warm-up')
  const rows = []
  const errors: string[] = []
  for (const [i, d] of dests.entries()) {
    const xs: number[] = []
    for (let k = 0; k < SAMPLES; k++) {
      const r = await sendTimed(ph, 'n0', d, `sample ${k}`)
      if (typeof r === 'string') errors.push(`${d}: ${r}`)
      else xs.push(r)
    }
    rows.push({ hops: i + 1, dest: d, msMedian: round(median(xs), 3), msP90: round(percentile(xs, 90), 3), samples: xs.length })
  }
  for (const r of rows) emit({ bench: BENCH, figure: 'message-delivery-ms', topology: 'line-6', from: 'n0', ...r, load1: load1() })
  const pts = rows.filter(r => r.msMedian !== null)
  const f = fit(pts.map(r => r.hops), pts.map(r => r.msMedian ?? 0))
  emit({
    bench: BENCH,
    figure: 'message-added-ms-per-hop',
    topology: 'line-6',
    msPerHop: f === null ? null : round(f.slope, 3),
    note: 'slope of the median send→receipt time over 1..5 hops; each hop costs a custody write (LMDB commit) on the way out and another for the receipt on the way back',
    ...(errors.length > 0 ? { errors: errors.slice(0, 5), errorCount: errors.length } : {}),
    load1: load1()
  })
}

async function rateAtFiveHops (ph: Phase): Promise<void> {
  const h = ph.http.get('n0')
  if (h === undefined) throw new Error('no runner for n0')
  const loop = await h.loop('POST', ph.agent('n0').httpUrl + 'api/v1/messages', { peerId: ph.id('n5'), text: 'rate', waitMs: 10_000 }, RATE_MS)
  emit({
    bench: BENCH,
    figure: 'message-rate-5-hops-sequential',
    topology: 'line-6',
    msgsPerS: round(loop.ok / (loop.elapsedMs / 1000), 1),
    ok: loop.ok,
    failed: loop.fail,
    msMedian: round(median(loop.rtts), 3),
    note: 'one message at a time n0→n5, each waiting for its receipt; includes the HTTP round trip of POST /api/v1/messages',
    load1: load1()
  })

  const summary = async (n: string): Promise<Summary> => (await ph.api<Summary>(n, 'GET', '/api/v1/messages')).body
  const inboxBefore = (await summary('n5')).inbox
  const receiptsBefore = (await summary('n0')).counters.receipts ?? 0
  const t0 = performance.now()
  for (let i = 0; i < BURST; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, BURST - i) }, async (_, k) =>
      await ph.api('n0', 'POST', '/api/v1/messages', { peerId: ph.id('n5'), text: `burst ${i + k}`, waitMs: 0 })))
  }
  const queuedMs = performance.now() - t0
  let deliveredMs: number | null = null
  let receiptsMs: number | null = null
  while (performance.now() - t0 < 120_000 && receiptsMs === null) {
    if (deliveredMs === null && (await summary('n5')).inbox - inboxBefore >= BURST) deliveredMs = performance.now() - t0
    if (deliveredMs !== null && ((await summary('n0')).counters.receipts ?? 0) - receiptsBefore >= BURST) receiptsMs = performance.now() - t0
    await sleep(100)
  }
  emit({
    bench: BENCH,
    figure: 'message-rate-5-hops-pipelined',
    topology: 'line-6',
    messages: BURST,
    queuedMs: Math.round(queuedMs),
    allDeliveredMs: round(deliveredMs, 0),
    allReceiptsMs: round(receiptsMs, 0),
    deliveredPerS: deliveredMs === null ? null : round(BURST / (deliveredMs / 1000), 1),
    note: 'BURST messages queued at n0 through the API (50 requests at a time), timed until n5 holds them all and until every receipt is back at n0',
    load1: load1()
  })
}

async function twoHops (ph: Phase): Promise<void> {
  const deadline = performance.now() + RELAYED_BOUND_MS
  let relayed = false
  while (!relayed && performance.now() < deadline) {
    const r = await ph.api<PeerPing>('n0', 'POST', `/api/v1/peers/${ph.id('n2')}/ping`, undefined, 15_000).catch(() => null)
    relayed = r !== null && r.status === 200 && r.body.kind === 'relayed'
    if (!relayed) await sleep(500)
  }
  const routed: number[] = []
  const circuit: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    const m = await sendTimed(ph, 'n0', 'n2', KIB)
    if (typeof m === 'number') routed.push(m)
    if (!relayed) continue
    const p = await ph.api<Perf>('n0', 'POST', `/api/v1/peers/${ph.id('n2')}/throughput`, { bytes: 1024 }, 15_000).catch(() => null)
    if (p !== null && p.status === 200 && p.body.kind === 'relayed') circuit.push(p.body.durationMs)
  }
  const rm = median(routed)
  const cm = median(circuit)
  emit({
    bench: BENCH,
    figure: 'two-hop-delivery-1kib',
    topology: 'line-6 (n0—n1—n2)',
    routedMessage: { what: '1 KiB message n0→n2, sealed, custody at n1, receipt back', msMedian: round(rm, 3), msP90: round(percentile(routed, 90), 3), samples: routed.length },
    circuitRelayStream: {
      what: '1 KiB on a new perf stream over the relayed connection n0→n2 via n1, until n2 confirms',
      msMedian: round(cm, 3),
      msP90: round(percentile(circuit, 90), 3),
      samples: circuit.length,
      ...(relayed ? {} : { error: `no relayed connection within ${RELAYED_BOUND_MS} ms` })
    },
    ratioRoutedToRelay: rm !== null && cm !== null && cm > 0 ? round(rm / cm, 3) : null,
    note: 'the routed message is encrypted end to end and written to disk at every hop before it is acknowledged; the relayed stream is neither durable nor store-and-forward',
    load1: load1()
  })
}

async function main (): Promise<void> {
  const available = await isNetnsAvailable()
  if (available !== true) { emit({ bench: BENCH, skipped: available }); return }
  const watchdog = setTimeout(() => {
    process.stderr.write(`messages bench: still running after ${WATCHDOG_MS} ms; giving up\n`)
    process.exit(1)
  }, WATCHDOG_MS)
  watchdog.unref()
  note('messages: line-6: starting six agents')
  const ph = await Phase.build(line(6))
  try {
    const t0 = performance.now()
    await ph.startAgents(ENV)
    const c = await ph.waitConverged(t0, 40_000)
    if (c.allRoutesMs === null) throw new Error(`routes did not converge: ${c.lastNotShortest.slice(0, 3).join('; ')}`)
    await sleep(3_000)
    await deliveryByHops(ph)
    await rateAtFiveHops(ph)
    await twoHops(ph)
  } finally {
    await ph.close()
  }
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`messages bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
