/**
 * Relay throughput benchmark in the A—B—C netns line (B relays; ip_forward is off on B):
 *   - ours: three agent bundles (startAgent in namespaces a, b, c, default listen
 *     /ip4/0.0.0.0/tcp/4001 + /p2p-circuit). A first pings C through the HTTP API
 *     (POST /api/v1/peers/<C>/ping, retried up to 20 s) to get the relayed connection, then
 *     POST /api/v1/peers/<id>/throughput {"bytes":50000000} to B (direct) and to C (relayed);
 *   - stock: three bare libp2p nodes (test/bench/bare-node.ts bundled with esbuild; B runs the stock
 *     circuit relay server with applyDefaultLimit:false, C holds a static reservation on B, A dials
 *     B and then B's circuit address for C) sending the same 50 MB over one stream with the same
 *     perf wire format (agent/mesh/perf/README.md), with 64 KiB writes (like the agent's client)
 *     and, to see whether the write size matters, 1 MiB writes.
 * Runs alternate between subjects; one 10 MB warm-up per subject and path is not counted.
 * Bar (docs/design.md): relayed throughput ≥ 0.8 × stock libp2p relay on the same host.
 * If A cannot reach C through the agents' API within 20 s, the relayed figures for the agent are
 * null with the reason, and the bench still measures everything else.
 * Env: BENCH_RELAY_RUNS (default 3), BENCH_RELAY_BYTES (default 50000000),
 *      BENCH_AGENT_BUNDLE (default dist/meshbox.mjs; to compare a patched build side by side).
 */
import { readFile, rm } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BUNDLE, startAgent, type AgentProcess } from '../helpers/agent-process.js'
import { createNetnsLab, isNetnsAvailable } from '../helpers/netns.js'
import { bundleBareNode, emit, median, note, round, sleep, spawnBareNode, vmRssBytes } from './lib.js'
import type { BareNode } from './lib.js'

const RUNS = Number(process.env.BENCH_RELAY_RUNS ?? 3)
const BYTES = Number(process.env.BENCH_RELAY_BYTES ?? 50_000_000)
const WARMUP_BYTES = 10_000_000
const RELAY_BAR = 0.8
const PING_RETRY_MS = 20_000
const API_TIMEOUT_MS = 120_000
const BARE_PORT = 4002
const AGENT_BUNDLE = process.env.BENCH_AGENT_BUNDLE ?? BUNDLE

/** An agent from AGENT_BUNDLE inside `netns`, in a fresh data dir. */
async function startBundleAgent (name: string, netns: string, env: NodeJS.ProcessEnv): Promise<AgentProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), `mbx-bench-${name}-`))
  return await startAgent({ name, netns, dataDir, env, bundle: AGENT_BUNDLE })
}

interface Transfer { mbPerS: number, durationMs: number, kind?: string, via?: string | null, remoteAddr?: string | null }

