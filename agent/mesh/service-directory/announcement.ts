/**
 * The announcement a box broadcasts on `/meshbox/services/1`, and its checks. Anything off
 * (size, encoding, an unknown or missing field, a bad role, a peer id that is not the signer's)
 * rejects the whole message, so it is neither believed nor forwarded. Format: README.md.
 */
import { checkRoles } from './roles.js'

export interface Announcement {
  /** The announcing box; must be the gossipsub signer (`from`). */
  peerId: string
  /** Strictly increasing per box, across restarts too (see README). */
  seq: number
  /** Others drop the announcement when it is not refreshed within this. */
  lifetimeMs: number
  roles: string[]
}

/** 16 roles of 32 characters, a peer id and numbers fit in under 700 bytes; leave room, no more. */
export const MAX_ANNOUNCEMENT_BYTES = 2048
export const MIN_LIFETIME_MS = 1_000
export const MAX_LIFETIME_MS = 3_600_000

const FIELDS = ['peerId', 'seq', 'lifetimeMs', 'roles'] as const
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{32,100}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

export function encodeAnnouncement (a: Announcement): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ peerId: a.peerId, seq: a.seq, lifetimeMs: a.lifetimeMs, roles: a.roles }))
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max

/** Returns the announcement, or a sentence saying what is wrong with it. */
export function decodeAnnouncement (bytes: Uint8Array): Announcement | string {
  if (bytes.byteLength > MAX_ANNOUNCEMENT_BYTES) return `announcement of ${bytes.byteLength} bytes exceeds ${MAX_ANNOUNCEMENT_BYTES}`
  let raw: unknown
  try {
    raw = JSON.parse(utf8.decode(bytes))
  } catch {
    return 'announcement is not UTF-8 JSON'
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'announcement is not an object'
  const m = raw as Record<string, unknown>
  const extra = Object.keys(m).find(k => !(FIELDS as readonly string[]).includes(k))
  if (extra !== undefined) return `announcement has unknown field ${JSON.stringify(extra.slice(0, 32))}`
  if (typeof m.peerId !== 'string' || !PEER_ID.test(m.peerId)) return 'announcement.peerId is not a peer id'
  if (!isInt(m.seq, 0, Number.MAX_SAFE_INTEGER)) return 'announcement.seq is not a non-negative integer'
  if (!isInt(m.lifetimeMs, MIN_LIFETIME_MS, MAX_LIFETIME_MS)) return `announcement.lifetimeMs is not ${MIN_LIFETIME_MS}..${MAX_LIFETIME_MS}`
  const roleProblem = checkRoles(m.roles)
  if (roleProblem !== undefined) return `announcement.roles: ${roleProblem}`
  return { peerId: m.peerId, seq: m.seq, lifetimeMs: m.lifetimeMs, roles: [...(m.roles as string[])] }
}

/**
 * Decodes and checks that the announcement speaks for its signer: a box may only announce its
 * own roles, whoever forwarded the message.
 */
export function verifyAnnouncement (bytes: Uint8Array, signer: string): Announcement | string {
  const a = decodeAnnouncement(bytes)
  if (typeof a === 'string') return a
  if (a.peerId !== signer) return 'announcement.peerId is not the signer'
  return a
}

/** Sequence numbers that only grow: the start count (from the store) in the high bits, a counter below. */
export function sequenceStart (starts: number): number {
  return Math.max(0, Math.min(starts, 2 ** 21 - 1)) * 2 ** 32
}
