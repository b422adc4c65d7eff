/**
 * The 15-field header of go-ethereum 1.7/1.8 (and so of Spectrum): its type, its canonical RLP
 * form, its hash and the hash a PoA signer signs.
 *
 * A `Header` is an immutable value. Hashes are memoised per object, so never change a field or
 * the contents of one of its byte arrays in place: build a new object instead.
 */
import { bigintToBytes, bytesToBigint, keccak256 } from './bytes.js'
import { ChainErrorCode, ChainInputError } from './errors.js'
import { decodeRlp, encodeRlp, type RlpItem } from './rlp.js'

export interface Header {
  readonly parentHash: Uint8Array
  /** Hash of the uncle list; named after the JSON-RPC field (geth's UncleHash). */
  readonly sha3Uncles: Uint8Array
  /** Coinbase / beneficiary. In Tribe this is *not* the signer (see facts-spectrum.md §1.2). */
  readonly miner: Uint8Array
  readonly stateRoot: Uint8Array
  readonly transactionsRoot: Uint8Array
  readonly receiptsRoot: Uint8Array
  readonly logsBloom: Uint8Array
  readonly difficulty: bigint
  readonly number: bigint
  readonly gasLimit: bigint
  readonly gasUsed: bigint
  readonly timestamp: bigint
  readonly extraData: Uint8Array
  readonly mixHash: Uint8Array
  readonly nonce: Uint8Array
}

export type HeaderField = keyof Header

/** RLP order of the fields. */
export const HEADER_FIELDS = [
  'parentHash', 'sha3Uncles', 'miner', 'stateRoot', 'transactionsRoot', 'receiptsRoot', 'logsBloom',
  'difficulty', 'number', 'gasLimit', 'gasUsed', 'timestamp', 'extraData', 'mixHash', 'nonce'
] as const satisfies readonly HeaderField[]

export type QuantityField = 'difficulty' | 'number' | 'gasLimit' | 'gasUsed' | 'timestamp'
export type BytesField = Exclude<HeaderField, QuantityField>

/** Exact byte length of each fixed-size field. */
export const FIXED_FIELD_BYTES = {
  parentHash: 32, sha3Uncles: 32, miner: 20, stateRoot: 32, transactionsRoot: 32, receiptsRoot: 32,
  logsBloom: 256, mixHash: 32, nonce: 8
} as const satisfies Record<Exclude<BytesField, 'extraData'>, number>

export const UINT64_MAX = (1n << 64n) - 1n
export const UINT256_MAX = (1n << 256n) - 1n
/** Largest integer each quantity may hold; geth stores all but difficulty in 64 bits. */
export const QUANTITY_MAX = {
  difficulty: UINT256_MAX, number: UINT64_MAX, gasLimit: UINT64_MAX, gasUsed: UINT64_MAX, timestamp: UINT64_MAX
} as const satisfies Record<QuantityField, bigint>

/**
 * Parsing bound on extraData. Engine rules are far tighter (32, 97 or 226 bytes); this one only
 * keeps hostile input small while leaving room for a Clique checkpoint of ~95 signers.
 */
export const MAX_EXTRA_BYTES = 2048

/** keccak256(RLP([])): the only uncles hash a PoA header may carry. */
export const EMPTY_UNCLES_HASH = keccak256(Uint8Array.of(0xc0))
/** Bytes of the secp256k1 signature (r‖s‖v) at the end of a PoA header's extraData. */
export const SEAL_BYTES = 65

export function isQuantityField (field: HeaderField): field is QuantityField {
  return field in QUANTITY_MAX
}

/** The 15 RLP items of a header, integers minimally encoded (zero is the empty string). */
export function headerItems (h: Header, extraData: Uint8Array = h.extraData): Uint8Array[] {
  return [
    h.parentHash, h.sha3Uncles, h.miner, h.stateRoot, h.transactionsRoot, h.receiptsRoot, h.logsBloom,
    bigintToBytes(h.difficulty), bigintToBytes(h.number), bigintToBytes(h.gasLimit), bigintToBytes(h.gasUsed),
    bigintToBytes(h.timestamp), extraData, h.mixHash, h.nonce
  ]
}

