/**
 * The HTTP API against hostile input, on a real agent process in a namespace: wrong paths and
 * methods, oversized and malformed bodies, bad parameters, and a burst of concurrent requests.
 * Every bad request gets a JSON error with a stable code and the agent keeps answering.
 * Requests are made by one small node:http script run inside the agent's namespace, so bodies,
 * headers and chunking are exactly what each case needs. Root only; skipped otherwise.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { AgentSet, availability, skipUnlessNetns } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

interface RawRequest {
  method: string
  path: string
  /** Sent as is, with a content-length header. */
  body?: string
  /** Sends `repeat` bytes of 'x' (valid JSON never), with a content-length unless `chunked`. */
  repeat?: number
  chunked?: boolean
  headers?: Record<string, string>
}

interface RawAnswer {
  status?: number
  contentType?: string
  allow?: string
  body?: { error?: { code?: string, message?: string } } & Record<string, unknown>
  text?: string
  error?: string
}

/** Runs every request at once from inside `netns` and returns the answers in order. */
const CLIENT = `
const http = require('node:http')
const [base, list] = process.argv.slice(1)
const one = (r) => new Promise((resolve) => {
  const headers = { ...(r.headers || {}) }
  let payload
  if (r.body !== undefined) payload = Buffer.from(r.body)
  if (r.repeat !== undefined) payload = Buffer.alloc(r.repeat, 'x')
  if (payload !== undefined && !r.chunked) headers['content-length'] = String(payload.length)
  if (payload !== undefined && r.chunked) headers['transfer-encoding'] = 'chunked'
  let answer
  let onAnswer = () => {}
  const req = http.request(new URL(r.path, base), { method: r.method, headers, agent: false }, (res) => {
    answer = { status: res.statusCode, contentType: res.headers['content-type'], allow: res.headers['allow'], text: '' }
    onAnswer()
    res.setEncoding('utf8')
    res.on('data', (d) => { answer.text += d })
    res.on('end', () => {
      try { answer.body = JSON.parse(answer.text) } catch {}
      answer.text = answer.text.slice(0, 4000)
      resolve(answer)
      req.destroy()
    })
  })
  req.setTimeout(15000, () => req.destroy(new Error('timeout')))
  // A server that rejects early closes the connection; a reset after the answer came is fine.
  req.on('error', (e) => {
    if (answer === undefined) { resolve({ error: String(e) }); return }
    try { answer.body = JSON.parse(answer.text) } catch {}
    resolve(answer)
  })
  if (payload === undefined) { req.end(); return }
  if (payload.length <= 16384) { req.end(payload); return }
  // Big bodies: headers first, then 8 KiB pieces. Once the server has enough to reject (the
  // declared length, or 8 KiB past the limit when chunked) we wait for its answer before sending
  // more, the way a careful client would; writing into a connection the server already closed
  // ends in EPIPE before the answer is read.
  const holdAt = r.chunked ? 136 * 1024 : 0
  req.flushHeaders()
  let off = 0
  let held = false
  const step = () => {
    if (answer !== undefined) return
    if (!held && off >= holdAt) {
      held = true
      const timer = setTimeout(step, 1000)
      onAnswer = () => clearTimeout(timer)
      return
    }
    if (off >= payload.length) { req.end(); return }
    const part = payload.subarray(off, off + 8192)
    off += part.length
    req.write(part, () => { setImmediate(step) })
  }
  step()
})
Promise.all(JSON.parse(list).map(one)).then((out) => { process.stdout.write(JSON.stringify(out)) })
`

