/**
 * Three agents (separate processes, the production bundle) in one namespace, on loopback with
 * multicast turned on: they discover each other, keep exactly one connection per pair, answer DHT
 * lookups, ping and throughput, notice a kill -9 and take the restarted box back with the same
 * identity, and stop cleanly on SIGTERM. Root only (network namespaces); skipped otherwise.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { AgentSet, availability, skipUnlessNetns, sleep, waitNeighbour } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0']

interface Status { peerId: string, connections: number, starts: number, neighbours: number }

describe('three agents on one loopback segment', { timeout: 120_000 }, () => {
  let lab: NetnsLab | undefined
  let ns = ''
  const agents = new AgentSet()
  let a: AgentProcess
  let b: AgentProcess
  let c: AgentProcess

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    ns = await lab.addNamespace('lo3')
    await lab.loopbackMulticast(ns)
    ;[a, b, c] = await Promise.all([
      agents.start({ name: 'a', netns: ns, args: LISTEN }),
      agents.start({ name: 'b', netns: ns, args: LISTEN }),
      agents.start({ name: 'c', netns: ns, args: LISTEN })
    ])
  })

  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: each agent lists the other two as direct neighbours on lo, up, with an RTT', async (t) => {
    if (skipUnlessNetns(t)) return
    const trio = [a, b, c]
    for (const self of trio) {
      for (const other of trio.filter(x => x !== self)) {
        const row = await waitNeighbour(self, other.peerId, n => n.state === 'up' && typeof n.rttMs === 'number', 10_000,
          `${self.name} sees ${other.name} up with an RTT`)
        assert.equal(row.kind, 'direct', `${self.name}→${other.name} kind`)
        assert.equal(row.interface, 'lo', `${self.name}→${other.name} interface`)
        assert.equal(row.via, null)
        assert.ok(Number.isFinite(row.rttMs) && (row.rttMs as number) >= 0, `rttMs is a number: ${String(row.rttMs)}`)
      }
      const list = await self.neighbours()
      assert.deepEqual(list.map(n => n.peerId).sort(), trio.filter(x => x !== self).map(x => x.peerId).sort(), `${self.name} lists exactly the other two`)
    }
  })

  it('behavior: exactly one connection per pair once things settle', async (t) => {
    if (skipUnlessNetns(t)) return
    await sleep(4_000) // dial grace (2 s) + duplicate closing (1.5 s) have run by now
    for (const self of [a, b, c]) {
      const st = (await self.api<Status>('GET', '/api/v1/status')).body
      assert.equal(st.connections, 2, `${self.name} has one connection to each of the other two (status: ${JSON.stringify(st)})`)
      assert.equal(st.neighbours, 2, `${self.name} counts 2 neighbours up`)
    }
  })

  it('behavior: DHT lookup of another agent returns its addresses', async (t) => {
    if (skipUnlessNetns(t)) return
    const res = await a.api<{ peerId: string, addresses: string[], connected: boolean }>('GET', `/api/v1/peers/${c.peerId}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.peerId, c.peerId)
    assert.ok(res.body.addresses.some(x => x.startsWith('/ip4/127.0.0.1/tcp/')), `C's loopback address is among ${JSON.stringify(res.body.addresses)}`)
    assert.equal(res.body.connected, true)
  })

  it('behavior: ping and a 1 MB throughput run between neighbours', async (t) => {
    if (skipUnlessNetns(t)) return
    const ping = await a.api<{ peerId: string, rttMs: number, kind: string, via: string | null }>('POST', `/api/v1/peers/${b.peerId}/ping`)
    assert.equal(ping.status, 200, JSON.stringify(ping.body))
    assert.equal(ping.body.peerId, b.peerId)
    assert.equal(typeof ping.body.rttMs, 'number')
    assert.ok(ping.body.rttMs >= 0)
    assert.equal(ping.body.kind, 'direct')

    const tp = await b.api<{ peerId: string, bytes: number, durationMs: number, mbPerS: number, kind: string }>('POST', `/api/v1/peers/${c.peerId}/throughput`, { bytes: 1_000_000 })
    assert.equal(tp.status, 200, JSON.stringify(tp.body))
    assert.equal(tp.body.bytes, 1_000_000)
    assert.equal(tp.body.peerId, c.peerId)
    assert.equal(typeof tp.body.durationMs, 'number')
    assert.equal(tp.body.kind, 'direct')
  })

  it('behavior: kill -9 is noticed within 10 s; the restarted box comes back up with the same peer id', async (t) => {
    if (skipUnlessNetns(t)) return
    const oldId = c.peerId
    const dataDir = c.dataDir
    await c.kill()
    const killedAt = Date.now()
    await Promise.all([a, b].map(async self => {
      await waitNeighbour(self, oldId, n => n.state === 'lost', 10_000 - (Date.now() - killedAt), `${self.name} marks C lost within 10 s of kill -9`)
    }))

    c = await agents.start({ name: 'c2', netns: ns, dataDir, args: LISTEN })
    assert.equal(c.peerId, oldId, 'same identity from the same data dir')
    await Promise.all([a, b].map(async self => {
      const row = await waitNeighbour(self, oldId, n => n.state === 'up', 15_000, `${self.name} sees C up again`)
      assert.equal(row.kind, 'direct')
      assert.equal(row.interface, 'lo')
    }))
    const st = (await c.api<Status>('GET', '/api/v1/status')).body
    assert.equal(st.starts, 2, 'the store counted two starts')
    assert.equal(st.peerId, oldId)
    const stA = (await a.api<Status>('GET', '/api/v1/status')).body
    assert.equal(stA.starts, 1)
  })

  it('behavior: SIGTERM exits 0 within 5 s and logs "Agent stopped"', async (t) => {
    if (skipUnlessNetns(t)) return
    for (const self of [a, b, c]) {
      const t0 = Date.now()
      const code = await self.stop(5_000) // SIGKILL after 5 s, which would give a null code
      assert.equal(code, 0, `${self.name} exit code (stderr: ${self.stderr.slice(-500)})`)
      assert.ok(Date.now() - t0 < 5_500, `${self.name} exited within the 5 s deadline`)
      assert.ok(self.logs.some(l => l.msg === 'Agent stopped'), `${self.name} logged "Agent stopped"`)
    }
  })
})
