/**
 * Signer recovery from a 65-byte seal (r‖s‖v) over a 32-byte digest, behind a function type so
 * a faster backend (WASM libsecp256k1, a worker pool) can replace the pure-JS one without
 * touching the engines. Recovery is by far the most expensive step of header verification
 * (see test/bench/chain-verify.bench.ts), so results are cached by (digest, seal).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { addressOfPublicKey, bytesToBigint, type Address } from '../bytes.js'

/** Returns the signer's address, or undefined if the seal is malformed or recovers no key. */
export type RecoverSigner = (digest: Uint8Array, seal: Uint8Array) => Address | undefined

const CURVE_ORDER = secp256k1.Point.Fn.ORDER

/**
 * Pure-JS recovery with @noble/curves. Accepts v ∈ {0, 1} only (what geth's signers write; 2 and
 * 3 need r ≥ n, which no honest signer produces) and, like geth's Ecrecover, high-s values too:
 * the low-s rule applies to transactions, not to seals.
 */
export const recoverWithNoble: RecoverSigner = (digest, seal) => {
  if (digest.length !== 32 || seal.length !== 65) return undefined
  const v = seal[64]
  if (v !== 0 && v !== 1) return undefined
  const r = bytesToBigint(seal.subarray(0, 32))
  const s = bytesToBigint(seal.subarray(32, 64))
  if (r === 0n || r >= CURVE_ORDER || s === 0n || s >= CURVE_ORDER) return undefined
  try {
    const point = new secp256k1.Signature(r, s, v).recoverPublicKey(digest)
    return addressOfPublicKey(point.toBytes(false))
  } catch {
    return undefined
  }
}

/**
 * One character per byte (WHATWG latin1 is windows-1252: 256 distinct code points), ~4 times
 * cheaper than hex; the key is built three times per header on the sync path. The digest length
 * leads the key so that no two (digest, seal) pairs of other lengths share one.
 */
const bytesKey = new TextDecoder('latin1')

/** A cached RecoverSigner that also takes answers found elsewhere (the worker pool). */
export interface CachedRecover extends RecoverSigner {
  /** Is the signer of this (digest, seal) already known? */
  has: (digest: Uint8Array, seal: Uint8Array) => boolean
  /** Records a signer recovered elsewhere, e.g. by recover-pool.ts for a whole batch. */
  seed: (digest: Uint8Array, seal: Uint8Array, signer: Address) => void
}

/**
 * Wraps a RecoverSigner with a bounded LRU cache. The same header often arrives more than once
 * (from two upstreams for cross-checking, from the mesh, again on a reorg) and the Clique engine
 * needs the signer both to verify and to advance its snapshot.
 */
export function cachedRecover (recover: RecoverSigner, maxEntries = 4096): CachedRecover {
  const cache = new Map<string, Address | undefined>()
  const keyOf = (digest: Uint8Array, seal: Uint8Array): string => `${digest.length}:${bytesKey.decode(digest)}${bytesKey.decode(seal)}`
  const put = (key: string, signer: Address | undefined): void => {
    cache.set(key, signer)
    if (cache.size > maxEntries) {
      const oldest = cache.keys().next()
      if (oldest.done !== true) cache.delete(oldest.value)
    }
  }
  const cached: RecoverSigner = (digest, seal) => {
    const key = keyOf(digest, seal)
    if (cache.has(key)) {
      const hit = cache.get(key)
      cache.delete(key)
      cache.set(key, hit)
      return hit
    }
    const signer = recover(digest, seal)
    put(key, signer)
    return signer
  }
  return Object.assign(cached, {
    has: (digest: Uint8Array, seal: Uint8Array) => cache.has(keyOf(digest, seal)),
    seed: (digest: Uint8Array, seal: Uint8Array, signer: Address) => { put(keyOf(digest, seal), signer) }
  })
}
