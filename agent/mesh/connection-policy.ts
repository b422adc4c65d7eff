/**
 * One connection per pair. Simultaneous dials (mDNS on both sides, DHT queries, relay
 * reservations) can leave two connections between the same boxes. Both ends run this same
 * decision on the same facts, so they agree on the survivor without talking: prefer a direct
 * connection to a relayed one, then the one the lower peer id dialled, then the oldest.
 */
export interface ConnectionChoice {
  id: string
  direction: 'inbound' | 'outbound'
  relayed: boolean
  openedAtMs: number
}

/** Ids of the connections to close; empty when at most one is open. */
export function redundantConnections (selfId: string, remoteId: string, conns: ConnectionChoice[]): string[] {
  if (conns.length < 2) return []
  const lowerDialled = (c: ConnectionChoice): boolean => (selfId < remoteId) === (c.direction === 'outbound')
  const rank = (c: ConnectionChoice): [number, number, number] => [c.relayed ? 1 : 0, lowerDialled(c) ? 0 : 1, c.openedAtMs]
  const sorted = [...conns].sort((a, b) => {
    const ra = rank(a)
    const rb = rank(b)
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2]
  })
  return sorted.slice(1).map(c => c.id)
}
