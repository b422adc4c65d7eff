/**
 * The routing decision, as pure functions over plain state (Babel, RFC 8966, simplified to one
 * router id per box and no prefixes). Each box originates a route to itself with a sequence
 * number; neighbours advertise (destination, seqno, metric); a route is only used when it is
 * feasible: newer seqno than our feasibility distance, or same seqno and a strictly smaller
 * metric. That keeps routes loop-free at every instant, even while updates arrive out of order.
 */
import { feasible, METRIC_INFINITY, seqnoLess, seqnoNext } from './seqno.js'

export interface Advert { dest: string, seqno: number, metric: number, hops: number }

export interface RouteEntry {
  dest: string
  neighbour: string
  seqno: number
  /** The metric the neighbour advertised (its own distance). */
  advMetric: number
  /** advMetric + our link cost to the neighbour. */
  metric: number
  hops: number
  updatedAtMs: number
  expiresAtMs: number
}

export interface RoutingState {
  self: string
  seqno: number
  /** dest → neighbour → what that neighbour last advertised. */
  entries: Map<string, Map<string, RouteEntry>>
  /** Feasibility distance per destination. */
  fd: Map<string, { seqno: number, metric: number, atMs: number }>
  /** dest → neighbour whose route is in use, since when, and its metric and seqno when last chosen. */
  selected: Map<string, { neighbour: string, sinceMs: number, metric: number, seqno: number }>
  /** Destinations lost recently: advertised with an infinite metric until the time given. */
  retracted: Map<string, number>
  linkCosts: Map<string, number>
  /** Seqno requests we sent recently, per destination: not repeated within requestRetryMs. */
  requests: Map<string, { seqno: number, atMs: number }>
  /** Seqno requests we forwarded for others, kept apart so our own asking never swallows theirs. */
  forwarded: Map<string, { seqno: number, atMs: number }>
}

export interface RoutingRules {
  /** An advert not refreshed within this time is dropped. */
  holdMs: number
  /** How long a lost destination is still advertised as unreachable. */
  retractMs: number
  /** A new next hop must beat the current one by this fraction of its metric. */
  hysteresis: number
  /** Feasibility distances of destinations we have no route to are forgotten after this. */
  fdGcMs: number
  /** A seqno request for the same destination is not repeated sooner than this. */
  requestRetryMs: number
}

export interface RouteChange {
  atMs: number
  destination: string
  change: 'added' | 'changed' | 'lost'
  from?: { nextHop: string, metric: number }
  to?: { nextHop: string, metric: number }
  reason: string
}

export interface UpdateResult {
  changes: RouteChange[]
  /** Destinations for which only unfeasible routes remain: ask for a newer seqno. */
  starving: Array<{ dest: string, seqno: number }>
  /** Our own seqno went up (someone still remembered a newer one of ours): advertise at once. */
  selfBumped: boolean
  /** Destinations whose route in use now carries a newer seqno: pass it on at once. */
  refreshed: string[]
}

export function createRoutingState (self: string, seqno = 0): RoutingState {
  return { self, seqno, entries: new Map(), fd: new Map(), selected: new Map(), retracted: new Map(), linkCosts: new Map(), requests: new Map(), forwarded: new Map() }
}

const emptyResult = (): UpdateResult => ({ changes: [], starving: [], selfBumped: false, refreshed: [] })

function selectedEntry (s: RoutingState, dest: string): RouteEntry | undefined {
  const sel = s.selected.get(dest)
  return sel === undefined ? undefined : s.entries.get(dest)?.get(sel.neighbour)
}

