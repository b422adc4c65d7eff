/**
 * Header verification rate (design bar: ≥ 5,000 headers/s, seal recovery included), for Tribe
 * and Clique chains built by test/fixtures/chain/make-headers.ts. In-process: no namespaces, no
 * root; the pool figures run real worker threads.
 *
 * Figures, each the median of ROUNDS runs over HEADERS fresh header objects (nothing memoised,
 * so both keccak hashes of every header are counted) with a fresh engine (cold recovery cache):
 *   1. headers/s end to end, the sync case, per recovery backend:
 *      - `noble`: pure-JS recovery in this thread (verifyChain);
 *      - `wasm`: libsecp256k1 in WASM (tiny-secp256k1) in this thread (verifyChain);
 *      - `native`: libsecp256k1 in the native addon (agent/chain/native.ts) in this thread;
 *      - `pool`: verifyBatch as sync runs it, the signers recovered on WORKERS worker threads
 *        a few chunks ahead while this thread hashes and checks the rules. The workers are
 *        started by an untimed first run (sync keeps them for 30 s between batches).
 *      Each line also gives cpuMsPerHeader: CPU time of all threads per header, which with the
 *      core count bounds what the machine could do if nothing else ran on it.
 *   2. headers/s when every signer is already cached: the rules and hashing without recovery,
 *      the ceiling of this thread;
 *   3. raw signer recoveries/s of each backend (hashing excluded), to show where the time goes.
 * Every figure is given twice: addon "on" (keccak in the native addon too, as the agent runs when
 * the addon loads) and addon "off" (a child run with MESHBOX_NATIVE=off: keccak in JS, recovery
 * without the addon), the baseline the addon is measured against.
 * Rounds interleave the backends. Every line carries load1 (the 1-min load average, the median over
 * its rounds for figure 1; the VM has 2 cores shared with other work).
 * Env: BENCH_CHAIN_HEADERS (2000), BENCH_CHAIN_ROUNDS (3), BENCH_CHAIN_WORKERS (1,2),
 * BENCH_CHAIN_ENGINES (tribe,clique).
 */
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { sealHash, sealOf, type Header } from '../../agent/chain/header.js'
import { cliquePreset, resolvePreset, type ChainPreset } from '../../agent/chain/presets.js'
import { createSealEngine } from '../../agent/chain/seal/engine.js'
import { recoverWithNoble, type RecoverSigner } from '../../agent/chain/seal/recover.js'
import { createRecoverPool, type RecoverPool } from '../../agent/chain/seal/recover-pool.js'
import { importWasmSecp, recoverWithWasm } from '../../agent/chain/seal/recover-wasm.js'
import { recoverWithNative } from '../../agent/chain/seal/recover-native.js'
import { loadNativeCrypto, nativeStatus } from '../../agent/chain/native.js'
import { verifyBatch } from '../../agent/chain/sync/verify-batch.js'
import { verifyChain } from '../../agent/chain/verify/verify-chain.js'
import { silentLogger } from '../../agent/log/logger.js'
import { cliqueOf, makeCliqueChain, makeKeys, makeTribeChain, tribeOf, type MadeChain } from '../fixtures/chain/make-headers.js'
import { emit, median, note, round } from './lib.js'

const BENCH = 'chain-verify'
const HEADERS = Number(process.env.BENCH_CHAIN_HEADERS ?? 2000)
const ROUNDS = Number(process.env.BENCH_CHAIN_ROUNDS ?? 3)
const WORKERS = (process.env.BENCH_CHAIN_WORKERS ?? '1,2').split(',').map(Number)
const ENGINES = (process.env.BENCH_CHAIN_ENGINES ?? 'tribe,clique').split(',')
const BAR_HEADERS_PER_S = 5000
/** Set in the baseline child: the whole run without the native addon (JS keccak, WASM/noble recovery). */
const ADDON_OFF = process.env.MESHBOX_NATIVE === 'off'
const TAG = ADDON_OFF ? {} : { addon: 'on' }

