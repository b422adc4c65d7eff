/**
 * The neighbour table: pure bookkeeping with an explicit clock, so every rule (RTT smoothing,
 * loss over a window, when a neighbour is lost or forgotten) is unit-tested without sockets.
 */
export type LinkKind = 'direct' | 'relayed'
export type NeighbourState = 'up' | 'lost'

export interface Neighbour {
  peerId: string
  addresses: string[]
  /** Our interface the link uses (null for relayed links or when unknown). */
  interface: string | null
  kind: LinkKind
  /** For relayed links: the relay's peer id. */
  via: string | null
  state: NeighbourState
  /** Smoothed round-trip time; null until the first probe answers. */
  rttMs: number | null
  lossPct: number
  /** Unix time (ms) of the last proof of life: a probe answer or a new connection. */
  lastSeenMs: number
  firstSeenMs: number
  /** Unix time (ms) the link last came up: a flapping link keeps looking new. */
  upSinceMs: number
  /** Outcomes of the last probes, newest last (true = answered). */
  probes: boolean[]
}

export interface TableRules {
  rttSmoothing: number
  lossWindow: number
  lostAfterMs: number
  forgetAfterMs: number
}

export type TableChange =
  | { type: 'added', neighbour: Neighbour }
  | { type: 'up', neighbour: Neighbour }
  | { type: 'lost', neighbour: Neighbour, silentMs: number }
  | { type: 'forgotten', peerId: string }

export interface LinkObservation {
  peerId: string
  addresses: string[]
  interface: string | null
  kind: LinkKind
  via: string | null
}

export type NeighbourTable = Map<string, Neighbour>

export function createNeighbourTable (): NeighbourTable {
  return new Map()
}

/** A live connection to the peer exists now. */
export function observeLink (table: NeighbourTable, link: LinkObservation, now: number): TableChange | undefined {
  const n = table.get(link.peerId)
  if (n === undefined) {
    const added: Neighbour = { ...link, state: 'up', rttMs: null, lossPct: 0, lastSeenMs: now, firstSeenMs: now, upSinceMs: now, probes: [] }
    table.set(link.peerId, added)
    return { type: 'added', neighbour: added }
  }
  Object.assign(n, link, { lastSeenMs: now })
  if (n.state === 'lost') {
    n.state = 'up'
    n.upSinceMs = now
    return { type: 'up', neighbour: n }
  }
  return undefined
}

function lossOf (probes: boolean[]): number {
  if (probes.length === 0) return 0
  const lost = probes.filter(p => !p).length
  return Math.round((lost / probes.length) * 1000) / 10
}

/** One probe finished: `rttMs` is the measured round trip, or null when it timed out or failed. */
export function recordProbe (table: NeighbourTable, peerId: string, rttMs: number | null, now: number, rules: TableRules): TableChange | undefined {
  const n = table.get(peerId)
  if (n === undefined) return undefined
  n.probes.push(rttMs !== null)
  if (n.probes.length > rules.lossWindow) n.probes.splice(0, n.probes.length - rules.lossWindow)
  n.lossPct = lossOf(n.probes)
  if (rttMs === null) return undefined
  n.rttMs = n.rttMs === null ? rttMs : n.rttMs + rules.rttSmoothing * (rttMs - n.rttMs)
  n.lastSeenMs = now
  if (n.state === 'lost') {
    n.state = 'up'
    n.upSinceMs = now
    return { type: 'up', neighbour: n }
  }
  return undefined
}

/** The link is known to be gone (connection closed and a redial failed). */
export function markLost (table: NeighbourTable, peerId: string, now: number): TableChange | undefined {
  const n = table.get(peerId)
  if (n === undefined || n.state === 'lost') return undefined
  n.state = 'lost'
  return { type: 'lost', neighbour: n, silentMs: now - n.lastSeenMs }
}

/** Applies the silence rules; returns what changed. */
export function sweep (table: NeighbourTable, now: number, rules: TableRules): TableChange[] {
  const changes: TableChange[] = []
  for (const [peerId, n] of table) {
    const silentMs = now - n.lastSeenMs
    if (n.state === 'up' && silentMs >= rules.lostAfterMs) {
      n.state = 'lost'
      changes.push({ type: 'lost', neighbour: n, silentMs })
    } else if (n.state === 'lost' && silentMs >= rules.forgetAfterMs) {
      table.delete(peerId)
      changes.push({ type: 'forgotten', peerId })
    }
  }
  return changes
}

/** The public view (API, CLI): figures rounded, probe history left out. */
export function neighbourView (n: Neighbour): Omit<Neighbour, 'probes'> {
  const { probes: _probes, ...rest } = n
  return { ...rest, rttMs: n.rttMs === null ? null : Math.round(n.rttMs * 1000) / 1000 }
}
