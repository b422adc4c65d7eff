/**
 * Shared bits for the live integration tests: skip when namespaces are unavailable, keep track
 * of every agent process a test starts so it is always stopped, and wait for neighbour states.
 * Agents always run inside a namespace made by netns.ts, never in the root namespace.
 */
import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { BUNDLE, startAgent, type AgentProcess, type AgentProcessInit } from './agent-process.js'
import { isNetnsAvailable } from './netns.js'

export type NeighbourRow = Record<string, unknown> & { peerId: string, state: string, kind: string, interface: string | null }

export const availability = await isNetnsAvailable()

/** Skips the test (saying why) when network namespaces cannot be made; returns true if skipped. */
export function skipUnlessNetns (t: TestContext): boolean {
  if (availability === true) return false
  t.skip(`needs network namespaces: ${availability}`)
  return true
}

export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Every agent started through it is SIGKILLed by stopAll() (for finally blocks), and its temp data dir removed. */
export class AgentSet {
  readonly all: AgentProcess[] = []

  async start (init: AgentProcessInit): Promise<AgentProcess> {
    const agent = await startAgent(init)
    this.all.push(agent)
    return agent
  }

  async stopAll (): Promise<void> {
    await Promise.all(this.all.map(async a => { await a.kill().catch(() => undefined) }))
    const temp = join(tmpdir(), 'mbx-')
    for (const dir of new Set(this.all.map(a => a.dataDir))) {
      if (dir.startsWith(temp)) await rm(dir, { recursive: true, force: true }).catch(() => undefined)
    }
  }
}

export async function neighbourOf (agent: AgentProcess, peerId: string): Promise<NeighbourRow | undefined> {
  return (await agent.neighbours()).find(n => n.peerId === peerId)
}

/** Polls `agent`'s neighbour table until the row for `peerId` satisfies `pred`; returns that row. */
export async function waitNeighbour (agent: AgentProcess, peerId: string, pred: (n: NeighbourRow) => boolean, timeoutMs: number, what: string): Promise<NeighbourRow> {
  let row: NeighbourRow | undefined
  await agent.until(async () => {
    row = await neighbourOf(agent, peerId)
    return row !== undefined && pred(row)
  }, timeoutMs, `${what} (last row: ${JSON.stringify(row)})`)
  if (row === undefined) throw new Error('unreachable')
  return row
}

export interface CliResult { code: number | null, stdout: string, stderr: string }

/** Runs `node dist/meshbox.mjs …args` (inside `netns` when given) and collects its output. */
export async function runCli (args: string[], opts: { netns?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<CliResult> {
  const argv = [BUNDLE, ...args]
  const child = opts.netns === undefined
    ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } })
    : spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, opts.timeoutMs ?? 30_000)
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', code => { resolve(code) })
    })
    return { code, stdout, stderr }
  } finally {
    clearTimeout(timer)
  }
}