const load1 = (): number | null => round(loadavg()[0] ?? 0, 2)

interface Workload { name: 'tribe' | 'clique', preset: ChainPreset, chain: MadeChain }
type Backend = { kind: 'noble' | 'wasm' | 'native', recover: RecoverSigner } | { kind: 'pool', pool: RecoverPool, workers: number }

/**
 * Fresh header objects, as if just decoded from a response: header and seal hashes are memoised
 * per object, so reusing objects across rounds would leave keccak out of the figure.
 */
const fresh = (chain: MadeChain): { anchor: Header, headers: Header[] } => ({ anchor: { ...chain.anchor }, headers: chain.headers.map(h => ({ ...h })) })

interface Rate { perS: number, cpuMsPerHeader: number }

/** Headers/s of one run, and the CPU it took per header in all threads (process.cpuUsage counts workers too). */
async function rate (w: Workload, b: Backend, warm = false): Promise<Rate> {
  const recover = b.kind === 'pool' ? b.pool.recover : b.recover
  const engine = createSealEngine(w.preset.engine, { recover, cacheSize: HEADERS * 2 })
  const ctx = { preset: w.preset, engine, nowS: Number(w.chain.headers.at(-1)?.timestamp ?? 0n) + 60 }
  if (warm) verifyChain(fresh(w.chain).anchor, fresh(w.chain).headers, ctx)
  const { anchor, headers } = fresh(w.chain)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const r = b.kind === 'pool'
    ? await verifyBatch({ engine, pool: b.pool, logger: silentLogger }, anchor, headers, ctx)
    : verifyChain(anchor, headers, ctx)
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  if (r.verified !== headers.length) throw new Error(`${w.name}: only ${r.verified} headers verified: ${r.failure?.message ?? ''}`)
  return { perS: headers.length / (ms / 1000), cpuMsPerHeader: (cpu.user + cpu.system) / 1000 / headers.length }
}

async function recoveriesPerS (w: Workload, b: Backend): Promise<number> {
  const items = w.chain.headers.map(h => ({ digest: sealHash(h, w.name), seal: sealOf(h) })) // hashing kept out of this figure
  const t0 = performance.now()
  const found = b.kind === 'pool' ? await b.pool.recoverMany(items) : items.map(i => b.recover(i.digest, i.seal))
  if (found.some(a => a === undefined)) throw new Error('recovery failed')
  return items.length / ((performance.now() - t0) / 1000)
}

const label = (b: Backend): Record<string, unknown> => b.kind === 'pool' ? { recover: 'pool', workers: b.workers } : { recover: b.kind, workers: 0 }

