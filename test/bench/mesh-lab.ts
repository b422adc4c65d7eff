/**
 * A namespace lab for benchmarks: a graph of namespaces (test/helpers/topologies.ts) with one
 * agent bundle and one long-lived HTTP client process per node. HTTP calls go through that client
 * (RUNNER below), which does fetch() on 127.0.0.1 inside the namespace: starting a process per call
 * (fetchInNamespace) would cost ~50 ms of CPU each and make 200 ms polling of 9 agents load the
 * 2 cores more than the agents do.
 */
import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgentProcess, BUNDLE } from '../helpers/agent-process.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'
import { buildGraph, type Graph, type GraphSpec } from '../helpers/topologies.js'
import { note, round, sleep } from './lib.js'

export const POLL_MS = 200
const READY_TIMEOUT_MS = 40_000
/** After every box has every route, keep polling this long for all hop counts to be shortest. */
export const SHORTEST_GRACE_MS = 10_000
export const METRIC_INFINITY = 65535

/**
 * Runs inside a namespace: reads {id, url, method, body, timeoutMs, loopMs?} lines on stdin and
 * answers {id, status, body, ms} (or {id, error, ms}); with loopMs it repeats the request
 * sequentially for that long and answers {id, ok, fail, elapsedMs, rtts} (rtts = body.rttMs).
 */
const RUNNER = `
const out = o => process.stdout.write(JSON.stringify(o) + '\\n')
async function call (c) {
  const t0 = performance.now()
  try {
    const init = { method: c.method, signal: AbortSignal.timeout(c.timeoutMs) }
    if (c.body !== undefined) { init.body = JSON.stringify(c.body); init.headers = { 'content-type': 'application/json' } }
    const r = await fetch(c.url, init)
    const body = await r.json().catch(() => null)
    return { status: r.status, body, ms: performance.now() - t0 }
  } catch (e) { return { error: String(e), ms: performance.now() - t0 } }
}
async function handle (c) {
  if (c.loopMs === undefined) { out({ id: c.id, ...(await call(c)) }); return }
  const t0 = performance.now(); const rtts = []; let ok = 0; let fail = 0
  while (performance.now() - t0 < c.loopMs) {
    const r = await call(c)
    if (r.status === 200) { ok++; rtts.push(r.body.rttMs) } else fail++
  }
  out({ id: c.id, ok, fail, elapsedMs: performance.now() - t0, rtts })
}
let buf = ''
process.stdin.setEncoding('utf8').on('data', d => {
  buf += d
  let nl
  while ((nl = buf.indexOf('\\n')) >= 0) { const l = buf.slice(0, nl); buf = buf.slice(nl + 1); if (l.trim() !== '') void handle(JSON.parse(l)) }
}).on('end', () => process.exit(0))
`

export type RunnerAnswer = Record<string, unknown> & { id: number }
export interface Reply<T> { status: number, body: T, ms: number }

/** The HTTP client living in one namespace (see RUNNER). */
export class NsHttp {
  readonly label: string
  private readonly child: ChildProcess
  private readonly waiting = new Map<number, (a: RunnerAnswer) => void>()
  private nextId = 1

  constructor (lab: NetnsLab, ns: string, label: string) {
    this.label = label
    this.child = lab.spawn(ns, process.execPath, ['-e', RUNNER], { stdio: ['pipe', 'pipe', 'pipe'] })
    let buf = ''
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk
      let nl
      while ((nl = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        try {
          const a = JSON.parse(text) as RunnerAnswer
          const w = this.waiting.get(a.id)
          this.waiting.delete(a.id)
          w?.(a)
        } catch { note(`${label} runner said: ${text}`) }
      }
    })
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { note(`${label} runner stderr: ${chunk.trim()}`) })
    this.child.once('exit', () => {
      for (const [id, w] of this.waiting) w({ id, error: 'runner exited' })
      this.waiting.clear()
    })
  }

  private async send (cmd: Record<string, unknown>): Promise<RunnerAnswer> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`${this.label}: runner is gone`)
    const id = this.nextId++
    return await new Promise<RunnerAnswer>(resolve => {
      this.waiting.set(id, resolve)
      this.child.stdin?.write(JSON.stringify({ ...cmd, id }) + '\n')
    })
  }

  /** One request; throws only when no HTTP answer came (connection error, timeout). */
  async call<T> (method: 'GET' | 'POST', url: string, body?: unknown, timeoutMs = 10_000): Promise<Reply<T>> {
    const a = await this.send({ method, url, body, timeoutMs })
    if (typeof a.error === 'string') throw new Error(`${this.label}: ${method} ${url}: ${a.error}`)
    return { status: Number(a.status), body: a.body as T, ms: Number(a.ms) }
  }

  /** Repeats one request back to back for `loopMs`. */
  async loop (method: 'POST', url: string, body: unknown, loopMs: number): Promise<{ ok: number, fail: number, elapsedMs: number, rtts: number[] }> {
    const a = await this.send({ method, url, body, timeoutMs: 10_000, loopMs })
    if (typeof a.error === 'string') throw new Error(`${this.label}: loop ${url}: ${a.error}`)
    return { ok: Number(a.ok), fail: Number(a.fail), elapsedMs: Number(a.elapsedMs), rtts: a.rtts as number[] }
  }

  close (): void {
    this.child.stdin?.end()
  }
}

