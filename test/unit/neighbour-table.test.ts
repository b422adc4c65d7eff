import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createNeighbourTable, markLost, neighbourView, observeLink, recordProbe, sweep, type LinkObservation, type TableRules } from '../../agent/mesh/neighbour-table.js'

const rules: TableRules = { rttSmoothing: 0.25, lossWindow: 4, lostAfterMs: 6_000, forgetAfterMs: 60_000 }
const link = (peerId: string, over: Partial<LinkObservation> = {}): LinkObservation =>
  ({ peerId, addresses: [`/ip4/10.77.1.2/tcp/4001/p2p/${peerId}`], interface: 'seg1', kind: 'direct', via: null, ...over })

describe('neighbour table', () => {
  it('default: a new link is added up with no RTT yet', () => {
    const t = createNeighbourTable()
    const change = observeLink(t, link('P'), 1000)
    assert.equal(change?.type, 'added')
    const n = t.get('P')
    assert.deepEqual({ state: n?.state, rttMs: n?.rttMs, lossPct: n?.lossPct, lastSeenMs: n?.lastSeenMs, firstSeenMs: n?.firstSeenMs }, { state: 'up', rttMs: null, lossPct: 0, lastSeenMs: 1000, firstSeenMs: 1000 })
    assert.equal(observeLink(t, link('P'), 1500), undefined, 'seeing it again changes nothing visible')
  })

  it('behavior: RTT is an EWMA seeded by the first sample', () => {
    const t = createNeighbourTable()
    observeLink(t, link('P'), 0)
    recordProbe(t, 'P', 10, 1, rules)
    assert.equal(t.get('P')?.rttMs, 10)
    recordProbe(t, 'P', 2, 2, rules)
    assert.equal(t.get('P')?.rttMs, 8) // 10 + 0.25 * (2 - 10)
    recordProbe(t, 'P', 0.4, 3, rules)
    assert.ok(Math.abs((t.get('P')?.rttMs ?? 0) - 6.1) < 1e-9)
  })

  it('behavior: loss is counted over the last lossWindow probes', () => {
    const t = createNeighbourTable()
    observeLink(t, link('P'), 0)
    for (const r of [1, null, null, 1]) recordProbe(t, 'P', r, 1, rules)
    assert.equal(t.get('P')?.lossPct, 50)
    for (const r of [1, 1]) recordProbe(t, 'P', r, 2, rules)
    assert.equal(t.get('P')?.lossPct, 25, 'old failures slide out of the window')
    assert.equal(t.get('P')?.probes.length, 4)
  })

  it('behavior: a failed probe does not refresh lastSeen; silence marks lost, then forgotten', () => {
    const t = createNeighbourTable()
    observeLink(t, link('P'), 0)
    recordProbe(t, 'P', null, 5_000, rules)
    assert.equal(t.get('P')?.lastSeenMs, 0)
    assert.deepEqual(sweep(t, 5_999, rules), [])
    const lost = sweep(t, 6_000, rules)
    assert.equal(lost[0]?.type, 'lost')
    assert.equal(t.get('P')?.state, 'lost')
    assert.deepEqual(sweep(t, 7_000, rules), [], 'lost is reported once')
    const gone = sweep(t, 60_000, rules)
    assert.deepEqual(gone, [{ type: 'forgotten', peerId: 'P' }])
    assert.equal(t.has('P'), false)
  })

  it('behavior: a lost neighbour comes back up on an answer or a new link', () => {
    const t = createNeighbourTable()
    observeLink(t, link('P'), 0)
    assert.equal(markLost(t, 'P', 100)?.type, 'lost')
    assert.equal(markLost(t, 'P', 200), undefined)
    assert.equal(recordProbe(t, 'P', 1, 300, rules)?.type, 'up')
    markLost(t, 'P', 400)
    assert.equal(observeLink(t, link('P', { kind: 'relayed', via: 'B', interface: null }), 500)?.type, 'up')
    assert.equal(t.get('P')?.kind, 'relayed')
    assert.equal(t.get('P')?.via, 'B')
  })

  it('behavior: unknown peers are ignored', () => {
    const t = createNeighbourTable()
    assert.equal(recordProbe(t, 'X', 1, 0, rules), undefined)
    assert.equal(markLost(t, 'X', 0), undefined)
  })

  it('behavior: the public view rounds RTT and hides probe history', () => {
    const t = createNeighbourTable()
    observeLink(t, link('P'), 0)
    recordProbe(t, 'P', 0.123456, 1, rules)
    const v = neighbourView(t.get('P') as NonNullable<ReturnType<typeof t.get>>)
    assert.equal(v.rttMs, 0.123)
    assert.equal('probes' in v, false)
  })
})
