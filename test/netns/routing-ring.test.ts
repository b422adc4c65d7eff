/**
 * Route repair on a ring of six boxes (test/helpers/topologies.ts):
 *
 *        n0 ─e0─ n1
 *      e5/         \e1          segment ek = 10.77.<100+k>.0/24, nobody forwards IP
 *      n5            n2
 *      e4\         /e2
 *        n4 ─e3─ n3
 *
 *   - routes converge: every box has one route to each other box, over a shortest path;
 *   - n0's route to the opposite box n3 goes one way round; cutting the middle link of that side
 *     (silently: both ends down, no FIN) makes it go the other way round within 20 s, mesh-ping
 *     n0→n3 answers again over 3 hops, traceroute shows the other side, and /api/v1/routes/log
 *     records the change; every box then routes over the line that is left;
 *   - when the link comes back, every box returns to its shortest routes round the ring.
 * Root only; skipped otherwise. The 20 s and 40 s deadlines are correctness bounds, not speed
 * targets; measured times are printed.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { AgentSet, availability, skipUnlessNetns, sleep } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'
import { routeLogOf, routesOf, waitForRoutes, type ApiError, type MeshPing, type RouteRow, type Traceroute } from '../helpers/routes.js'
import { buildGraph, ring, type Graph } from '../helpers/topologies.js'

const ARGS = ['--http-host', '127.0.0.1']
const N = 6
const CONVERGENCE_BOUND_MS = 30_000
const REPAIR_BOUND_MS = 20_000
const RECONVERGENCE_BOUND_MS = 40_000

describe('ring of six boxes: a cut link makes traffic go the other way round, and back', { timeout: 170_000 }, () => {
  let lab: NetnsLab | undefined
  let graph: Graph
  const agents = new AgentSet()
  const box = new Map<string, AgentProcess>()
  const nodeOf = new Map<string, string>()
  let readyAt = 0
  const names = ring(N).nodes
  const agent = (n: string): AgentProcess => box.get(n) as AgentProcess
  const label = (peerId: string): string => nodeOf.get(peerId) ?? peerId
  const show = (r: RouteRow): string => `${label(r.destination)} via ${label(r.nextHop)} hops ${r.hops} metric ${r.metric} seqno ${r.seqno} age ${r.ageMs}`

  /** Polls every box until each routes over shortest paths of the current graph; returns the ms since `since`. */
  const waitConverged = async (since: number, boundMs: number, what: string): Promise<{ ms: number, timeline: string[] }> =>
    await waitForRoutes({ graph, names, label, since, boundMs, what, agentOf: agent })

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    const spec = ring(N)
    graph = await buildGraph(lab, spec.nodes, spec.edges)
    const started = await Promise.all(names.map(async n => await agents.start({ name: n, netns: graph.ns(n), args: ARGS })))
    started.forEach((a, i) => { box.set(names[i] as string, a); nodeOf.set(a.peerId, names[i] as string) })
    readyAt = Date.now()
  })

  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: routes converge: every box routes to each other box over a shortest path round the ring', async (t) => {
    if (skipUnlessNetns(t)) return
    const { ms, timeline } = await waitConverged(readyAt, CONVERGENCE_BOUND_MS, 'initial convergence')
    t.diagnostic(`ring converged ${ms} ms after the agents were ready; timeline: ${timeline.join(' | ')}`)
    for (const n of names) assert.equal((await routesOf(agent(n))).length, N - 1, `${n} has ${N - 1} routes`)
  })

  // Set by the cut test for the restore test.
  let cutEdge: [string, string] | undefined

  it('behavior: cutting a link on n0→n3\'s path sends it the other way round within 20 s, and the route log says so', async (t) => {
    if (skipUnlessNetns(t)) return
    const n0 = agent('n0')
    const n3 = agent('n3')
    // n3 is 3 hops away both ways round: the two paths tie, so n0 may legitimately switch between
    // them at any time. Snapshot the log first, so a switch just before the cut is in "fresh" too.
    const logBefore = await routeLogOf(n0)
    const lastAt = Math.max(-Infinity, ...logBefore.map(e => e.atMs))
    const before = (await routesOf(n0)).find(r => r.destination === n3.peerId)
    assert.ok(before !== undefined, 'n0 has a route to n3')
    assert.equal(before.hops, 3)
    const side = label(before.nextHop)
    assert.ok(side === 'n1' || side === 'n5', `n0→n3 starts at a ring neighbour: ${show(before)}`)
    const other = side === 'n1' ? 'n5' : 'n1'
    // The middle link of that side: neither n0 nor n3 sees it go; they must hear of it.
    cutEdge = side === 'n1' ? ['n1', 'n2'] : ['n5', 'n4']
    const otherWay = side === 'n1' ? ['n5', 'n4', 'n3'] : ['n1', 'n2', 'n3']

    const ping0 = await n0.api<MeshPing | ApiError>('POST', '/api/v1/mesh/ping', { peerId: n3.peerId }, 20_000)
    assert.equal(ping0.status, 200, `mesh-ping n0→n3 before the cut: ${JSON.stringify(ping0.body)}`)
    assert.equal((ping0.body as MeshPing).hops, 3)
    const cutAt = Date.now()
    await graph.cutLink(cutEdge)
    const left = (): number => REPAIR_BOUND_MS - (Date.now() - cutAt)

    let now: RouteRow | undefined
    await n0.until(async () => {
      now = (await routesOf(n0)).find(r => r.destination === n3.peerId)
      return now !== undefined && label(now.nextHop) === other && now.hops === 3
    }, Math.max(1, left()), `n0→n3 via ${other} within ${REPAIR_BOUND_MS} ms of cutting ${cutEdge.join('—')} (last: ${now === undefined ? 'no route' : show(now)})`)
    const routeMs = Date.now() - cutAt

    const attempts: string[] = []
    let pinged: MeshPing | undefined
    while (pinged === undefined) {
      const res = await n0.api<MeshPing | ApiError>('POST', '/api/v1/mesh/ping', { peerId: n3.peerId }, Math.max(1_000, left()))
        .catch((err: unknown) => ({ status: 0, body: { error: { code: 'CLIENT', message: String(err) } } }))
      if (res.status === 200 && !('error' in res.body)) pinged = res.body
      else attempts.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`)
      if (pinged === undefined) {
        assert.ok(left() > 0, `mesh-ping n0→n3 did not answer within ${REPAIR_BOUND_MS} ms of the cut:\n${attempts.slice(-5).join('\n')}`)
        await sleep(300)
      }
    }
    const pingMs = Date.now() - cutAt
    t.diagnostic(`repair after cutting ${cutEdge.join('—')}: n0→n3 via ${other} after ${routeMs} ms, mesh-ping answered after ${pingMs} ms (rtt ${pinged.rttMs} ms; ${attempts.length} failed pings before${attempts.length > 0 ? `: ${attempts.join(' / ')}` : ''})`)
    assert.equal(pinged.peerId, n3.peerId)
    assert.equal(pinged.hops, 3, JSON.stringify(pinged))

    const trace = await n0.api<Traceroute | ApiError>('POST', '/api/v1/mesh/traceroute', { peerId: n3.peerId }, 30_000)
    assert.equal(trace.status, 200, JSON.stringify(trace.body))
    assert.ok(!('error' in trace.body))
    assert.equal(trace.body.reached, true)
    assert.deepEqual(trace.body.hops.map(h => label(h.peerId)), otherWay, 'traceroute goes the other way round')

    const fresh = (await routeLogOf(n0)).filter(e => e.atMs > lastAt && e.destination === n3.peerId)
    const view = fresh.map(e => `${e.change} ${e.from === undefined ? '-' : label(e.from.nextHop)}→${e.to === undefined ? '-' : label(e.to.nextHop)} (${e.reason})`)
    const changed = fresh.some(e => e.change === 'changed' && e.from !== undefined && label(e.from.nextHop) === side && e.to !== undefined && label(e.to.nextHop) === other)
    const lostIdx = fresh.findIndex(e => e.change === 'lost' && e.from !== undefined && label(e.from.nextHop) === side)
    const readded = lostIdx >= 0 && fresh.slice(lostIdx + 1).some(e => e.change === 'added' && e.to !== undefined && label(e.to.nextHop) === other)
    assert.ok(changed || readded, `n0's route log records n3 moving from ${side} to ${other}: [${view.join('; ')}]`)
    for (const e of fresh) assert.ok(typeof e.reason === 'string' && e.reason.length > 0, `every log entry gives a reason: ${JSON.stringify(e)}`)
    t.diagnostic(`n0's route log for n3 since the cut: ${view.join('; ')}`)

    // Every box now routes over the line that is left (n1↔n2 or n4↔n5 now go 5 hops the long way).
    const all = await waitConverged(cutAt, CONVERGENCE_BOUND_MS, `after cutting ${cutEdge.join('—')}`)
    t.diagnostic(`every box routed round the cut ${all.ms} ms after it; timeline: ${all.timeline.join(' | ')}`)
  })

  it('behavior: when the link comes back, every box returns to its shortest routes round the ring', async (t) => {
    if (skipUnlessNetns(t)) return
    assert.ok(cutEdge !== undefined, 'the cut test ran')
    const restoredAt = Date.now()
    await graph.restoreLink(cutEdge)
    const { ms, timeline } = await waitConverged(restoredAt, RECONVERGENCE_BOUND_MS, `after restoring ${cutEdge.join('—')}`)
    t.diagnostic(`every box back on shortest routes ${ms} ms after ${cutEdge.join('—')} came back; timeline: ${timeline.join(' | ')}`)
    for (const n of names) assert.equal((await routesOf(agent(n))).length, N - 1, `${n} has ${N - 1} routes again`)
    const [x, y] = cutEdge
    const direct = (await routesOf(agent(x))).find(r => r.destination === agent(y).peerId)
    assert.equal(direct?.hops, 1, `${x}→${y} is direct again: ${direct === undefined ? 'no route' : show(direct)}`)
    assert.ok(names.every(n => agent(n).running), 'no agent crashed')
  })
})
