/**
 * Header sync from anvil: time for an agent to verify and store 10,000 headers.
 *
 * anvil (test/helpers/anvil.ts, no interval mining so the target stays put) mines HEADERS blocks
 * with anvil_mine, then, per run, a fresh agent (bundle, fresh data dir) starts in the same
 * namespace with `--chain dev --chain-rpc <anvil>`. Timed from process spawn to the agent's
 * `Chain synced` log line at the target (its own timestamp), and from `Agent ready` to that
 * line (sync alone). One JSON line per run, then the medians; headers/s counts from the
 * anchor (block 1). Batches are `chain.batchSize` (100) blocks per HTTP request; everything
 * below the window (2048) except every 1024th header is never written.
 * Env: BENCH_CHAIN_SYNC_HEADERS (10000), BENCH_CHAIN_SYNC_RUNS (3).
 */
import { loadavg } from 'node:os'
import { startAgent, type AgentProcess } from '../helpers/agent-process.js'
import { startAnvil } from '../helpers/anvil.js'
import { createNetnsLab, isNetnsAvailable } from '../helpers/netns.js'
import { emit, median, note, round } from './lib.js'

const BENCH = 'chain-sync'
const HEADERS = Number(process.env.BENCH_CHAIN_SYNC_HEADERS ?? 10_000)
const RUNS = Number(process.env.BENCH_CHAIN_SYNC_RUNS ?? 3)
const load1 = (): number | null => round(loadavg()[0] ?? 0, 2)

async function main (): Promise<void> {
  const available = await isNetnsAvailable()
  if (available !== true) { emit({ bench: BENCH, skipped: available }); return }
  const lab = createNetnsLab()
  const agents: AgentProcess[] = []
  try {
    const ns = await lab.addNamespace('chainbench')
    const anvil = await startAnvil({ lab, ns, blockTimeS: null })
    const t0 = performance.now()
    await anvil.mine(HEADERS)
    const target = await anvil.blockNumber()
    note(`anvil mined ${HEADERS} blocks in ${Math.round(performance.now() - t0)} ms; head ${target}`)
    const totals: number[] = []
    const syncs: number[] = []
    for (let run = 1; run <= RUNS; run++) {
      const spawnedAt = Date.now()
      const agent = await startAgent({ name: `bench${run}`, netns: ns, args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--chain', 'dev', '--chain-rpc', anvil.url], readyTimeoutMs: 30_000 })
      agents.push(agent)
      const ready = await agent.waitForLog(l => l.msg === 'Agent ready', 5_000, 'Agent ready')
      const synced = await agent.waitForLog(l => l.msg === 'Chain synced' && Number(l.ctx?.number) >= Number(target), 300_000, 'Chain synced at the target')
      const doneAt = Date.parse(synced.ts)
      const totalMs = doneAt - spawnedAt
      const syncMs = doneAt - Date.parse(ready.ts)
      const st = (await agent.api<{ head: { hash: string } }>('GET', '/api/v1/chain')).body
      const same = st.head.hash === (await anvil.block(target)).hash
      totals.push(totalMs)
      syncs.push(syncMs)
      emit({ bench: BENCH, run, headers: Number(target) - 1, spawnToSyncedMs: totalMs, readyToSyncedMs: syncMs, headersPerS: round((Number(target) - 1) / (syncMs / 1000), 0), headMatchesAnvil: same, load1: load1() })
      await agent.stop()
    }
    const med = median(syncs) ?? 0
    emit({
      bench: BENCH,
      what: `sync ${Number(target) - 1} headers from anvil (dev preset, batches of 100, window 2048)`,
      runs: RUNS,
      medianSpawnToSyncedMs: median(totals),
      medianReadyToSyncedMs: med,
      medianHeadersPerS: round((Number(target) - 1) / (med / 1000), 0),
      load1: load1()
    })
    await anvil.stop()
  } finally {
    for (const a of agents) await a.kill().catch(() => undefined)
    await lab.cleanup()
  }
}

main().catch(err => { process.stderr.write(`[bench] ${BENCH} failed: ${String(err instanceof Error ? err.stack : err)}\n`); process.exit(1) })
