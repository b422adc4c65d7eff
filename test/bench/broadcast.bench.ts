/**
 * What broadcast (gossipsub) and service announcements cost on the wire at idle, on a line of
 * five namespaces (n0—n1—n2—n3—n4, test/helpers/topologies.ts). Each variant gets its own lab;
 * the figure is the bytes every box sends on its segment interfaces during
 * BENCH_BROADCAST_IDLE_MS (60 s) / boxes / minutes.
 *
 * Isolated (always): bare libp2p nodes (test/bench/gossip-node.ts: tcp, noise, yamux, identify,
 * and gossipsub with the agent's options), each dialling its line neighbours, nothing else on the
 * wire, so the differences are gossipsub's own:
 *   - libp2p-only: no gossipsub (TCP, yamux keep-alives, identify);
 *   - gossipsub-idle: subscribed to /meshbox/services/1, nothing published (heartbeat 1 s);
 *   - gossipsub-announce-30s: every box publishes a real announcement every 30 s (heartbeat 1 s),
 *     the default announce interval with a role on every box, the worst case;
 *   - gossipsub-announce-30s-hb-5s: the same with a 5 s heartbeat.
 * Whole agents (only with BENCH_BROADCAST_AGENTS=1): agent bundles with no roles and with a role
 * on every box, and a baseline build when BENCH_BASELINE_BUNDLE names one (e.g. a build without
 * gossipsub). These figures include routing, probes, mDNS and the DHT, whose own traffic varies
 * by tens of KiB per box per minute from run to run, so they show context, not gossipsub's share.
 * One JSON line per variant, one comparing them. No assertions.
 */
import { loadavg } from 'node:os'
import { join } from 'node:path'
import type { AgentProcess } from '../helpers/agent-process.js'
import { JsonLines } from '../helpers/json-lines.js'
import { AgentSet } from '../helpers/live-agents.js'
import { createNetnsLab, isNetnsAvailable, type NetnsLab } from '../helpers/netns.js'
import { buildGraph, line, type Graph } from '../helpers/topologies.js'
import { BareNode, emit, note, ROOT, round, sleep } from './lib.js'

const BENCH = 'broadcast'
const IDLE_MS = Number(process.env.BENCH_BROADCAST_IDLE_MS ?? 60_000)
const SETTLE_MS = 5_000
const READY_BOUND_MS = 45_000
const N = 5

interface Variant { name: string, env: NodeJS.ProcessEnv, bundle?: string, roles: boolean }
interface BareVariant { name: string, gossip: boolean, heartbeatIntervalMs: number, announceEveryMs: number }

const RUNNER = join(ROOT, 'test/bench/gossip-node.ts')
const POLYFILL = join(ROOT, 'agent/polyfills.ts')
const PORT = 4001

const load1 = (): number | null => round(loadavg()[0] ?? 0, 2)

async function txBytes (lab: NetnsLab, graph: Graph, names: string[]): Promise<number> {
  const each = await Promise.all(names.map(async n => {
    const files = graph.node(n).interfaces.map(i => `/sys/class/net/${i.ifname}/statistics/tx_bytes`)
    const { stdout } = await lab.exec(graph.ns(n), 'cat', files)
    return stdout.trim().split(/\s+/).map(Number).reduce((s, x) => s + x, 0)
  }))
  return each.reduce((s, x) => s + x, 0)
}

async function ready (agents: AgentProcess[], roles: boolean): Promise<void> {
  await Promise.all(agents.map(async a => {
    await a.until(async () => {
      const routes = (await a.api<unknown[]>('GET', '/api/v1/routes')).body
      if (!Array.isArray(routes) || routes.length < N - 1) return false
      if (!roles) return true
      const rows = (await a.api<Array<{ role: string, providers: unknown[] }>>('GET', '/api/v1/services')).body
      return rows.find(r => r.role === 'monitor')?.providers.length === N
    }, READY_BOUND_MS, roles ? 'every route and every provider' : 'every route')
  }))
}

async function runAgents (v: Variant): Promise<number> {
  const lab = createNetnsLab()
  const agents = new AgentSet()
  try {
    const spec = line(N)
    const graph = await buildGraph(lab, spec.nodes, spec.edges)
    const started = await Promise.all(spec.nodes.map(async n => await agents.start({
      name: n, netns: graph.ns(n), args: ['--http-host', '127.0.0.1'], env: v.env, ...(v.bundle !== undefined ? { bundle: v.bundle } : {})
    })))
    await ready(started, v.roles)
    await sleep(SETTLE_MS)
    note(`${BENCH}: ${v.name}: ${IDLE_MS} ms of idle`)
    const { perBox, ms } = await idleTxPerBoxPerMin(lab, graph, spec.nodes)
    const counters = v.bundle === undefined
      ? await Promise.all(started.map(async a => (await a.api<Array<{ topic: string, published: number, received: number }>>('GET', '/api/v1/broadcast')).body.find(t => t.topic === '/meshbox/services/1')))
      : []
    emit({
      bench: BENCH,
      figure: 'idle-tx-agents',
      variant: v.name,
      topology: 'line-5',
      idleMs: Math.round(ms),
      txBytesPerBoxPerMin: Math.round(perBox),
      txKiBPerBoxPerMin: round(perBox / 1024, 2),
      servicesTopic: counters.map(c => c === undefined ? null : { published: c.published, received: c.received }),
      note: 'tx bytes of every segment interface (Ethernet frames on the veths: everything the agent sends, routing, probes, mDNS, DHT and gossipsub included) / boxes / minutes',
      load1: load1()
    })
    return perBox
  } finally {
    await agents.stopAll()
    await lab.cleanup()
  }
}

