/**
 * Runs the agent bundle as a separate process (inside a network namespace when given one) and
 * drives it through its HTTP API, like syncthing's lib/rc. Log lines are parsed as they arrive
 * so tests can wait for "Neighbour lost" and the like.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { JsonLines } from './json-lines.js'

export const BUNDLE = fileURLToPath(new URL('../../dist/meshbox.mjs', import.meta.url))

export interface LogLine { ts: string, level: string, msg: string, module?: string, ctx?: Record<string, unknown>, err?: unknown }

export interface AgentProcessInit {
  name: string
  /** Namespace to run in (via `ip netns exec`); none = this namespace. */
  netns?: string
  /** Reused across restarts to keep the identity; a fresh temp dir by default. */
  dataDir?: string
  /** Extra CLI flags after `start`. */
  args?: string[]
  env?: NodeJS.ProcessEnv
  readyTimeoutMs?: number
  /** Another build of the agent to run (benchmarks compare builds); dist/meshbox.mjs by default. */
  bundle?: string
}

export class AgentProcess extends JsonLines<LogLine> {
  readonly name: string
  readonly dataDir: string
  readonly netns: string | undefined
  peerId = ''
  httpUrl = ''

  constructor (name: string, dataDir: string, child: ChildProcess, netns?: string) {
    super(child, name)
    this.name = name
    this.dataDir = dataDir
    this.netns = netns
  }

  /** Every log line so far, parsed. */
  get logs (): LogLine[] {
    return this.events
  }

  get running (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** The first log line matching, waiting up to `timeoutMs`. */
  async waitForLog (pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    return await this.waitFor(pred, timeoutMs, what)
  }

  /** Waits for `Agent ready` and takes the peer id and HTTP address from it. */
  async ready (timeoutMs: number): Promise<this> {
    const line = await this.waitForLog(l => l.msg === 'Agent ready', timeoutMs, 'Agent ready')
    this.peerId = String(line.ctx?.peerId)
    this.httpUrl = String(line.ctx?.statusPage)
    return this
  }

  async api<T = unknown> (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, timeoutMs = 15_000): Promise<{ status: number, body: T }> {
    const res = await fetchInNamespace(this.netns, this.httpUrl + path.replace(/^\//, ''), method, body, timeoutMs)
    return res as { status: number, body: T }
  }

  /** Polls `check` against the API until it returns true. */
  async until (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (await check().catch(() => false)) return
      if (Date.now() > deadline) throw new Error(`${this.name}: ${what} not reached within ${timeoutMs} ms\nlast logs:\n${this.logs.slice(-10).map(l => JSON.stringify(l)).join('\n')}`)
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }

  async neighbours (): Promise<Array<Record<string, unknown> & { peerId: string, state: string, kind: string, interface: string | null }>> {
    return (await this.api<Array<Record<string, unknown> & { peerId: string, state: string, kind: string, interface: string | null }>>('GET', '/api/v1/neighbours')).body
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code (null if killed by signal). */
  async stop (timeoutMs = 6_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode
    const exited = new Promise<number | null>(resolve => { this.child.once('exit', code => { resolve(code) }) })
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, timeoutMs)
    try {
      return await exited
    } finally {
      clearTimeout(timer)
    }
  }

  async kill (): Promise<void> {
    if (!this.running) return
    const exited = new Promise<void>(resolve => { this.child.once('exit', () => { resolve() }) })
    this.child.kill('SIGKILL')
    await exited
  }
}

/**
 * HTTP from the test process reaches agents in other namespaces only through that namespace, so
 * API calls are made by the agent's own namespace: the agent binds 127.0.0.1 there and we ask
 * with a tiny fetch run inside it. Without a namespace this is a plain fetch.
 */
export async function fetchInNamespace (netns: string | undefined, url: string, method: string, body: unknown, timeoutMs: number): Promise<{ status: number, body: unknown }> {
  if (netns === undefined) {
    const res = await fetch(url, { method, signal: AbortSignal.timeout(timeoutMs), ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) })
    return { status: res.status, body: await res.json().catch(() => undefined) }
  }
  const script = 'const [u,m,b,t]=process.argv.slice(1);fetch(u,{method:m,signal:AbortSignal.timeout(Number(t)),...(b?{body:b,headers:{"content-type":"application/json"}}:{})}).then(async r=>{process.stdout.write(JSON.stringify({status:r.status,body:await r.json().catch(()=>null)}))},e=>{process.stdout.write(JSON.stringify({error:String(e)}))})'
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script, url, method, body === undefined ? '' : JSON.stringify(body), String(timeoutMs)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let s = ''
    p.stdout.setEncoding('utf8').on('data', (d: string) => { s += d })
    p.once('error', reject)
    p.once('exit', () => { resolve(s) })
  })
  const parsed = JSON.parse(out) as { status: number, body: unknown, error?: string }
  if (parsed.error !== undefined) throw new Error(`${method} ${url}: ${parsed.error}`)
  return parsed
}

export async function startAgent (init: AgentProcessInit): Promise<AgentProcess> {
  const dataDir = init.dataDir ?? await mkdtemp(join(tmpdir(), `mbx-${init.name}-`))
  const argv = [init.bundle ?? BUNDLE, 'start', '--data-dir', dataDir, '--http-port', '0', ...(init.args ?? [])]
  const child = init.netns === undefined
    ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...init.env } })
    : spawn('ip', ['netns', 'exec', init.netns, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...init.env } })
  return await new AgentProcess(init.name, dataDir, child, init.netns).ready(init.readyTimeoutMs ?? 15_000)
}