/** Picks the best feasible route for `dest`, updates the feasibility distance, reports changes. */
export function reselect (s: RoutingState, dest: string, now: number, rules: RoutingRules, reason: string, out: UpdateResult): void {
  const fd = s.fd.get(dest)
  const all = [...(s.entries.get(dest)?.values() ?? [])].filter(e => e.metric < METRIC_INFINITY)
  const usable = all.filter(e => feasible(fd, e.seqno, e.advMetric))
  const prev = s.selected.get(dest)
  const current = selectedEntry(s, dest)
  const currentUsable = current !== undefined && usable.includes(current)
  let best: RouteEntry | undefined
  for (const e of usable) {
    if (best === undefined || e.metric < best.metric || (e.metric === best.metric && e.neighbour < best.neighbour)) best = e
  }
  if (currentUsable && best !== undefined && current.metric <= best.metric * (1 + rules.hysteresis)) best = current
  // No feasible route, or a better one we may not use yet: ask the origin for a newer seqno
  // (RFC 8966 §3.8.2), which makes the better route feasible without risking a loop. A better
  // route that is merely behind on seqnos needs no request: the newer seqno is on its way to it,
  // and asking would only start another round of catching up.
  const blocked = (e: RouteEntry): boolean => !usable.includes(e) && (best === undefined || (e.metric < best.metric && e.seqno === fd?.seqno))
  if (all.some(blocked)) {
    const seqno = seqnoNext(fd?.seqno ?? 0)
    const asked = s.requests.get(dest)
    if (asked === undefined || seqnoLess(asked.seqno, seqno) || now - asked.atMs >= rules.requestRetryMs) {
      s.requests.set(dest, { seqno, atMs: now })
      out.starving.push({ dest, seqno })
    }
  }
  if (best === undefined) {
    if (prev !== undefined) {
      s.selected.delete(dest)
      s.retracted.set(dest, now + rules.retractMs)
      out.changes.push({ atMs: now, destination: dest, change: 'lost', from: { nextHop: prev.neighbour, metric: prev.metric }, reason })
    }
    return
  }
  if (prev === undefined || best.neighbour !== prev.neighbour) {
    s.selected.set(dest, { neighbour: best.neighbour, sinceMs: now, metric: best.metric, seqno: best.seqno })
    s.retracted.delete(dest)
    out.changes.push(prev === undefined
      ? { atMs: now, destination: dest, change: 'added', to: { nextHop: best.neighbour, metric: best.metric }, reason }
      : { atMs: now, destination: dest, change: 'changed', from: { nextHop: prev.neighbour, metric: prev.metric }, to: { nextHop: best.neighbour, metric: best.metric }, reason })
  } else {
    prev.metric = best.metric
    if (prev.seqno !== best.seqno) {
      prev.seqno = best.seqno
      out.refreshed.push(dest)
    }
  }
  // We are about to advertise `best`: the feasibility distance may only get better (RFC 8966 §3.5.1).
  if (fd === undefined || seqnoLess(fd.seqno, best.seqno)) s.fd.set(dest, { seqno: best.seqno, metric: best.metric, atMs: now })
  else if (best.seqno === fd.seqno && best.metric < fd.metric) s.fd.set(dest, { seqno: fd.seqno, metric: best.metric, atMs: now })
  else fd.atMs = now
}

/** Adverts from one neighbour (a periodic or triggered update). */
export function applyAdverts (s: RoutingState, neighbour: string, adverts: Advert[], now: number, rules: RoutingRules): UpdateResult {
  const out = emptyResult()
  const cost = s.linkCosts.get(neighbour) ?? METRIC_INFINITY
  if (cost >= METRIC_INFINITY) return out
  for (const a of adverts) {
    if (a.dest === s.self) {
      // After a restart our seqno starts low while neighbours remember a newer one: jump past it.
      if (seqnoLess(s.seqno, a.seqno)) {
        s.seqno = seqnoNext(a.seqno)
        out.selfBumped = true
      }
      continue
    }
    let byNeighbour = s.entries.get(a.dest)
    const existing = byNeighbour?.get(neighbour)
    if (a.metric >= METRIC_INFINITY) {
      if (existing === undefined) continue
      byNeighbour?.delete(neighbour)
      reselect(s, a.dest, now, rules, `retracted by ${neighbour}`, out)
      continue
    }
    if (byNeighbour === undefined) {
      byNeighbour = new Map()
      s.entries.set(a.dest, byNeighbour)
    }
    const metric = Math.min(METRIC_INFINITY, a.metric + cost)
    byNeighbour.set(neighbour, { dest: a.dest, neighbour, seqno: a.seqno, advMetric: a.metric, metric, hops: a.hops + 1, updatedAtMs: now, expiresAtMs: now + rules.holdMs })
    reselect(s, a.dest, now, rules, existing === undefined ? `advertised by ${neighbour}` : `update from ${neighbour}`, out)
  }
  return out
}

/** The measured cost of the link to a neighbour changed (METRIC_INFINITY: the link is gone). */
export function setLinkCost (s: RoutingState, neighbour: string, cost: number, now: number, rules: RoutingRules): UpdateResult {
  const out = emptyResult()
  const before = s.linkCosts.get(neighbour)
  if (before === cost) return out
  if (cost >= METRIC_INFINITY) s.linkCosts.delete(neighbour)
  else s.linkCosts.set(neighbour, cost)
  for (const [dest, byNeighbour] of s.entries) {
    const e = byNeighbour.get(neighbour)
    if (e === undefined) continue
    if (cost >= METRIC_INFINITY) byNeighbour.delete(neighbour)
    else e.metric = Math.min(METRIC_INFINITY, e.advMetric + cost)
    reselect(s, dest, now, rules, cost >= METRIC_INFINITY ? `link to ${neighbour} lost` : `link cost to ${neighbour} now ${cost}`, out)
  }
  return out
}

