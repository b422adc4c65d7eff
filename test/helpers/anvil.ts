/**
 * anvil (npm `@foundry-rs/anvil`, a dev dependency) as the upstream full node of chain tests,
 * run inside a network namespace made by netns.ts, never in the root one: put it in the same
 * namespace as the agent that uses it and give the agent `anvil.url` (127.0.0.1 there).
 *
 * The test process reaches it through a tiny Node bridge, also in the namespace, that exposes
 * anvil on a Unix socket in a temp directory (Unix sockets are files, so they cross namespaces).
 *
 * Defaults fit the dev preset: chain id 20180430, `--hardfork byzantium` (15-field headers), one
 * block a second, every block's timestamp exactly 1 s after its parent's
 * (`anvil_setBlockTimestampInterval`), and a genesis timestamp a day in the past, so `mine(n)`
 * (anvil_mine) stays behind our clock for up to ~86,000 blocks: the dev chain needs strictly
 * increasing timestamps, and no header may run more than 15 s ahead of the verifier's clock.
 * (Plain anvil_mine gives every block of a burst the same timestamp, and the first interval
 * block after a burst its parent's.)
 *
 * @example
 * const lab = createNetnsLab(); const ns = await lab.addNamespace('chain')
 * const anvil = await startAnvil({ lab, ns })
 * await anvil.mine(500); const head = await anvil.blockNumber()
 * const agent = await agents.start({ name: 'a', netns: ns, args: ['--chain', 'dev', '--chain-rpc', anvil.url] })
 * await anvil.stop()
 */
import { existsSync } from 'node:fs'
import { access } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import type { NetnsLab } from './netns.js'
import { tempDir } from './tmp.js'

/** The platform binary itself when present: the npm wrapper would be one more process to kill. */
export const ANVIL_BIN = ((): string => {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const direct = new URL(`../../node_modules/@foundry-rs/anvil-linux-${arch}/bin/anvil`, import.meta.url).pathname
  return existsSync(direct) ? direct : new URL('../../node_modules/.bin/anvil', import.meta.url).pathname
})()

/** Bridges every connection on the Unix socket argv[1] to argv[2]:argv[3] (runs in the namespace). */
const BRIDGE = `const net=require('node:net');const [p,host,port]=process.argv.slice(1);
net.createServer(c=>{const u=net.connect(Number(port),host);c.pipe(u);u.pipe(c);
c.on('error',()=>u.destroy());u.on('error',()=>c.destroy())}).listen(p,()=>process.stdout.write('ready\\n'))`

export class AnvilRpcError extends Error {
  readonly code: number
  constructor (code: number, message: string) {
    super(message)
    this.name = 'AnvilRpcError'
    this.code = code
  }
}

export interface AnvilInit {
  lab: NetnsLab
  /** Full namespace name (lab.ns('x'), graph.ns('n0')). */
  ns: string
  /** Address to listen on inside the namespace (default 127.0.0.1). */
  host?: string
  chainId?: number
  hardfork?: string
  /** Seconds between interval-mined blocks; null = mine only on request (default 1). */
  blockTimeS?: number | null
  /** Genesis this many seconds before now (default 86400). */
  genesisAgoS?: number
  extraArgs?: string[]
  readyTimeoutMs?: number
}

export interface RpcBlock { number: string, hash: string, parentHash: string, timestamp: string, [field: string]: unknown }

export interface Anvil {
  readonly ns: string
  readonly host: string
  readonly port: number
  /** `http://host:port`: valid inside the namespace. */
  readonly url: string
  /** JSON-RPC call; throws AnvilRpcError for a JSON-RPC error answer. */
  rpc: <T = unknown>(method: string, params?: unknown[]) => Promise<T>
  blockNumber: () => Promise<bigint>
  block: (n: bigint | 'latest') => Promise<RpcBlock>
  /** Mines `count` blocks at once (anvil_mine), `intervalS` apart (default 1). */
  mine: (count: number, intervalS?: number) => Promise<void>
  snapshot: () => Promise<string>
  revert: (id: string) => Promise<boolean>
  stop: () => Promise<void>
}

