/**
 * Upstream source selection (pure, chain/sync/sources.ts) and the pool around it
 * (chain/sync/upstream.ts, rpc-client.ts) against small JSON-RPC servers on 127.0.0.1 in this
 * process: ranking by latency and head delay, doubling back-off, demotion and re-admission,
 * chain-id admission, batches, bounded answers, timeouts, credentials never shown.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { silentLogger, type Logger } from '../../agent/log/logger.js'
import { postJsonRpc } from '../../agent/chain/sync/rpc-client.js'
import {
  checkRpcUrls, DEFAULT_SOURCE_POLICY, demote, isHealthy, newSourceState, rankSources, recordFailure, recordHead, recordSuccess, redactUrl
} from '../../agent/chain/sync/sources.js'
import { createUpstreamPool } from '../../agent/chain/sync/upstream.js'

const policy = DEFAULT_SOURCE_POLICY

describe('chain sync: source selection (pure)', () => {
  it('behavior: healthy sources rank by latency, a lagging head costs a second per block, unknown latency is tried first', () => {
    const [a, b, c, d] = [0, 1, 2, 3].map(i => newSourceState(i, `s${i}`)) as [ReturnType<typeof newSourceState>, ReturnType<typeof newSourceState>, ReturnType<typeof newSourceState>, ReturnType<typeof newSourceState>]
    recordSuccess(a, 50, policy)
    recordSuccess(b, 20, policy)
    recordSuccess(c, 5, policy)
    for (const [s, h] of [[a, 100n], [b, 100n], [c, 98n]] as const) recordHead(s, h, 0)
    // d has no latency yet: it scores 0 and goes first, so every source gets measured.
    assert.deepEqual(rankSources([a, b, c, d], 0).map(s => s.label), ['s3', 's1', 's0', 's2'])
    recordSuccess(d, 400, policy)
    assert.deepEqual(rankSources([a, b, c, d], 0).map(s => s.label), ['s1', 's0', 's3', 's2'], 'two blocks behind (2000 ms) is worse than 400 ms')
  })

  it('behavior: latency is an EWMA', () => {
    const s = newSourceState(0, 's')
    recordSuccess(s, 100, policy)
    recordSuccess(s, 200, policy)
    assert.equal(s.latencyMs, 100 + policy.latencySmoothing * 100)
  })

  it('behavior: failures back off exponentially up to the cap; a success clears the back-off', () => {
    const s = newSourceState(0, 's')
    const waits = [1, 2, 3, 4, 5, 6, 7, 8].map(i => recordFailure(s, `e${i}`, 0, policy))
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000])
    assert.equal(isHealthy(s, 59_999), false)
    assert.equal(isHealthy(s, 60_000), true)
    recordSuccess(s, 10, policy)
    assert.equal(s.failures, 0)
    assert.equal(recordFailure(s, 'again', 0, policy), 1000)
    assert.equal(s.lastError, 'again')
  })

  it('behavior: a demoted source is unused for demoteMs, then must be admitted again', () => {
    const s = newSourceState(0, 's')
    s.admitted = true
    demote(s, 'gas-used: header 40: gasUsed … exceeds gasLimit', 1_000, policy)
    assert.equal(isHealthy(s, 1_000 + policy.demoteMs - 1), false)
    assert.equal(rankSources([s], 1_000).length, 0)
    assert.equal(isHealthy(s, 1_000 + policy.demoteMs), true)
    assert.equal(s.admitted, undefined, 'chain id and anchor are checked again after the ban')
    assert.equal(s.demotions, 1)
  })

  it('args: URLs are redacted (userinfo, query values) and checked', () => {
    assert.equal(redactUrl('https://alice:s3cret@node.example:8545/rpc?apikey=XYZ&x=1#f'), 'https://node.example:8545/rpc?apikey=…&x=…')
    assert.equal(redactUrl('http://10.0.0.2:8545'), 'http://10.0.0.2:8545/')
    assert.equal(checkRpcUrls(['http://10.0.0.2:8545', 'https://a.example/v3/k']), undefined)
    assert.match(checkRpcUrls(['ftp://u:pw@host/']) ?? '', /must be an http:\/\/ or https:\/\/ URL/)
    assert.doesNotMatch(checkRpcUrls(['ftp://u:pw@host/']) ?? '', /pw/)
    assert.match(checkRpcUrls(['not a url']) ?? '', /is not a URL/)
    assert.doesNotMatch(checkRpcUrls(['http://user:hunter2@[::1']) ?? '', /hunter2/)
    assert.match(checkRpcUrls(['http://a/', 'http://a/']) ?? '', /listed twice/)
  })
})

// ---- a scripted JSON-RPC server ----------------------------------------------------------------

type Handler = (body: unknown, req: IncomingMessage) => { status?: number, body: string, delayMs?: number }
const servers: Server[] = []
after(async () => { await Promise.all(servers.map(async s => { s.closeAllConnections(); await new Promise(resolve => s.close(resolve)) })) })

async function serve (handler: Handler): Promise<{ url: string, requests: Array<{ body: unknown, auth: string | undefined }> }> {
  const requests: Array<{ body: unknown, auth: string | undefined }> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      requests.push({ body, auth: req.headers.authorization })
      const out = handler(body, req)
      setTimeout(() => { res.writeHead(out.status ?? 200, { 'content-type': 'application/json' }); res.end(out.body) }, out.delayMs ?? 0)
    })
  })
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

type Call = { id: number, method: string, params: unknown[] }
const answer = (call: Call, result: unknown): Record<string, unknown> => ({ jsonrpc: '2.0', id: call.id, result })
/** A well-behaved node of chain `chainId` at head `head`. */
const node = (chainId: bigint, head: bigint, extra: (c: Call) => unknown = () => null): Handler => (body) => {
  const one = (c: Call): Record<string, unknown> => answer(c, c.method === 'eth_chainId' ? '0x' + chainId.toString(16) : c.method === 'eth_blockNumber' ? '0x' + head.toString(16) : extra(c))
  return { body: JSON.stringify(Array.isArray(body) ? (body as Call[]).map(one) : one(body as Call)) }
}

