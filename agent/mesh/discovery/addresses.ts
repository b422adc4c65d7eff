/**
 * Pure IPv4 subnet helpers: which of our addresses may be announced on an interface, and which
 * interface a packet belongs to. On Linux every multicast socket also receives the packets of the
 * other segments (IP_MULTICAST_ALL), so the source subnet is how we tag and de-duplicate them.
 */
import { CODE_IP4, CODE_P2P, CODE_P2P_CIRCUIT, multiaddr } from '@multiformats/multiaddr'
import { MAX_ANNOUNCED_ADDRESSES, MAX_TXT_STRING_BYTES } from './constants.js'
import type { DiscoveryInterface } from './types.js'
import type { Multiaddr } from '@multiformats/multiaddr'

interface Subnet { network: number, prefix: number }

/** '10.77.1.2' → 32-bit unsigned integer; undefined for anything that is not dotted-quad IPv4. */
export function parseIpv4 (ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    value = value * 256 + n
  }
  return value
}

function mask (prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

function parseSubnet (cidr: string): Subnet | undefined {
  const [ip, bits, extra] = cidr.split('/')
  if (ip === undefined || bits === undefined || extra !== undefined || !/^\d{1,2}$/.test(bits)) return undefined
  const prefix = Number(bits)
  const addr = parseIpv4(ip)
  if (addr === undefined || prefix > 32) return undefined
  return { network: (addr & mask(prefix)) >>> 0, prefix }
}

/** '10.77.1.2/24' → '10.77.1.0/24'; undefined when malformed. */
export function networkCidr (cidr: string): string | undefined {
  const subnet = parseSubnet(cidr)
  if (subnet === undefined) return undefined
  const n = subnet.network
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${subnet.prefix}`
}

/** True when `ip` lies inside `cidr` (either form, '10.77.1.0/24' or '10.77.1.2/24'). */
export function inCidr (ip: string, cidr: string): boolean {
  const subnet = parseSubnet(cidr)
  const addr = parseIpv4(ip)
  if (subnet === undefined || addr === undefined) return false
  return ((addr & mask(subnet.prefix)) >>> 0) === subnet.network
}

/**
 * The one interface that owns packets from `source`: the most specific subnet containing it,
 * ties broken by name, so two sockets never both handle the same packet.
 */
export function ownerInterface (source: string, interfaces: DiscoveryInterface[]): DiscoveryInterface | undefined {
  let best: { iface: DiscoveryInterface, prefix: number } | undefined
  for (const iface of interfaces) {
    if (!inCidr(source, iface.cidr)) continue
    const prefix = parseSubnet(iface.cidr)?.prefix ?? 0
    if (best === undefined || prefix > best.prefix || (prefix === best.prefix && iface.name < best.iface.name)) {
      best = { iface, prefix }
    }
  }
  return best?.iface
}

export interface AnnounceSelection {
  /** Addresses to put in `dnsaddr=` TXT strings, each ending in /p2p/<ourId>. */
  addresses: string[]
  /** Addresses that fit the subnet but were left out (too long for a TXT string, or over the cap). */
  skipped: string[]
}

/**
 * Our addresses that a neighbour on `iface` can reach: IPv4 inside the interface subnet, no relay
 * (/p2p-circuit) addresses, no other segments, no 127.x except on lo. Adds /p2p/<peerId> when
 * missing and drops addresses whose /p2p is another peer.
 */
export function selectAnnounceAddresses (addrs: Multiaddr[], iface: DiscoveryInterface, peerId: string): AnnounceSelection {
  const addresses: string[] = []
  const skipped: string[] = []
  for (const addr of addrs) {
    const components = addr.getComponents()
    const first = components[0]
    if (first?.code !== CODE_IP4 || first.value === undefined || !inCidr(first.value, iface.cidr)) continue
    if (components.some(c => c.code === CODE_P2P_CIRCUIT)) continue
    const ids = components.filter(c => c.code === CODE_P2P)
    if (ids.some(c => c.value !== peerId)) continue
    const text = (ids.length === 0 ? addr.encapsulate(multiaddr(`/p2p/${peerId}`)) : addr).toString()
    if (addresses.includes(text) || skipped.includes(text)) continue
    const fits = Buffer.byteLength(`dnsaddr=${text}`) <= MAX_TXT_STRING_BYTES
    if (fits && addresses.length < MAX_ANNOUNCED_ADDRESSES) addresses.push(text)
    else skipped.push(text)
  }
  return { addresses, skipped }
}
