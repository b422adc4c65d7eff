/**
 * Clique (EIP-225). The seal signs the header without its last 65 extraData bytes; the signer
 * must be in the snapshot at the parent, must not have signed within the last ⌊N/2⌋ blocks, and
 * sets difficulty 2 when in turn (number % N is its index among the sorted signers), else 1.
 * A checkpoint header must list exactly the snapshot's signers.
 */
import { bytesToHex } from '../bytes.js'
import { SEAL_BYTES, sealHash, sealOf, type Header } from '../header.js'
import { failure } from '../verify/types.js'
import { cliqueInTurn, cliqueRecentlySigned, cliqueSignersFromExtra } from './clique-snapshot.js'
import type { SealCheck } from './engine.js'
import type { RecoverSigner } from './recover.js'

export const CLIQUE_DIFF_IN_TURN = 2n
export const CLIQUE_DIFF_NO_TURN = 1n

export function createCliqueEngine (recover: RecoverSigner): SealCheck {
  const signer = (h: Header): ReturnType<RecoverSigner> =>
    h.extraData.length < SEAL_BYTES ? undefined : recover(sealHash(h, 'clique'), sealOf(h))
  return {
    name: 'clique',
    signer,
    verifySeal (header, ctx) {
      const snap = ctx.clique
      if (snap === undefined) throw new TypeError('Clique verification needs ctx.clique, the snapshot at the parent')
      if (snap.number + 1n !== header.number || snap.hash !== bytesToHex(header.parentHash)) {
        throw new TypeError(`Clique snapshot is at ${snap.number} ${snap.hash}, not at the parent of header ${header.number}`)
      }
      if (header.number % snap.epoch === 0n) {
        // A malformed list is the extra-data rule's finding; this one compares a well-formed list.
        const listed = cliqueSignersFromExtra(header.extraData)
        if (listed !== undefined && listed.join() !== snap.signers.join()) {
          return failure('checkpoint-signers', header, 'extraData', `lists signers [${listed.join(', ')}], expected the snapshot's [${snap.signers.join(', ')}]`)
        }
      }
      if (header.extraData.length < SEAL_BYTES) return failure('seal', header, 'seal', `missing: extraData has ${header.extraData.length} bytes`)
      const who = signer(header)
      if (who === undefined) return failure('seal', header, 'seal', 'recovers no signer (malformed or invalid signature)')
      if (!snap.signers.includes(who)) return failure('signer', header, 'seal', `signer ${who} is not among the ${snap.signers.length} Clique signers`)
      if (cliqueRecentlySigned(snap, header.number, who)) return failure('recently-signed', header, 'seal', `signer ${who} signed one of the last ${Math.floor(snap.signers.length / 2)} blocks`)
      const due = cliqueInTurn(snap, header.number, who) ? CLIQUE_DIFF_IN_TURN : CLIQUE_DIFF_NO_TURN
      if (header.difficulty !== due) {
        return failure('difficulty', header, 'difficulty', `${header.difficulty} does not match the turn of signer ${who} (expected ${due})`)
      }
      return undefined
    }
  }
}