let nextId = 1

function post (socketPath: string, body: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, timeout: timeoutMs }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')) })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error(`anvil did not answer within ${timeoutMs} ms`)) })
    req.on('error', reject)
    req.end(body)
  })
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>(resolve => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 3_000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill('SIGTERM')
  })
}

export async function startAnvil (init: AnvilInit): Promise<Anvil> {
  const host = init.host ?? '127.0.0.1'
  const readyTimeoutMs = init.readyTimeoutMs ?? 20_000
  const genesis = Math.floor(Date.now() / 1000) - (init.genesisAgoS ?? 86_400)
  const blockTime = init.blockTimeS === undefined ? 1 : init.blockTimeS
  const anvil = init.lab.spawn(init.ns, ANVIL_BIN, [
    '--host', host, '--port', '0', '--chain-id', String(init.chainId ?? 20180430), '--hardfork', init.hardfork ?? 'byzantium',
    '--timestamp', String(genesis), ...(blockTime === null ? [] : ['--block-time', String(blockTime)]), ...(init.extraArgs ?? [])
  ])
  const children: ChildProcess[] = [anvil]
  const stopAll = async (): Promise<void> => { await Promise.all(children.map(stopChild)) }
  try {
    let out = ''
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`anvil did not listen within ${readyTimeoutMs} ms: ${out.slice(-500)}`)) }, readyTimeoutMs)
      const onData = (c: Buffer): void => {
        out = (out + c.toString()).slice(-4000)
        const m = /Listening on [^\s:]+:(\d+)/.exec(out)
        if (m !== null) { clearTimeout(timer); resolve(Number(m[1])) }
      }
      anvil.stdout?.on('data', onData)
      anvil.stderr?.on('data', onData)
      anvil.once('exit', code => { clearTimeout(timer); reject(new Error(`anvil exited (${String(code)}): ${out.slice(-500)}`)) })
    })
    // Keep draining anvil's output (one line per block) so its pipe never fills.
    anvil.stdout?.resume()
    const socket = join(tempDir('anvil'), 'rpc.sock')
    const bridge = init.lab.spawn(init.ns, process.execPath, ['-e', BRIDGE, socket, host, String(port)])
    children.push(bridge)
    const deadline = Date.now() + readyTimeoutMs
    for (;;) {
      try { await access(socket); break } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error('the anvil bridge socket did not appear')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const rpc = async <T = unknown>(method: string, params: unknown[] = []): Promise<T> => {
      const text = await post(socket, JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }), 30_000)
      const answer = JSON.parse(text) as { result?: T, error?: { code: number, message: string } }
      if (answer.error !== undefined) throw new AnvilRpcError(answer.error.code, answer.error.message)
      return answer.result as T
    }
    const hex = (n: bigint | number): string => '0x' + n.toString(16)
    await rpc('eth_chainId')
    // Every block exactly 1 s after its parent, interval-mined or not: after an anvil_mine burst
    // anvil would otherwise give the next interval block its parent's timestamp.
    await rpc('anvil_setBlockTimestampInterval', [1])
    return {
      ns: init.ns,
      host,
      port,
      url: `http://${host}:${port}`,
      rpc,
      blockNumber: async () => BigInt(await rpc<string>('eth_blockNumber')),
      block: async (n) => await rpc<RpcBlock>('eth_getBlockByNumber', [n === 'latest' ? n : hex(n), false]),
      mine: async (count, intervalS = 1) => { await rpc('anvil_mine', [hex(count), hex(intervalS)]) },
      snapshot: async () => await rpc<string>('evm_snapshot'),
      revert: async (id) => await rpc<boolean>('evm_revert', [id]),
      stop: stopAll
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}
