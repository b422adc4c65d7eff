/**
 * Which interfaces get an mDNS socket. "Usable" = IFF_UP and IFF_MULTICAST (from
 * /sys/class/net/<if>/flags) plus an IPv4 address. lo qualifies only when someone turned its
 * MULTICAST flag on (tests do; routers normally do not). IPv4 only for now.
 */
import { readFileSync } from 'node:fs'
import { networkCidr } from './addresses.js'
import { IFF_MULTICAST, IFF_UP } from './constants.js'
import type { DiscoveryInterface } from './types.js'
import type { NetworkInterfaceInfo } from 'node:os'

export type InterfaceMap = NodeJS.Dict<NetworkInterfaceInfo[]>

export interface InterfaceFilter {
  /** Allow-list; empty or undefined = all. */
  interfaces?: string[]
  excludeInterfaces?: string[]
}

/** '0x1003\n' → 4099; undefined when the text is not a hex number. */
export function parseFlags (text: string): number | undefined {
  const trimmed = text.trim()
  if (!/^0x[0-9a-f]+$/i.test(trimmed)) return undefined
  return Number.parseInt(trimmed.slice(2), 16)
}

/** Reads the kernel flags of one interface; undefined when it vanished or is not Linux. */
export function readInterfaceFlags (name: string, sysfsRoot = '/sys/class/net'): number | undefined {
  if (name.includes('/') || name === '.' || name === '..') return undefined
  try {
    return parseFlags(readFileSync(`${sysfsRoot}/${name}/flags`, 'utf8'))
  } catch {
    return undefined
  }
}

function allowed (name: string, filter: InterfaceFilter): boolean {
  const allow = filter.interfaces ?? []
  if (allow.length > 0 && !allow.includes(name)) return false
  return !(filter.excludeInterfaces ?? []).includes(name)
}

/**
 * The interfaces that get a socket, sorted by name. `nics` is os.networkInterfaces();
 * `flagsOf` returns the kernel flags (readInterfaceFlags in production, a fake in tests).
 */
export function usableInterfaces (nics: InterfaceMap, flagsOf: (name: string) => number | undefined, filter: InterfaceFilter = {}): DiscoveryInterface[] {
  const out: DiscoveryInterface[] = []
  for (const [name, infos] of Object.entries(nics)) {
    if (infos === undefined || !allowed(name, filter)) continue
    const v4 = infos.find(i => i.family === 'IPv4' && i.cidr !== null)
    if (v4?.cidr == null) continue
    const flags = flagsOf(name)
    if (flags === undefined || (flags & IFF_UP) === 0 || (flags & IFF_MULTICAST) === 0) continue
    const cidr = networkCidr(v4.cidr)
    if (cidr === undefined) continue
    out.push({ name, address: v4.address, cidr, family: 'IPv4' })
  }
  return out.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

function sameInterface (a: DiscoveryInterface, b: DiscoveryInterface): boolean {
  return a.name === b.name && a.address === b.address && a.cidr === b.cidr
}

/**
 * What changed between two polls. An interface whose address or subnet changed counts as removed
 * and added, because its socket is bound to the old address and must be reopened.
 */
export function diffInterfaces (previous: DiscoveryInterface[], next: DiscoveryInterface[]): { added: DiscoveryInterface[], removed: DiscoveryInterface[] } {
  return {
    added: next.filter(n => !previous.some(p => sameInterface(p, n))),
    removed: previous.filter(p => !next.some(n => sameInterface(p, n)))
  }
}
