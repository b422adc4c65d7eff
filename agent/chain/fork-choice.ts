/**
 * Fork choice between verified heads: the heaviest chain by total difficulty wins, as in geth
 * and Spectrum. On equal weight the lower head wins (geth's rule); on a full tie we keep the
 * current head, where geth flips a coin: a light client gains nothing from switching.
 */
import type { Header } from './header.js'

export interface ChainHead {
  readonly number: bigint
  /** Sum of the difficulties from genesis (or from the anchor, if both heads share it) to this head. */
  readonly totalDifficulty: bigint
}

/** Returns `candidate` if it should replace `current` as the head, else `current`. */
export function chooseHead<T extends ChainHead> (current: T, candidate: T): T {
  if (candidate.totalDifficulty !== current.totalDifficulty) return candidate.totalDifficulty > current.totalDifficulty ? candidate : current
  return candidate.number < current.number ? candidate : current
}

export function totalDifficulty (parentTotal: bigint, header: Header): bigint {
  return parentTotal + header.difficulty
}