/** Bytes every box of `graph` sends during the idle window, per box per minute. */
async function idleTxPerBoxPerMin (lab: NetnsLab, graph: Graph, names: string[]): Promise<{ perBox: number, ms: number }> {
  const t0 = performance.now()
  const before = await txBytes(lab, graph, names)
  await sleep(IDLE_MS)
  const after = await txBytes(lab, graph, names)
  const ms = performance.now() - t0
  return { perBox: (after - before) / names.length / (ms / 60_000), ms }
}

async function runBare (v: BareVariant): Promise<number> {
  const lab = createNetnsLab()
  const nodes = new Map<string, BareNode>()
  try {
    const spec = line(N)
    const graph = await buildGraph(lab, spec.nodes, spec.edges)
    for (const n of spec.nodes) {
      const init = { listen: [`/ip4/0.0.0.0/tcp/${PORT}`], gossip: v.gossip, heartbeatIntervalMs: v.heartbeatIntervalMs }
      const child = lab.spawn(graph.ns(n), process.execPath, ['--import', 'tsx', '--import', POLYFILL, RUNNER, JSON.stringify(init)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
      nodes.set(n, new BareNode(new JsonLines(child, `gossip@${n}`), performance.now()))
    }
    await Promise.all([...nodes.values()].map(async x => await x.ready(30_000)))
    const at = (n: string): BareNode => nodes.get(n) as BareNode
    for (const e of graph.edges) await at(e.a).command({ cmd: 'dial', addr: `/ip4/${e.addressB}/tcp/${PORT}/p2p/${at(e.b).peerId}` }, 10_000)
    if (v.gossip) {
      for (const n of spec.nodes) {
        const want = graph.neighboursOf(n).length
        const deadline = Date.now() + 15_000
        while (Number((await at(n).command({ cmd: 'stats' }, 5_000)).peers) < want && Date.now() < deadline) await sleep(200)
      }
    }
    if (v.announceEveryMs > 0) for (const n of spec.nodes) await at(n).command({ cmd: 'announce', everyMs: v.announceEveryMs }, 5_000)
    await sleep(SETTLE_MS)
    note(`${BENCH}: ${v.name}: ${IDLE_MS} ms of idle`)
    const { perBox, ms } = await idleTxPerBoxPerMin(lab, graph, spec.nodes)
    const stats = v.gossip ? await Promise.all(spec.nodes.map(async n => await at(n).command({ cmd: 'stats' }, 5_000))) : []
    emit({
      bench: BENCH,
      figure: 'idle-tx-isolated',
      variant: v.name,
      topology: 'line-5',
      idleMs: Math.round(ms),
      txBytesPerBoxPerMin: Math.round(perBox),
      heartbeatIntervalMs: v.gossip ? v.heartbeatIntervalMs : null,
      announceEveryMs: v.announceEveryMs > 0 ? v.announceEveryMs : null,
      published: stats.map(x => x.published),
      received: stats.map(x => x.received),
      note: 'bare libp2p nodes (tcp, noise, yamux, identify [+ gossipsub with the agent options]) dialling their line neighbours; tx bytes of every segment interface (Ethernet frames) / boxes / minutes',
      load1: load1()
    })
    return perBox
  } finally {
    await Promise.all([...nodes.values()].map(async x => { await x.stop() }))
    await lab.cleanup()
  }
}

const available = await isNetnsAvailable()
if (available !== true) {
  emit({ bench: BENCH, skipped: available })
  process.exit(0)
}
const bare: BareVariant[] = [
  { name: 'libp2p-only', gossip: false, heartbeatIntervalMs: 1_000, announceEveryMs: 0 },
  { name: 'gossipsub-idle', gossip: true, heartbeatIntervalMs: 1_000, announceEveryMs: 0 },
  { name: 'gossipsub-announce-30s', gossip: true, heartbeatIntervalMs: 1_000, announceEveryMs: 30_000 },
  { name: 'gossipsub-announce-30s-hb-5s', gossip: true, heartbeatIntervalMs: 5_000, announceEveryMs: 30_000 }
]
const isolated: Record<string, number> = {}
for (const v of bare) isolated[v.name] = Math.round(await runBare(v))
emit({ bench: BENCH, compare: 'idle-tx-isolated-bytes-per-box-per-min', ...isolated, load1: load1() })

const baseline = process.env.BENCH_BASELINE_BUNDLE
if (process.env.BENCH_BROADCAST_AGENTS === '1' || baseline !== undefined) {
  const variants: Variant[] = [
    { name: 'agents-no-roles', env: {}, roles: false },
    { name: 'agents-role-on-every-box', env: { MESHBOX_SERVICES_ROLES: 'monitor' }, roles: true },
    ...(baseline !== undefined ? [{ name: 'agents-baseline-build', env: {}, bundle: baseline, roles: false }] : [])
  ]
  const agents: Record<string, number> = {}
  for (const v of variants) agents[v.name] = Math.round(await runAgents(v))
  emit({ bench: BENCH, compare: 'idle-tx-agents-bytes-per-box-per-min', ...agents, load1: load1() })
}
