/**
 * Signer recovery with the native addon (agent/chain/native.ts): libsecp256k1 as geth itself
 * uses it, ~0.08 ms per seal on the 2-core dev VM, the address hashed in C too.
 */
import { toAddress } from '../bytes.js'
import type { NativeCrypto } from '../native.js'
import type { RecoverSigner } from './recover.js'

/** The same contract as recoverWithNoble: v ∈ {0, 1} only, high s accepted, undefined when malformed. */
export function recoverWithNative (native: NativeCrypto): RecoverSigner {
  return (digest, seal) => {
    if (digest.length !== 32 || seal.length !== 65) return undefined
    const v = seal[64]
    if (v !== 0 && v !== 1) return undefined
    const out = new Uint8Array(20)
    return native.recoverAddress(digest, seal, out) ? toAddress(out) : undefined
  }
}