async function main (): Promise<void> {
  note(`chain-verify: building ${HEADERS} headers for ${ENGINES.join(' and ')}`)
  const signers = makeKeys(17, 'bench')
  const mainnet = tribeOf(resolvePreset('mainnet'))
  const clique = cliqueOf(cliquePreset({ chainId: 20180430n, periodS: 15, epoch: 30000n }))
  const workloads: Workload[] = []
  // Straddles Chief100Block, so both the 97- and the 226-byte extraData are verified.
  if (ENGINES.includes('tribe')) workloads.push({ name: 'tribe', preset: mainnet, chain: makeTribeChain({ preset: mainnet, signers, count: HEADERS, from: 2_823_366n - BigInt(HEADERS / 2) }) })
  if (ENGINES.includes('clique')) workloads.push({ name: 'clique', preset: clique, chain: makeCliqueChain({ preset: clique, keys: signers.slice(0, 5), count: HEADERS }) })
  const native = loadNativeCrypto()
  if (native === undefined && !ADDON_OFF) throw new Error(`the native addon is not loaded: ${nativeStatus().reason ?? ''} (make build builds it)`)
  const backends: Backend[] = [{ kind: 'noble', recover: recoverWithNoble }, { kind: 'wasm', recover: recoverWithWasm(await importWasmSecp()) }]
  if (native !== undefined) backends.push({ kind: 'native', recover: recoverWithNative(native) })
  for (const workers of WORKERS) {
    // Kept for the whole run: sync keeps its workers between the batches of a catch-up.
    const pool = createRecoverPool({ logger: silentLogger }, { workers, idleStopMs: 3_600_000 })
    await pool.start()
    backends.push({ kind: 'pool', pool, workers })
  }

  for (const w of workloads) {
    for (const b of backends) await rate(w, b) // warm up the JIT, noble's tables, the workers
    // Rounds interleave the backends, so a burst of other work on the shared cores hits them alike.
    const rounds = backends.map(() => ({ perS: [] as number[], cpuMs: [] as number[], load: [] as number[] }))
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, b] of backends.entries()) {
        const one = await rate(w, b)
        rounds[i]?.perS.push(one.perS)
        rounds[i]?.cpuMs.push(one.cpuMsPerHeader)
        rounds[i]?.load.push(loadavg()[0] ?? 0)
      }
    }
    for (const [i, b] of backends.entries()) {
      const perS = median(rounds[i]?.perS ?? []) ?? 0
      emit({
        bench: BENCH,
        ...TAG,
        figure: 'headers-per-s',
        engine: w.name,
        ...label(b),
        headers: HEADERS,
        headersPerS: round(perS, 0),
        msPerHeader: round(1000 / perS, 3),
        rounds: rounds[i]?.perS.map(x => round(x, 0)),
        cpuMsPerHeader: round(median(rounds[i]?.cpuMs ?? []), 3),
        bar: BAR_HEADERS_PER_S,
        meetsBar: perS >= BAR_HEADERS_PER_S,
        note: b.kind === 'pool'
          ? 'verifyBatch as sync runs it: chunks of 32, signers recovered on the workers ahead of verifyChain; fresh headers and engine'
          : 'verifyChain from the anchor, every rule including signer recovery in this thread; fresh headers and engine',
        load1: round(median(rounds[i]?.load ?? []), 2)
      })
    }
    const cached = median(await sequence(ROUNDS, async () => (await rate(w, backends[1] as Backend, true)).perS)) ?? 0
    emit({
      bench: BENCH,
      ...TAG,
      figure: 'headers-per-s-signers-cached',
      engine: w.name,
      headers: HEADERS,
      headersPerS: round(cached, 0),
      msPerHeader: round(1000 / cached, 3),
      note: 'the same headers again (new objects) through the same engine: every rule and both keccak hashes, signer recovery served from the cache; the ceiling of one thread',
      load1: load1()
    })
    for (const b of backends) {
      const perS = median(await sequence(ROUNDS, async () => await recoveriesPerS(w, b))) ?? 0
      emit({ bench: BENCH, ...TAG, figure: 'signer-recoveries-per-s', engine: w.name, ...label(b), recoveriesPerS: round(perS, 0), load1: load1() })
    }
  }
  for (const b of backends) if (b.kind === 'pool') await b.pool.stop()
}

/** Runs `fn` `n` times one after another (never concurrently: they would share the cores). */
async function sequence (n: number, fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(await fn())
  return out
}

/**
 * The baseline, side by side in the same run: this bench again in a child with the addon off
 * (MESHBOX_NATIVE=off), so keccak is @noble/hashes too, which is how every figure looked before
 * the addon. Its lines come out here tagged addon "off"; ours are tagged "on".
 */
async function baseline (): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, MESHBOX_NATIVE: 'off' }, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  for await (const line of lines) {
    try { emit({ ...(JSON.parse(line) as Record<string, unknown>), addon: 'off' }) } catch { process.stdout.write(line + '\n') }
  }
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  if (code !== 0) throw new Error(`the baseline run (addon off) exited with ${String(code)}`)
}

await main()
if (!ADDON_OFF) await baseline()
