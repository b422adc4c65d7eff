/**
 * Interop with a stock js-libp2p node (tcp, noise, yamux, identify, ping, plain @libp2p/mdns; see
 * test/helpers/stock-ping-runner.ts), each in its own process on one loopback segment in a
 * namespace: the stock node finds the agent by mDNS and pings it; the agent finds the stock node,
 * lists it as a direct neighbour and measures its RTT with libp2p ping, because the stock node
 * does not speak /meshbox/probe/1.0.0. Root only; skipped otherwise.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { JsonLines, type RunnerEvent } from '../helpers/json-lines.js'
import { AgentSet, availability, skipUnlessNetns, sleep, waitNeighbour } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TSX = ['--import', 'tsx', '--import', './agent/polyfills.ts']

describe('interop with a stock js-libp2p node', { timeout: 90_000 }, () => {
  let lab: NetnsLab | undefined
  const agents = new AgentSet()
  let agent: AgentProcess
  let stock: JsonLines
  let stockId = ''

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    const ns = await lab.addNamespace('interop')
    await lab.loopbackMulticast(ns)
    const child = lab.spawn(ns, process.execPath, [...TSX, 'test/helpers/stock-ping-runner.ts', JSON.stringify({ listen: ['/ip4/127.0.0.1/tcp/0'], intervalMs: 1000 })], { cwd: ROOT })
    stock = new JsonLines(child, 'stock')
    ;[agent] = await Promise.all([
      agents.start({ name: 'agent', netns: ns, args: ['--listen', '/ip4/127.0.0.1/tcp/0'] }),
      stock.waitFor(e => e.event === 'started', 20_000, 'stock node start')
    ])
    stockId = String(stock.events.find(e => e.event === 'started')?.peerId)
  })

  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: the stock node discovers the agent by mDNS and pings it', async (t) => {
    if (skipUnlessNetns(t)) return
    const seen = await stock.waitFor(e => e.event === 'peer' && e.peerId === agent.peerId, 10_000, 'mDNS sighting of the agent')
    assert.ok((seen.multiaddrs as string[]).some(a => a.startsWith('/ip4/127.0.0.1/tcp/')), `agent announced its loopback address: ${JSON.stringify(seen.multiaddrs)}`)
    const pong: RunnerEvent = await stock.waitFor(e => e.event === 'ping' && e.peerId === agent.peerId, 15_000, 'a ping answered by the agent')
    assert.equal(typeof pong.rttMs, 'number')
    const id = await stock.waitFor(e => e.event === 'identify' && e.peerId === agent.peerId, 10_000, 'identify of the agent')
    const protocols = id.protocols as string[]
    assert.ok(protocols.includes('/ipfs/ping/1.0.0'), `agent offers libp2p ping: ${protocols.join(' ')}`)
    assert.ok(protocols.includes('/meshbox/probe/1.0.0'), `agent offers its probe: ${protocols.join(' ')}`)
  })

  it('behavior: the agent lists the stock node as a direct neighbour, up, with an RTT from libp2p ping', async (t) => {
    if (skipUnlessNetns(t)) return
    const row = await waitNeighbour(agent, stockId, n => n.state === 'up' && typeof n.rttMs === 'number', 15_000, 'stock node up with an RTT')
    assert.equal(row.kind, 'direct')
    assert.equal(row.interface, 'lo')
    assert.ok((row.rttMs as number) >= 0)
    await sleep(2_500) // a few more probe rounds: libp2p ping keeps answering, nothing is lost
    const later = (await agent.neighbours()).find(n => n.peerId === stockId)
    assert.equal(later?.state, 'up')
    assert.equal(later?.lossPct, 0, `no probe lost: ${JSON.stringify(later)}`)
  })

  it('behavior: the API pings the stock node; one connection remains between them', async (t) => {
    if (skipUnlessNetns(t)) return
    const res = await agent.api<{ peerId: string, rttMs: number, kind: string }>('POST', `/api/v1/peers/${stockId}/ping`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.peerId, stockId)
    assert.equal(typeof res.body.rttMs, 'number')
    assert.equal(res.body.kind, 'direct')
    const st = (await agent.api<{ connections: number }>('GET', '/api/v1/status')).body
    assert.equal(st.connections, 1, 'duplicate connections (both sides dialled) were closed')
  })
})
