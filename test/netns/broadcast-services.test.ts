/**
 * Broadcast and service announcements on a line of five boxes (test/helpers/topologies.ts):
 *
 *   n0 ─── n1 ─── n2 ─── n3 ─── n4        n0: uplink-gateway, monitor     n4: uplink-gateway
 *
 * Each box reaches only its line neighbours (no IP forwarding), so n0's announcement reaches n4
 * only by being relayed through gossipsub on n1, n2 and n3. Short intervals through the
 * environment (MESHBOX_SERVICES_*): announce every 2 s, lifetime 6 s.
 *   - every box lists both gateways and the monitor, with routes to them;
 *   - the nearest gateway is the closer end from each box (itself at the ends), the monitor is
 *     n0 from everywhere (4 hops from n4); the CLI and the nearest route say the same;
 *   - no entry expires while its box is up (refreshes keep crossing 4 hops);
 *   - broadcast counters show the topic relayed by every box;
 *   - n4 stops: its entry expires on every box (log line), and n3's nearest gateway becomes n0.
 * Root only; skipped otherwise.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { AgentSet, availability, runCli, skipUnlessNetns } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'
import type { ApiError } from '../helpers/routes.js'
import { buildGraph, line, type Graph } from '../helpers/topologies.js'

interface Provider { peerId: string, self: boolean, reachable: boolean, metric: number | null, hops: number | null, ageMs: number, expiresInMs: number | null }
interface RoleRow { role: string, providers: Provider[], nearest: Provider | null }
interface TopicRow { topic: string, subscribed: boolean, peers: number, published: number, received: number, rejected: number, ignored: number }

const N = 5
const ANNOUNCE_MS = 2_000
const EXPIRE_MS = 6_000
const GW = 'uplink-gateway'
const ROLES: Record<string, string> = { n0: `${GW},monitor`, n4: GW }

describe('line of five boxes: broadcast service announcements over 4 hops', { timeout: 150_000 }, () => {
  let lab: NetnsLab | undefined
  let graph: Graph
  const agents = new AgentSet()
  const names = line(N).nodes
  const box = new Map<string, AgentProcess>()
  const nodeOf = new Map<string, string>()
  const at = (i: number): AgentProcess => box.get(`n${i}`) as AgentProcess
  const label = (peerId: string | undefined): string => nodeOf.get(peerId ?? '') ?? String(peerId)
  const servicesOf = async (a: AgentProcess): Promise<RoleRow[]> => {
    const res = await a.api<RoleRow[]>('GET', '/api/v1/services')
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body
  }
  const show = (rows: RoleRow[]): string => rows.map(r => `${r.role}: ${r.providers.map(p => `${label(p.peerId)}${p.reachable ? `/${String(p.metric)}` : '/-'}`).join(' ')} → ${label(r.nearest?.peerId)}`).join('; ')

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    const spec = line(N)
    graph = await buildGraph(lab, spec.nodes, spec.edges)
    const env = (n: string): NodeJS.ProcessEnv => ({
      MESHBOX_SERVICES_ANNOUNCE_INTERVAL_MS: String(ANNOUNCE_MS),
      MESHBOX_SERVICES_EXPIRE_AFTER_MS: String(EXPIRE_MS),
      MESHBOX_SERVICES_ROLES: ROLES[n] ?? ''
    })
    const started = await Promise.all(names.map(async n => await agents.start({ name: n, netns: graph.ns(n), args: ['--http-host', '127.0.0.1'], env: env(n) })))
    started.forEach((a, i) => { box.set(names[i] as string, a); nodeOf.set(a.peerId, names[i] as string) })
  })

  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: every box lists both gateways and the monitor, reachable, and picks the nearer gateway', async (t) => {
    if (skipUnlessNetns(t)) return
    const t0 = Date.now()
    const want = `${GW}: n0,n4 reachable; monitor: n0 reachable`
    const got = (rows: RoleRow[]): string => {
      const p = (role: string): string => (rows.find(r => r.role === role)?.providers ?? []).filter(x => x.reachable).map(x => label(x.peerId)).sort().join(',')
      return `${GW}: ${p(GW)} reachable; monitor: ${p('monitor')} reachable`
    }
    await Promise.all(names.map(async n => {
      const a = box.get(n) as AgentProcess
      let last: RoleRow[] = []
      await a.until(async () => { last = await servicesOf(a); return got(last) === want }, 45_000, `${n} lists every provider (last: ${show(last)})`)
    }))
    t.diagnostic(`every box listed every provider with a route ${Date.now() - t0} ms after the agents were ready`)

    const expectedGw = ['n0', 'n0', null, 'n4', 'n4']
    for (let i = 0; i < N; i++) {
      const rows = await servicesOf(at(i))
      const gw = rows.find(r => r.role === GW) as RoleRow
      const mon = rows.find(r => r.role === 'monitor') as RoleRow
      t.diagnostic(`n${i}: ${show(rows)}`)
      assert.deepEqual(rows.map(r => r.role), ['monitor', GW], `n${i} knows exactly the two roles`)
      const want = expectedGw[i]
      if (want !== null && want !== undefined) {
        assert.equal(label(gw.nearest?.peerId), want, `n${i}'s nearest gateway`)
      } else {
        // The middle box is two hops from both: the lower measured metric wins.
        const reachable = gw.providers.filter(p => p.reachable)
        const best = Math.min(...reachable.map(p => p.metric ?? Infinity))
        assert.equal(gw.nearest?.metric, best, `n2's nearest gateway has the lowest metric: ${show(rows)}`)
        assert.equal(gw.nearest?.hops, 2)
      }
      assert.equal(label(mon.nearest?.peerId), 'n0')
      assert.equal(mon.nearest?.hops, i, `monitor is ${i} hops from n${i}`)
      const selfRow = gw.providers.find(p => p.self)
      assert.equal(selfRow !== undefined, i === 0 || i === 4, `n${i} lists itself as a gateway only at the ends`)
      if (i === 0 || i === 4) assert.equal(gw.nearest?.self, true)
      for (const p of gw.providers.filter(p => !p.self)) {
        assert.ok(p.expiresInMs !== null && p.expiresInMs > 0 && p.expiresInMs <= EXPIRE_MS, `expiresInMs ${String(p.expiresInMs)}`)
        assert.ok(p.ageMs >= 0 && p.ageMs < EXPIRE_MS, `ageMs ${p.ageMs}`)
      }
    }
    const near = await at(3).api<Provider>('GET', `/api/v1/services/${GW}/nearest`)
    assert.equal(near.status, 200)
    assert.equal(label(near.body.peerId), 'n4')
    assert.equal(near.body.hops, 1)
  })

  it('behavior: refreshes keep crossing the line: no entry expires while its box is up', async (t) => {
    if (skipUnlessNetns(t)) return
    // Three lifetimes' worth of announcements after the directory filled.
    await new Promise(resolve => setTimeout(resolve, 3 * ANNOUNCE_MS))
    for (const n of names) {
      const expired = (box.get(n) as AgentProcess).logs.filter(l => l.msg === 'Service provider expired')
      assert.deepEqual(expired.map(l => label(String(l.ctx?.peerId))), [], `${n} let an entry expire while its box was up`)
    }
    const rows = await servicesOf(at(4))
    assert.ok((rows.find(r => r.role === 'monitor')?.providers[0]?.ageMs ?? Infinity) < ANNOUNCE_MS * 2, 'n4 heard n0 recently')
  })

  it('behavior: every box subscribes to and relays the services topic; nothing was rejected', async (t) => {
    if (skipUnlessNetns(t)) return
    for (let i = 0; i < N; i++) {
      const res = await at(i).api<TopicRow[]>('GET', '/api/v1/broadcast')
      assert.equal(res.status, 200)
      const row = res.body.find(r => r.topic === '/meshbox/services/1')
      t.diagnostic(`n${i} /meshbox/services/1: ${JSON.stringify(row)}`)
      assert.ok(row !== undefined)
      assert.equal(row.subscribed, true)
      // At least its line neighbours; a relayed connection opened on demand (DHT) counts too.
      assert.ok(row.peers >= (i === 0 || i === N - 1 ? 1 : 2), `n${i}'s line neighbours listen: ${row.peers}`)
      assert.equal(row.rejected, 0)
      // The ends announce every 2 s; each box hears both ends (n0 and n4 hear the other one).
      assert.ok(row.received >= 2, `n${i} received ${row.received}`)
      assert.equal(row.published > 0, true, `n${i} announced at least once (at start)`)
      // The chain node (on by default) listens for headers; nothing here uses the txs topic.
      assert.equal(res.body.find(r => r.topic === '/meshbox/headers/1')?.subscribed, true)
      const other = res.body.find(r => r.topic === '/meshbox/txs/1')
      assert.equal(other?.subscribed, false, 'topics nobody here uses are not joined')
    }
  })

  it('behavior: the CLI shows the directory and the nearest provider; an unknown role is SERVICE_NOT_FOUND', async (t) => {
    if (skipUnlessNetns(t)) return
    const port = new URL(at(1).httpUrl).port
    const cli = async (args: string[]) => await runCli([...args, '--http-port', port], { netns: graph.ns('n1'), timeoutMs: 30_000 })
    const all = await cli(['services'])
    assert.equal(all.code, 0, all.stderr)
    assert.ok(all.stdout.includes(at(0).peerId) && all.stdout.includes(at(4).peerId), all.stdout)
    assert.match(all.stdout, /monitor/)
    const one = await cli(['services', GW, '--json'])
    assert.equal(one.code, 0, one.stderr)
    assert.equal((JSON.parse(one.stdout) as Provider).peerId, at(0).peerId)
    const none = await cli(['services', 'nobody-does-this'])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /no box announces the role "nobody-does-this"/)
    const res = await at(1).api<ApiError>('GET', '/api/v1/services/nobody-does-this/nearest')
    assert.equal(res.status, 404)
    assert.equal(res.body.error.code, 'SERVICE_NOT_FOUND')
    const bad = await at(1).api<ApiError>('GET', '/api/v1/services/NOT%20A%20ROLE/nearest')
    assert.equal(bad.status, 400)
  })

  it('behavior: a stopped provider\'s entry expires everywhere, and the other end becomes nearest', async (t) => {
    if (skipUnlessNetns(t)) return
    const gone = at(4).peerId
    const stoppedAt = Date.now()
    await at(4).stop()
    const hasN4 = (rows: RoleRow[]): boolean => rows.some(r => r.providers.some(p => p.peerId === gone))
    await Promise.all([0, 1, 2, 3].map(async i => {
      const a = at(i)
      await a.until(async () => !hasN4(await servicesOf(a)), EXPIRE_MS + 10_000, `n${i} forgets n4`)
      const line = await a.waitForLog(l => l.msg === 'Service provider expired' && l.ctx?.peerId === gone, 2_000, `n${i} logs the expiry`)
      assert.ok(Number(line.ctx?.silentForMs) >= EXPIRE_MS, `expired only after its lifetime: ${JSON.stringify(line.ctx)}`)
    }))
    t.diagnostic(`n4's entry expired on every box ${Date.now() - stoppedAt} ms after it stopped (lifetime ${EXPIRE_MS} ms)`)
    const near = await at(3).api<Provider>('GET', `/api/v1/services/${GW}/nearest`)
    assert.equal(near.status, 200)
    assert.equal(label(near.body.peerId), 'n0')
    assert.equal(near.body.hops, 3)
    assert.ok([0, 1, 2, 3].every(i => at(i).running), 'no agent crashed')
  })
})
