/**
 * Timestamps: a minimum gap after the parent, and not too far past our clock.
 *
 * The gap is the block period for Clique (geth: parent.time + period ≤ time), period − 1 s for
 * Tribe after SIP002 (the in-turn signer may seal 14 s after its parent; later signers wait
 * longer, which needs the signer list to check), the full period before SIP002, and 1 s
 * (strictly increasing, as ethash requires) for the unsealed dev chain.
 */
import { isForked, type ChainPreset } from '../presets.js'
import { failure, type HeaderRule } from './types.js'

export function minTimestampGapS (preset: ChainPreset, number: bigint): bigint {
  const period = BigInt(preset.periodS)
  switch (preset.engine) {
    case 'clique': return period
    case 'none': return 1n
    // With SIP002's block unknown, accept the shorter gap: looser never refuses a valid header.
    case 'tribe': return isForked(preset.tribe.sip002Block, number) === false ? period : period - 1n
  }
}

export const ruleTimestamp: HeaderRule = (parent, header, ctx) => {
  const gap = minTimestampGapS(ctx.preset, header.number)
  if (header.timestamp >= parent.timestamp + gap) return undefined
  return failure('timestamp', header, 'timestamp', `${header.timestamp} is ${header.timestamp - parent.timestamp} s after the parent's ${parent.timestamp}, less than the ${gap} s minimum`)
}

/**
 * A header from the future is not proof of a lie (our clock may be behind), so it has its own
 * rule name: sync should retry it later rather than demote the source.
 */
export const ruleFuture: HeaderRule = (_parent, header, ctx) => {
  const now = BigInt(Math.floor(ctx.nowS))
  const slack = BigInt(ctx.preset.maxFutureS)
  if (header.timestamp <= now + slack) return undefined
  return failure('future', header, 'timestamp', `${header.timestamp} is ${header.timestamp - now} s ahead of our clock, more than the ${slack} s allowed`)
}
