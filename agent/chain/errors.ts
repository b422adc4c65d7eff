/**
 * Errors thrown by the pure chain code when *input* is malformed (RLP bytes, JSON-RPC objects).
 * Rule violations of well-formed headers are not thrown: they come back as `VerifyFailure`
 * values (verify/failure.ts), because a bad header from upstream is an expected event.
 *
 * The codes are meant to join agent/errors.ts (`ErrorCode`) when the chain component is wired;
 * until then they live here so this folder has no dependency on files being edited elsewhere.
 */
export const ChainErrorCode = {
  /** Bytes that are not canonical, bounded RLP. */
  RLP_INVALID: 'CHAIN_RLP_INVALID',
  /** A header (JSON-RPC object or RLP list) with a missing or malformed field. */
  HEADER_INVALID: 'CHAIN_HEADER_INVALID',
  /** A chain preset name or override that does not exist or does not fit. */
  PRESET_INVALID: 'CHAIN_PRESET_INVALID'
} as const

export type ChainErrorCode = typeof ChainErrorCode[keyof typeof ChainErrorCode]

export class ChainInputError extends Error {
  static override readonly name = 'ChainInputError'
  readonly code: ChainErrorCode
  /** The offending field (`gasLimit`, `rlp[3]`…), when one can be named. */
  readonly field: string | undefined

  constructor (code: ChainErrorCode, message: string, field?: string) {
    super(message)
    this.name = 'ChainInputError'
    this.code = code
    this.field = field
  }
}