function recordingLogger (): { logger: Logger, lines: Array<{ level: string, msg: string, ctx: Record<string, unknown> }> } {
  const lines: Array<{ level: string, msg: string, ctx: Record<string, unknown> }> = []
  const make = (): Logger => ({
    debug: (msg, ctx = {}) => { lines.push({ level: 'debug', msg, ctx }) },
    info: (msg, ctx = {}) => { lines.push({ level: 'info', msg, ctx }) },
    warn: (msg, ctx = {}) => { lines.push({ level: 'warn', msg, ctx }) },
    error: (msg, ctx = {}) => { lines.push({ level: 'error', msg, ctx }) },
    child: () => make()
  })
  return { logger: make(), lines }
}

describe('chain sync: JSON-RPC client', () => {
  it('default: a batch is one HTTP request; outcomes come back in order, errors per entry', async () => {
    const s = await serve(body => ({ body: JSON.stringify((body as Call[]).reverse().map(c => c.method === 'bad' ? { jsonrpc: '2.0', id: c.id, error: { code: -32601, message: 'no such method' } } : answer(c, c.params[0]))) }))
    const out = await postJsonRpc(s.url, [{ method: 'echo', params: ['a'] }, { method: 'bad', params: [] }, { method: 'echo', params: ['c'] }], true, { timeoutMs: 2000, maxResponseBytes: 4096 }, 'src')
    assert.deepEqual(out, [{ ok: true, result: 'a' }, { ok: false, error: { code: -32601, message: 'no such method' } }, { ok: true, result: 'c' }])
    assert.equal(s.requests.length, 1)
  })

  it('error: an answer over maxResponseBytes is cut off; a missing batch id, a timeout and HTTP errors fail', async () => {
    const big = await serve(body => ({ body: JSON.stringify(answer(body as Call, 'x'.repeat(10_000))) }))
    await assert.rejects(postJsonRpc(big.url, [{ method: 'm', params: [] }], false, { timeoutMs: 2000, maxResponseBytes: 4096 }, 'big'),
      (e: unknown) => e instanceof AgentError && e.code === ErrorCode.CHAIN_UPSTREAM_FAILED && e.data.kind === 'too-large')
    const lossy = await serve(body => ({ body: JSON.stringify((body as Call[]).slice(1).map(c => answer(c, 1))) }))
    await assert.rejects(postJsonRpc(lossy.url, [{ method: 'a', params: [] }, { method: 'b', params: [] }], true, { timeoutMs: 2000, maxResponseBytes: 4096 }, 'lossy'), /lacks id 1 \(a\)/)
    const slow = await serve(body => ({ body: JSON.stringify(answer(body as Call, 1)), delayMs: 500 }))
    await assert.rejects(postJsonRpc(slow.url, [{ method: 'a', params: [] }], false, { timeoutMs: 100, maxResponseBytes: 4096 }, 'slow'),
      (e: unknown) => e instanceof AgentError && e.data.kind === 'timeout' && /no answer within 100 ms/.test(e.message))
    const down = await serve(() => ({ status: 503, body: 'busy' }))
    await assert.rejects(postJsonRpc(down.url, [{ method: 'a', params: [] }], false, { timeoutMs: 2000, maxResponseBytes: 4096 }, 'down'), /HTTP 503/)
    const notJson = await serve(() => ({ body: '<html>' }))
    await assert.rejects(postJsonRpc(notJson.url, [{ method: 'a', params: [] }], false, { timeoutMs: 2000, maxResponseBytes: 4096 }, 'nj'), /not JSON/)
  })

  it('args: credentials in the URL travel as Basic auth and never appear in errors', async () => {
    const s = await serve(() => ({ status: 401, body: '' }))
    const url = s.url.replace('http://', 'http://alice:s3cret@')
    const err = await postJsonRpc(url, [{ method: 'a', params: [] }], false, { timeoutMs: 2000, maxResponseBytes: 4096 }, redactUrl(url)).catch((e: unknown) => e)
    assert.ok(err instanceof AgentError)
    assert.doesNotMatch(err.message + JSON.stringify(err.toJSON()), /s3cret|alice/)
    assert.equal(s.requests[0]?.auth, 'Basic ' + Buffer.from('alice:s3cret').toString('base64'))
  })
})

