/**
 * Seal engines behind one interface. An engine answers two questions about a header: is its seal
 * valid and authorised in this context, and who sealed it. Header-format rules that depend on the
 * engine (extraData length, difficulty range) live with the other rules in ../verify/.
 */
import type { Address } from '../bytes.js'
import { SEAL_BYTES, sealHash, sealOf, type Header } from '../header.js'
import type { SealEngineName } from '../presets.js'
import type { VerifyContext, VerifyFailure } from '../verify/types.js'
import { createCliqueEngine } from './clique.js'
import { createNoneEngine } from './none.js'
import { cachedRecover, recoverWithNoble, type RecoverSigner } from './recover.js'
import { createTribeEngine } from './tribe.js'

export interface SealEngine {
  readonly name: SealEngineName
  /**
   * Checks the seal of a header whose other rules already passed. Pure apart from the recovery
   * cache. Throws only on misuse (e.g. a Clique context without a snapshot at the parent).
   */
  verifySeal (header: Header, ctx: VerifyContext): VerifyFailure | undefined
  /**
   * The address that sealed the header, or undefined when the seal is malformed or recovers no
   * key. For `none` this is the coinbase (`miner`), since nothing is signed.
   */
  signer (header: Header): Address | undefined
  /**
   * What recovering the signer takes (the seal hash and the 65 seal bytes), so a batch can be
   * recovered off-thread before it is verified; undefined when nothing is signed (`none`) or
   * extraData has no room for a seal.
   */
  sealInput (header: Header): SealInput | undefined
  /** Is the signer of this input in the recovery cache already? */
  knows (input: SealInput): boolean
  /**
   * Records a signer recovered elsewhere (recover-pool.ts), so verifySeal finds it cached. Only
   * for an answer of the same recovery: verification trusts it as its own.
   */
  seed (input: SealInput, signer: Address): void
}

/** What each engine's file implements; createSealEngine adds the recovery-cache part. */
export type SealCheck = Pick<SealEngine, 'name' | 'verifySeal' | 'signer'>

export interface SealInput { readonly digest: Uint8Array, readonly seal: Uint8Array }

export interface SealEngineInit {
  /** Recovery backend; defaults to pure-JS @noble/curves. */
  recover?: RecoverSigner
  /** Entries of the recovered-signer cache (default 4096: twice the default window of kept headers). */
  cacheSize?: number
}

/**
 * @example
 *   const preset = resolvePreset('mainnet')
 *   const engine = createSealEngine(preset.engine)
 *   const failure = verifyHeader(parent, header, { preset, engine, nowS: Date.now() / 1000 })
 */
export function createSealEngine (name: SealEngineName, init: SealEngineInit = {}): SealEngine {
  const recover = cachedRecover(init.recover ?? recoverWithNoble, init.cacheSize)
  if (name === 'none') return { ...createNoneEngine(), sealInput: () => undefined, knows: () => true, seed: () => {} }
  const base = name === 'tribe' ? createTribeEngine(recover) : createCliqueEngine(recover)
  return {
    ...base,
    // Tribe and Clique sign the same digest, from the same bytes.
    sealInput: (h) => h.extraData.length < SEAL_BYTES ? undefined : { digest: sealHash(h, name), seal: sealOf(h) },
    knows: (input) => recover.has(input.digest, input.seal),
    seed: (input, signer) => { recover.seed(input.digest, input.seal, signer) }
  }
}
