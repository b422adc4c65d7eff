/**
 * How the header store lays out LMDB (README.md, "Store layout"): the records it keeps, the keys
 * in buckets chainHeaders (6), chainCanonical (7) and chainMeta (8), and the value of a stored
 * header (total difficulty ‖ RLP).
 */
import { bigintToBytes, bytesToBigint, bytesToHex, concatBytes, parseHex } from '../bytes.js'
import { decodeHeader, encodeHeader, headerHash, type Header } from '../header.js'
import { AgentError, ErrorCode } from '../../errors.js'
import { Bucket, bucketKey } from '../../store/buckets.js'

export type Hex = `0x${string}`

export interface StoredHeader {
  readonly number: bigint
  readonly hash: Hex
  readonly header: Header
  /** Total difficulty counted from the anchor (the anchor itself counts 0). */
  readonly td: bigint
}

export interface AnchorRecord {
  readonly preset: string
  readonly chainId: string
  readonly number: bigint
  /** Undefined until a first-upstream anchor is learned. */
  readonly hash: Hex | undefined
  readonly kind: 'checkpoint' | 'genesis' | 'first-upstream'
}

export interface Reorg {
  readonly depth: number
  readonly ancestor: StoredHeader
  readonly oldHead: StoredHeader
  readonly newHead: StoredHeader
}

export interface InsertResult {
  /** Headers written (known ones are not written again). */
  readonly stored: number
  readonly headChanged: boolean
  readonly head: StoredHeader
  /** The last header of the inserted branch (the head when it won); undefined when refused. */
  readonly tip?: StoredHeader
  readonly reorg?: Reorg
  /** Set when nothing was stored because the branch is not acceptable. */
  readonly refused?: AgentError
}

export interface InsertOptions {
  /**
   * Headers below this number that are not checkpoints are not written at all (catching up from
   * far behind: they would fall out of the window right away). Only for extensions of the head.
   */
  skipBelow?: bigint
  /** Where the branch came from, kept with the head when it wins. */
  origin?: HeadOrigin
}

export interface HeadOrigin { readonly from: 'upstream' | 'mesh', readonly verifiedAtMs: number }

const TD_BYTES = 32
export const MAX_TD = (1n << 256n) - 1n
export const META_ANCHOR = 'anchor'
export const META_HEAD = 'head'
export const META_PRUNED = 'pruned'
export const META_SIDE = 'side'
export const META_HEAD_ORIGIN = 'head-origin'

export function numberKey (n: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, n)
  return out
}

export const hashBytes = (h: Hex): Uint8Array => {
  const b = parseHex(h)
  if (b === undefined || b.length !== 32) throw new AgentError(ErrorCode.INTERNAL, `not a 32-byte hash: ${h.slice(0, 20)}`)
  return b
}
export const headerKey = (hash: Hex): Uint8Array => bucketKey(Bucket.chainHeaders, hashBytes(hash))
export const canonicalKey = (n: bigint): Uint8Array => bucketKey(Bucket.chainCanonical, numberKey(n))
export const metaKey = (name: string): Uint8Array => bucketKey(Bucket.chainMeta, name)
export const sideKey = (n: bigint, hash: Hex): Uint8Array => bucketKey(Bucket.chainMeta, META_SIDE, concatBytes(numberKey(n), hashBytes(hash)))

export function encodeValue (td: bigint, header: Header): Uint8Array {
  const tdBytes = bigintToBytes(td)
  const out = new Uint8Array(TD_BYTES)
  out.set(tdBytes, TD_BYTES - tdBytes.length)
  return concatBytes(out, encodeHeader(header))
}

export function decodeValue (hash: Hex, value: Uint8Array): StoredHeader {
  const header = decodeHeader(value.subarray(TD_BYTES))
  return { number: header.number, hash, header, td: bytesToBigint(value.subarray(0, TD_BYTES)) }
}

export const hashOf = (h: Header): Hex => bytesToHex(headerHash(h))
