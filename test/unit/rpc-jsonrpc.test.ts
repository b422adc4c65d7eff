/**
 * JSON-RPC 2.0 at POST /rpc: framing, batches, standard error codes, CORS, and the method table
 * over a scripted backend (headers from the chain fixtures).
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createServer, type Server } from 'node:http'
import { createHttpApp } from '../../agent/services/http/app.js'
import { handleRpc, MAX_BATCH, RpcCode, RpcError, type RpcMethod, type RpcResponse } from '../../agent/services/rpc/jsonrpc.js'
import { rpcMethods, type RpcBackend, type Verified } from '../../agent/services/rpc/methods.js'
import { rpcRoute } from '../../agent/services/rpc/route.js'
import { headerHash, bytesToHex, type Header } from '../../agent/chain/index.js'
import { createLogger } from '../../agent/log/logger.js'

const silent = createLogger({ level: 'silent' })
const signal = AbortSignal.timeout(10_000)

const header = (n: bigint): Header => ({
  parentHash: new Uint8Array(32), sha3Uncles: new Uint8Array(32), miner: new Uint8Array(20), stateRoot: new Uint8Array(32),
  transactionsRoot: new Uint8Array(32), receiptsRoot: new Uint8Array(32), logsBloom: new Uint8Array(256), difficulty: 0n,
  number: n, gasLimit: 30_000_000n, gasUsed: 0n, timestamp: 1_700_000_000n + n, extraData: new Uint8Array(0), mixHash: new Uint8Array(32), nonce: new Uint8Array(8)
})
const known = (n: bigint): { hash: string, header: Header } => { const h = header(n); return { hash: bytesToHex(headerHash(h)), header: h } }

function backend (over: Partial<RpcBackend> = {}): RpcBackend {
  const v = <T>(value: T): Verified<T> => ({ value, level: 'proof', blockNumber: 7n })
  return {
    chainId: () => 20180430n,
    head: () => ({ ...known(9n), verifiedAtMs: Date.now() - 1500 }),
    headerByNumber: async (n) => n <= 9n ? known(n) : undefined,
    headerByHash: async (h) => h === known(3n).hash ? known(3n) : undefined,
    syncStatus: () => ({ head: 9 }),
    balance: async () => v(10n ** 18n),
    nonce: async () => v(3n),
    code: async () => v('0x'),
    storage: async () => v('0x' + '00'.repeat(31) + '2a'),
    forward: async (method) => method === 'eth_gasPrice' ? '0x3b9aca00' : '0x',
    sendRawTransaction: async () => '0x' + 'ab'.repeat(32),
    transactionReceipt: async () => ({ result: null }),
    transactionByHash: async () => ({ result: null }),
    outbox: async () => [],
    ...over
  }
}

const call = async (methods: ReadonlyMap<string, RpcMethod>, method: string, params: unknown[] = []): Promise<RpcResponse> =>
  await handleRpc({ jsonrpc: '2.0', id: 1, method, params }, methods, signal) as RpcResponse

describe('JSON-RPC framing', () => {
  const methods = new Map<string, RpcMethod>([
    ['echo', async (params) => ({ result: params })],
    ['boom', async () => { throw new Error('secret detail') }],
    ['refuse', async () => { throw new RpcError(RpcCode.TX_REJECTED, 'nonce too low', { nonce: '0x1' }) }]
  ])

  it('default: one request in, one answer out with the same id', async () => {
    assert.deepEqual(await handleRpc({ jsonrpc: '2.0', id: 'a', method: 'echo', params: [1] }, methods, signal), { jsonrpc: '2.0', id: 'a', result: [1] })
  })

  it('error: bad requests get the standard codes and never throw', async () => {
    const code = async (body: unknown): Promise<number | undefined> => (await handleRpc(body, methods, signal) as RpcResponse).error?.code
    assert.equal(await code(42), RpcCode.INVALID_REQUEST)
    assert.equal(await code({ id: 1, method: 'echo' }), RpcCode.INVALID_REQUEST, 'no jsonrpc member')
    assert.equal(await code({ jsonrpc: '2.0', id: 1 }), RpcCode.INVALID_REQUEST, 'no method')
    assert.equal(await code({ jsonrpc: '2.0', id: {}, method: 'echo' }), RpcCode.INVALID_REQUEST, 'object id')
    assert.equal(await code({ jsonrpc: '2.0', id: 1, method: 'echo', params: { a: 1 } }), RpcCode.INVALID_PARAMS)
    assert.equal(await code({ jsonrpc: '2.0', id: 1, method: 'nope' }), RpcCode.METHOD_NOT_FOUND)
    assert.equal(await code([]), RpcCode.INVALID_REQUEST, 'empty batch')
    assert.equal(await code(Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'echo' }))), RpcCode.INVALID_REQUEST, 'oversized batch')
  })

  it('error: a method that throws is -32603 without its detail; an RpcError keeps its code and data', async () => {
    const logged: string[] = []
    const res = await handleRpc({ jsonrpc: '2.0', id: 1, method: 'boom' }, methods, signal, (m) => { logged.push(m) }) as RpcResponse
    assert.deepEqual(res.error, { code: RpcCode.INTERNAL, message: 'internal error' })
    assert.deepEqual(logged, ['boom'])
    assert.deepEqual((await handleRpc({ jsonrpc: '2.0', id: 1, method: 'refuse' }, methods, signal) as RpcResponse).error, { code: RpcCode.TX_REJECTED, message: 'nonce too low', data: { nonce: '0x1' } })
  })

  it('behavior: a batch answers each member in order, leaves notifications out, and mixes errors', async () => {
    const res = await handleRpc([
      { jsonrpc: '2.0', id: 1, method: 'echo', params: ['a'] },
      { jsonrpc: '2.0', method: 'echo', params: ['notified'] },
      'junk',
      { jsonrpc: '2.0', id: 2, method: 'nope' }
    ], methods, signal) as RpcResponse[]
    assert.deepEqual(res.map(r => [r.id, r.result ?? r.error?.code]), [[1, ['a']], [null, RpcCode.INVALID_REQUEST], [2, RpcCode.METHOD_NOT_FOUND]])
    assert.equal(await handleRpc({ jsonrpc: '2.0', method: 'echo' }, methods, signal), undefined, 'a lone notification gets no answer')
  })
})

describe('eth_* methods over the backend', () => {
  it('default: chain id, net_version, block number with its age', async () => {
    const m = rpcMethods(backend())
    assert.equal((await call(m, 'eth_chainId')).result, '0x133edce')
    assert.equal((await call(m, 'net_version')).result, '20180430')
    const bn = await call(m, 'eth_blockNumber')
    assert.equal(bn.result, '0x9')
    assert.equal(bn.meshbox?.verified, 'header')
    assert.ok(Number(bn.meshbox?.ageMs) >= 1500)
  })

  it('behavior: blocks come from verified headers, by number, tag and hash; unknown is null', async () => {
    const m = rpcMethods(backend())
    const b3 = await call(m, 'eth_getBlockByNumber', ['0x3', false])
    assert.equal((b3.result as { hash: string }).hash, known(3n).hash)
    assert.deepEqual((b3.result as { transactions: unknown[] }).transactions, [])
    assert.equal(b3.meshbox?.transactionsOmitted, true)
    assert.equal(((await call(m, 'eth_getBlockByNumber', ['latest', false])).result as { number: string }).number, '0x9')
    assert.equal((await call(m, 'eth_getBlockByNumber', ['0x10', false])).result, null)
    assert.equal(((await call(m, 'eth_getBlockByHash', [known(3n).hash, false])).result as { number: string }).number, '0x3')
  })

  it('behavior: state answers say how they were verified and at which block', async () => {
    const m = rpcMethods(backend({ balance: async () => ({ value: 5n, level: 'cache', blockNumber: 4n, ageMs: 60_000 }) }))
    const bal = await call(m, 'eth_getBalance', ['0x' + '11'.repeat(20), 'latest'])
    assert.equal(bal.result, '0x5')
    assert.deepEqual({ ...bal.meshbox, at: 0 }, { verified: 'cache', blockNumber: '0x4', ageMs: 60_000, blocksBehindHead: 5, at: 0 })
    assert.equal((await call(m, 'eth_getTransactionCount', ['0x' + '11'.repeat(20)])).result, '0x3')
    assert.equal((await call(m, 'eth_getStorageAt', ['0x' + '11'.repeat(20), '0x0', 'latest'])).result, '0x' + '00'.repeat(31) + '2a')
    const gas = await call(m, 'eth_gasPrice')
    assert.deepEqual([gas.result, gas.meshbox?.verified], ['0x3b9aca00', 'unverified'])
  })

  it('error: bad params are -32602 naming the position; no verified header is -32013', async () => {
    const m = rpcMethods(backend())
    const err = async (method: string, params: unknown[]): Promise<{ code: number, message: string } | undefined> => (await call(m, method, params)).error
    assert.match(String((await err('eth_getBalance', ['0x12']))?.message), /^param 0: expected an address/)
    assert.equal((await err('eth_getBalance', ['0x' + '11'.repeat(20), 'yesterday']))?.code, RpcCode.INVALID_PARAMS)
    assert.equal((await err('eth_getBlockByNumber', ['0x01']))?.code, RpcCode.INVALID_PARAMS, 'leading zero')
    assert.equal((await err('eth_chainId', [1]))?.code, RpcCode.INVALID_PARAMS)
    assert.equal((await err('eth_sendRawTransaction', ['0xabc']))?.code, RpcCode.INVALID_PARAMS, 'odd hex')
    assert.equal((await err('eth_call', [{ to: '0x00', evil: '0x' }]))?.code, RpcCode.INVALID_PARAMS)
    const unsynced = rpcMethods(backend({ head: () => undefined }))
    assert.equal((await call(unsynced, 'eth_blockNumber')).error?.code, RpcCode.NOT_SYNCED)
  })
})

describe('POST /rpc over HTTP', () => {
  let server: Server
  let url = ''
  before(async () => {
    const app = createHttpApp({ logger: silent }, { routes: [rpcRoute(() => rpcMethods(backend()), silent)], maxBodyBytes: 4096, requestTimeoutMs: 5_000 })
    server = createServer((req, res) => { void app(req, res) })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rpc`
  })
  after(async () => { await new Promise(resolve => server.close(resolve)) })

  it('behavior: CORS preflight and headers; a parse error is -32700 with HTTP 200; oversized is 413', async () => {
    const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://phone.local', 'access-control-request-method': 'POST' } })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-origin'), '*')
    assert.match(String(pre.headers.get('access-control-allow-headers')), /content-type/)
    const ok = await fetch(url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }), headers: { 'content-type': 'application/json' } })
    assert.equal(ok.headers.get('access-control-allow-origin'), '*')
    assert.deepEqual(await ok.json(), { jsonrpc: '2.0', id: 1, result: '0x133edce' })
    const bad = await fetch(url, { method: 'POST', body: '{"jsonrpc":', headers: { 'content-type': 'application/json' } })
    assert.equal(bad.status, 200)
    assert.equal(((await bad.json()) as RpcResponse).error?.code, RpcCode.PARSE_ERROR)
    const big = await fetch(url, { method: 'POST', body: 'x'.repeat(10_000), headers: { 'content-type': 'application/json' } })
    assert.equal(big.status, 413)
    const note = await fetch(url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', method: 'eth_chainId' }), headers: { 'content-type': 'application/json' } })
    assert.equal(note.status, 204)
  })
})
