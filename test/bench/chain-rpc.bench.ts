/**
 * eth_getBalance served by the agent (verified: a Merkle proof from anvil checked against a
 * verified header) vs asked of anvil directly, with the same load generator side by side: 16
 * concurrent clients for BENCH_RPC_MS (5000) each way, in the namespace of both. JSON lines.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgentProcess, BUNDLE } from '../helpers/agent-process.js'
import { startAnvil } from '../helpers/anvil.js'
import { createNetnsLab, isNetnsAvailable } from '../helpers/netns.js'
import { emit, note, round } from './lib.js'

const BENCH = 'chain-rpc'
const DURATION_MS = Number(process.env.BENCH_RPC_MS ?? 5_000)
const CLIENTS = 16
const ADDRESS = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

/** Runs inside the namespace: CLIENTS loops of POST for DURATION ms; prints {ok, fail, p50, p99}. */
const LOADGEN = `
const [url, ms, clients, body] = process.argv.slice(1)
const lat = []; let ok = 0; let fail = 0; const end = performance.now() + Number(ms)
async function loop () {
  while (performance.now() < end) {
    const t = performance.now()
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      const j = await r.json()
      if (j.result !== undefined) { ok++; lat.push(performance.now() - t) } else fail++
    } catch { fail++ }
  }
}
Promise.all(Array.from({ length: Number(clients) }, loop)).then(() => {
  lat.sort((a, b) => a - b)
  const q = p => lat.length === 0 ? null : lat[Math.min(lat.length - 1, Math.floor(lat.length * p))]
  process.stdout.write(JSON.stringify({ ok, fail, p50: q(0.5), p99: q(0.99) }))
})
`

async function main (): Promise<void> {
  const available = await isNetnsAvailable()
  if (available !== true) { emit({ bench: BENCH, skipped: available }); return }
  const lab = createNetnsLab()
  const dataDir = await mkdtemp(join(tmpdir(), 'mbx-bench-rpc-'))
  try {
    const ns = await lab.addNamespace('rpc')
    const anvil = await startAnvil({ lab, ns })
    await anvil.mine(20)
    const child = lab.spawn(ns, process.execPath, [BUNDLE, 'start', '--data-dir', dataDir, '--http-port', '0', '--http-host', '127.0.0.1', '--chain', 'dev', '--chain-rpc', anvil.url], { stdio: ['ignore', 'pipe', 'pipe'] })
    const agent = await new AgentProcess('agent', dataDir, child, ns).ready(20_000)
    await agent.until(async () => ((await agent.api<{ head: { number: number } | null }>('GET', '/api/v1/chain')).body.head?.number ?? 0) >= 20, 30_000, 'agent synced')
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [ADDRESS, 'latest'] })
    const run = async (url: string): Promise<{ ok: number, fail: number, p50: number | null, p99: number | null }> => {
      const { stdout } = await lab.exec(ns, process.execPath, ['-e', LOADGEN, url, String(DURATION_MS), String(CLIENTS), body])
      return JSON.parse(stdout) as { ok: number, fail: number, p50: number | null, p99: number | null }
    }
    note(`chain-rpc: eth_getBalance, ${CLIENTS} clients, ${DURATION_MS} ms each: agent, then anvil`)
    const viaAgent = await run(`${agent.httpUrl}rpc`)
    const direct = await run(anvil.url)
    const rps = (r: { ok: number }): number | null => round(r.ok / (DURATION_MS / 1000), 1)
    emit({
      bench: BENCH,
      figure: 'eth_getBalance-rps',
      clients: CLIENTS,
      agent: { rps: rps(viaAgent), p50Ms: round(viaAgent.p50, 2), p99Ms: round(viaAgent.p99, 2), failed: viaAgent.fail, verified: 'proof' },
      anvil: { rps: rps(direct), p50Ms: round(direct.p50, 2), p99Ms: round(direct.p99, 2), failed: direct.fail },
      ratio: direct.ok > 0 ? round(viaAgent.ok / direct.ok, 3) : null,
      note: 'the agent answers from a value proven with eth_getProof against a verified state root, fetched and checked once per block (state/reader.ts caches it per block hash; anvil mines one block a second), so most answers here are cache hits; anvil answers from its own state. Both sides share the same 2 cores with the load generator',
      load1: round(loadavg()[0] ?? 0, 2)
    })
    await agent.stop()
    await anvil.stop()
  } finally {
    await lab.cleanup()
    await rm(dataDir, { recursive: true, force: true })
  }
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`chain-rpc bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
