/**
 * Link cost for routing, from what the neighbour table measures. ETX-like: a clean link costs
 * 256 (one "hop"), loss makes it dearer as 1/(1-loss)² (a frame and its acknowledgement must both
 * arrive), round-trip time adds a little, and a new (or just-returned, i.e. flapping) link starts
 * expensive and becomes cheap as it proves itself. A relayed link really is two links and a box
 * in the middle: it pays both hops' loss and warm-up plus the relay's overhead, so a route over
 * the same boxes' direct links always wins and relayed links carry traffic only where they are
 * all there is.
 */
import { METRIC_INFINITY } from './seqno.js'

export interface LinkFacts {
  kind: 'direct' | 'relayed'
  state: 'up' | 'lost'
  rttMs: number | null
  lossPct: number
  /** How long the link has been up without interruption. */
  upForMs: number
  /**
   * For a relayed link, the cost of our own direct link to its relay, when we have one. A relayed
   * link's probes can look cleaner than the direct links they ride on (they are measured apart,
   * and under CPU load loss shows up unevenly), so its cost never drops below that link plus a
   * clean hop plus the relay's overhead.
   */
  viaCost?: number
}

export const HOP_COST = 256
/**
 * What a relay box adds on top of the two links it joins: two hops' worth, so that even with the
 * switching hysteresis a relayed link never holds a route that the same boxes' direct links offer.
 */
export const RELAY_OVERHEAD_COST = 512
/**
 * RTT penalty as in Babel's RTT extension: nothing below RTT_MIN_MS, rising linearly to
 * MAX_RTT_COST at RTT_MAX_MS. Latency breaks ties and steers away from slow links, but a CPU
 * hiccup on a box (which shows up as a few hundred ms of RTT) cannot reroute the mesh.
 */
export const RTT_MIN_MS = 10
export const RTT_MAX_MS = 120
export const MAX_RTT_COST = 150
/** A link younger than this pays a penalty that shrinks linearly to zero. */
export const WARM_UP_MS = 10_000
export const NEW_LINK_PENALTY = 512
/** Loss above this makes the link unusable. */
export const MAX_USABLE_LOSS_PCT = 90

export function linkCost (l: LinkFacts): number {
  if (l.state !== 'up' || l.lossPct >= MAX_USABLE_LOSS_PCT) return METRIC_INFINITY
  const delivery = 1 - l.lossPct / 100
  const etx = 1 / (delivery * delivery)
  const rttMs = l.rttMs ?? RTT_MAX_MS
  const rtt = MAX_RTT_COST * Math.min(1, Math.max(0, (rttMs - RTT_MIN_MS) / (RTT_MAX_MS - RTT_MIN_MS)))
  const warmUp = l.upForMs >= WARM_UP_MS ? 0 : NEW_LINK_PENALTY * (1 - Math.max(0, l.upForMs) / WARM_UP_MS)
  const links = l.kind === 'relayed' ? 2 : 1
  const relay = l.kind === 'relayed' ? RELAY_OVERHEAD_COST : 0
  const measured = links * (HOP_COST * etx + warmUp) + rtt + relay
  const floor = l.kind === 'relayed' && l.viaCost !== undefined ? l.viaCost + HOP_COST + RELAY_OVERHEAD_COST : 0
  return Math.min(METRIC_INFINITY - 1, Math.max(1, Math.round(Math.max(measured, floor))))
}