/** user+system CPU time of a process in ms (from /proc/<pid>/stat; clock ticks of 10 ms). */
async function cpuMs (pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function agentThroughput (from: AgentProcess, to: AgentProcess, bytes: number): Promise<Transfer> {
  const res = await from.api<{ mbPerS: number, durationMs: number, kind: string, via: string | null, message?: string }>('POST', `/api/v1/peers/${to.peerId}/throughput`, { bytes }, API_TIMEOUT_MS)
  if (res.status !== 200) throw new Error(`${from.name}→${to.name} throughput: HTTP ${res.status} ${JSON.stringify(res.body)}`)
  return { mbPerS: res.body.mbPerS, durationMs: res.body.durationMs, kind: res.body.kind, via: res.body.via }
}

async function bareThroughput (from: BareNode, to: BareNode, bytes: number, chunkBytes: number): Promise<Transfer> {
  const r = await from.command({ cmd: 'perf', peerId: to.peerId, bytes, chunkBytes }, API_TIMEOUT_MS)
  return { mbPerS: Number(r.mbPerS), durationMs: Number(r.durationMs), remoteAddr: r.remoteAddr as string | null }
}

/** Retries `fn` until it resolves or `ms` pass. */
async function retry<T> (ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  for (;;) {
    try { return await fn() } catch (err) { last = err }
    if (Date.now() > deadline) throw new Error(`${what} did not succeed within ${ms} ms: ${last instanceof Error ? last.message : String(last)}`)
    await sleep(500)
  }
}

async function agentPing (from: AgentProcess, to: AgentProcess): Promise<{ rttMs: number, kind: string, via: string | null }> {
  const res = await from.api<{ rttMs: number, kind: string, via: string | null }>('POST', `/api/v1/peers/${to.peerId}/ping`, undefined, 10_000)
  if (res.status !== 200) throw new Error(`HTTP ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

interface Subject { label: string, chunkBytes: number | null, direct: () => Promise<Transfer>, relayed: (() => Promise<Transfer>) | null, warm: () => Promise<void> }

function line (subject: Subject, path: string, samples: Transfer[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const last = samples[samples.length - 1]
  return {
    bench: 'relay-throughput',
    subject: subject.label,
    path,
    ...(subject.chunkBytes !== null ? { chunkBytes: subject.chunkBytes } : { bundle: AGENT_BUNDLE === BUNDLE ? 'dist/meshbox.mjs' : AGENT_BUNDLE }),
    bytes: BYTES,
    mbPerSMedian: round(median(samples.map(s => s.mbPerS))),
    runs: samples.length,
    mbPerS: samples.map(s => s.mbPerS),
    durationMs: samples.map(s => s.durationMs),
    ...(last?.kind !== undefined ? { kind: last.kind, via: last.via } : {}),
    ...(last?.remoteAddr !== undefined ? { remoteAddr: last.remoteAddr } : {}),
    ...extra
  }
}

async function main (): Promise<void> {
  const available = await isNetnsAvailable()
  if (available !== true) { emit({ bench: 'relay-throughput', skipped: available }); return }
  const bare = await bundleBareNode()
  const lab = createNetnsLab()
  const agents: AgentProcess[] = []
  const bares: BareNode[] = []
  try {
    const ns = await lab.abcTopology()
    note('relay-throughput: starting agents in a, b, c')
    const env = { MESHBOX_HTTP_REQUEST_TIMEOUT_MS: String(API_TIMEOUT_MS) }
    const [a, b, c] = await Promise.all([startBundleAgent('a', ns.a, env), startBundleAgent('b', ns.b, env), startBundleAgent('c', ns.c, env)])
    agents.push(a, b, c)
    const pingAB = await retry(PING_RETRY_MS, 'agent ping A→B', async () => await agentPing(a, b))
    let relayProblem: string | null = null
    try {
      const pingAC = await retry(PING_RETRY_MS, 'agent ping A→C through B', async () => await agentPing(a, c))
      note(`agents: A→B ${JSON.stringify(pingAB)}; A→C ${JSON.stringify(pingAC)}`)
      if (pingAC.kind !== 'relayed') relayProblem = `A→C connection is ${pingAC.kind}, not relayed`
    } catch (err) {
      relayProblem = err instanceof Error ? err.message : String(err)
      note(`agents: A→B ${JSON.stringify(pingAB)}; A→C FAILED: ${relayProblem}`)
    }

    note('relay-throughput: starting bare libp2p nodes in a, b, c')
    const bareB = spawnBareNode(lab, ns.b, bare.file, { listen: [`/ip4/0.0.0.0/tcp/${BARE_PORT}`], relayServer: true, mdns: false })
    bares.push(bareB)
    await bareB.ready()
    const bareC = spawnBareNode(lab, ns.c, bare.file, { listen: [`/ip4/0.0.0.0/tcp/${BARE_PORT}`, `/ip4/10.77.2.2/tcp/${BARE_PORT}/p2p/${bareB.peerId}/p2p-circuit`], relayServer: false, mdns: false })
    const bareA = spawnBareNode(lab, ns.a, bare.file, { listen: [`/ip4/0.0.0.0/tcp/${BARE_PORT}`], relayServer: false, mdns: false })
    bares.push(bareC, bareA)
    await Promise.all([bareC.ready(), bareA.ready()])
    await bareA.command({ cmd: 'dial', addr: `/ip4/10.77.1.2/tcp/${BARE_PORT}/p2p/${bareB.peerId}` }, 10_000)
    const circuit = await retry(PING_RETRY_MS, 'bare dial A→C via B', async () =>
      await bareA.command({ cmd: 'dial', addr: `/ip4/10.77.1.2/tcp/${BARE_PORT}/p2p/${bareB.peerId}/p2p-circuit/p2p/${bareC.peerId}` }, 10_000))
    note(`bare: A→C ${String(circuit.remoteAddr)} limited=${String(circuit.limited)}`)

    const subjects: Subject[] = [
      {
        label: 'agent',
        chunkBytes: null,
        direct: async () => await agentThroughput(a, b, BYTES),
        relayed: relayProblem === null ? async () => await agentThroughput(a, c, BYTES) : null,
        warm: async () => { await agentThroughput(a, b, WARMUP_BYTES); if (relayProblem === null) await agentThroughput(a, c, WARMUP_BYTES) }
      },
      ...[64 * 1024, 1024 * 1024].map((chunk): Subject => ({
        label: 'bare-libp2p',
        chunkBytes: chunk,
        direct: async () => await bareThroughput(bareA, bareB, BYTES, chunk),
        relayed: async () => await bareThroughput(bareA, bareC, BYTES, chunk),
        warm: async () => { await bareThroughput(bareA, bareB, WARMUP_BYTES, chunk); await bareThroughput(bareA, bareC, WARMUP_BYTES, chunk) }
      }))
    ]
    for (const s of subjects) await s.warm()

    const direct = subjects.map((): Transfer[] => [])
    const relayed = subjects.map((): Transfer[] => [])
    const relayCpu = subjects.map(() => 0)
    const relayPid = (i: number): number | undefined => i === 0 ? b.child.pid : bareB.out.child.pid
    note(`relay-throughput: ${RUNS} runs × ${subjects.length} subjects × (direct, relayed) of ${BYTES} bytes`)
    for (let r = 0; r < RUNS; r++) {
      for (let i = 0; i < subjects.length; i++) {
        const s = subjects[i]
        if (s === undefined) continue
        direct[i]?.push(await s.direct())
        if (s.relayed === null) continue
        const cpu0 = await cpuMs(relayPid(i))
        relayed[i]?.push(await s.relayed())
        relayCpu[i] = (relayCpu[i] ?? 0) + (await cpuMs(relayPid(i)) - cpu0)
      }
    }

    const relayRss = [await vmRssBytes(b.child.pid ?? -1), await vmRssBytes(bareB.pid)]
    const load1 = round(loadavg()[0] ?? 0, 2)
    subjects.forEach((s, i) => {
      emit(line(s, 'direct A→B', direct[i] ?? [], { load1 }))
      const relayMB = (BYTES / 1e6) * (relayed[i]?.length ?? 0)
      emit(line(s, 'relayed A→B→C', relayed[i] ?? [], {
        ...(s.relayed === null ? { error: relayProblem } : {}),
        relayCpuMsPerMB: relayMB > 0 ? round((relayCpu[i] ?? 0) / relayMB, 2) : null,
        relayRssBytesAfter: relayRss[i === 0 ? 0 : 1],
        load1
      }))
    })

    const med = (xs: Transfer[] | undefined): number => median((xs ?? []).map(t => t.mbPerS)) ?? NaN
    const ours = med(relayed[0])
    for (const [i, chunk] of [[1, 64 * 1024], [2, 1024 * 1024]] as const) {
      const stock = med(relayed[i])
      const ratio = round(ours / stock, 3)
      emit({
        bench: 'relay-throughput', compare: 'relayed', ours: 'agent', baseline: `bare-libp2p (stock relay, ${chunk / 1024} KiB writes)`,
        oursMbPerS: Number.isFinite(ours) ? round(ours) : null, baselineMbPerS: round(stock),
        ratio: Number.isFinite(ratio) ? ratio : null, bar: `>= ${RELAY_BAR}`, met: ratio !== null && Number.isFinite(ratio) && ratio >= RELAY_BAR,
        ...(relayProblem !== null ? { error: `agent relayed path unavailable: ${relayProblem}` } : {})
      })
      const d = round(med(direct[0]) / med(direct[i]), 3)
      emit({ bench: 'relay-throughput', compare: 'direct', ours: 'agent', baseline: `bare-libp2p (${chunk / 1024} KiB writes)`, oursMbPerS: round(med(direct[0])), baselineMbPerS: round(med(direct[i])), ratio: d, bar: null, met: null })
    }
  } finally {
    await Promise.all(agents.map(async x => { await x.stop(); await rm(x.dataDir, { recursive: true, force: true }) }))
    await Promise.all(bares.map(async x => { await x.stop() }))
    await lab.cleanup()
    await bare.remove()
  }
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`relay-throughput bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