export interface RouteRow { destination: string, nextHop: string, metric: number, hops: number, seqno: number, ageMs: number, learnedFrom: string, selectedForMs: number }
export interface RouteLogRow { atMs: number, destination: string, change: string, from?: { nextHop: string, metric: number } | null, to?: { nextHop: string, metric: number } | null, reason?: string }
export interface MeshPing { peerId: string, rttMs: number, hops: number }
export interface PeerPing { peerId: string, rttMs: number, kind: string, via: string | null, dialled: boolean }
export interface Traceroute { peerId: string, reached: boolean, hops: Array<{ hop: number, peerId: string | null, rttMs: number | null }> }
export interface NeighbourRow { peerId: string, kind: string, state: string }

/** Data dirs still on disk, removed on any exit (the labs' own exit hook kills the agents). */
const dataDirs = new Set<string>()
process.on('exit', () => { for (const d of dataDirs) rmSync(d, { recursive: true, force: true }) })

/** A graph with one agent and one HTTP runner per node. */
export class Phase {
  readonly lab: NetnsLab
  readonly graph: Graph
  readonly names: string[]
  readonly agents = new Map<string, AgentProcess>()
  readonly http = new Map<string, NsHttp>()
  readonly nodeOf = new Map<string, string>()
  firstReadyAt = 0
  lastReadyAt = 0
  spawnedAt = 0

  constructor (lab: NetnsLab, graph: Graph, names: string[]) {
    this.lab = lab
    this.graph = graph
    this.names = names
  }

  static async build (spec: GraphSpec): Promise<Phase> {
    const lab = createNetnsLab()
    try {
      const graph = await buildGraph(lab, spec.nodes, spec.edges)
      return new Phase(lab, graph, spec.nodes)
    } catch (err) {
      await lab.cleanup()
      throw err
    }
  }

  agent (n: string): AgentProcess { return this.agents.get(n) as AgentProcess }
  id (n: string): string { return this.agent(n).peerId }
  label (peerId: string): string { return this.nodeOf.get(peerId) ?? peerId.slice(-6) }

