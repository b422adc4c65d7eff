/**
 * Small address helpers shared by the mesh components: which of our interfaces a remote IPv4
 * address sits behind, and what kind of link a connection is.
 */
import { networkInterfaces } from 'node:os'
import type { Connection } from '@libp2p/interface'
import type { LinkKind } from './neighbour-table.js'

export function ipv4ToInt (ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const v = Number(p)
    if (v > 255) return undefined
    n = (n * 256) + v
  }
  return n
}

/** True when `ip` lies in `cidr` (IPv4 only, e.g. 10.77.1.0/24). */
export function ipv4InCidr (ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/')
  const a = ipv4ToInt(ip)
  const b = base === undefined ? undefined : ipv4ToInt(base)
  const bits = Number(bitsText)
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false
  if (bits === 0) return true
  const size = 2 ** (32 - bits)
  return Math.floor(a / size) === Math.floor(b / size)
}

/** Name of our interface whose IPv4 subnet holds `ip`, if any. */
export function interfaceForAddress (ip: string, ifaces = networkInterfaces()): string | null {
  for (const [name, addrs] of Object.entries(ifaces)) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && a.cidr !== null && ipv4InCidr(ip, a.cidr)) return name
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
