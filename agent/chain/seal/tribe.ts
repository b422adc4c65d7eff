/**
 * Tribe, Spectrum's PoA engine: a 65-byte secp256k1 seal ends extraData and signs the header
 * without it (the same digest as Clique). The signer is the node key, not the coinbase.
 *
 * Authority is checked only when the context carries the signer set at the parent: Tribe keeps
 * that set in the chief contract's storage, not in headers, so it has to come from proven state
 * or from what the chain taught us (README.md, "Not verified yet"). Which difficulty a signer
 * was due (6 in turn, 5 for the substitute, ...) needs the ordered chief list for the same reason.
 */
import { SEAL_BYTES, sealHash, sealOf, type Header } from '../header.js'
import { failure } from '../verify/types.js'
import type { SealCheck } from './engine.js'
import type { RecoverSigner } from './recover.js'

export function createTribeEngine (recover: RecoverSigner): SealCheck {
  const signer = (h: Header): ReturnType<RecoverSigner> =>
    h.extraData.length < SEAL_BYTES ? undefined : recover(sealHash(h, 'tribe'), sealOf(h))
  return {
    name: 'tribe',
    signer,
    verifySeal (header, ctx) {
      if (header.extraData.length < SEAL_BYTES) return failure('seal', header, 'seal', `missing: extraData has ${header.extraData.length} bytes`)
      const who = signer(header)
      if (who === undefined) return failure('seal', header, 'seal', 'recovers no signer (malformed or invalid signature)')
      if (ctx.signers !== undefined && !ctx.signers.has(who)) {
        return failure('signer', header, 'seal', `signer ${who} is not among the ${ctx.signers.size} signers authorised at the parent`)
      }
      return undefined
    }
  }
}
