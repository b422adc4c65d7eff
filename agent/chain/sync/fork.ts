/**
 * Pure decisions of the header store: fork choice, the kept window, checkpoints and pruning.
 */
import { chooseHead } from '../fork-choice.js'
import type { SealEngineName } from '../presets.js'

/** Below the window, every CHECKPOINT_EVERY-th canonical header is kept (and the anchor). */
export const CHECKPOINT_EVERY = 1024n
/** Pruning waits until this many headers fell out of the window, then deletes them in one commit. */
export const PRUNE_BATCH = 256n

export interface Weighed { readonly number: bigint, readonly td: bigint }

/**
 * Should `candidate` replace `current` as the head? By total difficulty (chooseHead: heavier
 * wins; equal weight, the lower head; full tie, keep). The dev chain (engine `none`, anvil) has
 * difficulty 0 everywhere, so weight never decides there: on equal weight the longer chain wins,
 * which is what the one node we trust for it does.
 */
export function prefersCandidate (engine: SealEngineName, current: Weighed, candidate: Weighed): boolean {
  if (engine === 'none' && candidate.td === current.td) return candidate.number > current.number
  const c = { number: current.number, totalDifficulty: current.td }
  const n = { number: candidate.number, totalDifficulty: candidate.td }
  return chooseHead(c, n) === n
}

/** Lowest number kept in full for this head: the window's bottom, never below the anchor. */
export function windowBottom (head: bigint, anchor: bigint, windowHeaders: number): bigint {
  const bottom = head - BigInt(windowHeaders) + 1n
  return bottom > anchor ? bottom : anchor
}

/** A canonical header kept below the window. */
export function isKeptBelowWindow (number: bigint, anchor: bigint): boolean {
  return number === anchor || number % CHECKPOINT_EVERY === 0n
}

/**
 * Numbers to prune now, [from, to), or undefined while fewer than PRUNE_BATCH are due (so the
 * deletes of many blocks share one commit).
 */
export function pruneRange (prunedBelow: bigint, head: bigint, anchor: bigint, windowHeaders: number): { from: bigint, to: bigint } | undefined {
  const from = prunedBelow > anchor + 1n ? prunedBelow : anchor + 1n
  const to = windowBottom(head, anchor, windowHeaders)
  return to - from >= PRUNE_BATCH ? { from, to } : undefined
}

/** A reorg whose common ancestor lies below the window (or below the anchor) is refused. */
export function reorgAllowed (ancestor: bigint, head: bigint, anchor: bigint, windowHeaders: number): boolean {
  return ancestor >= anchor && ancestor >= head - BigInt(windowHeaders)
}
