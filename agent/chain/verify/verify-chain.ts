/**
 * Verifies a segment of consecutive headers on top of a trusted anchor, carrying engine state
 * (the Clique snapshot) from header to header, and reports how far it got.
 */
import type { Header } from '../header.js'
import { cliqueApply, cliqueSnapshotFromCheckpoint, type CliqueSnapshot } from '../seal/clique-snapshot.js'
import type { VerifyContext, VerifyFailure } from './types.js'
import { verifyHeader } from './verify-header.js'

export interface ChainSegmentResult {
  /** How many headers, from the start of the segment, passed. */
  readonly verified: number
  /** The last header that passed: the anchor when none did. Extend from here. */
  readonly head: Header
  /** Why `headers[verified]` was refused; absent when the whole segment passed. */
  readonly failure?: VerifyFailure
  /** Clique: the snapshot at `head`, to pass as `ctx.clique` for the next segment. */
  readonly clique?: CliqueSnapshot
}

/**
 * @param anchor a trusted header: the checkpoint, or the head of an earlier verified segment.
 * @param headers anchor+1, anchor+2, … in order.
 * @param ctx for Clique, `ctx.clique` is the snapshot at the anchor; when it is absent the anchor
 *   must be a checkpoint and its signer list is taken as the snapshot.
 * @example
 *   const r = verifyChain(store.head(), await source.headers(from, 64), ctx)
 *   await store.append(batch.slice(0, r.verified)); if (r.failure) demote(source, r.failure)
 */
export function verifyChain (anchor: Header, headers: readonly Header[], ctx: VerifyContext): ChainSegmentResult {
  let clique = ctx.clique
  if (clique === undefined && ctx.preset.engine === 'clique') clique = cliqueSnapshotFromCheckpoint(anchor, ctx.preset.clique.epoch)
  let parent = anchor
  for (const [i, header] of headers.entries()) {
    const failed = verifyHeader(parent, header, clique === undefined ? ctx : { ...ctx, clique })
    if (failed !== undefined) return { verified: i, head: parent, failure: failed, clique }
    if (clique !== undefined) {
      const signer = ctx.engine.signer(header)
      // verifySeal just recovered it (cached), so this cannot be undefined for a header that passed.
      if (signer === undefined) throw new Error(`header ${header.number} passed but has no signer`)
      clique = cliqueApply(clique, header, signer)
    }
    parent = header
  }
  return { verified: headers.length, head: parent, clique }
}
