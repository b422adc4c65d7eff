import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  applyAnnouncement, createDirectoryState, directoryView, expireEntries, isNewer, type RouteLike
} from '../../agent/mesh/service-directory/directory.js'

const SELF = '12D3KooWSELFxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'
const A = '12D3KooWRtABrymdTjL2X8yPk6DENwuus1pxDHGDrFEChuc1YYP9'
const B = '12D3KooWRimXaHDsm139CahkuEp6LE3eYFp3CKGvBhKQWxvdWfWu'
const C = '12D3KooWCCCCxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'
const ann = (peerId: string, seq: number, roles: string[], lifetimeMs = 10_000) => ({ peerId, seq, lifetimeMs, roles })
const route = (destination: string, metric: number, hops: number): RouteLike => ({ destination, nextHop: `next-of-${destination.slice(-4)}`, metric, hops })

describe('service directory: entries, sequence numbers, expiry', () => {
  it('default: an announcement adds an entry; the same roles again only refresh it; new roles change it', () => {
    const s = createDirectoryState(10)
    assert.equal(applyAnnouncement(s, ann(A, 1, ['monitor', 'uplink-gateway']), 0), 'added')
    assert.equal(applyAnnouncement(s, ann(A, 2, ['uplink-gateway', 'monitor']), 100), 'refreshed', 'order of roles does not matter')
    assert.equal(s.entries.get(A)?.expiresAtMs, 10_100)
    assert.equal(applyAnnouncement(s, ann(A, 3, ['monitor']), 200), 'changed')
    assert.deepEqual(s.entries.get(A)?.roles, ['monitor'])
    assert.equal(applyAnnouncement(s, ann(A, 4, []), 300), 'withdrawn')
    assert.equal(s.entries.has(A), false)
    assert.equal(applyAnnouncement(s, ann(B, 1, []), 300), 'refreshed', 'a withdrawal for an unknown box changes nothing')
  })

  it('behavior: a replayed or reordered announcement (seq not newer) is stale and changes nothing', () => {
    const s = createDirectoryState(10)
    applyAnnouncement(s, ann(A, 5, ['monitor']), 0)
    assert.equal(isNewer(s, A, 5, 1), false)
    assert.equal(isNewer(s, A, 4, 1), false)
    assert.equal(isNewer(s, A, 6, 1), true)
    assert.equal(applyAnnouncement(s, ann(A, 5, ['uplink-gateway']), 1), 'stale')
    assert.equal(applyAnnouncement(s, ann(A, 3, []), 2), 'stale', 'an old withdrawal cannot remove a newer entry')
    assert.deepEqual(s.entries.get(A)?.roles, ['monitor'])
    assert.equal(s.entries.get(A)?.expiresAtMs, 10_000, 'a stale copy does not refresh the entry either')
  })

  it('behavior: entries expire when not refreshed within their lifetime, and only then', () => {
    const s = createDirectoryState(10)
    applyAnnouncement(s, ann(A, 1, ['monitor'], 5_000), 0)
    applyAnnouncement(s, ann(B, 1, ['monitor'], 5_000), 0)
    applyAnnouncement(s, ann(B, 2, ['monitor'], 5_000), 4_000)
    assert.deepEqual(expireEntries(s, 4_999).map(e => e.peerId), [])
    assert.deepEqual(expireEntries(s, 5_000).map(e => e.peerId), [A])
    assert.deepEqual([...s.entries.keys()], [B])
    assert.deepEqual(expireEntries(s, 9_000).map(e => e.peerId), [B])
  })

  it('behavior: after expiry the last seq is remembered one more lifetime, so a replay cannot revive the entry', () => {
    const s = createDirectoryState(10)
    applyAnnouncement(s, ann(A, 7, ['monitor'], 5_000), 0)
    expireEntries(s, 6_000)
    assert.equal(s.entries.has(A), false)
    assert.equal(applyAnnouncement(s, ann(A, 7, ['monitor'], 5_000), 6_000), 'stale', 'replay inside the memory window')
    assert.equal(s.entries.has(A), false)
    assert.equal(applyAnnouncement(s, ann(A, 8, ['monitor'], 5_000), 6_000), 'added', 'a fresh announcement is welcome')
    // Long after, the box restarted with a lower seq (its store was lost): it is heard again.
    expireEntries(s, 30_000)
    assert.equal(s.seqs.has(A), false)
    assert.equal(applyAnnouncement(s, ann(A, 1, ['monitor'], 5_000), 30_000), 'added')
  })

  it('error: past maxPeers new boxes are refused, known ones still refresh', () => {
    const s = createDirectoryState(2)
    applyAnnouncement(s, ann(A, 1, ['monitor']), 0)
    applyAnnouncement(s, ann(B, 1, ['monitor']), 0)
    assert.equal(applyAnnouncement(s, ann(C, 1, ['monitor']), 1), 'full')
    assert.equal(s.entries.has(C), false)
    assert.equal(applyAnnouncement(s, ann(A, 2, ['monitor']), 1), 'refreshed')
    assert.equal(applyAnnouncement(s, ann(C, 1, ['monitor']), 30_000), 'added', 'room again once the others are forgotten')
  })
})

