/**
 * Seal engines behind one interface. An engine answers two questions about a header: is its seal
 * valid and authorised in this context, and who sealed it. Header-format rules that depend on the
 * engine (extraData length, difficulty range) live with the other rules in ../verify/.
 */
import type { Address } from '../bytes.js'
import type { Header } from '../header.js'
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
}

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
  switch (name) {
    case 'tribe': return createTribeEngine(recover)
    case 'clique': return createCliqueEngine(recover)
    case 'none': return createNoneEngine()
  }
}
