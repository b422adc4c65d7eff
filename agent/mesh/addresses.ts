/**
 * Small address helpers shared by the mesh components: which of our interfaces a remote IPv4
 * address sits behind, what kind of link a connection is, and which announced addresses are
 * reachable on the interface they were heard on.
 */
import { networkInterfaces } from 'node:os'
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { LinkKind } from './neighbour-table.js'
import { inCidr } from './discovery/addresses.js'

/** Name of our interface whose IPv4 subnet holds `ip`, if any. */
export function interfaceForAddress (ip: string, ifaces = networkInterfaces()): string | null {
  for (const [name, addrs] of Object.entries(ifaces)) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && a.cidr !== null && inCidr(ip, a.cidr)) return name
    }
  }
  return null
}

export interface ConnectionFacts { kind: LinkKind, via: string | null, ip: string | null }

/** Reads a connection's remote address: relayed or direct, through which relay, from which IP. */
export function connectionFacts (conn: Pick<Connection, 'remoteAddr'>): ConnectionFacts {
  const parts = conn.remoteAddr.getComponents()
  const circuitAt = parts.findIndex(c => c.name === 'p2p-circuit')
  const ip = parts.find(c => c.name === 'ip4' || c.name === 'ip6')?.value ?? null
  if (circuitAt < 0) return { kind: 'direct', via: null, ip }
  const relay = parts.slice(0, circuitAt).findLast(c => c.name === 'p2p')?.value ?? null
  return { kind: 'relayed', via: relay, ip }
}

/** Keeps the addresses a neighbour heard on `cidr` can be dialled at: same subnet, or non-IP. */
export function addressesOnSubnet (addrs: Multiaddr[], cidr: string | undefined): Multiaddr[] {
  if (cidr === undefined) return addrs
  return addrs.filter(a => {
    const ip4 = a.getComponents().find(c => c.name === 'ip4')?.value
    if (ip4 !== undefined) return inCidr(ip4, cidr)
    return a.getComponents().every(c => c.name !== 'ip6') // IPv6 discovery is not done yet: skip
  })
}

/** What a set of connections to one peer amounts to: direct if any is, else the first relayed. */
export function bestLink (conns: Array<Pick<Connection, 'remoteAddr'>>): ConnectionFacts | undefined {
  const facts = conns.map(connectionFacts)
  return facts.find(f => f.kind === 'direct') ?? facts[0]
}
