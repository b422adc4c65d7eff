/**
 * Verified state reads for the light chain node: balances, nonces, code and storage at blocks
 * this box verified, each answer labelled `proof`, `agreement` or `cache` (README.md), and the
 * pure proof bundles that carry verifiable state across the mesh to boxes without an uplink.
 *
 * @example
 *   const reader = createStateReader({ headers, upstream, store, logger })
 *   const { value, level, blockNumber } = await reader.getAccount('0x…', 'latest')
 *   // level 'proof': checked against the verified header's stateRoot
 */
export { createStateReader, DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES, DEFAULT_CACHE_PERSIST_INTERVAL_MS, DEFAULT_MAX_PROOF_ATTEMPTS } from './reader.js'
export { MAX_CODE_BYTES, proofRequest, verifyProofBundle, type BundleContents, type ProofBundle, type ProofRequest } from './proof-bundle.js'
export { isRefusal, stateUpstreamFromPool, type SourcePool } from './pool-adapter.js'
export type { Attempt } from './sources.js'
export type {
  AccountState, BlockTag, Hex, ReadOptions, StateAnswer, StateHeaders, StateReader, StateReaderComponents, StateReaderInit,
  StateUpstream, UpstreamAnswer, UpstreamCallOptions, VerificationLevel, VerifiedHeaderRef
} from './types.js'