/** Drops adverts past their hold time and forgets stale feasibility distances. */
export function expire (s: RoutingState, now: number, rules: RoutingRules): UpdateResult {
  const out = emptyResult()
  for (const [dest, byNeighbour] of s.entries) {
    let dropped = false
    for (const [neighbour, e] of byNeighbour) {
      if (e.expiresAtMs <= now) {
        byNeighbour.delete(neighbour)
        dropped = true
      }
    }
    if (dropped) reselect(s, dest, now, rules, 'not refreshed', out)
    if (byNeighbour.size === 0) s.entries.delete(dest)
  }
  for (const [dest, until] of s.retracted) if (until <= now) s.retracted.delete(dest)
  for (const [dest, fd] of s.fd) if (!s.selected.has(dest) && now - fd.atMs > rules.fdGcMs) s.fd.delete(dest)
  for (const m of [s.requests, s.forwarded]) for (const [dest, r] of m) if (now - r.atMs > rules.requestRetryMs) m.delete(dest)
  return out
}

/** What we tell one neighbour: ourselves, every selected route (poisoned back to its next hop), recent losses. */
export function advertisements (s: RoutingState, to: string): Advert[] {
  const out: Advert[] = [{ dest: s.self, seqno: s.seqno, metric: 0, hops: 0 }]
  for (const [dest, sel] of s.selected) {
    const e = s.entries.get(dest)?.get(sel.neighbour)
    if (e === undefined) continue
    out.push({ dest, seqno: e.seqno, metric: sel.neighbour === to ? METRIC_INFINITY : e.metric, hops: e.hops })
  }
  for (const dest of s.retracted.keys()) {
    if (!s.selected.has(dest)) out.push({ dest, seqno: s.fd.get(dest)?.seqno ?? 0, metric: METRIC_INFINITY, hops: 0 })
  }
  return out
}

export type SeqnoRequestAction =
  | { type: 'advertise' }
  | { type: 'forward', to: string, hopCount: number }
  | { type: 'drop' }

/** A neighbour asks for a route to `dest` with a seqno at least `seqno` (starvation recovery). */
export function onSeqnoRequest (s: RoutingState, from: string, req: { dest: string, seqno: number, hopCount: number }, now: number, rules: RoutingRules): SeqnoRequestAction {
  if (req.dest === s.self) {
    // Only a request for a newer seqno moves ours: old or repeated requests just get an update.
    if (seqnoLess(s.seqno, req.seqno)) s.seqno = req.seqno
    return { type: 'advertise' }
  }
  const e = selectedEntry(s, req.dest)
  if (e !== undefined && !seqnoLess(e.seqno, req.seqno)) return { type: 'advertise' }
  if (req.hopCount <= 1) return { type: 'drop' }
  const asked = s.forwarded.get(req.dest)
  if (asked !== undefined && !seqnoLess(asked.seqno, req.seqno) && now - asked.atMs < rules.requestRetryMs) return { type: 'drop' }
  const via = e?.neighbour ?? [...(s.entries.get(req.dest)?.values() ?? [])].filter(x => x.neighbour !== from).sort((a, b) => a.metric - b.metric)[0]?.neighbour
  if (via === undefined || via === from) return { type: 'drop' }
  s.forwarded.set(req.dest, { seqno: req.seqno, atMs: now })
  return { type: 'forward', to: via, hopCount: req.hopCount - 1 }
}

export interface RouteView {
  destination: string
  nextHop: string
  metric: number
  hops: number
  seqno: number
  ageMs: number
  learnedFrom: string
  selectedForMs: number
}

export function routeViews (s: RoutingState, now: number): RouteView[] {
  const rows: RouteView[] = []
  for (const [dest, sel] of s.selected) {
    const e = s.entries.get(dest)?.get(sel.neighbour)
    if (e === undefined) continue
    rows.push({ destination: dest, nextHop: e.neighbour, metric: e.metric, hops: e.hops, seqno: e.seqno, ageMs: now - e.updatedAtMs, learnedFrom: e.neighbour, selectedForMs: now - sel.sinceMs })
  }
  return rows.sort((a, b) => a.metric - b.metric || (a.destination < b.destination ? -1 : 1))
}

export function nextHop (s: RoutingState, dest: string): string | undefined {
  return s.selected.get(dest)?.neighbour
}
