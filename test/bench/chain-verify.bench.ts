/**
 * Header verification rate (design bar: ≥ 5,000 headers/s, seal recovery included), for Tribe
 * and Clique chains built by test/fixtures/chain/make-headers.ts. In-process and pure: no
 * namespaces, no root.
 *
 * Figures, each the median of ROUNDS runs over HEADERS headers:
 *   1. headers/s, full verifyChain with a fresh engine (cold recovery cache): the sync case;
 *   2. headers/s when every signer is already cached (the same headers again, from a second
 *      source or the mesh): the rules and hashing without recovery;
 *   3. raw signer recoveries/s of each backend, to show where the time goes;
 *   4. (if the dev dependency tiny-secp256k1 is installed) figure 1 with WASM libsecp256k1
 *      recovery injected through SealEngineInit.recover, as a measured alternative.
 * Env: BENCH_CHAIN_HEADERS (1000), BENCH_CHAIN_ROUNDS (3).
 */
import { loadavg } from 'node:os'
import { addressOfPublicKey, type Address } from '../../agent/chain/bytes.js'
import type { Header } from '../../agent/chain/header.js'
import { cliquePreset, resolvePreset, type ChainPreset } from '../../agent/chain/presets.js'
import { createSealEngine } from '../../agent/chain/seal/engine.js'
import { recoverWithNoble, type RecoverSigner } from '../../agent/chain/seal/recover.js'
import { sealHash, sealOf } from '../../agent/chain/header.js'
import { verifyChain } from '../../agent/chain/verify/verify-chain.js'
import { cliqueOf, makeCliqueChain, makeKeys, makeTribeChain, tribeOf, type MadeChain } from '../fixtures/chain/make-headers.js'
import { emit, median, note, round } from './lib.js'

const BENCH = 'chain-verify'
const HEADERS = Number(process.env.BENCH_CHAIN_HEADERS ?? 1000)
const ROUNDS = Number(process.env.BENCH_CHAIN_ROUNDS ?? 3)
const BAR_HEADERS_PER_S = 5000

const load1 = (): number | null => round(loadavg()[0] ?? 0, 2)

async function wasmRecover (): Promise<RecoverSigner | undefined> {
  try {
    const tiny = await import('tiny-secp256k1')
    return (digest, seal) => {
      const v = seal[64]
      if (seal.length !== 65 || (v !== 0 && v !== 1)) return undefined
      try {
        const pub = tiny.recover(digest, seal.subarray(0, 64), v, false)
        return pub === null ? undefined : addressOfPublicKey(pub)
      } catch {
        return undefined
      }
    }
  } catch {
    return undefined
  }
}

interface Workload { name: 'tribe' | 'clique', preset: ChainPreset, chain: MadeChain }

/**
 * Fresh header objects, as if just decoded from a response: header and seal hashes are memoised
 * per object, so reusing objects across rounds would leave keccak out of the figure.
 */
const fresh = (chain: MadeChain): { anchor: Header, headers: Header[] } => ({ anchor: { ...chain.anchor }, headers: chain.headers.map(h => ({ ...h })) })

function rate (w: Workload, recover: RecoverSigner, warm: boolean): number {
  const engine = createSealEngine(w.preset.engine, { recover, cacheSize: HEADERS * 2 })
  const nowS = Number(w.chain.headers.at(-1)?.timestamp ?? 0n) + 60
  if (warm) {
    const first = fresh(w.chain)
    verifyChain(first.anchor, first.headers, { preset: w.preset, engine, nowS })
  }
  const { anchor, headers } = fresh(w.chain)
  const t0 = performance.now()
  const r = verifyChain(anchor, headers, { preset: w.preset, engine, nowS })
  const ms = performance.now() - t0
  if (r.verified !== headers.length) throw new Error(`${w.name}: only ${r.verified} headers verified: ${r.failure?.message ?? ''}`)
  return headers.length / (ms / 1000)
}

function recoveriesPerS (headers: readonly Header[], recover: RecoverSigner, engine: 'tribe' | 'clique'): number {
  const inputs = headers.map(h => [sealHash(h, engine), sealOf(h)] as const) // hashing kept out of this figure
  const t0 = performance.now()
  let last: Address | undefined
  for (const [digest, seal] of inputs) last = recover(digest, seal)
  if (last === undefined) throw new Error('recovery failed')
  return inputs.length / ((performance.now() - t0) / 1000)
}

async function main (): Promise<void> {
  note(`chain-verify: building ${HEADERS} Tribe and ${HEADERS} Clique headers`)
  const signers = makeKeys(17, 'bench')
  const mainnet = tribeOf(resolvePreset('mainnet'))
  const clique = cliqueOf(cliquePreset({ chainId: 20180430n, periodS: 15, epoch: 30000n }))
  const workloads: Workload[] = [
    // Straddles Chief100Block, so both the 97- and the 226-byte extraData are verified.
    { name: 'tribe', preset: mainnet, chain: makeTribeChain({ preset: mainnet, signers, count: HEADERS, from: 2_823_366n - BigInt(HEADERS / 2) }) },
    { name: 'clique', preset: clique, chain: makeCliqueChain({ preset: clique, keys: signers.slice(0, 5), count: HEADERS }) }
  ]
  const wasm = await wasmRecover()
  const backends: Array<[string, RecoverSigner]> = [['noble (pure JS)', recoverWithNoble]]
  if (wasm !== undefined) backends.push(['libsecp256k1 (WASM, tiny-secp256k1)', wasm])
  else note('chain-verify: tiny-secp256k1 not installed; WASM figures skipped')

  for (const w of workloads) {
    for (const [backend, recover] of backends) {
      rate(w, recover, false) // warm up the JIT and noble's precomputed tables
      const cold = Array.from({ length: ROUNDS }, () => rate(w, recover, false))
      const perS = median(cold) ?? 0
      emit({
        bench: BENCH,
        figure: 'headers-per-s',
        engine: w.name,
        recover: backend,
        headers: HEADERS,
        headersPerS: round(perS, 0),
        msPerHeader: round(1000 / perS, 3),
        bar: BAR_HEADERS_PER_S,
        meetsBar: perS >= BAR_HEADERS_PER_S,
        note: 'verifyChain from the anchor, every rule including signer recovery, fresh engine (cold cache), one thread',
        load1: load1()
      })
    }
    const warm = median(Array.from({ length: ROUNDS }, () => rate(w, recoverWithNoble, true))) ?? 0
    emit({
      bench: BENCH,
      figure: 'headers-per-s-signers-cached',
      engine: w.name,
      headers: HEADERS,
      headersPerS: round(warm, 0),
      msPerHeader: round(1000 / warm, 3),
      note: 'the same headers again (new objects, as from a second source or the mesh) through the same engine: every rule and both keccak hashes, signer recovery served from the cache',
      load1: load1()
    })
    for (const [backend, recover] of backends) {
      const perS = median(Array.from({ length: ROUNDS }, () => recoveriesPerS(w.chain.headers, recover, w.name))) ?? 0
      emit({ bench: BENCH, figure: 'signer-recoveries-per-s', engine: w.name, recover: backend, recoveriesPerS: round(perS, 0), load1: load1() })
    }
  }
}

await main()
