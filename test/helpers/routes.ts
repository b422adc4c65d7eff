/**
 * Reading and checking agents' route tables in live tests: the API's row shapes, the check that
 * a box routes over shortest paths of a namespace graph, and a poll until every box does.
 */
import type { AgentProcess } from './agent-process.js'
import { sleep } from './live-agents.js'
import type { Graph } from './topologies.js'

export interface RouteRow { destination: string, nextHop: string, metric: number, hops: number, seqno: number, ageMs: number, learnedFrom: string }
export interface RouteLogEntry { atMs: number, destination: string, change: 'added' | 'changed' | 'lost', from?: { nextHop: string, metric: number }, to?: { nextHop: string, metric: number }, reason: string }
export interface ApiError { error: { code: string, message?: string } }
export interface MeshPing { peerId: string, rttMs: number, hops: number }
export interface Traceroute { peerId: string, reached: boolean, hops: Array<{ hop: number, peerId: string, rttMs: number }> }

export async function getArray<T> (agent: AgentProcess, path: string): Promise<T[]> {
  const res = await agent.api<T[] | ApiError>('GET', path)
  if (res.status !== 200 || !Array.isArray(res.body)) throw new Error(`${agent.name}: GET ${path} → ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}
export const routesOf = async (agent: AgentProcess): Promise<RouteRow[]> => await getArray<RouteRow>(agent, '/api/v1/routes')
export const routeLogOf = async (agent: AgentProcess): Promise<RouteLogEntry[]> => await getArray<RouteLogEntry>(agent, '/api/v1/routes/log')

/** How `node`'s routes differ from shortest paths over the links of `graph` that are not cut. */
export function routeProblems (graph: Graph, names: string[], node: string, rows: RouteRow[], label: (peerId: string) => string): string[] {
  const problems: string[] = []
  const hops = graph.hopCounts(node)
  const want = names.filter(n => n !== node && hops.has(n))
  const got = rows.map(r => label(r.destination))
  if (JSON.stringify([...got].sort()) !== JSON.stringify([...want].sort())) problems.push(`${node} has routes to [${got.join(', ')}], wants exactly [${want.join(', ')}]`)
  for (const r of rows) {
    const dest = label(r.destination)
    const nextHops = graph.shortestNextHops(node, dest)
    if (r.hops !== hops.get(dest)) problems.push(`${node}→${dest}: hops ${r.hops} (via ${label(r.nextHop)}, metric ${r.metric}), shortest is ${String(hops.get(dest))}`)
    if (!nextHops.includes(label(r.nextHop))) problems.push(`${node}→${dest}: next hop ${label(r.nextHop)}, shortest paths start ${nextHops.join('|')}`)
  }
  return problems
}

export interface WaitForRoutesInit {
  graph: Graph
  names: string[]
  agentOf: (name: string) => AgentProcess
  label: (peerId: string) => string
  /** Times in the result and the timeline count from here. */
  since: number
  boundMs: number
  what: string
  /** Sees every round of tables (for figures of its own). */
  onTables?: (tables: Array<RouteRow[] | Error>) => void
  /** Give up early (the suite is ending). */
  stopped?: () => boolean
}

/** Polls every box until each routes over shortest paths of the current graph. */
export async function waitForRoutes (init: WaitForRoutesInit): Promise<{ ms: number, timeline: string[] }> {
  const { names, label } = init
  let last: string[] = []
  const timeline: string[] = []
  for (;;) {
    if (init.stopped?.() === true) throw new Error(`${init.what}: the suite ended before the routes converged`)
    const tables = await Promise.all(names.map(async n => await routesOf(init.agentOf(n)).catch((err: unknown) => err as Error)))
    const missing = tables.find(t => t instanceof Error && /→ 404 .*HTTP_NOT_FOUND/.test(t.message))
    if (missing instanceof Error) throw new Error(`the routes API is not there yet: ${missing.message}`)
    init.onTables?.(tables)
    const previous = last
    last = tables.flatMap((t, i) => t instanceof Error ? [t.message] : routeProblems(init.graph, names, names[i] as string, t, label))
    const ms = Date.now() - init.since
    if (timeline.length === 0 || JSON.stringify(previous) !== JSON.stringify(last)) timeline.push(`${ms} ms: ${last.length} wrong${last.length > 0 ? ` (${last.slice(0, 3).join('; ')})` : ''}`)
    if (last.length === 0) return { ms, timeline }
    if (ms > init.boundMs) {
      const show = (r: RouteRow): string => `${label(r.destination)} via ${label(r.nextHop)} hops ${r.hops} metric ${r.metric} seqno ${r.seqno} age ${r.ageMs}`
      const dump = tables.map((t, i) => `${names[i] as string}: ${t instanceof Error ? t.message : t.map(show).join('; ')}`)
      throw new Error(`${init.what}: routes not right within ${init.boundMs} ms:\n${last.slice(0, 12).join('\n')}\ntables:\n${dump.join('\n')}\ntimeline:\n${timeline.join('\n')}`)
    }
    // Each look is a node process per namespace (see fetchInNamespace): poll gently.
    await sleep(1_000)
  }
}