describe('service directory: nearest provider by route metric', () => {
  it('default: providers are listed per role, nearest (lowest metric) first', () => {
    const s = createDirectoryState(10)
    applyAnnouncement(s, ann(A, 1, ['uplink-gateway', 'monitor']), 0)
    applyAnnouncement(s, ann(B, 1, ['uplink-gateway']), 1_000)
    const view = directoryView(s, { peerId: SELF, roles: [] }, [route(A, 700, 3), route(B, 300, 1)], 2_000)
    assert.deepEqual(view.map(r => r.role), ['monitor', 'uplink-gateway'])
    const gw = view.find(r => r.role === 'uplink-gateway')
    assert.deepEqual(gw?.providers.map(p => [p.peerId, p.metric, p.hops]), [[B, 300, 1], [A, 700, 3]])
    assert.equal(gw?.nearest?.peerId, B)
    assert.equal(gw?.nearest?.nextHop, 'next-of-' + B.slice(-4))
    assert.equal(gw?.nearest?.ageMs, 1_000)
    assert.equal(gw?.nearest?.expiresInMs, 9_000)
    assert.equal(view.find(r => r.role === 'monitor')?.nearest?.peerId, A)
  })

  it('behavior: the metric decides, not the hop count; equal metrics fall back to hops, then peer id', () => {
    const s = createDirectoryState(10)
    applyAnnouncement(s, ann(A, 1, ['monitor']), 0)
    applyAnnouncement(s, ann(B, 1, ['monitor']), 0)
    const nearest = (routes: RouteLike[]): string | undefined => directoryView(s, { peerId: SELF, roles: [] }, routes, 0)[0]?.nearest?.peerId
    assert.equal(nearest([route(A, 900, 1), route(B, 600, 2)]), B, 'two cheap hops beat one lossy hop')
    assert.equal(nearest([route(A, 600, 3), route(B, 600, 2)]), B)
    assert.equal(nearest([route(A, 600, 2), route(B, 600, 2)]), A < B ? A : B)
  })

  it('behavior: this box counts as metric 0 for its own roles', () => {
    const s = createDirectoryState(10)
    applyAnnouncement(s, ann(A, 1, ['uplink-gateway']), 0)
    const gw = directoryView(s, { peerId: SELF, roles: ['uplink-gateway'] }, [route(A, 256, 1)], 0)[0]
    assert.equal(gw?.nearest?.peerId, SELF)
    assert.equal(gw?.nearest?.self, true)
    assert.equal(gw?.nearest?.metric, 0)
    assert.equal(gw?.providers.length, 2)
  })

  it('behavior: a provider without a route (or with an infinite one) is listed but never chosen', () => {
    const s = createDirectoryState(10)
    applyAnnouncement(s, ann(A, 1, ['monitor']), 0)
    applyAnnouncement(s, ann(B, 1, ['monitor']), 0)
    const only = directoryView(s, { peerId: SELF, roles: [] }, [route(B, 65_535, 2)], 0)[0]
    assert.deepEqual(only?.providers.map(p => [p.peerId, p.reachable, p.metric]), [[A, false, null], [B, false, null]].sort((x, y) => String(x[0]) < String(y[0]) ? -1 : 1))
    assert.equal(only?.nearest, null)
    const one = directoryView(s, { peerId: SELF, roles: [] }, [route(B, 2_000, 6)], 0)[0]
    assert.equal(one?.nearest?.peerId, B, 'far but reachable beats unreachable')
    assert.equal(one?.providers[1]?.peerId, A, 'unreachable ones are listed last')
  })

  it('behavior: expired entries never show, even before the expiry sweep runs', () => {
    const s = createDirectoryState(10)
    applyAnnouncement(s, ann(A, 1, ['monitor'], 5_000), 0)
    assert.deepEqual(directoryView(s, { peerId: SELF, roles: [] }, [route(A, 256, 1)], 5_000), [])
  })
})
