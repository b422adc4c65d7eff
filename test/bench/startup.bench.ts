/**
 * Startup benchmark: process spawn → ready, and idle RSS ~3 s after ready, for
 *   - the agent bundle (dist/meshbox.mjs start --listen /ip4/127.0.0.1/tcp/0 --http-port 0), with a
 *     fresh data dir per run (store + identity created) and, separately, a warm data dir (reused);
 *   - a bare libp2p node (test/bench/bare-node.ts) with the same transports and services and stock
 *     @libp2p/mdns ON (the agent runs its own mDNS discovery), bundled here with esbuild the same
 *     way scripts/build.ts bundles the agent.
 *   - the agent bundle, fresh data dir, with an empty V8 code cache directory: the first start after
 *     an install or upgrade (agent/boot.ts compiles everything and writes the cache). The other
 *     agent subjects run with the cache the warm-up wrote, as every later start does.
 * Runs alternate between the four subjects inside one loopback-only namespace with multicast on.
 * Quality bars (docs/design.md): idle RSS ≤ 1.25 × bare node; spawn → ready ≤ 400 ms.
 * Env: BENCH_STARTUP_RUNS (default 7), BENCH_IDLE_MS (default 3000).
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { BUNDLE } from '../helpers/agent-process.js'
import { createNetnsLab, isNetnsAvailable } from '../helpers/netns.js'
import type { NetnsLab } from '../helpers/netns.js'
import { bundleBareNode, emit, median, note, percentile, round, sleep, vmRssBytes } from './lib.js'

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 7)
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 3000)
const READY_TIMEOUT_MS = 15_000
const RSS_BAR = 1.25
const READY_BAR_MS = 400

interface Sample { readyMs: number, rssBytes: number }

/** Spawns `argv` in `ns` and resolves when a stdout line satisfies `isReady`, timed from just before spawn(). */
async function timedStart (lab: NetnsLab, ns: string, argv: string[], isReady: (line: Record<string, unknown>) => boolean, env?: NodeJS.ProcessEnv): Promise<{ child: ChildProcess, readyMs: number }> {
  const t0 = performance.now()
  const child = lab.spawn(ns, process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const readyMs = await new Promise<number>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => { reject(new Error(`no ready line within ${READY_TIMEOUT_MS} ms\nstderr: ${stderr.slice(-2000)}`)) }, READY_TIMEOUT_MS)
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const now = performance.now()
      buf += chunk
      let nl
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        let parsed: Record<string, unknown>
        try { parsed = JSON.parse(line) as Record<string, unknown> } catch { continue }
        if (isReady(parsed)) { clearTimeout(timer); resolve(now - t0) }
      }
    })
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`exited (${String(code ?? signal)}) before ready\nstderr: ${stderr.slice(-2000)}`)) })
  })
  return { child, readyMs }
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 6000)
  await exited
  clearTimeout(timer)
}

/** One measured run: start, wait for ready, idle IDLE_MS, read VmRSS, stop. */
async function measure (lab: NetnsLab, ns: string, argv: string[], isReady: (line: Record<string, unknown>) => boolean, env?: NodeJS.ProcessEnv): Promise<Sample> {
  const { child, readyMs } = await timedStart(lab, ns, argv, isReady, env)
  try {
    await sleep(IDLE_MS)
    const pid = child.pid
    if (pid === undefined || child.exitCode !== null) throw new Error('process gone before the RSS reading')
    return { readyMs, rssBytes: await vmRssBytes(pid) }
  } finally {
    await stopChild(child)
  }
}

function summary (subject: string, samples: Sample[], extra: Record<string, unknown>): Record<string, unknown> {
  const ready = samples.map(s => s.readyMs)
  const rss = samples.map(s => s.rssBytes)
  return {
    bench: 'startup',
    subject,
    ...extra,
    readyMsMedian: round(median(ready)),
    readyMsP90: round(percentile(ready, 90)),
    rssBytesMedian: median(rss),
    rssBytesP90: percentile(rss, 90),
    runs: samples.length,
    readyMs: ready.map(x => round(x)),
    rssMiB: rss.map(x => round(x / 1048576)),
    load1: round(loadavg()[0] ?? 0, 2)
  }
}

