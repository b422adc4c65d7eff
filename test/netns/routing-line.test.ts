/**
 * Multi-hop routing on a line of six boxes (test/helpers/topologies.ts):
 *
 *   n0 ─e0─ n1 ─e1─ n2 ─e2─ n3 ─e3─ n4 ─e4─ n5      (segment ek = 10.77.<100+k>.0/24)
 *
 * Every segment is its own bridge and nobody forwards IP, so a box reaches only its two line
 * neighbours directly and n0 reaches n5 only through the agents, 5 hops away. One agent per
 * namespace with the default listen addresses:
 *   - each box sees exactly its line neighbours, directly, on the right interface;
 *   - routes converge: every box has one route to each of the five others, with the line's hop
 *     count and the line neighbour towards it as next hop (convergence time printed);
 *   - mesh-ping n0→n5 (and back) answers over 5 hops; traceroute lists n1…n5 in order;
 *   - the CLI's routes / mesh-ping / traceroute show the same;
 *   - bad input to the routing API gets 400, an unknown peer 404 MESH_NO_ROUTE.
 * Root only; skipped otherwise. Nothing is timed for speed; convergence has a 30 s bound.
 */
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { AgentSet, availability, runCli, skipUnlessNetns, sleep, type NeighbourRow } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'
import { routeProblems, routesOf, waitForRoutes, type ApiError, type MeshPing, type RouteRow, type Traceroute } from '../helpers/routes.js'
import { buildGraph, line, type Graph } from '../helpers/topologies.js'

/** Default --listen on purpose; the API stays on loopback inside each namespace. */
const ARGS = ['--http-host', '127.0.0.1']
const N = 6
const CONVERGENCE_BOUND_MS = 30_000

interface Convergence { firstEndToEndMs: number, allMs: number, timeline: string[] }

const isError = (body: unknown): body is ApiError => typeof body === 'object' && body !== null && 'error' in body