  async api<T> (n: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10_000): Promise<Reply<T>> {
    const h = this.http.get(n)
    if (h === undefined) throw new Error(`no runner for ${n}`)
    return await h.call<T>(method, this.agent(n).httpUrl + path.replace(/^\//, ''), body, timeoutMs)
  }

  async routes (n: string): Promise<RouteRow[]> {
    const r = await this.api<RouteRow[]>(n, 'GET', '/api/v1/routes')
    if (r.status !== 200 || !Array.isArray(r.body)) throw new Error(`${n}: GET /api/v1/routes → ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }

  async meshPing (from: string, to: string): Promise<MeshPing | string> {
    const r = await this.api<MeshPing | { error: { code: string } }>(from, 'POST', '/api/v1/mesh/ping', { peerId: this.id(to) }).catch((err: unknown) => err instanceof Error ? err : new Error(String(err)))
    if (r instanceof Error) return r.message
    if (r.status !== 200) return `HTTP ${r.status} ${JSON.stringify(r.body)}`
    return r.body as MeshPing
  }

  /** Spawns every agent at once, then waits for each one's `Agent ready`. */
  async startAgents (env: NodeJS.ProcessEnv = {}): Promise<void> {
    const dirs = await Promise.all(this.names.map(async n => await mkdtemp(join(tmpdir(), `mbx-bench-${n}-`))))
    for (const d of dirs) dataDirs.add(d)
    this.spawnedAt = performance.now()
    const started = this.names.map((n, i) => {
      const dataDir = dirs[i] as string
      const ns = this.graph.ns(n)
      const child = this.lab.spawn(ns, process.execPath, [BUNDLE, 'start', '--data-dir', dataDir, '--http-port', '0', '--http-host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
      const agent = new AgentProcess(n, dataDir, child, ns)
      this.agents.set(n, agent)
      return agent
    })
    const readyAt = await Promise.all(started.map(async a => {
      await a.ready(READY_TIMEOUT_MS)
      const at = performance.now()
      this.nodeOf.set(a.peerId, a.name)
      return at
    }))
    this.firstReadyAt = Math.min(...readyAt)
    this.lastReadyAt = Math.max(...readyAt)
    for (const n of this.names) this.http.set(n, new NsHttp(this.lab, this.graph.ns(n), `http@${n}`))
  }

  /** What keeps `n`'s table from being complete / shortest over the links that are not cut. */
  check (n: string, rows: RouteRow[]): { missing: number, notShortest: string[] } {
    const hops = this.graph.hopCounts(n)
    const usable = rows.filter(r => r.metric < METRIC_INFINITY)
    const byDest = new Map(usable.map(r => [this.label(r.destination), r]))
    let missing = 0
    const notShortest: string[] = []
    for (const other of this.names) {
      if (other === n || !hops.has(other)) continue
      const r = byDest.get(other)
      if (r === undefined) missing++
      else if (r.hops !== hops.get(other)) {
        const next = this.label(r.nextHop)
        const relayed = !this.graph.neighboursOf(n).includes(next)
        notShortest.push(`${n}→${other}: ${r.hops} hops via ${next}${relayed ? ' (relayed link)' : ''}, metric ${r.metric}; graph says ${String(hops.get(other))}`)
      }
    }
    return { missing, notShortest }
  }

  /**
   * Polls every agent's routes every POLL_MS until every box has a usable route to every other
   * box (allRoutesMs) and, a little longer, until all hop counts are shortest (allShortestMs);
   * times are ms after `from` (performance.now()), taken when the poll round's last answer came.
   */
  async waitConverged (from: number, boundMs: number, graceMs = SHORTEST_GRACE_MS): Promise<{ allRoutesMs: number | null, allShortestMs: number | null, polls: number, lastMissing: number, lastNotShortest: string[] }> {
    let allRoutesMs: number | null = null
    let allShortestMs: number | null = null
    let polls = 0
    let lastMissing = -1
    let lastNotShortest: string[] = []
    for (;;) {
      const round0 = performance.now()
      const tables = await Promise.all(this.names.map(async n => await this.routes(n).catch(() => null)))
      const at = performance.now() - from
      polls++
      let missing = 0
      const notShortest: string[] = []
      tables.forEach((t, i) => {
        if (t === null) { missing += this.names.length - 1; return }
        const c = this.check(this.names[i] as string, t)
        missing += c.missing
        notShortest.push(...c.notShortest)
      })
      lastMissing = missing
      lastNotShortest = notShortest
      if (missing === 0 && allRoutesMs === null) allRoutesMs = at
      if (missing === 0 && notShortest.length === 0) { allShortestMs = at; break }
      if (at > boundMs || (allRoutesMs !== null && at > allRoutesMs + graceMs)) break
      await sleep(Math.max(0, POLL_MS - (performance.now() - round0)))
    }
    return { allRoutesMs: round(allRoutesMs, 0), allShortestMs: round(allShortestMs, 0), polls, lastMissing, lastNotShortest }
  }

  async close (): Promise<void> {
    for (const h of this.http.values()) h.close()
    await Promise.all([...this.agents.values()].map(async a => { await a.stop().catch(() => undefined) }))
    await this.lab.cleanup()
    await Promise.all([...this.agents.values()].map(async a => {
      await rm(a.dataDir, { recursive: true, force: true })
      dataDirs.delete(a.dataDir)
    }))
  }
}
