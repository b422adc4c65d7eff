/**
 * Errors thrown by the pure chain code when *input* is malformed (RLP bytes, JSON-RPC objects).
 * Rule violations of well-formed headers are not thrown: they come back as `VerifyFailure`
 * values (verify/failure.ts), because a bad header from upstream is an expected event.
 *
 * The codes are agent error codes (agent/errors.ts, documented in docs/errors.md), and a
 * ChainInputError is an AgentError: the HTTP layer maps it to 400 like any input error. Add a
 * new code to `ErrorCode` first, then name it here.
 */
import { AgentError, ErrorCode } from '../errors.js'

export const ChainErrorCode = {
  /** Bytes that are not canonical, bounded RLP. */
  RLP_INVALID: ErrorCode.CHAIN_RLP_INVALID,
  /** A header (JSON-RPC object or RLP list) with a missing or malformed field. */
  HEADER_INVALID: ErrorCode.CHAIN_HEADER_INVALID,
  /** A chain preset name or override that does not exist or does not fit. */
  PRESET_INVALID: ErrorCode.CHAIN_PRESET_INVALID,
  /** A Merkle-Patricia proof (eth_getProof) that is malformed or does not prove what it claims. */
  PROOF_INVALID: ErrorCode.CHAIN_PROOF_INVALID,
  /** A raw transaction that is malformed or not acceptable on this chain (chain id, signature, type). */
  TX_INVALID: ErrorCode.CHAIN_TX_INVALID
} as const

export type ChainErrorCode = typeof ChainErrorCode[keyof typeof ChainErrorCode]

export class ChainInputError extends AgentError {
  declare readonly code: ChainErrorCode
  /** The offending field (`gasLimit`, `rlp[3]`…), when one can be named. */
  readonly field: string | undefined

  constructor (code: ChainErrorCode, message: string, field?: string) {
    super(code, message, field !== undefined ? { data: { field } } : {})
    this.name = 'ChainInputError'
    this.field = field
  }
}