async function main (): Promise<void> {
  const available = await isNetnsAvailable()
  if (available !== true) { emit({ bench: 'startup', skipped: available }); return }
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`make build\` (or \`node scripts/build.ts\`) first`)

  const bare = await bundleBareNode()
  const lab = createNetnsLab()
  const dirs: string[] = []
  try {
    const ns = await lab.addNamespace('st')
    await lab.loopbackMulticast(ns)
    const agentArgv = (dataDir: string): string[] => [BUNDLE, 'start', '--data-dir', dataDir, '--http-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0']
    const bareArgv = [bare.file, JSON.stringify({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: true, relayServer: true })]
    const agentReady = (l: Record<string, unknown>): boolean => l.msg === 'Agent ready'
    const bareReady = (l: Record<string, unknown>): boolean => l.event === 'ready'
    const freshDir = async (): Promise<string> => {
      const d = await mkdtemp(join(tmpdir(), 'mbx-bench-start-'))
      dirs.push(d)
      return d
    }

    // Warm-up (not counted): fills the page cache for both bundles and creates the warm data dir.
    const warmDir = await freshDir()
    note(`startup: warm-up, then ${RUNS} alternating runs of 4 subjects (idle ${IDLE_MS} ms each)`)
    const codeCacheDir = await freshDir()
    const cached = { MESHBOX_CODE_CACHE_DIR: join(codeCacheDir, 'cc') }
    await measure(lab, ns, agentArgv(warmDir), agentReady, cached)
    await measure(lab, ns, bareArgv, bareReady)

    const fresh: Sample[] = []
    const warm: Sample[] = []
    const cold: Sample[] = []
    const bareSamples: Sample[] = []
    const subjects: Array<() => Promise<void>> = [
      async () => {
        const dir = await freshDir()
        fresh.push(await measure(lab, ns, agentArgv(dir), agentReady, cached))
        await rm(dir, { recursive: true, force: true })
      },
      async () => { bareSamples.push(await measure(lab, ns, bareArgv, bareReady)) },
      async () => { warm.push(await measure(lab, ns, agentArgv(warmDir), agentReady, cached)) },
      async () => {
        const dir = await freshDir()
        cold.push(await measure(lab, ns, agentArgv(dir), agentReady, { MESHBOX_CODE_CACHE_DIR: join(dir, 'empty-code-cache') }))
        await rm(dir, { recursive: true, force: true })
      }
    ]
    for (let i = 0; i < RUNS; i++) {
      // Rotate the order so no subject always runs first after a pause.
      for (let k = 0; k < subjects.length; k++) await subjects[(i + k) % subjects.length]?.()
    }

    const freshLine = summary('agent-bundle', fresh, { dataDir: 'fresh (identity + store created)' })
    const warmLine = summary('agent-bundle', warm, { dataDir: 'warm (existing identity + store)' })
    const coldLine = summary('agent-bundle', cold, { dataDir: 'fresh', codeCache: 'empty (first start after install or upgrade)' })
    const bareLine = summary('bare-libp2p-bundle', bareSamples, {
      services: 'tcp, noise, yamux, identify, ping, kad-dht(clientMode:false), circuit-relay server(applyDefaultLimit:false)+transport',
      mdns: 'stock @libp2p/mdns on (interval 10 s)',
      bundleBytes: bare.bytes
    })
    emit(freshLine)
    emit(warmLine)
    emit(coldLine)
    emit(bareLine)
    const bareRss = median(bareSamples.map(s => s.rssBytes)) ?? NaN
    for (const [label, samples] of [['agent-bundle fresh', fresh], ['agent-bundle warm', warm]] as const) {
      const ours = median(samples.map(s => s.rssBytes)) ?? NaN
      const ratio = round(ours / bareRss, 3)
      emit({ bench: 'startup', compare: 'idle-rss', ours: label, baseline: 'bare-libp2p-bundle', oursRssBytes: ours, baselineRssBytes: bareRss, ratio, bar: `<= ${RSS_BAR}`, met: ratio !== null && ratio <= RSS_BAR })
    }
    for (const [label, samples] of [['agent-bundle fresh', fresh], ['agent-bundle warm', warm], ['agent-bundle fresh, empty code cache', cold], ['bare-libp2p-bundle', bareSamples]] as const) {
      const ms = round(median(samples.map(s => s.readyMs)))
      emit({ bench: 'startup', compare: 'ready', subject: label, readyMsMedian: ms, bar: `<= ${READY_BAR_MS} ms`, met: ms !== null && ms <= READY_BAR_MS })
    }
  } finally {
    await lab.cleanup()
    await bare.remove()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  }
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(`startup bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
