/**
 * Conversion between a JSON-RPC block object (`eth_getBlockByNumber` / `eth_getBlockByHash`)
 * and a Header. Reading is strict: every field must be present in geth's exact hex form and
 * size, and a block that carries London-or-later fields is refused, since its hash covers more
 * than the 15 fields this node verifies.
 */
import { bytesToHex, equalBytes, parseHex } from './bytes.js'
import { ChainErrorCode, ChainInputError } from './errors.js'
import {
  FIXED_FIELD_BYTES, HEADER_FIELDS, MAX_EXTRA_BYTES, QUANTITY_MAX, headerHash, isQuantityField,
  type Header, type HeaderField
} from './header.js'

/** Fields added to headers after the 15-field format (London, Shanghai, Cancun, Prague). */
const LATER_FIELDS = ['baseFeePerGas', 'withdrawalsRoot', 'blobGasUsed', 'excessBlobGas', 'parentBeaconBlockRoot', 'requestsHash'] as const

const QUANTITY = /^0x(?:0|[1-9a-fA-F][0-9a-fA-F]{0,63})$/

export interface HeaderFromRpcOptions {
  /**
   * Compare the object's `hash` (when present) with the hash of its fields. On by default: a
   * mismatch means the source lies or serves a format we do not understand.
   */
  checkHash?: boolean
}

function invalid (field: string, message: string): ChainInputError {
  return new ChainInputError(ChainErrorCode.HEADER_INVALID, `block object: ${field}: ${message}`, field)
}

function describe (v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 24 ? v.slice(0, 24) + '…' : v)
  return v === null ? 'null' : typeof v
}

function readQuantity (field: HeaderField & keyof typeof QUANTITY_MAX, v: unknown): bigint {
  if (typeof v !== 'string' || !QUANTITY.test(v)) {
    throw invalid(field, `${describe(v)} is not a hex quantity (0x followed by hex digits, no leading zeros)`)
  }
  const value = BigInt(v)
  if (value > QUANTITY_MAX[field]) throw invalid(field, `${describe(v)} is out of range`)
  return value
}

function readData (field: Exclude<HeaderField, keyof typeof QUANTITY_MAX>, v: unknown): Uint8Array {
  const bytes = typeof v === 'string' ? parseHex(v) : undefined
  if (bytes === undefined) throw invalid(field, `${describe(v)} is not 0x-prefixed hex of whole bytes`)
  if (field === 'extraData') {
    if (bytes.length > MAX_EXTRA_BYTES) throw invalid(field, `${bytes.length} bytes, more than ${MAX_EXTRA_BYTES}`)
  } else if (bytes.length !== FIXED_FIELD_BYTES[field]) {
    throw invalid(field, `${bytes.length} bytes, expected ${FIXED_FIELD_BYTES[field]}`)
  }
  return bytes
}

/**
 * Builds a Header from a JSON-RPC block object (with or without full transactions; only the
 * header fields are read).
 * @throws ChainInputError (CHAIN_HEADER_INVALID) whose `field` names the first bad field.
 * @example
 *   const header = headerFromRpc(await rpc('eth_getBlockByNumber', ['0x10', false]))
 */
export function headerFromRpc (json: unknown, options: HeaderFromRpcOptions = {}): Header {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid('block', `${describe(json)} is not an object`)
  const o = json as Record<string, unknown>
  for (const later of LATER_FIELDS) {
    if (o[later] !== undefined && o[later] !== null) {
      throw invalid(later, 'present: this is a London-or-later header, and only the 15-field (pre-London) format is verified; run anvil with --hardfork byzantium')
    }
  }
  if (o.number === null) throw invalid('number', 'null: a pending block has no number and cannot be verified')
  const values: Partial<Record<HeaderField, Uint8Array | bigint>> = {}
  for (const field of HEADER_FIELDS) {
    if (!(field in o)) throw invalid(field, 'missing')
    values[field] = isQuantityField(field) ? readQuantity(field, o[field]) : readData(field, o[field])
  }
  const header = values as unknown as Header
  if ((options.checkHash ?? true) && o.hash !== undefined) {
    const claimed = typeof o.hash === 'string' ? parseHex(o.hash) : undefined
    if (claimed === undefined || claimed.length !== 32) throw invalid('hash', `${describe(o.hash)} is not a 32-byte hex hash`)
    const computed = headerHash(header)
    if (!equalBytes(claimed, computed)) {
      throw invalid('hash', `the source says ${bytesToHex(claimed)} but the fields hash to ${bytesToHex(computed)}`)
    }
  }
  return header
}

/** A header as the header fields of a JSON-RPC block object, plus its `hash`, in geth's form. */
export function headerToRpc (h: Header): Record<HeaderField | 'hash', string> {
  const out: Partial<Record<HeaderField | 'hash', string>> = {}
  for (const field of HEADER_FIELDS) {
    const v = h[field]
    out[field] = typeof v === 'bigint' ? '0x' + v.toString(16) : bytesToHex(v)
  }
  out.hash = bytesToHex(headerHash(h))
  return out as Record<HeaderField | 'hash', string>
}