describe('line of six boxes: multi-hop routes, mesh-ping and traceroute over 5 hops', { timeout: 170_000 }, () => {
  let lab: NetnsLab | undefined
  let graph: Graph
  const agents = new AgentSet()
  /** agent by node name, and node name by peer id */
  const box = new Map<string, AgentProcess>()
  const nodeOf = new Map<string, string>()
  let readyAt = 0
  let convergence: Promise<Convergence | Error> | undefined
  let stopWatching = false
  const names = line(N).nodes
  const at = (i: number): AgentProcess => box.get(`n${i}`) as AgentProcess
  const label = (peerId: string): string => nodeOf.get(peerId) ?? peerId

  const problemsOf = (node: string, rows: RouteRow[]): string[] => routeProblems(graph, names, node, rows, label)

  /** Polls every box until all routes look right; also notes when n0 first reached n5 in 5 hops. */
  const waitConverged = async (boundMs: number): Promise<Convergence> => {
    let firstEndToEndMs = -1
    const { ms, timeline } = await waitForRoutes({
      graph, names, label, since: readyAt, boundMs, what: 'initial convergence',
      agentOf: n => box.get(n) as AgentProcess,
      stopped: () => stopWatching,
      onTables: ([t0]) => {
        if (firstEndToEndMs < 0 && Array.isArray(t0) && t0.some(r => label(r.destination) === 'n5' && r.hops === 5)) firstEndToEndMs = Date.now() - readyAt
      }
    })
    return { firstEndToEndMs, allMs: ms, timeline }
  }

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    const spec = line(N)
    graph = await buildGraph(lab, spec.nodes, spec.edges)
    const started = await Promise.all(names.map(async n => await agents.start({ name: n, netns: graph.ns(n), args: ARGS })))
    started.forEach((a, i) => { box.set(names[i] as string, a); nodeOf.set(a.peerId, names[i] as string) })
    readyAt = Date.now()
    // Watch convergence from the start, while the neighbour test runs, so the time is not the tests' pace.
    convergence = waitConverged(CONVERGENCE_BOUND_MS).then(r => r, (err: unknown) => err instanceof Error ? err : new Error(String(err)))
  })

  after(async () => {
    stopWatching = true
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: each agent\'s direct neighbours are exactly its line neighbours, on the right interface', async (t) => {
    if (skipUnlessNetns(t)) return
    const expected = (node: string): string[] => graph.neighboursOf(node).map(peer => `${peer}@${graph.ifaceBetween(node, peer)}`).sort()
    const directUp = (rows: NeighbourRow[]): string[] => rows.filter(r => r.kind === 'direct' && r.state === 'up').map(r => `${label(r.peerId)}@${String(r.interface)}`).sort()
    await Promise.all(names.map(async n => {
      const agent = box.get(n) as AgentProcess
      await agent.until(async () => JSON.stringify(directUp(await agent.neighbours())) === JSON.stringify(expected(n)), 10_000,
        `${n} sees exactly ${expected(n).join(', ')} directly`)
    }))
    t.diagnostic(`every box saw exactly its line neighbours ${Date.now() - readyAt} ms after the agents were ready`)
    // Hold still a moment: nothing direct may appear across segments (no IP path exists).
    await sleep(1_500)
    for (const n of names) {
      const rows = await (box.get(n) as AgentProcess).neighbours()
      assert.deepEqual(directUp(rows), expected(n), `${n}'s direct neighbours`)
      for (const r of rows.filter(r => r.kind === 'direct')) {
        assert.ok(graph.neighboursOf(n).includes(label(r.peerId)), `${n} lists ${label(r.peerId)} as direct: ${JSON.stringify(r)}`)
      }
    }
  })

  it('behavior: routes converge: n0 reaches n5 in 5 hops and every box has a route to each of the other five', async (t) => {
    if (skipUnlessNetns(t)) return
    const result = await convergence
    if (result === undefined) throw new Error('convergence was never watched')
    if (result instanceof Error) throw result
    const { firstEndToEndMs, allMs, timeline } = result
    t.diagnostic(`convergence after agents ready: n0→n5 with 5 hops at ${firstEndToEndMs} ms, all 30 routes right at ${allMs} ms`)
    t.diagnostic(`convergence timeline: ${timeline.join(' | ')}`)
    for (const n of names) {
      const rows = await routesOf(box.get(n) as AgentProcess)
      assert.deepEqual(problemsOf(n, rows), [], `${n}'s routes`)
      for (const r of rows) {
        assert.equal(r.learnedFrom, r.nextHop, `${n}→${label(r.destination)}: the selected route was learnt from its next hop`)
        assert.ok(Number.isFinite(r.metric) && r.metric > 0, `${n}→${label(r.destination)}: metric ${r.metric}`)
        assert.ok(Number.isInteger(r.seqno) && r.seqno >= 0, `${n}→${label(r.destination)}: seqno ${r.seqno}`)
        assert.ok(Number.isFinite(r.ageMs) && r.ageMs >= 0, `${n}→${label(r.destination)}: ageMs ${r.ageMs}`)
      }
    }
    const end = (await routesOf(at(0))).find(r => r.destination === at(5).peerId)
    assert.equal(end?.hops, 5)
    assert.equal(end?.nextHop, at(1).peerId)
  })

  it('behavior: mesh-ping from one end to the other answers over 5 hops, both ways', async (t) => {
    if (skipUnlessNetns(t)) return
    for (const [from, to] of [[at(0), at(5)], [at(5), at(0)]] as const) {
      const res = await from.api<MeshPing | ApiError>('POST', '/api/v1/mesh/ping', { peerId: to.peerId }, 20_000)
      assert.equal(res.status, 200, `${from.name}→${to.name}: ${JSON.stringify(res.body)}`)
      assert.ok(!isError(res.body))
      assert.equal(res.body.peerId, to.peerId)
      assert.equal(res.body.hops, 5, `${from.name}→${to.name}: ${JSON.stringify(res.body)}`)
      assert.ok(Number.isFinite(res.body.rttMs) && res.body.rttMs >= 0, `rttMs ${res.body.rttMs}`)
      t.diagnostic(`mesh-ping ${from.name}→${to.name}: ${res.body.rttMs} ms over ${res.body.hops} hops`)
    }
  })

  it('behavior: traceroute n0→n5 lists n1…n5 in line order, ending with the destination', async (t) => {
    if (skipUnlessNetns(t)) return
    const res = await at(0).api<Traceroute | ApiError>('POST', '/api/v1/mesh/traceroute', { peerId: at(5).peerId }, 30_000)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.ok(!isError(res.body))
    const trace = res.body
    assert.equal(trace.peerId, at(5).peerId)
    assert.equal(trace.reached, true, JSON.stringify(trace))
    assert.deepEqual(trace.hops.map(h => `${h.hop}:${label(h.peerId)}`), ['1:n1', '2:n2', '3:n3', '4:n4', '5:n5'])
    for (const h of trace.hops) assert.ok(Number.isFinite(h.rttMs) && h.rttMs >= 0, `hop ${h.hop} rttMs ${h.rttMs}`)
    t.diagnostic(`traceroute n0→n5: ${trace.hops.map(h => `${label(h.peerId)} ${h.rttMs} ms`).join(', ')}`)
  })

  it('behavior: the CLI\'s routes, mesh-ping and traceroute exit 0 and show the same', async (t) => {
    if (skipUnlessNetns(t)) return
    const a = at(0)
    const port = new URL(a.httpUrl).port
    const ns = graph.ns('n0')
    const cli = async (args: string[]): Promise<string> => {
      const r = await runCli([...args, '--http-port', port], { netns: ns, timeoutMs: 40_000 })
      assert.equal(r.code, 0, `meshbox ${args.join(' ')} exits 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
      return r.stdout
    }
    const others = [1, 2, 3, 4, 5].map(at)

    const routes = await cli(['routes'])
    for (const o of others) assert.ok(routes.includes(o.peerId), `routes shows ${o.name}:\n${routes}`)
    const routeRows = JSON.parse(await cli(['routes', '--json'])) as RouteRow[]
    assert.deepEqual(routeRows.map(r => label(r.destination)).sort(), ['n1', 'n2', 'n3', 'n4', 'n5'])
    assert.equal(routeRows.find(r => r.destination === at(5).peerId)?.hops, 5)

    const ping = await cli(['mesh-ping', at(5).peerId])
    assert.match(ping, /\b5 hops\b|\bhops\W+5\b/i, `mesh-ping says 5 hops:\n${ping}`)
    const pingJson = JSON.parse(await cli(['mesh-ping', at(5).peerId, '--json'])) as MeshPing
    assert.equal(pingJson.peerId, at(5).peerId)
    assert.equal(pingJson.hops, 5)

    const trace = await cli(['traceroute', at(5).peerId])
    // Last occurrences: the header may name the destination before the hop lines do.
    const positions = others.map(o => trace.lastIndexOf(o.peerId))
    assert.ok(positions.every(p => p >= 0), `traceroute shows every hop:\n${trace}`)
    assert.deepEqual([...positions].sort((x, y) => x - y), positions, `traceroute lists n1…n5 in order:\n${trace}`)
    const traceJson = JSON.parse(await cli(['traceroute', at(5).peerId, '--json'])) as Traceroute
    assert.equal(traceJson.reached, true)
    assert.deepEqual(traceJson.hops.map(h => label(h.peerId)), ['n1', 'n2', 'n3', 'n4', 'n5'])
  })

  it('error: the routing API answers bad input with 400 and an unknown peer with 404 MESH_NO_ROUTE', async (t) => {
    if (skipUnlessNetns(t)) return
    const a = at(0)
    const unknown = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    for (const path of ['/api/v1/mesh/ping', '/api/v1/mesh/traceroute']) {
      for (const [what, body] of [['a junk peer id', { peerId: 'nonsense' }], ['no body', undefined], ['a number for peerId', { peerId: 5 }], ['an array', [a.peerId]]] as const) {
        const res = await a.api<unknown>('POST', path, body)
        assert.equal(res.status, 400, `${path} with ${what}: ${res.status} ${JSON.stringify(res.body)}`)
        assert.ok(isError(res.body) && typeof res.body.error.code === 'string', `${path} with ${what} names the problem: ${JSON.stringify(res.body)}`)
      }
    }
    const ping = await a.api<unknown>('POST', '/api/v1/mesh/ping', { peerId: unknown })
    assert.equal(ping.status, 404, JSON.stringify(ping.body))
    assert.ok(isError(ping.body))
    assert.equal(ping.body.error.code, 'MESH_NO_ROUTE')
    // The contract leaves traceroute to a routeless peer open: 404 MESH_NO_ROUTE, or not reached.
    const trace = await a.api<unknown>('POST', '/api/v1/mesh/traceroute', { peerId: unknown })
    const ok = (trace.status === 404 && isError(trace.body) && trace.body.error.code === 'MESH_NO_ROUTE') ||
      (trace.status === 200 && (trace.body as Traceroute).reached === false)
    assert.ok(ok, `traceroute to an unknown peer: ${trace.status} ${JSON.stringify(trace.body)}`)
    assert.ok(names.every(n => (box.get(n) as AgentProcess).running), 'no agent crashed')
  })
})
