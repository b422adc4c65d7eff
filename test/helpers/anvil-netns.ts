/**
 * A minimal anvil starter for the state-proof tests: anvil runs inside its own network
 * namespace (never in the root one), listening on 127.0.0.1 there; a tiny Node bridge, also
 * inside the namespace, exposes it on a Unix socket in a temp directory, which the test process
 * (in the root namespace) reaches without any veth or route. Unix sockets are file-system
 * objects, so they cross network namespaces.
 *
 * Written for chain-proof / chain-state tests while the shared test/helpers/anvil.ts (header
 * sync) is being built; fold it in there once that exists.
 *
 * @example
 * const anvil = await startAnvilInNetns({ name: 'proof' })
 * try { const n = await anvil.rpc('eth_blockNumber', []) } finally { await anvil.stop() }
 */
import { request } from 'node:http'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { access } from 'node:fs/promises'
import { createNetnsLab, type NetnsLab } from './netns.js'
import { tempDir } from './tmp.js'

/** The platform binary itself when present: the npm wrapper would be one more process to kill. */
const ANVIL = ((): string => {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const direct = new URL(`../../node_modules/@foundry-rs/anvil-linux-${arch}/bin/anvil`, import.meta.url).pathname
  return existsSync(direct) ? direct : new URL('../../node_modules/.bin/anvil', import.meta.url).pathname
})()
const PORT = 8545 // alone in a fresh namespace, so always free

/** Bridges every connection on the Unix socket argv[1] to 127.0.0.1:argv[2] (runs in the namespace). */
const BRIDGE = `const net=require('node:net');const [p,port]=process.argv.slice(1);
net.createServer(c=>{const u=net.connect(Number(port),'127.0.0.1');c.pipe(u);u.pipe(c);
c.on('error',()=>u.destroy());u.on('error',()=>c.destroy())}).listen(p,()=>process.stdout.write('ready\\n'))`

export class RpcCallError extends Error {
  readonly code: number
  constructor (code: number, message: string) {
    super(message)
    this.name = 'RpcCallError'
    this.code = code
  }
}

export interface AnvilNetns {
  /** JSON-RPC call; throws RpcCallError for a JSON-RPC error answer. */
  rpc: (method: string, params: unknown[]) => Promise<unknown>
  stop: () => Promise<void>
}

export interface AnvilNetnsInit {
  name: string
  chainId?: number
  hardfork?: string
  extraArgs?: string[]
}

let nextId = 1

function post (socketPath: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 10_000 }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')) })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error('anvil did not answer within 10 s')) })
    req.on('error', reject)
    req.end(body)
  })
}

async function waitFor (what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try { if (await probe()) return } catch (err) { last = err }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms: ${String(last)}`)
}

export async function startAnvilInNetns (init: AnvilNetnsInit): Promise<AnvilNetns> {
  const lab: NetnsLab = createNetnsLab()
  try {
    const ns = await lab.addNamespace(init.name)
    const socket = join(tempDir('anvil'), 'rpc.sock')
    const anvil = lab.spawn(ns, ANVIL, [
      '--host', '127.0.0.1', '--port', String(PORT), '--chain-id', String(init.chainId ?? 20180430),
      '--hardfork', init.hardfork ?? 'byzantium', '--silent', ...(init.extraArgs ?? [])
    ])
    let anvilOut = ''
    anvil.stderr?.on('data', (c: Buffer) => { anvilOut = (anvilOut + c.toString()).slice(-2000) })
    lab.spawn(ns, process.execPath, ['-e', BRIDGE, socket, String(PORT)])
    const rpc = async (method: string, params: unknown[]): Promise<unknown> => {
      const text = await post(socket, JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }))
      const answer = JSON.parse(text) as { result?: unknown, error?: { code: number, message: string } }
      if (answer.error !== undefined) throw new RpcCallError(answer.error.code, answer.error.message)
      return answer.result
    }
    await waitFor('anvil bridge socket', 10_000, async () => { await access(socket); return true })
    await waitFor(`anvil (${anvilOut})`, 15_000, async () => typeof await rpc('eth_chainId', []) === 'string')
    return { rpc, stop: async () => { await lab.cleanup() } }
  } catch (err) {
    await lab.cleanup()
    throw err
  }
}

/** Runtime code of the test contract: returns slot 0 (PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN). */
export const STORAGE_RUNTIME = '0x600054600052602060' + '00f3'
/** Values the init code stores: slot 0 = 42, slot 1 = 0x1234, slot 7 = a 32-byte value with zero bytes. */
export const STORAGE_SLOTS = { 0: 42n, 1: 0x1234n, 7: BigInt('0x' + 'c0ffee00'.repeat(8)) } as const
/**
 * Init code written by hand: SSTORE the three values, CODECOPY the 11 runtime bytes that follow
 * the 59 bytes of init code, RETURN them.
 */
export const STORAGE_INIT = '0x' +
  '602a600055' + // slot 0 = 0x2a
  '611234600155' + // slot 1 = 0x1234
  '7f' + 'c0ffee00'.repeat(8) + '600755' + // slot 7 = 0xc0ffee00…
  '600b603b600039' + // CODECOPY(mem 0, code 0x3b, 11 bytes)
  '600b6000f3' + // RETURN(mem 0, 11 bytes)
  STORAGE_RUNTIME.slice(2)

/** Addresses the seed funds (no key known: plain EOAs with a balance). */
export const FUNDED = [
  { address: '0x1111111111111111111111111111111111111111', wei: 1_500_000_000_000_000_000n },
  { address: '0x2222222222222222222222222222222222222222', wei: 7n },
  { address: '0x3333333333333333333333333333333333333333', wei: 10n ** 21n }
] as const

/** 18 gwei, Spectrum's recommended minimum; legacy pricing since the chain runs Byzantium rules. */
export const GAS_PRICE = '0x430e23400'

export interface SeededState { dev: string, contract: string, blockNumber: bigint }

interface Receipt { contractAddress: string | null, status: string, blockNumber: string }

/** Sends from an unlocked dev account and waits for the receipt, so each transaction gets its own block. */
export async function sendAndWait (rpc: AnvilNetns['rpc'], tx: Record<string, string>): Promise<Receipt> {
  const hash = await rpc('eth_sendTransaction', [{ gasPrice: GAS_PRICE, ...tx }]) as string
  for (let i = 0; i < 100; i++) {
    const receipt = await rpc('eth_getTransactionReceipt', [hash]) as Receipt | null
    if (receipt !== null) {
      if (receipt.status !== '0x1') throw new Error(`transaction failed: ${JSON.stringify(receipt)}`)
      return receipt
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  throw new Error(`no receipt for ${hash} within 2 s`)
}

/** Funds FUNDED from anvil's first dev account (blocks 1–3) and deploys the storage contract (block 4). */
export async function seedState (rpc: AnvilNetns['rpc']): Promise<SeededState> {
  const accounts = await rpc('eth_accounts', []) as string[]
  const dev = accounts[0] as string
  for (const f of FUNDED) await sendAndWait(rpc, { from: dev, to: f.address, value: '0x' + f.wei.toString(16) })
  const receipt = await sendAndWait(rpc, { from: dev, data: STORAGE_INIT, gas: '0x30d40' })
  if (receipt.contractAddress === null) throw new Error('the deployment receipt has no contract address')
  return { dev, contract: receipt.contractAddress, blockNumber: BigInt(receipt.blockNumber) }
}
