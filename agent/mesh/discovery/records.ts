/**
 * Pure build/parse of the libp2p mDNS packets (see README.md for the wire format). The shapes
 * are dns-packet objects, as multicast-dns encodes and decodes them.
 */
import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import {
  DEFAULT_SRV_PORT, MAX_PTR_ANSWERS_PER_PACKET, MAX_TXT_STRING_BYTES, MAX_TXT_STRINGS_PER_PACKET, PEER_NAME_LENGTH
} from './constants.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Answer, Packet, Question, StringAnswer } from 'dns-packet'

const DNSADDR = 'dnsaddr='
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** DNS names compare case-insensitively and may carry the root dot ('_p2p._udp.local.'). */
export function sameName (a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase()
}

/** A random DNS label that names our instance (`<peerName>._p2p._udp.local`). */
export function createPeerName (random: (n: number) => Uint8Array = randomBytes): string {
  return Array.from(random(PEER_NAME_LENGTH), b => BASE32[b & 31]).join('')
}

/** The PTR question every libp2p implementation sends. */
export function buildQuery (serviceTag: string): { questions: Question[] } {
  return { questions: [{ name: serviceTag, type: 'PTR', class: 'IN' }] }
}

/** True for a query asking for our service (PTR or ANY), which we must answer. */
export function isServiceQuery (packet: Packet, serviceTag: string): boolean {
  if (packet.type !== 'query') return false
  return (packet.questions ?? []).some(q => sameName(q.name, serviceTag) && (q.type === 'PTR' || String(q.type) === 'ANY'))
}

export interface ResponseInit {
  serviceTag: string
  peerName: string
  /** Full multiaddrs ending in /p2p/<id>, already filtered for the interface. */
  addresses: string[]
  ttlS: number
  /** Our IPv4 address on the interface, for the A record go-libp2p needs. */
  hostAddress: string
}

function srvPort (addresses: string[]): number {
  for (const a of addresses) {
    const tcp = /\/tcp\/(\d+)/.exec(a)
    if (tcp?.[1] !== undefined) return Number(tcp[1])
  }
  return DEFAULT_SRV_PORT
}

/**
 * Our answer: PTR + one TXT (one `dnsaddr=` string per address) in answers, as stock js reads
 * them; the same TXT plus SRV and A in additionals, as the spec, rust and go read them.
 * Returns undefined when there is nothing to announce (stock js stays silent too).
 */
export function buildResponse (init: ResponseInit): { answers: Answer[], additionals: Answer[] } | undefined {
  const strings = init.addresses.map(a => DNSADDR + a).filter(s => Buffer.byteLength(s) <= MAX_TXT_STRING_BYTES)
  if (strings.length === 0) return undefined
  const instance = `${init.peerName}.${init.serviceTag}`
  const host = `${init.peerName}.local`
  const ttl = init.ttlS
  const txt: Answer = { name: instance, type: 'TXT', class: 'IN', ttl, data: strings }
  return {
    answers: [{ name: init.serviceTag, type: 'PTR', class: 'IN', ttl, data: instance }, txt],
    additionals: [
      { ...txt },
      { name: instance, type: 'SRV', class: 'IN', ttl, data: { priority: 0, weight: 0, port: srvPort(init.addresses), target: host } },
      { name: host, type: 'A', class: 'IN', ttl, data: init.hostAddress }
    ]
  }
}

export interface ParsedPeer {
  peerId: string
  /** Announced addresses without the trailing /p2p/<id>, de-duplicated. */
  multiaddrs: Multiaddr[]
  ttlS: number
}

export type ParseResult =
  | { ok: true, peers: ParsedPeer[], invalidAddresses: number }
  | { ok: false, reason: 'too many PTR answers' | 'too many TXT strings' | 'TXT string too long' }

function txtStrings (answer: Answer): string[] {
  if (answer.type !== 'TXT') return []
  const data = Array.isArray(answer.data) ? answer.data : [answer.data]
  const out: string[] = []
  for (const d of data as unknown[]) {
    if (typeof d === 'string') out.push(d)
    else if (d instanceof Uint8Array) out.push(Buffer.from(d).toString('utf8'))
  }
  return out
}

function parsePeer (strings: string[], ttlS: number): { peer?: ParsedPeer, invalid: number } {
  let peerId: string | undefined
  let invalid = 0
  const seen = new Map<string, Multiaddr>()
  for (const s of strings) {
    if (!s.startsWith(DNSADDR)) continue
    try {
      const addr = multiaddr(s.slice(DNSADDR.length))
      const id = addr.getComponents().findLast(c => c.code === CODE_P2P)?.value
      if (id === undefined) throw new Error('no /p2p')
      if (peerId === undefined) peerId = peerIdFromString(id).toString()
      if (id !== peerId) continue // rust and go keep one peer per instance; so do we
      const bare = addr.decapsulateCode(CODE_P2P)
      seen.set(bare.toString(), bare)
    } catch {
      invalid++
    }
  }
  if (peerId === undefined || seen.size === 0) return { invalid }
  return { peer: { peerId, multiaddrs: [...seen.values()], ttlS }, invalid }
}

/**
 * Reads a response the way stock nodes do: PTR answers for the service name, TXT `dnsaddr=`
 * strings from answers and additionals named after the PTR target (or, like stock js, any TXT
 * when the packet describes one instance). Never throws; bounded by the MAX_* constants.
 */
export function parseResponse (packet: Packet, serviceTag: string): ParseResult {
  const answers = packet.answers ?? []
  const txts = [...answers, ...(packet.additionals ?? [])].filter(a => a.type === 'TXT')
  const ptrs = answers.filter((a): a is StringAnswer => a.type === 'PTR' && sameName(a.name, serviceTag) && typeof a.data === 'string')
  if (ptrs.length > MAX_PTR_ANSWERS_PER_PACKET) return { ok: false, reason: 'too many PTR answers' }
  const all = txts.flatMap(txtStrings)
  if (all.length > MAX_TXT_STRINGS_PER_PACKET) return { ok: false, reason: 'too many TXT strings' }
  if (all.some(s => Buffer.byteLength(s) > MAX_TXT_STRING_BYTES)) return { ok: false, reason: 'TXT string too long' }

  const peers: ParsedPeer[] = []
  const instances = new Set<string>()
  let invalidAddresses = 0
  for (const ptr of ptrs) {
    const instance = ptr.data.toLowerCase()
    const ttl = ptr.ttl ?? 0
    if (ttl === 0 || instances.has(instance)) continue // ttl 0 = goodbye
    instances.add(instance)
    let named = txts.filter(t => sameName(t.name, instance))
    if (named.length === 0 && ptrs.length === 1) named = txts
    const { peer, invalid } = parsePeer(named.flatMap(txtStrings), ttl)
    invalidAddresses += invalid
    if (peer !== undefined && !peers.some(p => p.peerId === peer.peerId)) peers.push(peer)
  }
  return { ok: true, peers, invalidAddresses }
}
