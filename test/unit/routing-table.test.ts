import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { linkCost } from '../../agent/mesh/routing/link-cost.js'
import {
  advertisements, applyAdverts, createRoutingState, expire, nextHop, onSeqnoRequest, routeViews, setLinkCost, type RoutingRules
} from '../../agent/mesh/routing/route-table.js'
import { feasible, METRIC_INFINITY, seqnoLess, seqnoNext } from '../../agent/mesh/routing/seqno.js'

const rules: RoutingRules = { holdMs: 14_000, retractMs: 8_000, hysteresis: 0.1, fdGcMs: 180_000, requestRetryMs: 2_000 }
const INF = METRIC_INFINITY

describe('sequence numbers and feasibility', () => {
  it('behavior: comparison wraps around 2^16', () => {
    assert.equal(seqnoLess(1, 2), true)
    assert.equal(seqnoLess(2, 1), false)
    assert.equal(seqnoLess(5, 5), false)
    assert.equal(seqnoLess(0xfffe, 3), true, 'wrapped seqno is newer')
    assert.equal(seqnoNext(0xffff), 0)
  })

  it('behavior: a route is feasible only if newer, or same seqno and strictly shorter', () => {
    const fd = { seqno: 10, metric: 500 }
    assert.equal(feasible(undefined, 0, 1), true)
    assert.equal(feasible(fd, 11, 9000), true)
    assert.equal(feasible(fd, 10, 499), true)
    assert.equal(feasible(fd, 10, 500), false)
    assert.equal(feasible(fd, 9, 1), false)
    assert.equal(feasible(fd, 9, INF), true, 'retractions are always accepted')
  })
})

describe('link cost', () => {
  const good = { kind: 'direct' as const, state: 'up' as const, rttMs: 1, lossPct: 0, upForMs: 60_000 }
  it('behavior: one clean hop costs about 256; loss, RTT, relaying and youth cost more', () => {
    assert.equal(linkCost(good), 256)
    assert.equal(linkCost({ ...good, rttMs: 65 }), 256 + 75, 'half-way between 10 and 120 ms costs half of 150')
    assert.equal(linkCost({ ...good, rttMs: 5_000 }), 256 + 150, 'RTT costs at most 150')
    assert.ok(linkCost({ ...good, lossPct: 20 }) > 390)
    assert.ok(linkCost({ ...good, rttMs: 40 }) > linkCost(good))
    assert.ok(linkCost({ ...good, kind: 'relayed' }) > 2 * linkCost(good), 'a relayed link costs more than the two direct links it spans')
    const young = { ...good, upForMs: 1_000 }
    assert.ok(linkCost({ ...young, kind: 'relayed' }) > 2 * linkCost(young), 'also while the links are warming up')
    assert.ok(linkCost({ ...good, upForMs: 0 }) >= 256 + 512, 'a new link starts expensive')
    assert.ok(linkCost({ ...good, upForMs: 5_000 }) < linkCost({ ...good, upForMs: 0 }))
  })
  it('behavior: lost or very lossy links are unusable', () => {
    assert.equal(linkCost({ ...good, state: 'lost' }), INF)
    assert.equal(linkCost({ ...good, lossPct: 95 }), INF)
    assert.ok(linkCost({ ...good, rttMs: 1e9 }) < INF)
    assert.ok(linkCost({ ...good, kind: 'relayed' }) > 2 * linkCost({ ...good, rttMs: 1e9 }), 'a relayed link loses to two slow direct links')
    const lossy = linkCost({ ...good, lossPct: 40 })
    assert.ok(linkCost({ ...good, kind: 'relayed', viaCost: lossy }) >= lossy + 256 + 512,
      'a relayed link whose probes look clean still pays for our lossy link to its relay')
    assert.ok(linkCost({ ...good, kind: 'relayed', viaCost: lossy }) > lossy + linkCost(good) * 1.1,
      'so the direct path through the same relay keeps the route, hysteresis included')
  })
})