export function encodeHeader (h: Header): Uint8Array {
  return encodeRlp(headerItems(h))
}

const hashes = new WeakMap<Header, Uint8Array>()
const sealHashes = new WeakMap<Header, Uint8Array>()

/** keccak256(RLP(15 fields)): the block hash. Memoised per header object. */
export function headerHash (h: Header): Uint8Array {
  let hash = hashes.get(h)
  if (hash === undefined) {
    hash = keccak256(encodeHeader(h))
    hashes.set(h, hash)
  }
  return hash
}

/**
 * The digest a block's signer signs. Tribe and Clique both sign the header with the last 65 bytes
 * of extraData (the seal itself) removed; `none` has no signer, so it is the block hash.
 * @throws RangeError if a PoA header's extraData is shorter than the seal (check the length first).
 */
export function sealHash (h: Header, engine: 'tribe' | 'clique' | 'none'): Uint8Array {
  if (engine === 'none') return headerHash(h)
  let hash = sealHashes.get(h)
  if (hash === undefined) {
    if (h.extraData.length < SEAL_BYTES) throw new RangeError(`header ${h.number}: extraData of ${h.extraData.length} bytes has no room for a seal`)
    hash = keccak256(encodeRlp(headerItems(h, h.extraData.subarray(0, h.extraData.length - SEAL_BYTES))))
    sealHashes.set(h, hash)
  }
  return hash
}

/** The 65 signature bytes at the end of extraData (a view, not a copy). */
export function sealOf (h: Header): Uint8Array {
  return h.extraData.subarray(h.extraData.length - SEAL_BYTES)
}

/** Copies a header with some fields replaced (the memoised hashes do not carry over). */
export function withFields (h: Header, patch: Partial<Header>): Header {
  return { ...h, ...patch }
}

/**
 * Decodes a header from its RLP form, with the same strictness as headerFromRpc: exactly 15 byte
 * strings, fixed fields of their exact size, canonical integers within their range.
 * @throws ChainInputError (CHAIN_RLP_INVALID or CHAIN_HEADER_INVALID) naming the field.
 */
export function decodeHeader (bytes: Uint8Array): Header {
  const list = decodeRlp(bytes, { maxBytes: 4096 })
  if (list instanceof Uint8Array) throw invalid('rlp', 'header RLP is a byte string, not a list')
  if (list.length !== HEADER_FIELDS.length) throw invalid('rlp', `header RLP has ${list.length} items, expected 15 (pre-London header)`)
  const values: Partial<Record<HeaderField, Uint8Array | bigint>> = {}
  HEADER_FIELDS.forEach((field, i) => {
    const item: RlpItem | undefined = list[i]
    if (!(item instanceof Uint8Array)) throw invalid(field, `header field ${field} is a list, not a byte string`)
    const copy = item.slice()
    if (isQuantityField(field)) {
      if (copy.length > 0 && copy[0] === 0) throw invalid(field, `header field ${field} has a leading zero byte`)
      const value = bytesToBigint(copy)
      if (value > QUANTITY_MAX[field]) throw invalid(field, `header field ${field} is out of range`)
      values[field] = value
    } else if (field === 'extraData') {
      if (copy.length > MAX_EXTRA_BYTES) throw invalid(field, `header field extraData has ${copy.length} bytes, more than ${MAX_EXTRA_BYTES}`)
      values[field] = copy
    } else {
      if (copy.length !== FIXED_FIELD_BYTES[field]) throw invalid(field, `header field ${field} has ${copy.length} bytes, expected ${FIXED_FIELD_BYTES[field]}`)
      values[field] = copy
    }
  })
  return values as unknown as Header
}

function invalid (field: string, message: string): ChainInputError {
  return new ChainInputError(ChainErrorCode.HEADER_INVALID, message, field)
}
