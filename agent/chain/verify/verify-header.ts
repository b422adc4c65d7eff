/**
 * Runs every rule on one header, cheapest first and the seal (signature recovery, ~2 ms in pure
 * JS) last, and returns the first failure.
 */
import type { Header } from '../header.js'
import { ruleCoinbase, ruleDifficulty, ruleExtraData, ruleMixHash, ruleNonce, ruleUnclesHash } from './rules-format.js'
import { ruleGasLimit, ruleGasUsed } from './rules-gas.js'
import { ruleNumber, ruleParentHash } from './rules-link.js'
import { ruleFuture, ruleTimestamp } from './rules-time.js'
import type { HeaderRule, VerifyContext, VerifyFailure } from './types.js'

/**
 * The seal engine's check (rules seal, signer, recently-signed, checkpoint-signers, and Clique's
 * turn difficulty). It presumes the header links to its parent (ruleNumber and ruleParentHash
 * passed): engine state such as the Clique snapshot is keyed to the parent.
 */
export const ruleSeal: HeaderRule = (_parent, header, ctx) => ctx.engine.verifySeal(header, ctx)

/** Every rule, in the order verifyHeader applies them. */
export const HEADER_RULES: readonly HeaderRule[] = [
  ruleNumber, ruleParentHash, ruleTimestamp, ruleFuture, ruleGasLimit, ruleGasUsed,
  ruleExtraData, ruleUnclesHash, ruleMixHash, ruleNonce, ruleCoinbase, ruleDifficulty,
  ruleSeal
]

/**
 * Verifies `header` as the child of `parent`, which must itself be trusted (the anchor, or a
 * header that passed). Returns undefined if every rule passes.
 * @throws TypeError on misuse: an engine that does not match the preset, or (Clique) a context
 *   without the snapshot at the parent.
 * @example
 *   const failure = verifyHeader(parent, header, { preset, engine, nowS: Date.now() / 1000 })
 *   if (failure !== undefined) log.warn('Header refused', { rule: failure.rule, reason: failure.message })
 */
export function verifyHeader (parent: Header, header: Header, ctx: VerifyContext): VerifyFailure | undefined {
  if (ctx.engine.name !== ctx.preset.engine) {
    throw new TypeError(`seal engine ${ctx.engine.name} does not match preset ${ctx.preset.name} (${ctx.preset.engine})`)
  }
  for (const rule of HEADER_RULES) {
    const failed = rule(parent, header, ctx)
    if (failed !== undefined) return failed
  }
  return undefined
}
