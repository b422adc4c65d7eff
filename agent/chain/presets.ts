/**
 * Chain presets: what a box needs to know about a chain to verify its headers. `--chain <name>`
 * picks one; `resolvePreset` applies config overrides (a fork number we do not know yet, a
 * checkpoint for the dev chain).
 *
 * Sources: ../shared/docs/facts-spectrum.md (chain ids, genesis hashes, period, Chief100Block,
 * the 40M gas floor) and Spectrum's params/config.go as of 2019 (SIP002Block on mainnet).
 * A fork number given as `null` is unknown; the rules then accept what either side of the fork
 * allows (see README.md, "Unknown fork numbers").
 */
import { ChainErrorCode, ChainInputError } from './errors.js'

export type SealEngineName = 'tribe' | 'clique' | 'none'

export interface GasLimitRules {
  /** geth's GasLimitBoundDivisor: a gas limit differs from its parent's by less than parent / this. */
  readonly boundDivisor: bigint
  /** Floors by block number, ascending by `from`; the first starts at 0. */
  readonly minimum: ReadonlyArray<{ readonly from: bigint, readonly value: bigint }>
  /** Spectrum (geth 1.7) refuses gas limits above 2^63 − 1. */
  readonly maximum: bigint
}

export interface TribeParams {
  /** First block with the 226-byte extraData (VRF) and difficulties 1–6; null if unknown. */
  readonly chief100Block: bigint | null
  /** SIP002: from here a block may follow its parent after period − 1 s instead of period; null if unknown. */
  readonly sip002Block: bigint | null
}

export interface CliqueParams {
  /** Blocks between checkpoints, which list the signers and reset votes (EIP-225 default 30000). */
  readonly epoch: bigint
}

interface PresetBase {
  readonly name: string
  readonly chainId: bigint
  readonly networkId: bigint
  /** The default trust anchor (block 0); null where genesis differs per run (anvil). */
  readonly genesisHash: `0x${string}` | null
  /** Target seconds between blocks. */
  readonly periodS: number
  /**
   * How far a header's timestamp may run ahead of our clock. geth allows 0 and retries later;
   * a router without an RTC and without NTP while offline drifts, so we allow some slack.
   */
  readonly maxFutureS: number
  readonly gasLimit: GasLimitRules
}

export type ChainPreset =
  | PresetBase & { readonly engine: 'tribe', readonly tribe: TribeParams }
  | PresetBase & { readonly engine: 'clique', readonly clique: CliqueParams }
  | PresetBase & { readonly engine: 'none' }

/** geth's MinGasLimit and GasLimitBoundDivisor; MaxBig63 as Spectrum checks it. */
const GETH_GAS: GasLimitRules = { boundDivisor: 1024n, minimum: [{ from: 0n, value: 5000n }], maximum: (1n << 63n) - 1n }
const MAX_FUTURE_S = 15

export const PRESETS = {
  mainnet: {
    name: 'mainnet',
    chainId: 20180430n,
    networkId: 1n,
    genesisHash: '0xa8ab5ecb308dd061e6baa8c8a04a62b3e35fae7aae1393921f8d52deac2c5712',
    engine: 'tribe',
    periodS: 15,
    maxFutureS: MAX_FUTURE_S,
    gasLimit: { ...GETH_GAS, minimum: [{ from: 0n, value: 5000n }, { from: 8_654_321n, value: 40_000_000n }] },
    tribe: { chief100Block: 2_823_366n, sip002Block: 588_888n }
  },
  testnet: {
    name: 'testnet',
    chainId: 2022n,
    networkId: 3n,
    genesisHash: '0x464dfae7a2e140e76376f732c6be542880064d0a9b8350ceb2259b811827e7c6',
    engine: 'tribe',
    periodS: 15,
    maxFutureS: MAX_FUTURE_S,
    // Whether the testnet raised its gas floor like mainnet is not known; geth's floor applies.
    gasLimit: GETH_GAS,
    // Fork numbers of this testnet (chain id 2022) are not known: set them in config once read
    // from a testnet node's params.
    tribe: { chief100Block: null, sip002Block: null }
  },
  dev: {
    name: 'dev',
    // Tests run anvil with --chain-id 20180430 so wallets see Spectrum's id.
    chainId: 20180430n,
    networkId: 20180430n,
    genesisHash: null,
    engine: 'none',
    periodS: 1,
    maxFutureS: MAX_FUTURE_S,
    gasLimit: GETH_GAS
  }
} as const satisfies Record<string, ChainPreset>

export type PresetName = keyof typeof PRESETS

export interface PresetOverrides {
  genesisHash?: `0x${string}`
  periodS?: number
  maxFutureS?: number
  chief100Block?: bigint
  sip002Block?: bigint
}

export function isPresetName (name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name)
}

/**
 * The named preset with config overrides applied.
 * @throws ChainInputError (CHAIN_PRESET_INVALID) for an unknown name or an override that does not apply.
 */
export function resolvePreset (name: string, overrides: PresetOverrides = {}): ChainPreset {
  if (!isPresetName(name)) {
    throw new ChainInputError(ChainErrorCode.PRESET_INVALID, `unknown chain preset "${name}"; expected one of ${Object.keys(PRESETS).join(', ')}`, 'chain')
  }
  const base: ChainPreset = PRESETS[name]
  const { chief100Block, sip002Block, ...common } = overrides
  const merged: ChainPreset = { ...base, ...common }
  if (chief100Block === undefined && sip002Block === undefined) return merged
  if (merged.engine !== 'tribe') {
    throw new ChainInputError(ChainErrorCode.PRESET_INVALID, `chain preset "${name}" uses the ${merged.engine} engine, which has no Tribe fork numbers`, 'chain')
  }
  return {
    ...merged,
    tribe: {
      chief100Block: chief100Block ?? merged.tribe.chief100Block,
      sip002Block: sip002Block ?? merged.tribe.sip002Block
    }
  }
}

/** A Clique chain (tests, @ethereumjs/client devnets): there is no built-in Clique network. */
export function cliquePreset (init: { name?: string, chainId: bigint, periodS: number, epoch?: bigint, genesisHash?: `0x${string}` | null }): ChainPreset {
  return {
    name: init.name ?? 'clique',
    chainId: init.chainId,
    networkId: init.chainId,
    genesisHash: init.genesisHash ?? null,
    engine: 'clique',
    periodS: init.periodS,
    maxFutureS: MAX_FUTURE_S,
    gasLimit: GETH_GAS,
    clique: { epoch: init.epoch ?? 30_000n }
  }
}

/** The gas-limit floor in force at `number`. */
export function gasLimitFloor (rules: GasLimitRules, number: bigint): bigint {
  let floor = 0n
  for (const step of rules.minimum) if (number >= step.from) floor = step.value
  return floor
}

/** Is `number` at or past a fork? `null` (unknown) answers undefined so rules can accept both sides. */
export function isForked (forkBlock: bigint | null, number: bigint): boolean | undefined {
  return forkBlock === null ? undefined : number >= forkBlock
}
