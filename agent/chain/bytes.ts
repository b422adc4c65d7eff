/**
 * Byte, hex and big-integer helpers shared by the chain code. Hex parsing here is strict on
 * purpose: everything it reads comes from upstream nodes or peers and is hostile until checked.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { loadNativeCrypto } from './native.js'

/** A 20-byte address as lowercase `0x` hex: the form used for map keys and in messages. */
export type Address = `0x${string}`

export const ZERO_HASH = new Uint8Array(32)
export const ZERO_ADDRESS = new Uint8Array(20)

const HEX_CHARS = '0123456789abcdef'
const NIBBLE: Record<string, number> = {}
for (let i = 0; i < 16; i++) {
  NIBBLE[HEX_CHARS[i] as string] = i
  NIBBLE[(HEX_CHARS[i] as string).toUpperCase()] = i
}

/** The native addon's Keccak-256 (~6× faster on a header) once looked for; null when absent. */
let nativeKeccak: ((data: Uint8Array, out: Uint8Array) => void) | null | undefined

export function keccak256 (data: Uint8Array): Uint8Array {
  if (nativeKeccak === undefined) nativeKeccak = loadNativeCrypto()?.keccak256 ?? null
  if (nativeKeccak === null) return keccak_256(data)
  const out = new Uint8Array(32)
  nativeKeccak(data, out)
  return out
}

export function bytesToHex (bytes: Uint8Array): `0x${string}` {
  let out = '0x'
  for (const b of bytes) out += (HEX_CHARS[b >> 4] as string) + (HEX_CHARS[b & 15] as string)
  return out as `0x${string}`
}

/**
 * Parses `0x`-prefixed hex of an even number of digits (either case). Returns undefined for
 * anything else, so callers can name the offending field in their own error.
 */
export function parseHex (text: string): Uint8Array | undefined {
  if (text.length < 2 || text[0] !== '0' || (text[1] !== 'x' && text[1] !== 'X')) return undefined
  const digits = text.length - 2
  if (digits % 2 !== 0) return undefined
  const out = new Uint8Array(digits / 2)
  for (let i = 0; i < out.length; i++) {
    const hi = NIBBLE[text[2 + 2 * i] as string]
    const lo = NIBBLE[text[3 + 2 * i] as string]
    if (hi === undefined || lo === undefined) return undefined
    out[i] = hi * 16 + lo
  }
  return out
}

/** Like parseHex but throws; for constants in code and tests, never for input. */
export function hexToBytes (text: string): Uint8Array {
  const out = parseHex(text)
  if (out === undefined) throw new TypeError(`not 0x-prefixed even-length hex: ${text.slice(0, 20)}`)
  return out
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function isZero (bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false
  return true
}

export function concatBytes (...parts: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.length
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/** Minimal big-endian bytes of a non-negative integer: 0 is the empty array, as RLP wants. */
export function bigintToBytes (value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('negative integers have no RLP form')
  if (value === 0n) return new Uint8Array(0)
  let hex = value.toString(16)
  if (hex.length % 2 === 1) hex = '0' + hex
  return hexToBytes('0x' + hex)
}

export function bytesToBigint (bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n
  return BigInt(bytesToHex(bytes))
}

export function toAddress (bytes: Uint8Array): Address {
  if (bytes.length !== 20) throw new RangeError(`an address is 20 bytes, not ${bytes.length}`)
  return bytesToHex(bytes)
}

/** Address of an uncompressed secp256k1 public key (65 bytes, 0x04 prefix). */
export function addressOfPublicKey (uncompressed: Uint8Array): Address {
  if (uncompressed.length !== 65 || uncompressed[0] !== 4) throw new RangeError('expected a 65-byte uncompressed public key')
  return toAddress(keccak256(uncompressed.subarray(1)).subarray(12))
}
