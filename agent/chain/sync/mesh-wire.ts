/**
 * The `/meshbox/headers/1` message format (README.md, "Mesh messages"). One RLP list:
 *
 *   [kind, chainId, network, body]
 *
 *   kind     1 = announce (a new verified head and the headers before it),
 *            2 = range (headers answering a request), 3 = request
 *   chainId  the preset's EIP-155 chain id (integer)
 *   network  the preset name as bytes ("mainnet", "testnet", "dev"): dev and mainnet share a chain id
 *   body     kinds 1 and 2: a list of 1–64 headers, each the byte string encodeHeader(h), numbers
 *            consecutive and ascending, each naming the previous one as parent;
 *            kind 3: [from, count], count 1–256: "please publish canonical headers from `from`"
 *
 * Decoding is strict and bounded; anything off is a reason string (the broadcast validator
 * rejects the message with it).
 */
import { bigintToBytes, bytesToBigint, bytesToHex, equalBytes } from '../bytes.js'
import { ChainInputError } from '../errors.js'
import { decodeHeader, encodeHeader, headerHash, type Header } from '../header.js'
import { decodeRlp, encodeRlp } from '../rlp.js'

export const MESH_KIND = { announce: 1, range: 2, request: 3 } as const
export type MeshKind = 'announce' | 'range' | 'request'

/** Headers in one message: ~47 KB of post-fork Spectrum headers, under the 64 KiB topic bound. */
export const MAX_HEADERS_PER_MESSAGE = 64
/** Headers one request may ask for; answers come as several messages. */
export const MAX_REQUEST_COUNT = 256
const MAX_NETWORK_BYTES = 16

export type MeshMessage =
  | { kind: 'announce' | 'range', chainId: bigint, network: string, headers: Header[] }
  | { kind: 'request', chainId: bigint, network: string, from: bigint, count: number }

const text = new TextEncoder()
const utf8 = new TextDecoder('utf-8', { fatal: true })

export function encodeMeshMessage (m: MeshMessage): Uint8Array {
  const head = [bigintToBytes(BigInt(MESH_KIND[m.kind])), bigintToBytes(m.chainId), text.encode(m.network)]
  const body = m.kind === 'request'
    ? [bigintToBytes(m.from), bigintToBytes(BigInt(m.count))]
    : m.headers.map(h => encodeHeader(h))
  return encodeRlp([...head, body])
}

/** Bytes RLP spends around the list and the small fields of a message, at most. */
const MESSAGE_OVERHEAD_BYTES = 64

/**
 * Packs consecutive headers into as few messages as fit both MAX_HEADERS_PER_MESSAGE and
 * `maxBytes` (the topic's bound). Stops at a header too large to fit a message alone.
 */
export function packHeaders (kind: 'announce' | 'range', chainId: bigint, network: string, headers: readonly Header[], maxBytes: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let batch: Header[] = []
  let size = MESSAGE_OVERHEAD_BYTES
  const flush = (): void => {
    if (batch.length > 0) out.push(encodeMeshMessage({ kind, chainId, network, headers: batch }))
    batch = []
    size = MESSAGE_OVERHEAD_BYTES
  }
  for (const h of headers) {
    const bytes = encodeHeader(h).length + 5 // the byte-string prefix around each header
    if (batch.length >= MAX_HEADERS_PER_MESSAGE || size + bytes > maxBytes) flush()
    if (size + bytes > maxBytes) break // cannot fit even alone; what follows would not link up
    batch.push(h)
    size += bytes
  }
  flush()
  return out
}

function uint (item: unknown, what: string, max: bigint): bigint | string {
  if (!(item instanceof Uint8Array)) return `${what} is not an integer`
  if (item.length > 0 && item[0] === 0) return `${what} has a leading zero byte`
  const v = bytesToBigint(item)
  return v > max ? `${what} is out of range` : v
}

/** The message, or a reason it is malformed. */
export function decodeMeshMessage (data: Uint8Array): MeshMessage | string {
  let list
  try {
    list = decodeRlp(data, { maxBytes: data.length, maxDepth: 3 })
  } catch (err) {
    return `not RLP: ${err instanceof Error ? err.message : String(err)}`
  }
  if (list instanceof Uint8Array || list.length !== 4) return 'not a list of [kind, chainId, network, body]'
  const [kindItem, chainItem, networkItem, body] = list
  const kind = uint(kindItem, 'kind', 255n)
  if (typeof kind === 'string') return kind
  const chainId = uint(chainItem, 'chainId', (1n << 64n) - 1n)
  if (typeof chainId === 'string') return chainId
  if (!(networkItem instanceof Uint8Array) || networkItem.length === 0 || networkItem.length > MAX_NETWORK_BYTES) return 'network is not a short name'
  let network: string
  try { network = utf8.decode(networkItem) } catch { return 'network is not UTF-8' }
  if (body === undefined || body instanceof Uint8Array) return 'body is not a list'
  if (kind === BigInt(MESH_KIND.request)) {
    if (body.length !== 2) return 'request body is not [from, count]'
    const from = uint(body[0], 'from', (1n << 64n) - 1n)
    if (typeof from === 'string') return from
    const count = uint(body[1], 'count', BigInt(MAX_REQUEST_COUNT))
    if (typeof count === 'string') return count
    if (count === 0n) return 'count is 0'
    return { kind: 'request', chainId, network, from, count: Number(count) }
  }
  if (kind !== BigInt(MESH_KIND.announce) && kind !== BigInt(MESH_KIND.range)) return `unknown kind ${kind}`
  if (body.length === 0 || body.length > MAX_HEADERS_PER_MESSAGE) return `carries ${body.length} headers, expected 1 to ${MAX_HEADERS_PER_MESSAGE}`
  const headers: Header[] = []
  for (const [i, item] of body.entries()) {
    if (!(item instanceof Uint8Array)) return `header ${i} is not a byte string`
    let h: Header
    try {
      h = decodeHeader(item)
    } catch (err) {
      return `header ${i}: ${err instanceof ChainInputError ? err.message : String(err)}`
    }
    const prev = headers[headers.length - 1]
    if (prev !== undefined) {
      if (h.number !== prev.number + 1n) return `header ${i} (block ${h.number}) does not follow block ${prev.number}`
      if (!equalBytes(h.parentHash, headerHash(prev))) return `header ${i} (block ${h.number}) does not name block ${prev.number} ${bytesToHex(headerHash(prev))} as its parent`
    }
    headers.push(h)
  }
  return { kind: kind === BigInt(MESH_KIND.announce) ? 'announce' : 'range', chainId, network, headers }
}
