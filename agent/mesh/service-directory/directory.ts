/**
 * The service directory as pure functions over plain state: which box plays which role, until
 * when, and which provider of a role is nearest by route metric. Sequence numbers are remembered
 * for a while after an entry expires, so an old announcement replayed by some box cannot bring
 * an expired entry back, nor roll a live one back to what it said earlier.
 */
import { METRIC_INFINITY } from '../routing/seqno.js'
import type { Announcement } from './announcement.js'

export interface DirectoryEntry { peerId: string, roles: string[], seq: number, receivedAtMs: number, expiresAtMs: number }

export interface DirectoryState {
  entries: Map<string, DirectoryEntry>
  /** Last seq per peer, kept one more lifetime past the entry's expiry. */
  seqs: Map<string, { seq: number, forgetAtMs: number }>
  /** Most peers tracked; announcements from further new peers are refused. */
  maxPeers: number
}

/** `refreshed`: nothing a reader would see changed, only the expiry moved. */
export type ApplyResult = 'added' | 'changed' | 'withdrawn' | 'refreshed' | 'stale' | 'full'

export interface RouteLike { destination: string, nextHop: string, metric: number, hops: number }

export interface ProviderView {
  peerId: string
  self: boolean
  /** A route exists (or it is this box): only reachable providers can be nearest. */
  reachable: boolean
  metric: number | null
  hops: number | null
  nextHop: string | null
  seq: number | null
  ageMs: number
  expiresInMs: number | null
}

export interface RoleView { role: string, providers: ProviderView[], nearest: ProviderView | null }

export function createDirectoryState (maxPeers: number): DirectoryState {
  return { entries: new Map(), seqs: new Map(), maxPeers }
}

/** False when `seq` is not newer than the last one remembered for `peerId` (a replay, or out of order). */
export function isNewer (s: DirectoryState, peerId: string, seq: number, now: number): boolean {
  const last = s.seqs.get(peerId)
  return last === undefined || last.forgetAtMs <= now || seq > last.seq
}

export function applyAnnouncement (s: DirectoryState, a: Announcement, now: number): ApplyResult {
  if (!isNewer(s, a.peerId, a.seq, now)) return 'stale'
  if (!s.seqs.has(a.peerId) && s.seqs.size >= s.maxPeers) {
    expireEntries(s, now)
    if (s.seqs.size >= s.maxPeers) return 'full'
  }
  const before = s.entries.get(a.peerId)
  const expiresAtMs = now + a.lifetimeMs
  s.seqs.set(a.peerId, { seq: a.seq, forgetAtMs: expiresAtMs + a.lifetimeMs })
  if (a.roles.length === 0) {
    // An empty list withdraws the box's roles at once (sent when a box starts without any).
    s.entries.delete(a.peerId)
    return before === undefined ? 'refreshed' : 'withdrawn'
  }
  s.entries.set(a.peerId, { peerId: a.peerId, roles: [...a.roles].sort(), seq: a.seq, receivedAtMs: now, expiresAtMs })
  if (before === undefined) return 'added'
  return before.roles.join(',') === [...a.roles].sort().join(',') ? 'refreshed' : 'changed'
}

/** Drops entries not refreshed within their lifetime; returns them. Forgets old sequence numbers. */
export function expireEntries (s: DirectoryState, now: number): DirectoryEntry[] {
  const gone: DirectoryEntry[] = []
  for (const [peer, e] of s.entries) {
    if (e.expiresAtMs <= now) {
      s.entries.delete(peer)
      gone.push(e)
    }
  }
  for (const [peer, x] of s.seqs) if (x.forgetAtMs <= now) s.seqs.delete(peer)
  return gone
}

const byNearness = (a: ProviderView, b: ProviderView): number =>
  Number(b.reachable) - Number(a.reachable) || (a.metric ?? Infinity) - (b.metric ?? Infinity) ||
  (a.hops ?? Infinity) - (b.hops ?? Infinity) || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)

/**
 * Every role with its providers, nearest first: this box itself counts as metric 0; another
 * box is reachable when the routing table has a finite route to it. Roles sorted by name.
 */
export function directoryView (s: DirectoryState, self: { peerId: string, roles: readonly string[] }, routes: readonly RouteLike[], now: number): RoleView[] {
  const routeTo = new Map(routes.filter(r => r.metric < METRIC_INFINITY).map(r => [r.destination, r]))
  const byRole = new Map<string, ProviderView[]>()
  const add = (role: string, p: ProviderView): void => { byRole.set(role, [...(byRole.get(role) ?? []), p]) }
  for (const role of self.roles) {
    add(role, { peerId: self.peerId, self: true, reachable: true, metric: 0, hops: 0, nextHop: null, seq: null, ageMs: 0, expiresInMs: null })
  }
  for (const e of s.entries.values()) {
    if (e.expiresAtMs <= now || e.peerId === self.peerId) continue
    const r = routeTo.get(e.peerId)
    for (const role of e.roles) {
      add(role, {
        peerId: e.peerId,
        self: false,
        reachable: r !== undefined,
        metric: r?.metric ?? null,
        hops: r?.hops ?? null,
        nextHop: r?.nextHop ?? null,
        seq: e.seq,
        ageMs: now - e.receivedAtMs,
        expiresInMs: e.expiresAtMs - now
      })
    }
  }
  return [...byRole.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([role, providers]) => {
    const sorted = providers.sort(byNearness)
    return { role, providers: sorted, nearest: sorted.find(p => p.reachable) ?? null }
  })
}
