/**
 * Turns the `chain.*` configuration into what sync needs: the resolved preset (fork overrides
 * applied), the trust anchor and the effective timings. Pure; throws CONFIG_INVALID naming the
 * key, so a bad value stops the agent at start (exit 78) rather than in the sync loop.
 */
import { AgentError, ErrorCode } from '../../errors.js'
import type { Config } from '../../config/schema.js'
import { ChainInputError } from '../errors.js'
import { resolvePreset, type ChainPreset, type PresetOverrides } from '../presets.js'
import { defaultRecoverWorkers } from '../seal/recover-pool.js'

/**
 * Where trust starts:
 *   - `checkpoint`: a number and hash from config;
 *   - `genesis`: the preset's block 0;
 *   - `first-upstream`: a chain with no fixed genesis (dev, anvil): the block at `number` as the
 *     first upstream serves it, remembered from then on (trust on first use).
 */
export type AnchorSpec =
  | { kind: 'checkpoint' | 'genesis', number: bigint, hash: `0x${string}` }
  | { kind: 'first-upstream', number: bigint }

export interface ChainSettings {
  preset: ChainPreset
  anchor: AnchorSpec
  rpc: string[]
  windowHeaders: number
  pollIntervalMs: number
  batchSize: number
  requestTimeoutMs: number
  maxResponseBytes: number
  demoteMs: number
  /** Signer-recovery worker threads (chain.verifyWorkers, -1 resolved to the core count). */
  verifyWorkers: number
}

function invalid (key: string, message: string): AgentError {
  return new AgentError(ErrorCode.CONFIG_INVALID, `configuration: key "${key}" ${message}`, { data: { key } })
}

/**
 * anvil's block 0 carries Cancun's blob fields even under `--hardfork byzantium`, so its hash
 * covers 17 fields and cannot be verified as a 15-field header; block 1 is the first that can.
 */
export const DEV_FIRST_VERIFIABLE_BLOCK = 1n

export function resolveChainSettings (c: Config['chain']): ChainSettings {
  const overrides: PresetOverrides = {}
  if (c.chief100Block >= 0) overrides.chief100Block = BigInt(c.chief100Block)
  if (c.sip002Block >= 0) overrides.sip002Block = BigInt(c.sip002Block)
  let preset: ChainPreset
  try {
    preset = resolvePreset(c.preset, overrides)
  } catch (err) {
    if (!(err instanceof ChainInputError)) throw err
    const key = /Tribe fork/.test(err.message) ? (c.chief100Block >= 0 ? 'chain.chief100Block' : 'chain.sip002Block') : 'chain.preset'
    throw invalid(key, `does not fit: ${err.message}`)
  }
  const number = BigInt(c.checkpoint.number)
  let anchor: AnchorSpec
  if (c.checkpoint.hash !== '') {
    anchor = { kind: 'checkpoint', number, hash: c.checkpoint.hash.toLowerCase() as `0x${string}` }
  } else if (preset.genesisHash !== null) {
    if (number !== 0n) throw invalid('chain.checkpoint.number', `is ${number} but "chain.checkpoint.hash" is empty: give both, or neither for the ${preset.name} genesis`)
    anchor = { kind: 'genesis', number: 0n, hash: preset.genesisHash }
  } else {
    anchor = { kind: 'first-upstream', number: number < DEV_FIRST_VERIFIABLE_BLOCK ? DEV_FIRST_VERIFIABLE_BLOCK : number }
  }
  return {
    preset,
    anchor,
    rpc: [...c.rpc],
    windowHeaders: c.windowHeaders,
    pollIntervalMs: c.pollIntervalMs > 0 ? c.pollIntervalMs : preset.periodS * 1000,
    batchSize: c.batchSize,
    requestTimeoutMs: c.requestTimeoutMs,
    maxResponseBytes: c.maxResponseBytes,
    demoteMs: c.demoteMs,
    verifyWorkers: c.verifyWorkers < 0 ? defaultRecoverWorkers() : c.verifyWorkers
  }
}