describe('chain sync: upstream pool', () => {
  it('behavior: a source of another chain is demoted at admission; calls go to the right one', async () => {
    const wrong = await serve(node(1n, 50n))
    const right = await serve(node(20180430n, 50n, c => c.method === 'eth_getBalance' ? '0x7' : null))
    const { logger, lines } = recordingLogger()
    const pool = createUpstreamPool({ logger }, { urls: [wrong.url, right.url], chainId: 20180430n })
    await pool.probe()
    const { result, source } = await pool.call('eth_getBalance', ['0x00', 'latest'])
    assert.equal(result, '0x7')
    assert.equal(source.url, right.url + '/')
    const rows = pool.sources()
    assert.equal(rows[0]?.healthy, false)
    assert.match(rows[0]?.lastError ?? '', /eth_chainId answered "0x1", expected 20180430/)
    assert.ok(rows[0]?.demotedUntil !== null)
    assert.equal(rows[1]?.head, 50)
    assert.ok(lines.some(l => l.msg === 'Upstream source demoted' && /expected 20180430/.test(String(l.ctx.reason))))
  })

  it('behavior: a failing source backs off and the next one answers; callTwo needs two distinct sources', async () => {
    const down = await serve(() => ({ status: 500, body: '' }))
    const a = await serve(node(5n, 10n, () => 'a'))
    const b = await serve(node(5n, 10n, () => 'b'))
    const pool = createUpstreamPool({ logger: silentLogger }, { urls: [down.url, a.url, b.url], chainId: 5n })
    const first = await pool.call('x', [])
    assert.ok(first.result === 'a' || first.result === 'b')
    assert.equal(pool.sources()[0]?.failures, 1)
    assert.ok((pool.sources()[0]?.backoffUntil ?? 0) > Date.now())
    const [x, y] = await pool.callTwo('x', [])
    assert.deepEqual([x.result, y.result].sort(), ['a', 'b'])
    assert.notEqual(x.source.id, y.source.id)
    const solo = createUpstreamPool({ logger: silentLogger }, { urls: [a.url], chainId: 5n })
    await assert.rejects(solo.callTwo('x', []), (e: unknown) => e instanceof AgentError && e.code === ErrorCode.CHAIN_NO_UPSTREAM)
  })

  it('error: a JSON-RPC error answer is the node speaking, not a failure of the source', async () => {
    const s = await serve(body => {
      const c = body as Call
      return { body: JSON.stringify(c.method === 'eth_chainId' ? answer(c, '0x5') : { jsonrpc: '2.0', id: c.id, error: { code: -32000, message: 'nonce too low' } }) }
    })
    const pool = createUpstreamPool({ logger: silentLogger }, { urls: [s.url], chainId: 5n })
    await assert.rejects(pool.call('eth_sendRawTransaction', ['0x']), (e: unknown) => e instanceof AgentError && e.code === ErrorCode.CHAIN_UPSTREAM_ERROR && e.data.rpcCode === -32000)
    assert.equal(pool.sources()[0]?.failures, 0)
    assert.equal(pool.hasHealthy(), true)
    const none = createUpstreamPool({ logger: silentLogger }, { urls: [], chainId: 5n })
    await assert.rejects(none.call('x', []), /none is configured \(chain.rpc, --chain-rpc\)/)
  })
})
