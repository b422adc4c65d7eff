import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createHttpApp, type Route } from '../../agent/services/http/app.js'
import { createHttpServer } from '../../agent/services/http/server.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { silentLogger } from '../../agent/log/logger.js'

// The server binds 127.0.0.1 only: loopback traffic stays on this machine.
const routes: Route[] = [
  { method: 'GET', path: '/api/v1/health', handler: () => ({ json: { ok: true } }) },
  { method: 'GET', path: '/api/v1/peers/:peerId', handler: ({ params }) => ({ json: { id: params.peerId } }) },
  { method: 'POST', path: '/api/v1/echo', handler: ({ body }) => ({ json: { body } }) },
  { method: 'GET', path: '/boom', handler: () => { throw new Error('secret internals') } },
  { method: 'GET', path: '/known', handler: () => { throw new AgentError(ErrorCode.MESH_PEER_NOT_FOUND, 'no such peer') } },
  { method: 'GET', path: '/slow', handler: async ({ signal }) => await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(new Error('aborted')) }) }) }
]

describe('HTTP app', () => {
  const server = createHttpServer({ logger: silentLogger, handler: createHttpApp({ logger: silentLogger }, { routes, maxBodyBytes: 1024, requestTimeoutMs: 300 }) }, { host: '127.0.0.1', port: 0, requestTimeoutMs: 5_000 })
  let base = ''
  before(async () => {
    await server.start()
    await server.start()
    base = `http://127.0.0.1:${server.address()?.port ?? 0}`
  })
  after(async () => { await server.stop(); await server.stop() })

  const call = async (method: string, path: string, body?: string): Promise<{ status: number, json: Record<string, unknown> }> => {
    const res = await fetch(base + path, { method, ...(body !== undefined ? { body } : {}) })
    return { status: res.status, json: await res.json() as Record<string, unknown> }
  }
  const code = (json: Record<string, unknown>): unknown => (json.error as Record<string, unknown> | undefined)?.code

  it('default: routes answer JSON', async () => {
    assert.deepEqual(await call('GET', '/api/v1/health'), { status: 200, json: { ok: true } })
    assert.deepEqual((await call('GET', '/api/v1/peers/12D3%20x')).json, { id: '12D3 x' })
  })

  it('error: unknown path 404, wrong method 405 with Allow', async () => {
    const missing = await call('GET', '/nope')
    assert.equal(missing.status, 404)
    assert.equal(code(missing.json), 'HTTP_NOT_FOUND')
    const res = await fetch(base + '/api/v1/health', { method: 'POST' })
    assert.equal(res.status, 405)
    assert.equal(res.headers.get('allow'), 'GET')
  })

  it('error: bodies are bounded and must be JSON', async () => {
    const big = await call('POST', '/api/v1/echo', JSON.stringify({ x: 'y'.repeat(2000) }))
    assert.equal(big.status, 413)
    assert.equal(code(big.json), 'HTTP_BODY_TOO_LARGE')
    const bad = await call('POST', '/api/v1/echo', '{"x":')
    assert.equal(bad.status, 400)
    assert.equal(code(bad.json), 'HTTP_BODY_INVALID')
    assert.deepEqual((await call('POST', '/api/v1/echo', '{"a":1}')).json, { body: { a: 1 } })
    assert.deepEqual((await call('POST', '/api/v1/echo')).json, {})
  })

  it('error: chunked bodies without a length are bounded too', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start (controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('"' + 'z'.repeat(100) + '"'))
        controller.close()
      }
    })
    const res = await fetch(base + '/api/v1/echo', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    assert.equal(res.status, 413)
  })

  it('error: known failures keep their code; unknown ones hide their message', async () => {
    const known = await call('GET', '/known')
    assert.equal(known.status, 404)
    assert.equal(code(known.json), 'MESH_PEER_NOT_FOUND')
    const boom = await call('GET', '/boom')
    assert.equal(boom.status, 500)
    assert.equal(code(boom.json), 'INTERNAL')
    assert.doesNotMatch(JSON.stringify(boom.json), /secret internals/)
  })

  it('error: slow handlers time out with 504', async () => {
    const slow = await call('GET', '/slow')
    assert.equal(slow.status, 504)
    assert.equal(code(slow.json), 'TIMEOUT')
  })

  it('behavior: malformed percent-encoding is a 404, not a crash', async () => {
    assert.equal((await call('GET', '/api/v1/peers/%E0%A4%A')).status, 404)
    assert.equal((await call('GET', '/api/v1/health')).status, 200)
  })
})
