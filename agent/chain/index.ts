/**
 * The pure core of the light chain node: RLP, the 15-field header and its hashes, chain presets,
 * seal engines (tribe, clique, none) and header verification. Nothing in here does I/O; sync,
 * JSON-RPC, the store and the outbox build on these functions. See README.md for what is
 * verified and what is not yet.
 *
 * @example
 *   import { createSealEngine, headerFromRpc, resolvePreset, verifyChain } from './chain/index.js'
 *
 *   const preset = resolvePreset('mainnet')
 *   const ctx = { preset, engine: createSealEngine(preset.engine), nowS: Date.now() / 1000 }
 *   const headers = blocks.map(b => headerFromRpc(b))        // throws ChainInputError naming the field
 *   const result = verifyChain(trustedHead, headers, ctx)    // never throws for a bad header
 *   if (result.failure !== undefined) console.warn(result.failure.message)
 */
export { bytesToHex, hexToBytes, parseHex, type Address } from './bytes.js'
export { ChainErrorCode, ChainInputError } from './errors.js'
export { decodeRlp, encodeRlp, RLP_MAX_BYTES, RLP_MAX_DEPTH, type RlpDecodeLimits, type RlpItem } from './rlp.js'
export {
  decodeHeader, EMPTY_UNCLES_HASH, encodeHeader, HEADER_FIELDS, headerHash, sealHash, sealOf, SEAL_BYTES, withFields,
  type Header, type HeaderField
} from './header.js'
export { headerFromRpc, headerToRpc, type HeaderFromRpcOptions } from './header-rpc.js'
export {
  cliquePreset, gasLimitFloor, isPresetName, PRESETS, resolvePreset,
  type ChainPreset, type PresetName, type PresetOverrides, type SealEngineName
} from './presets.js'
export { createSealEngine, type SealEngine, type SealEngineInit } from './seal/engine.js'
export { cachedRecover, recoverWithNoble, type RecoverSigner } from './seal/recover.js'
export {
  cliqueApply, cliqueInTurn, cliqueRecentlySigned, cliqueSignersFromExtra, cliqueSnapshotFromCheckpoint,
  type CliqueSnapshot, type CliqueVote
} from './seal/clique-snapshot.js'
export { chooseHead, totalDifficulty, type ChainHead } from './fork-choice.js'
export { EMPTY_TRIE_ROOT, MAX_PROOF_NODES, MAX_TRIE_NODE_BYTES, verifyTrieProof } from './trie-proof.js'
export {
  checkProofResponse, EMPTY_CODE_HASH, MAX_PROOF_SLOTS, slotBytes, verifyAccountProof, verifyStorageProof,
  type ProofCheck, type ProofFailure, type ProvenAccount, type ProvenSlot, type ProvenState
} from './proof.js'
export {
  checkAgainstState, decodeRawTransaction, intrinsicGas, TX_MAX_BYTES,
  type AccountFacts, type CheckAgainstStateOptions, type DecodedTransaction, type DecodeTransactionOptions
} from './tx.js'
export * from './verify/index.js'
