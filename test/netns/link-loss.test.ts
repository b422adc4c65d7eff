/**
 * The A—B—C line again, for what a technician sees when the radio link itself fails:
 *   - with nobody asking, A forms a relayed link to C through B (mesh.relay.maxRelayedLinks > 0;
 *     the route table shows C two hops away behind B);
 *   - when B's seg2 link goes down silently (no FIN, no RST: the cable is "cut"), C marks B lost
 *     within 10 s from failed probes alone, and its relayed link to A with it;
 *   - when the link comes back, C sees B up again without any restart.
 * Root only; skipped otherwise.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { AgentSet, availability, skipUnlessNetns, waitNeighbour } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

const ARGS = ['--http-host', '127.0.0.1']
// Standing relayed links to two-hop boxes are off by default (routing reaches them); turn them on.
const ENV = { MESHBOX_MESH_RELAY_MAX_RELAYED_LINKS: '2' }

describe('A—B—C line: automatic relayed link, silent link loss and return', { timeout: 120_000 }, () => {
  let lab: NetnsLab | undefined
  let ns = { a: '', b: '', c: '' }
  const agents = new AgentSet()
  let a: AgentProcess
  let b: AgentProcess
  let c: AgentProcess

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    ns = await lab.abcTopology()
    ;[a, b, c] = await Promise.all([
      agents.start({ name: 'A', netns: ns.a, args: ARGS, env: ENV }),
      agents.start({ name: 'B', netns: ns.b, args: ARGS, env: ENV }),
      agents.start({ name: 'C', netns: ns.c, args: ARGS, env: ENV })
    ])
  })

  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: A and C link up through B on their own, with nobody asking', async (t) => {
    if (skipUnlessNetns(t)) return
    const row = await waitNeighbour(a, c.peerId, n => n.state === 'up' && n.kind === 'relayed', 45_000, 'A lists C as a relayed neighbour')
    assert.equal(row.via, b.peerId)
    await waitNeighbour(a, c.peerId, n => typeof n.rttMs === 'number' && n.rttMs > 0, 10_000, 'the relayed link is probed too')
    const back = await waitNeighbour(c, a.peerId, n => n.state === 'up' && n.kind === 'relayed', 10_000, 'C lists A as a relayed neighbour')
    assert.equal(back.via, b.peerId)
  })

  it('behavior: a silently cut link is noticed within 10 s from probes alone', async (t) => {
    if (skipUnlessNetns(t)) return
    await waitNeighbour(c, b.peerId, n => n.state === 'up' && n.interface === 'seg2', 10_000, 'C sees B on seg2')
    // Dropping packets leaves every TCP connection open: nothing but the probes can tell.
    await lab?.exec(ns.b, 'ip', ['link', 'set', 'seg2', 'down'])
    const cutAt = Date.now()
    const left = (): number => Math.max(1, 10_000 - (Date.now() - cutAt))
    await waitNeighbour(c, b.peerId, n => n.state === 'lost', left(), 'C marks B lost within 10 s')
    await waitNeighbour(c, a.peerId, n => n.state === 'lost', left(), 'C marks A (relayed through B) lost within 10 s')
    assert.equal((await c.neighbours()).filter(n => n.state === 'up').length, 0)
    t.diagnostic(`C noticed the cut after ${Date.now() - cutAt} ms`)
  })

  it('behavior: when the link returns, C sees B up again without a restart', async (t) => {
    if (skipUnlessNetns(t)) return
    await lab?.exec(ns.b, 'ip', ['link', 'set', 'seg2', 'up'])
    // Taking the link down removed its multicast route; put it back as the topology script does.
    await lab?.exec(ns.b, 'ip', ['route', 'replace', '224.0.0.0/4', 'dev', 'seg2', 'metric', '20'])
    const row = await waitNeighbour(c, b.peerId, n => n.state === 'up' && n.kind === 'direct', 15_000, 'C sees B up again')
    assert.equal(row.interface, 'seg2')
    await waitNeighbour(b, c.peerId, n => n.state === 'up' && n.interface === 'seg2', 15_000, 'B sees C up again')
    assert.ok(b.logs.some(l => l.msg === 'mDNS socket open on interface' && l.ctx?.interface === 'seg2'), 'B reopened its seg2 mDNS socket')
  })
})
