/**
 * Header verification: one pure function per rule (rules-*.ts), verifyHeader to run them all on
 * one header, verifyChain for a segment. What each rule checks, and what is not checked yet:
 * ../README.md.
 */
export { HEADER_RULES, ruleSeal, verifyHeader } from './verify-header.js'
export { verifyChain, type ChainSegmentResult } from './verify-chain.js'
export { ruleNumber, ruleParentHash } from './rules-link.js'
export { minTimestampGapS, ruleFuture, ruleTimestamp } from './rules-time.js'
export { ruleGasLimit, ruleGasUsed } from './rules-gas.js'
export { ruleCoinbase, ruleDifficulty, ruleExtraData, ruleMixHash, ruleNonce, ruleUnclesHash } from './rules-format.js'
export { failure, type HeaderRule, type RuleName, type VerifyContext, type VerifyFailure } from './types.js'
