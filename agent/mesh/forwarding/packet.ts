/**
 * Packets of `/meshbox/fwd/1.0.0`, carried hop by hop along the routing table. Today they carry
 * the technician probes (echo, echo reply, TTL exceeded); routed messages will ride the same way.
 */
import { isPeerIdText } from '../routing/wire.js'

export type PacketKind = 'echo' | 'echo-reply' | 'ttl-exceeded'
const KINDS: readonly string[] = ['echo', 'echo-reply', 'ttl-exceeded']

export interface Packet {
  kind: PacketKind
  src: string
  dst: string
  /** Hops left; a box that takes it to 0 answers an echo with ttl-exceeded. */
  ttl: number
  /** Chosen by the source, echoed in answers. */
  id: string
  /** Hops travelled so far. */
  hops: number
  /** In answers: how many hops the probe travelled to get here. */
  probeHops?: number
}

export const MAX_TTL = 64

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max

export function decodePacket (v: unknown): Packet | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'packet is not an object'
  const p = v as Record<string, unknown>
  if (typeof p.kind !== 'string' || !KINDS.includes(p.kind)) return 'unknown packet kind'
  if (!isPeerIdText(p.src) || !isPeerIdText(p.dst)) return 'src or dst is not a peer id'
  if (!isInt(p.ttl, 0, MAX_TTL)) return `ttl is not 0..${MAX_TTL}`
  if (typeof p.id !== 'string' || !/^[0-9a-f]{1,32}$/.test(p.id)) return 'id is not 1-32 hex digits'
  if (!isInt(p.hops, 0, MAX_TTL)) return 'hops is not 0..64'
  if (p.probeHops !== undefined && !isInt(p.probeHops, 0, MAX_TTL)) return 'probeHops is not 0..64'
  return { kind: p.kind as PacketKind, src: p.src, dst: p.dst, ttl: p.ttl, id: p.id, hops: p.hops, ...(p.probeHops !== undefined ? { probeHops: p.probeHops as number } : {}) }
}
