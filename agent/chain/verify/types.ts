/**
 * Shared types of header verification. A rule is a pure function of (parent, header, context)
 * that returns undefined when the header passes and a VerifyFailure when it does not; nothing
 * here throws for a bad header, since bad headers from upstream are an expected event.
 */
import type { Address } from '../bytes.js'
import type { Header, HeaderField } from '../header.js'
import type { ChainPreset } from '../presets.js'
import type { CliqueSnapshot } from '../seal/clique-snapshot.js'
import type { SealEngine } from '../seal/engine.js'

export type RuleName =
  | 'number' | 'parent-hash' | 'timestamp' | 'future' | 'gas-limit' | 'gas-used'
  | 'extra-data' | 'uncles-hash' | 'mix-hash' | 'nonce' | 'coinbase' | 'difficulty'
  | 'seal' | 'signer' | 'recently-signed' | 'checkpoint-signers'

export interface VerifyFailure {
  readonly rule: RuleName
  /** Number of the refused header. */
  readonly number: bigint
  /** The field at fault; 'seal' for the signature at the end of extraData. */
  readonly field: HeaderField | 'seal'
  /** One sentence naming the header number and the field, e.g. "header 12: gasUsed 9 exceeds gasLimit 8". */
  readonly message: string
}

export interface VerifyContext {
  readonly preset: ChainPreset
  readonly engine: SealEngine
  /** Our clock, in Unix seconds. */
  readonly nowS: number
  /** Clique only, required there: the signer snapshot at the parent. */
  readonly clique?: CliqueSnapshot
  /**
   * Tribe only, optional: the signers authorised at the parent (from chief state, once a
   * SignerOracle provides it). Without it the seal is checked but not the signer's authority.
   */
  readonly signers?: ReadonlySet<Address>
}

export type HeaderRule = (parent: Header, header: Header, ctx: VerifyContext) => VerifyFailure | undefined

export function failure (rule: RuleName, header: Header, field: HeaderField | 'seal', detail: string): VerifyFailure {
  return { rule, number: header.number, field, message: `header ${header.number}: ${field} ${detail}` }
}
