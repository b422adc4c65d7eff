/**
 * Types of the state reader: what it needs (verified headers, an upstream, the store), what it
 * answers, and how every answer says how it was verified.
 */
import type { Logger } from '../../log/logger.js'
import type { Store } from '../../store/store.js'
import type { Header } from '../header.js'
import type { ProofBundle, ProofRequest } from './proof-bundle.js'

export type Hex = `0x${string}`

/**
 * How an answer was verified:
 * - `proof`: an eth_getProof answer (from an upstream or a mesh bundle) checked against the
 *   stateRoot of a header this box verified itself;
 * - `agreement`: two independent upstream sources gave the same value at the same verified
 *   block number, because none could prove it;
 * - `cache`: offline; the last value verified one of the two ways above, with its block and age.
 */
export type VerificationLevel = 'proof' | 'agreement' | 'cache'

/** `latest`, `pending`, `safe` and `finalized` all mean this box's verified head. */
export type BlockTag = 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest' | bigint | string

export interface StateAnswer<T> {
  value: T
  level: VerificationLevel
  blockNumber: bigint
  blockHash: Hex
  /** When the value was verified (Unix ms). */
  verifiedAtMs: number
  /** `cache` answers only: how old the value is, in ms. Never absent there. */
  ageMs?: number
  /** The upstream sources (or mesh box) whose answers were verified. */
  sources: string[]
}

export interface AccountState {
  address: Hex
  balance: bigint
  nonce: bigint
  /** Proven answers only: whether the account exists (an exclusion proof says no). */
  exists?: boolean
  /** Proven answers only: agreement mode reads balance and nonce, not the account's roots. */
  codeHash?: Hex
  storageRoot?: Hex
}

export interface VerifiedHeaderRef { header: Header, hash: string }

export interface StateHeaders {
  /** This box's verified head. */
  head: () => ({ number: bigint } & VerifiedHeaderRef) | undefined
  headerByNumber: (n: bigint) => Promise<VerifiedHeaderRef | undefined>
  /** Optional: without it only the head can be named by hash. */
  headerByHash?: (hash: string) => Promise<VerifiedHeaderRef | undefined>
}

export interface UpstreamCallOptions {
  signal?: AbortSignal
  /** Sources not to ask (they lied or could not prove during this read); a hint the upstream may ignore. */
  exclude?: readonly string[]
}

export interface UpstreamAnswer { result: unknown, source: string }

/**
 * The upstream JSON-RPC sources. An error with a numeric `code` or `data.rpcCode`, or an
 * AgentError CHAIN_UPSTREAM_ERROR (a JSON-RPC error answer) means the source answered and
 * refused; any other error means it could not be reached. Errors may carry the `source` that
 * failed (`source` or `data.source`). `stateUpstreamFromPool` adapts chain/sync's pool.
 */
export interface StateUpstream {
  call: (method: string, params: unknown[], options?: UpstreamCallOptions) => Promise<UpstreamAnswer>
  /** The same call to two different sources; fewer answers when fewer sources answered. */
  callTwo: (method: string, params: unknown[], options?: UpstreamCallOptions) => Promise<UpstreamAnswer[]>
  demote?: (source: string, reason: string) => void
}

export interface StateReaderComponents {
  headers: StateHeaders
  upstream?: StateUpstream
  store: Store
  logger: Logger
  now?: () => number
}

export interface StateReaderInit {
  /** eth_getProof answers tried (one per source) before giving up on proofs. */
  maxProofAttempts?: number
  /** Bound on cached values (entries). */
  cacheMaxEntries?: number
  /** Bound on cached values (bytes of JSON, code included). */
  cacheMaxBytes?: number
  /**
   * An unchanged value is rewritten to flash at most this often, however often it is
   * re-verified; a changed value is written at once. Offline answers may so show an older block
   * and age than the newest verification, never a newer one.
   */
  cachePersistIntervalMs?: number
  /** Asks a box with an uplink for a proof bundle over the mesh; used when there is no upstream or it is unreachable. */
  remote?: (request: ProofRequest, options: { signal?: AbortSignal }) => Promise<ProofBundle>
}

export interface ReadOptions { signal?: AbortSignal }

export interface StateReader {
  getAccount: (address: string, blockTag?: BlockTag, options?: ReadOptions) => Promise<StateAnswer<AccountState>>
  /** The 32-byte storage word, as eth_getStorageAt gives it. */
  getStorageAt: (address: string, slot: bigint, blockTag?: BlockTag, options?: ReadOptions) => Promise<StateAnswer<Hex>>
  /** The code, checked against the account's verified codeHash (or agreed by two sources). */
  getCode: (address: string, blockTag?: BlockTag, options?: ReadOptions) => Promise<StateAnswer<Hex>>
  /** The uplink side of mesh bundles: fetches eth_getProof (and code) for another box, checked here first when this box knows the block. */
  proofBundle: (request: ProofRequest, options?: ReadOptions) => Promise<ProofBundle>
}
