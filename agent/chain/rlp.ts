/**
 * Recursive Length Prefix encoding (Ethereum yellow paper, appendix B).
 *
 * The decoder accepts exactly one canonical encoding per value, because hashes are taken over
 * encodings: a second spelling of the same header would give the same fields but a different
 * hash. So it refuses single bytes below 0x80 wrapped in a 0x81 prefix, long forms for payloads
 * under 56 bytes, length fields with leading zeros, items that run past their parent, and bytes
 * left over after the top-level item. It is bounded in input size and nesting depth because its
 * input comes from upstream nodes and mesh peers.
 */
import { ChainErrorCode, ChainInputError } from './errors.js'

export type RlpItem = Uint8Array | readonly RlpItem[]

/**
 * Default input bound. The largest things the agent decodes are transactions (geth refuses
 * over 128 KiB) and headers (under 1 KiB); 1 MiB leaves headroom without letting a peer make
 * us walk an arbitrarily large buffer.
 */
export const RLP_MAX_BYTES = 1024 * 1024
/** Headers are depth 1, transactions and proofs at most 3; recursion stays far from the stack limit. */
export const RLP_MAX_DEPTH = 16

export interface RlpDecodeLimits {
  maxBytes?: number
  maxDepth?: number
}

function lengthOfLength (n: number): number {
  let size = 0
  while (n > 0) { size++; n = Math.floor(n / 256) }
  return size
}

function headerSize (payload: number): number {
  return payload < 56 ? 1 : 1 + lengthOfLength(payload)
}

function payloadSize (item: RlpItem): number {
  if (item instanceof Uint8Array) return item.length === 1 && (item[0] as number) < 0x80 ? 0 : item.length
  let size = 0
  for (const child of item) size += encodedSize(child)
  return size
}

function encodedSize (item: RlpItem): number {
  if (item instanceof Uint8Array && item.length === 1 && (item[0] as number) < 0x80) return 1
  const payload = payloadSize(item)
  return headerSize(payload) + payload
}

function writeHeader (out: Uint8Array, at: number, payload: number, shortBase: number): number {
  if (payload < 56) {
    out[at] = shortBase + payload
    return at + 1
  }
  const lol = lengthOfLength(payload)
  out[at] = shortBase + 55 + lol
  for (let i = lol; i >= 1; i--) { out[at + i] = payload & 0xff; payload = Math.floor(payload / 256) }
  return at + 1 + lol
}

function write (item: RlpItem, out: Uint8Array, at: number): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && (item[0] as number) < 0x80) { out[at] = item[0] as number; return at + 1 }
    at = writeHeader(out, at, item.length, 0x80)
    out.set(item, at)
    return at + item.length
  }
  at = writeHeader(out, at, payloadSize(item), 0xc0)
  for (const child of item) at = write(child, out, at)
  return at
}

/** Encodes a byte string or a (nested) list of them. Integers go through bigintToBytes first. */
export function encodeRlp (item: RlpItem): Uint8Array {
  const out = new Uint8Array(encodedSize(item))
  write(item, out, 0)
  return out
}

/**
 * Decodes exactly one canonical item that spans all of `bytes`. Byte strings in the result are
 * views into `bytes` (no copy): do not mutate the input afterwards.
 * @throws ChainInputError (CHAIN_RLP_INVALID) naming the offset of the first problem.
 */
export function decodeRlp (bytes: Uint8Array, limits: RlpDecodeLimits = {}): RlpItem {
  const maxBytes = limits.maxBytes ?? RLP_MAX_BYTES
  const maxDepth = limits.maxDepth ?? RLP_MAX_DEPTH
  if (bytes.length > maxBytes) fail(`input of ${bytes.length} bytes exceeds the ${maxBytes}-byte limit`)
  if (bytes.length === 0) fail('input is empty')
  const [item, end] = readItem(bytes, 0, bytes.length, 0, maxDepth)
  if (end !== bytes.length) fail(`${bytes.length - end} trailing bytes after the item at offset ${end}`)
  return item
}

function fail (message: string): never {
  throw new ChainInputError(ChainErrorCode.RLP_INVALID, `RLP: ${message}`)
}

/** Reads a big-endian length of `size` bytes at `at`, refusing leading zeros and short values. */
function readLength (bytes: Uint8Array, at: number, size: number, limit: number): number {
  if (at + size > limit) fail(`length field at offset ${at} runs past the end`)
  if (bytes[at] === 0) fail(`length field at offset ${at} has a leading zero`)
  let n = 0
  for (let i = 0; i < size; i++) n = n * 256 + (bytes[at + i] as number)
  if (n < 56) fail(`long form used for a ${n}-byte payload at offset ${at - 1}`)
  return n
}

function readItem (bytes: Uint8Array, at: number, limit: number, depth: number, maxDepth: number): [RlpItem, number] {
  const b = bytes[at] as number
  if (b < 0x80) return [bytes.subarray(at, at + 1), at + 1]
  let start: number
  let size: number
  const isList = b >= 0xc0
  const base = isList ? 0xc0 : 0x80
  if (b - base < 56) {
    start = at + 1
    size = b - base
  } else {
    const lol = b - base - 55
    size = readLength(bytes, at + 1, lol, limit)
    start = at + 1 + lol
  }
  const end = start + size
  if (end > limit) fail(`item at offset ${at} declares ${size} bytes but only ${limit - start} remain`)
  if (!isList) {
    if (size === 1 && (bytes[start] as number) < 0x80) fail(`single byte below 0x80 wrapped in a prefix at offset ${at}`)
    return [bytes.subarray(start, end), end]
  }
  if (depth >= maxDepth) fail(`lists nested deeper than ${maxDepth} at offset ${at}`)
  const items: RlpItem[] = []
  let next = start
  while (next < end) {
    const [child, after] = readItem(bytes, next, end, depth + 1, maxDepth)
    items.push(child)
    next = after
  }
  return [items, end]
}