describe('route table', () => {
  it('default: a neighbour\'s routes are learnt with its link cost added', () => {
    const s = createRoutingState('A')
    setLinkCost(s, 'B', 256, 0, rules)
    const r = applyAdverts(s, 'B', [{ dest: 'B', seqno: 1, metric: 0, hops: 0 }, { dest: 'C', seqno: 4, metric: 256, hops: 1 }], 0, rules)
    assert.deepEqual(r.changes.map(c => `${c.change} ${c.destination} via ${c.to?.nextHop} ${c.to?.metric}`), ['added B via B 256', 'added C via B 512'])
    assert.deepEqual(routeViews(s, 10).map(v => [v.destination, v.nextHop, v.metric, v.hops]), [['B', 'B', 256, 1], ['C', 'B', 512, 2]])
  })

  it('behavior: adverts from a neighbour without a usable link are ignored', () => {
    const s = createRoutingState('A')
    assert.deepEqual(applyAdverts(s, 'X', [{ dest: 'X', seqno: 1, metric: 0, hops: 0 }], 0, rules).changes, [])
  })

  it('behavior: the best feasible route wins, with hysteresis against flapping', () => {
    const s = createRoutingState('A')
    setLinkCost(s, 'B', 256, 0, rules)
    setLinkCost(s, 'C', 256, 0, rules)
    applyAdverts(s, 'B', [{ dest: 'D', seqno: 1, metric: 300, hops: 1 }], 0, rules)
    applyAdverts(s, 'C', [{ dest: 'D', seqno: 1, metric: 290, hops: 1 }], 0, rules)
    assert.equal(nextHop(s, 'D'), 'B', 'C is better by less than 10 %: stay')
    applyAdverts(s, 'C', [{ dest: 'D', seqno: 2, metric: 100, hops: 1 }], 0, rules)
    assert.equal(nextHop(s, 'D'), 'C')
  })

  it('behavior: an unfeasible route is not used, and starvation asks for a newer seqno', () => {
    const s = createRoutingState('A')
    setLinkCost(s, 'B', 256, 0, rules)
    setLinkCost(s, 'C', 256, 0, rules)
    applyAdverts(s, 'B', [{ dest: 'D', seqno: 7, metric: 256, hops: 1 }], 0, rules) // FD(D) = (7, 512)
    // C claims D at 600 with the same seqno: C might be routing through us; not feasible.
    applyAdverts(s, 'C', [{ dest: 'D', seqno: 7, metric: 600, hops: 3 }], 0, rules)
    const lost = setLinkCost(s, 'B', INF, 1, rules)
    assert.equal(nextHop(s, 'D'), undefined, 'the unfeasible route via C is not taken')
    assert.deepEqual(lost.changes.map(c => c.change), ['lost'])
    assert.deepEqual(lost.starving, [{ dest: 'D', seqno: 8 }])
    // D answers with a newer seqno; now C's route is feasible.
    applyAdverts(s, 'C', [{ dest: 'D', seqno: 8, metric: 600, hops: 3 }], 2, rules)
    assert.equal(nextHop(s, 'D'), 'C')
  })

  it('behavior: poison reverse towards the next hop; retracted destinations advertised as unreachable', () => {
    const s = createRoutingState('A', 3)
    setLinkCost(s, 'B', 256, 0, rules)
    setLinkCost(s, 'C', 256, 0, rules)
    applyAdverts(s, 'B', [{ dest: 'D', seqno: 1, metric: 256, hops: 1 }], 0, rules)
    assert.deepEqual(advertisements(s, 'C'), [{ dest: 'A', seqno: 3, metric: 0, hops: 0 }, { dest: 'D', seqno: 1, metric: 512, hops: 2 }])
    assert.deepEqual(advertisements(s, 'B')[1], { dest: 'D', seqno: 1, metric: INF, hops: 2 })
    applyAdverts(s, 'B', [{ dest: 'D', seqno: 1, metric: INF, hops: 0 }], 1, rules)
    assert.deepEqual(advertisements(s, 'C')[1], { dest: 'D', seqno: 1, metric: INF, hops: 0 })
    expire(s, 1 + rules.retractMs, rules)
    assert.equal(advertisements(s, 'C').length, 1, 'the retraction stops after retractMs')
  })

  it('behavior: routes not refreshed within the hold time expire', () => {
    const s = createRoutingState('A')
    setLinkCost(s, 'B', 256, 0, rules)
    applyAdverts(s, 'B', [{ dest: 'B', seqno: 1, metric: 0, hops: 0 }], 0, rules)
    assert.deepEqual(expire(s, rules.holdMs - 1, rules).changes, [])
    assert.deepEqual(expire(s, rules.holdMs, rules).changes.map(c => `${c.change}:${c.reason}`), ['lost:not refreshed'])
    assert.equal(s.entries.size, 0)
  })

  it('behavior: a link cost change re-weighs every route through that neighbour', () => {
    const s = createRoutingState('A')
    setLinkCost(s, 'B', 256, 0, rules)
    setLinkCost(s, 'C', 1000, 0, rules)
    applyAdverts(s, 'B', [{ dest: 'D', seqno: 1, metric: 256, hops: 1 }], 0, rules)
    applyAdverts(s, 'C', [{ dest: 'D', seqno: 2, metric: 0, hops: 0 }], 0, rules)
    assert.equal(nextHop(s, 'D'), 'B', 'B\'s older route is still feasible and cheaper (512 < 1000)')
    const gone = setLinkCost(s, 'B', INF, 1, rules)
    assert.deepEqual(gone.changes.map(c => `${c.change} ${c.from?.nextHop}>${c.to?.nextHop}`), ['changed B>C'])
    const r = setLinkCost(s, 'C', 300, 2, rules)
    assert.equal(routeViews(s, 2)[0]?.metric, 300)
    assert.deepEqual(r.changes, [], 'same next hop: only the metric moved')
  })

  it('behavior: after a restart our own seqno jumps past what neighbours remember', () => {
    const s = createRoutingState('A', 0)
    setLinkCost(s, 'B', 256, 0, rules)
    const r = applyAdverts(s, 'B', [{ dest: 'A', seqno: 41, metric: 256, hops: 1 }], 0, rules)
    assert.equal(r.selfBumped, true)
    assert.equal(s.seqno, 42)
    assert.equal(s.entries.has('A'), false, 'no route to ourselves')
  })

  it('behavior: seqno requests are answered, forwarded or dropped', () => {
    const s = createRoutingState('A', 5)
    assert.deepEqual(onSeqnoRequest(s, 'B', { dest: 'A', seqno: 9, hopCount: 4 }, 0, rules), { type: 'advertise' })
    assert.equal(s.seqno, 9)
    assert.deepEqual(onSeqnoRequest(s, 'B', { dest: 'A', seqno: 3, hopCount: 4 }, 0, rules), { type: 'advertise' })
    assert.equal(s.seqno, 9, 'an old request gets an update but does not move the seqno')
    setLinkCost(s, 'C', 256, 0, rules)
    applyAdverts(s, 'C', [{ dest: 'D', seqno: 2, metric: 0, hops: 0 }], 0, rules)
    assert.deepEqual(onSeqnoRequest(s, 'B', { dest: 'D', seqno: 2, hopCount: 4 }, 0, rules), { type: 'advertise' })
    assert.deepEqual(onSeqnoRequest(s, 'B', { dest: 'D', seqno: 3, hopCount: 1 }, 0, rules), { type: 'drop' })
    assert.deepEqual(onSeqnoRequest(s, 'C', { dest: 'D', seqno: 3, hopCount: 4 }, 0, rules), { type: 'drop' }, 'never back to the asker')
    assert.deepEqual(onSeqnoRequest(s, 'B', { dest: 'D', seqno: 3, hopCount: 4 }, 0, rules), { type: 'forward', to: 'C', hopCount: 3 })
    assert.deepEqual(onSeqnoRequest(s, 'E', { dest: 'D', seqno: 3, hopCount: 4 }, 100, rules), { type: 'drop' }, 'the same request is forwarded once per retry period')
    assert.deepEqual(onSeqnoRequest(s, 'E', { dest: 'D', seqno: 3, hopCount: 4 }, 2_100, rules), { type: 'forward', to: 'C', hopCount: 3 })
    assert.deepEqual(onSeqnoRequest(s, 'B', { dest: 'Z', seqno: 1, hopCount: 4 }, 0, rules), { type: 'drop' })
  })
})
