/**
 * The single registry of key prefixes. A bucket id is the first byte of every key. Never reuse a
 * number: comment a retired bucket out and leave its number taken.
 */
import { AgentError, ErrorCode } from '../errors.js'

export const Bucket = {
  /** agent metadata: start counter, first start time (JSON values) */
  meta: 1,
  /** messages this box holds custody of, to send on (mesh/messages): id → record */
  msgQueue: 2,
  /** messages delivered to this box, in arrival order: sequence → record */
  msgInbox: 3,
  /** ids of messages already delivered here (de-duplication, replay): id → keep-until */
  msgSeen: 4,
  /** messages this box sent, and whether they were delivered: id → status */
  msgSent: 5,
  /** verified chain headers, every branch (chain/sync): hash → total difficulty ‖ header RLP */
  chainHeaders: 6,
  /** the canonical chain (chain/sync): number (8 bytes, big-endian) → hash */
  chainCanonical: 7,
  /** chain sync state (chain/sync): anchor, head, pruning mark, side-branch index */
  chainMeta: 8,
  /** last verified state answers (chain/state): kind, address[, slot] → value, level, block, time */
  chainState: 9,
  /** age order of chainState entries, for its size bound (chain/state): sequence ‖ key → size */
  chainStateAge: 10,
  /** transactions this box carries to the chain (chain/outbox): hash → record */
  txOutbox: 11
} as const

export type Bucket = typeof Bucket[keyof typeof Bucket]

const MAX_KEY_BYTES = 480 // LMDB's default key limit is 511 bytes; keep headroom

const encoder = new TextEncoder()

/** Builds `<bucket byte><part>[0x00<part>...]`. */
export function bucketKey (bucket: Bucket, ...parts: Array<string | Uint8Array>): Uint8Array {
  const chunks = parts.map(p => typeof p === 'string' ? encoder.encode(p) : p)
  const size = 1 + chunks.reduce((n, c) => n + c.byteLength, 0) + Math.max(0, chunks.length - 1)
  if (size > MAX_KEY_BYTES) {
    throw new AgentError(ErrorCode.STORE_KEY_INVALID, `store key of ${size} bytes is longer than ${MAX_KEY_BYTES}`)
  }
  const key = new Uint8Array(size)
  key[0] = bucket
  let at = 1
  chunks.forEach((c, i) => {
    if (i > 0) key[at++] = 0
    key.set(c, at)
    at += c.byteLength
  })
  return key
}

/** The prefix that selects a whole bucket (or a sub-prefix within one). */
export function bucketPrefix (bucket: Bucket, part?: string): Uint8Array {
  return part === undefined ? Uint8Array.of(bucket) : bucketKey(bucket, part)
}
