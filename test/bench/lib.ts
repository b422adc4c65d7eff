/**
 * Shared pieces of the benchmarks: statistics, JSON-line output, the esbuild bundle of the bare
 * libp2p node (built the same way scripts/build.ts builds the agent) and a driver for it.
 * Benchmarks print one JSON object per figure on stdout; progress notes go to stderr.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundle } from '../../scripts/build.js'
import { JsonLines } from '../helpers/json-lines.js'
import type { RunnerEvent } from '../helpers/json-lines.js'
import type { NetnsLab } from '../helpers/netns.js'
import type { BareNodeInit } from './bare-node.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export function emit (line: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(line) + '\n')
}

export function note (text: string): void {
  process.stderr.write(`[bench] ${text}\n`)
}

export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Nearest-rank percentile (p in 0..100) of the numbers; null for an empty list. */
export function percentile (values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((x, y) => x - y)
  const rank = Math.max(1, Math.ceil(p / 100 * sorted.length))
  return sorted[rank - 1] ?? null
}

/** Median (mean of the middle two for an even count); null for an empty list. */
export function median (values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((x, y) => x - y)
  const mid = Math.floor(sorted.length / 2)
  const hi = sorted[mid] ?? 0
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? 0) + hi) / 2
}

export const round = (x: number | null, digits = 1): number | null => x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits

/** VmRSS of a live process in bytes (from /proc/<pid>/status). */
export async function vmRssBytes (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(m[1]) * 1024
}

/** Bundles test/bench/bare-node.ts into a temp dir exactly as the agent is bundled (scripts/build.ts). */
export async function bundleBareNode (): Promise<{ file: string, dir: string, bytes: number, remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mbx-bench-bare-'))
  const file = join(dir, 'bare-node.mjs')
  const bytes = await bundle({ entry: join(ROOT, 'test/bench/bare-node.ts'), outfile: file })
  return { file, dir, bytes, remove: async () => { await rm(dir, { recursive: true, force: true }) } }
}

/** A running bare node (bundle under plain node, inside a namespace) driven through stdin commands. */
export class BareNode {
  readonly out: JsonLines
  readonly spawnedAt: number
  peerId = ''
  addrs: string[] = []
  private nextId = 1

  constructor (out: JsonLines, spawnedAt: number) {
    this.out = out
    this.spawnedAt = spawnedAt
  }

  get pid (): number {
    const pid = this.out.child.pid
    if (pid === undefined) throw new Error(`${this.out.label}: no pid`)
    return pid
  }

  async ready (timeoutMs = 15_000): Promise<RunnerEvent> {
    const e = await this.out.waitFor(x => x.event === 'ready', timeoutMs, 'ready')
    this.peerId = String(e.peerId)
    this.addrs = (e.addrs as string[] | undefined) ?? []
    return e
  }

  async command (cmd: Record<string, unknown>, timeoutMs: number): Promise<RunnerEvent> {
    const id = this.nextId++
    this.out.child.stdin?.write(JSON.stringify({ ...cmd, id }) + '\n')
    const r = await this.out.waitFor(e => e.event === 'result' && e.id === id, timeoutMs, `result of ${String(cmd.cmd)}`)
    if (r.ok !== true) throw new Error(`${this.out.label}: ${String(cmd.cmd)} failed: ${String(r.error)}`)
    return r
  }

  async stop (): Promise<void> {
    if (this.out.child.exitCode !== null || this.out.child.signalCode !== null) return
    try {
      await this.out.terminate(5000)
    } catch {
      this.out.child.kill('SIGKILL')
    }
  }
}

/** Starts the bundled bare node inside namespace `ns` (never the root one). */
export function spawnBareNode (lab: NetnsLab, ns: string, bundle: string, init: BareNodeInit, label = `bare@${ns}`): BareNode {
  const spawnedAt = performance.now()
  const child = lab.spawn(ns, process.execPath, [bundle, JSON.stringify(init)], { stdio: ['pipe', 'pipe', 'pipe'] })
  return new BareNode(new JsonLines(child, label), spawnedAt)
}

/** Least-squares slope and intercept of y over x. */
export function fit (xs: number[], ys: number[]): { slope: number, intercept: number } | null {
  if (xs.length < 2) return null
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length
  const my = ys.reduce((s, y) => s + y, 0) / ys.length
  let num = 0
  let den = 0
  xs.forEach((x, i) => { num += (x - mx) * ((ys[i] ?? 0) - my); den += (x - mx) ** 2 })
  if (den === 0) return null
  const slope = num / den
  return { slope, intercept: my - slope * mx }
}