describe('HTTP API: bad input', { timeout: 90_000 }, () => {
  let lab: NetnsLab | undefined
  let ns = ''
  const agents = new AgentSet()
  let agent: AgentProcess

  const send = async (requests: RawRequest[]): Promise<RawAnswer[]> => {
    if (lab === undefined) throw new Error('no lab')
    const { stdout } = await lab.exec(ns, process.execPath, ['-e', CLIENT, agent.httpUrl, JSON.stringify(requests)])
    return JSON.parse(stdout) as RawAnswer[]
  }
  const one = async (r: RawRequest): Promise<RawAnswer> => {
    const [answer] = await send([r])
    if (answer === undefined) throw new Error('no answer')
    return answer
  }
  const assertError = (res: RawAnswer, status: number, code: string, what: string): void => {
    assert.equal(res.error, undefined, `${what}: request failed: ${String(res.error)}`)
    assert.equal(res.status, status, `${what}: status (body ${String(res.text)})`)
    assert.match(String(res.contentType), /^application\/json/, `${what}: JSON content type`)
    assert.equal(res.body?.error?.code, code, `${what}: error code (body ${String(res.text)})`)
    assert.equal(typeof res.body?.error?.message, 'string', `${what}: error message`)
  }
  const assertHealthy = async (): Promise<void> => {
    assert.ok(agent.running, `agent still running (stderr: ${agent.stderr.slice(-1000)})`)
    const res = await one({ method: 'GET', path: '/api/v1/health' })
    assert.equal(res.status, 200, `health after bad input: ${JSON.stringify(res)}`)
    assert.deepEqual(res.body, { ok: true })
  }

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    ns = await lab.addNamespace('http')
    agent = await agents.start({ name: 'http', netns: ns, args: ['--listen', '/ip4/127.0.0.1/tcp/0'] })
  })

  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: health, status fields and the status page', async (t) => {
    if (skipUnlessNetns(t)) return
    const [health, status, page] = await send([
      { method: 'GET', path: '/api/v1/health' },
      { method: 'GET', path: '/api/v1/status' },
      { method: 'GET', path: '/' }
    ])
    assert.equal(health?.status, 200)
    assert.deepEqual(health?.body, { ok: true })

    assert.equal(status?.status, 200)
    const st = status?.body ?? {}
    for (const key of ['peerId', 'version', 'uptimeS', 'profile', 'addresses', 'neighbours', 'rssBytes']) {
      assert.ok(key in st, `status has ${key}: ${JSON.stringify(st)}`)
    }
    assert.equal(st.peerId, agent.peerId)
    assert.equal(typeof st.version, 'string')
    assert.equal(typeof st.uptimeS, 'number')
    assert.equal(typeof st.profile, 'string')
    assert.ok(Array.isArray(st.addresses) && st.addresses.length > 0)
    assert.equal(typeof st.neighbours, 'number')
    assert.ok(typeof st.rssBytes === 'number' && st.rssBytes > 0)

    assert.equal(page?.status, 200)
    assert.match(String(page?.contentType), /^text\/html/)
    assert.match(String(page?.text), /<html/i)
  })

  it('error: unknown path is 404 HTTP_NOT_FOUND; wrong method is 405 with an Allow header', async (t) => {
    if (skipUnlessNetns(t)) return
    const [notFound, deep, wrongMethod, postHealth] = await send([
      { method: 'GET', path: '/api/v1/nope' },
      { method: 'GET', path: `/api/v1/peers/${agent.peerId}/ping/extra` },
      { method: 'DELETE', path: '/api/v1/status' },
      { method: 'POST', path: '/api/v1/health' }
    ])
    assertError(notFound as RawAnswer, 404, 'HTTP_NOT_FOUND', 'unknown path')
    assertError(deep as RawAnswer, 404, 'HTTP_NOT_FOUND', 'path too deep')
    assertError(wrongMethod as RawAnswer, 405, 'HTTP_METHOD_NOT_ALLOWED', 'DELETE on status')
    assert.equal(wrongMethod?.allow, 'GET')
    assertError(postHealth as RawAnswer, 405, 'HTTP_METHOD_NOT_ALLOWED', 'POST on health')
  })

  it('error: a body over 128 KiB (http.maxBodyBytes) is 413 HTTP_BODY_TOO_LARGE, declared or chunked, and the agent answers afterwards', async (t) => {
    if (skipUnlessNetns(t)) return
    const path = `/api/v1/peers/${agent.peerId}/throughput`
    assertError(await one({ method: 'POST', path, repeat: 134 * 1024 }), 413, 'HTTP_BODY_TOO_LARGE', 'declared 134 KiB')
    await assertHealthy()
    assertError(await one({ method: 'POST', path, repeat: 300 * 1024, chunked: true }), 413, 'HTTP_BODY_TOO_LARGE', 'chunked 300 KiB')
    await assertHealthy()
  })

  it('error: malformed JSON is 400 HTTP_BODY_INVALID', async (t) => {
    if (skipUnlessNetns(t)) return
    const res = await one({ method: 'POST', path: `/api/v1/peers/${agent.peerId}/throughput`, body: '{"bytes": 10', headers: { 'content-type': 'application/json' } })
    assertError(res, 400, 'HTTP_BODY_INVALID', 'truncated JSON')
  })

  it('error: a bad peer id is 400 HTTP_PARAM_INVALID', async (t) => {
    if (skipUnlessNetns(t)) return
    const long = 'Q'.repeat(300)
    const answers = await send([
      { method: 'GET', path: '/api/v1/peers/not-a-peer-id' },
      { method: 'POST', path: '/api/v1/peers/12D3KooWnotreally/ping' },
      { method: 'POST', path: `/api/v1/peers/${long}/throughput`, body: '{"bytes":1000}' },
      { method: 'GET', path: '/api/v1/peers/%E0%A4%A' } // broken percent-encoding
    ])
    assertError(answers[0] as RawAnswer, 400, 'HTTP_PARAM_INVALID', 'find-peer with junk id')
    assertError(answers[1] as RawAnswer, 400, 'HTTP_PARAM_INVALID', 'ping with junk id')
    assertError(answers[2] as RawAnswer, 400, 'HTTP_PARAM_INVALID', 'throughput with a 300-char id')
    assert.ok(String(answers[2]?.body?.error?.message).length < 400, 'the message does not echo the whole input')
    const broken = answers[3] as RawAnswer
    assert.ok(broken.status === 400 || broken.status === 404, `broken percent-encoding gets a 4xx, got ${String(broken.status)}`)
  })

  it('error: throughput bodies other than {"bytes": <positive integer>} are 400', async (t) => {
    if (skipUnlessNetns(t)) return
    const path = `/api/v1/peers/${agent.peerId}/throughput`
    const bodies = ['{"bytes":-1}', '{"bytes":"x"}', '{"bytes":0}', '{"bytes":1.5}', '{"bytes":1000,"extra":1}', '[1000]', 'null', '"1000"', '{"bytes":1e300}']
    const answers = await send(bodies.map(body => ({ method: 'POST', path, body })))
    bodies.forEach((body, i) => {
      const res = answers[i] as RawAnswer
      assert.equal(res.status, 400, `${body}: status (body ${String(res.text)})`)
      assert.ok(['HTTP_PARAM_INVALID', 'HTTP_BODY_INVALID'].includes(String(res.body?.error?.code)), `${body}: code ${String(res.body?.error?.code)}`)
    })
    assert.equal((answers[0] as RawAnswer).body?.error?.code, 'HTTP_PARAM_INVALID')
    assert.equal((answers[4] as RawAnswer).body?.error?.code, 'HTTP_BODY_INVALID')
  })

  it('behavior: 50 concurrent requests, good and bad mixed, all get answers and the agent stays up', async (t) => {
    if (skipUnlessNetns(t)) return
    const kinds: Array<{ req: RawRequest, status: number }> = [
      { req: { method: 'GET', path: '/api/v1/health' }, status: 200 },
      { req: { method: 'GET', path: '/api/v1/status' }, status: 200 },
      { req: { method: 'GET', path: '/api/v1/neighbours' }, status: 200 },
      { req: { method: 'GET', path: '/' }, status: 200 },
      { req: { method: 'GET', path: '/nope' }, status: 404 },
      { req: { method: 'PUT', path: '/api/v1/neighbours' }, status: 405 },
      { req: { method: 'GET', path: '/api/v1/peers/junk' }, status: 400 },
      { req: { method: 'POST', path: `/api/v1/peers/${agent.peerId}/throughput`, body: '{bad' }, status: 400 },
      { req: { method: 'POST', path: `/api/v1/peers/${agent.peerId}/throughput`, body: '{"bytes":-1}' }, status: 400 },
      { req: { method: 'POST', path: `/api/v1/peers/${agent.peerId}/throughput`, repeat: 200 * 1024 }, status: 413 }
    ]
    const plan = Array.from({ length: 50 }, (_, i) => kinds[i % kinds.length] as typeof kinds[number])
    const answers = await send(plan.map(p => p.req))
    assert.equal(answers.length, 50)
    answers.forEach((res, i) => {
      const want = plan[i] as typeof kinds[number]
      assert.equal(res.error, undefined, `request ${i} ${want.req.method} ${want.req.path}: ${String(res.error)}`)
      assert.equal(res.status, want.status, `request ${i} ${want.req.method} ${want.req.path}: ${String(res.text)}`)
    })
    await assertHealthy()
  })
})
