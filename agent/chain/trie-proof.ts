/**
 * Merkle-Patricia trie proof walking (yellow paper appendix D), for the proofs `eth_getProof`
 * returns (EIP-1186). A proof is the list of trie nodes on the path from the root to a key, each
 * as its RLP encoding; the first must hash to the root and each next one to the reference its
 * parent holds. Nodes whose encoding is shorter than 32 bytes are embedded in their parent
 * instead of referenced by hash, so they are not separate proof elements.
 *
 * The walk ends at the key's leaf (inclusion) or where the trie proves the key absent
 * (exclusion): an empty branch slot, a leaf for another key, or an extension that leaves the
 * key's path. Anything else (a hash mismatch, a missing node, malformed RLP, nodes left over
 * after the walk ended) throws, because a valid proof has exactly one reading.
 */
import { bytesToHex, equalBytes, keccak256 } from './bytes.js'
import { ChainErrorCode, ChainInputError } from './errors.js'
import { decodeRlp, encodeRlp, type RlpItem } from './rlp.js'

/** keccak256(RLP('')): the root of an empty trie (an account without storage, an empty state). */
export const EMPTY_TRIE_ROOT = keccak256(Uint8Array.of(0x80))

/**
 * Largest node we accept. A branch is at most 17 items of 33 bytes plus a 3-byte prefix (~532
 * bytes); leaves of the state trie hold a ~110-byte account. 1 KiB keeps hostile input small.
 */
export const MAX_TRIE_NODE_BYTES = 1024
/** One node per nibble of a 32-byte key, plus the root: more cannot be on one path. */
export const MAX_PROOF_NODES = 65

function fail (field: string, message: string): never {
  throw new ChainInputError(ChainErrorCode.PROOF_INVALID, `${field}: ${message}`, field)
}

function toNibbles (bytes: Uint8Array): number[] {
  const out: number[] = []
  for (const b of bytes) out.push(b >> 4, b & 15)
  return out
}

/** Hex-prefix decoding (appendix C): the path nibbles and whether the node is a leaf. */
function hexPrefix (encoded: Uint8Array, field: string): { path: number[], leaf: boolean } {
  const first = encoded[0]
  if (first === undefined) fail(field, 'a leaf or extension node has an empty path encoding')
  const flag = first >> 4
  if (flag > 3) fail(field, `hex-prefix flag ${flag} is not 0–3`)
  const odd = (flag & 1) === 1
  if (!odd && (first & 15) !== 0) fail(field, 'an even-length hex-prefix path has a non-zero padding nibble')
  const path = toNibbles(encoded.subarray(1))
  if (odd) path.unshift(first & 15)
  return { path, leaf: flag >= 2 }
}

/** A child reference: a 32-byte hash, an embedded node (a list), or empty (no child). */
type Ref = { kind: 'hash', hash: Uint8Array } | { kind: 'node', node: readonly RlpItem[] } | { kind: 'none' }

function readRef (item: RlpItem, field: string): Ref {
  if (item instanceof Uint8Array) {
    if (item.length === 0) return { kind: 'none' }
    if (item.length === 32) return { kind: 'hash', hash: item }
    fail(field, `a child reference of ${item.length} bytes is neither a 32-byte hash nor an embedded node`)
  }
  if (encodeRlp(item).length >= 32) fail(field, 'an embedded node of 32 bytes or more should have been referenced by its hash')
  return { kind: 'node', node: item }
}

/**
 * Walks `proof` from `root` along `key` (already hashed: keccak256(address) or keccak256(slot)).
 * Returns the leaf's value bytes, or null when the proof shows the key is absent.
 * @param field names the proof in messages and in `ChainInputError.field` (`accountProof`, `storageProof[0].proof`).
 * @throws ChainInputError (CHAIN_PROOF_INVALID) naming the element at fault, e.g. `accountProof[2]`.
 */
export function verifyTrieProof (root: Uint8Array, key: Uint8Array, proof: readonly Uint8Array[], field: string): Uint8Array | null {
  if (root.length !== 32) fail(field, `the root is ${root.length} bytes, expected 32`)
  if (proof.length > MAX_PROOF_NODES) fail(field, `${proof.length} nodes, more than a path can hold (${MAX_PROOF_NODES})`)
  const nibbles = toNibbles(key)
  let at = 0
  let used = 0
  let ref: Ref = { kind: 'hash', hash: root }
  let where = field // the element the current node came from, for messages
  let value: Uint8Array | null = null

  walk: for (;;) {
    let node: RlpItem
    if (ref.kind === 'hash') {
      const encoded = proof[used]
      const expected = used === 0 ? `the root is ${bytesToHex(ref.hash)}` : `${where} references ${bytesToHex(ref.hash)}`
      if (encoded === undefined) {
        if (used === 0 && equalBytes(root, EMPTY_TRIE_ROOT)) break // an empty trie needs no node
        fail(`${field}[${used}]`, `missing node: ${expected} but the proof ends after ${used} node(s)`)
      }
      where = `${field}[${used}]`
      if (encoded.length > MAX_TRIE_NODE_BYTES) fail(where, `a node of ${encoded.length} bytes, more than ${MAX_TRIE_NODE_BYTES}`)
      const hash = keccak256(encoded)
      if (!equalBytes(hash, ref.hash)) fail(where, `node hashes to ${bytesToHex(hash)} but ${expected}`)
      try {
        node = decodeRlp(encoded, { maxBytes: MAX_TRIE_NODE_BYTES, maxDepth: 4 })
      } catch (err) {
        fail(where, `malformed node: ${err instanceof Error ? err.message : String(err)}`)
      }
      used++
    } else if (ref.kind === 'node') {
      node = ref.node
    } else {
      break // an empty slot: absent
    }

    if (node instanceof Uint8Array) {
      if (node.length === 0 && used === 1) break // the empty trie's root node (RLP '')
      fail(where, 'a node is a byte string, not a branch, extension or leaf list')
    }
    if (node.length === 17) {
      const nibble = nibbles[at]
      if (nibble === undefined) fail(where, 'a branch node where the key has no nibbles left')
      at++
      const child = node[nibble] as RlpItem
      ref = readRef(child, where)
      continue
    }
    if (node.length !== 2) fail(where, `a node of ${node.length} items is neither a branch (17) nor a leaf or extension (2)`)
    const [encodedPath, next] = node as [RlpItem, RlpItem]
    if (!(encodedPath instanceof Uint8Array)) fail(where, 'a leaf or extension path is a list')
    const { path, leaf } = hexPrefix(encodedPath, where)
    const rest = nibbles.slice(at)
    const sharesPath = path.every((n, i) => rest[i] === n)
    if (leaf) {
      if (!(next instanceof Uint8Array) || next.length === 0) fail(where, 'a leaf without a value')
      if (path.length !== rest.length) fail(where, `a leaf path of ${path.length} nibbles where ${rest.length} remain of the key`)
      if (sharesPath) value = next
      break walk // same path: inclusion; another path: this leaf proves the key absent
    }
    if (path.length === 0 || path.length >= rest.length) fail(where, `an extension of ${path.length} nibbles where ${rest.length} remain of the key`)
    if (!sharesPath) break // the key's path leaves the trie here: absent
    at += path.length
    ref = readRef(next, where)
    if (ref.kind === 'none') fail(where, 'an extension without a child')
  }

  if (used < proof.length) {
    fail(`${field}[${used}]`, `${proof.length - used} node(s) left after the path ends at ${where} (the path diverges: a proof for another key?)`)
  }
  return value
}
