/**
 * JSON-RPC 2.0 over HTTP to one upstream node: single and batched requests (one HTTP request
 * carrying an array), a timeout on every request, an answer read as a stream and cut off at
 * `maxResponseBytes`, and a strict check of the answer's shape (every id answered exactly once).
 * Credentials in the URL travel as a Basic `authorization` header and never appear in errors.
 */
import { AgentError, ErrorCode } from '../../errors.js'

export interface RpcRequest { method: string, params: readonly unknown[] }

export interface RpcErrorObject { code: number, message: string, data?: unknown }

/** One answer of a batch: a result, or the node's JSON-RPC error. */
export type RpcOutcome = { ok: true, result: unknown } | { ok: false, error: RpcErrorObject }

export interface PostInit {
  timeoutMs: number
  maxResponseBytes: number
  signal?: AbortSignal
  /** First JSON-RPC id to use; the batch uses firstId, firstId + 1, … */
  firstId?: number
}

/** Why a request to a source failed; `kind` tells the pool how to treat it. */
export type FailureKind = 'network' | 'timeout' | 'http' | 'too-large' | 'not-json' | 'bad-shape'

export function upstreamFailure (source: string, kind: FailureKind, message: string, cause?: unknown): AgentError {
  return new AgentError(ErrorCode.CHAIN_UPSTREAM_FAILED, `upstream ${source}: ${message}`, {
    data: { source, kind },
    ...(cause !== undefined ? { cause } : {}),
    hints: ['see `meshbox chain` for every source, its latency, failures and last error']
  })
}

function splitCredentials (raw: string): { url: URL, authorization?: string } {
  const url = new URL(raw)
  if (url.username === '' && url.password === '') return { url }
  const user = decodeURIComponent(url.username)
  const pass = decodeURIComponent(url.password)
  url.username = ''
  url.password = ''
  return { url, authorization: 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64') }
}

async function readBounded (res: Response, max: number, source: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined)
    throw upstreamFailure(source, 'too-large', `answer of ${declared} bytes is larger than the ${max} allowed`)
  }
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      await reader.cancel().catch(() => undefined)
      throw upstreamFailure(source, 'too-large', `answer is larger than the ${max} bytes allowed`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, total).toString('utf8')
}

function isObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function outcomeOf (answer: unknown, source: string): { id: unknown, outcome: RpcOutcome } {
  if (!isObject(answer)) throw upstreamFailure(source, 'bad-shape', 'an answer is not a JSON-RPC object')
  if (answer.jsonrpc !== '2.0') throw upstreamFailure(source, 'bad-shape', 'an answer lacks "jsonrpc": "2.0"')
  if ('error' in answer && answer.error !== undefined && answer.error !== null) {
    const e = answer.error
    if (!isObject(e) || typeof e.code !== 'number' || typeof e.message !== 'string') throw upstreamFailure(source, 'bad-shape', 'an error answer is not {code, message}')
    return { id: answer.id, outcome: { ok: false, error: { code: e.code, message: e.message.slice(0, 500), ...(e.data !== undefined ? { data: e.data } : {}) } } }
  }
  if (!('result' in answer)) throw upstreamFailure(source, 'bad-shape', 'an answer has neither result nor error')
  return { id: answer.id, outcome: { ok: true, result: answer.result } }
}

/**
 * Sends `requests` to `url` (a batch when `batch` is true, else exactly one request) and returns
 * one outcome per request, in order.
 * @throws AgentError CHAIN_UPSTREAM_FAILED (data.kind: network, timeout, http, too-large,
 *   not-json, bad-shape), or the caller's abort reason when `signal` aborts.
 * @example
 *   const [head] = await postJsonRpc(url, [{ method: 'eth_blockNumber', params: [] }], false, { timeoutMs: 5000, maxResponseBytes: 8 << 20 })
 */
export async function postJsonRpc (rawUrl: string, requests: readonly RpcRequest[], batch: boolean, init: PostInit, source: string): Promise<RpcOutcome[]> {
  if (!batch && requests.length !== 1) throw new TypeError('a single JSON-RPC request carries exactly one call')
  const firstId = init.firstId ?? 1
  const calls = requests.map((r, i) => ({ jsonrpc: '2.0', id: firstId + i, method: r.method, params: r.params }))
  const { url, authorization } = splitCredentials(rawUrl)
  const timeout = AbortSignal.timeout(init.timeoutMs)
  const signal = init.signal !== undefined ? AbortSignal.any([init.signal, timeout]) : timeout
  let text: string
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
      body: JSON.stringify(batch ? calls : calls[0]),
      signal,
      redirect: 'error'
    })
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined)
      throw upstreamFailure(source, 'http', `HTTP ${res.status}`)
    }
    text = await readBounded(res, init.maxResponseBytes, source)
  } catch (err) {
    if (init.signal?.aborted === true) throw init.signal.reason instanceof Error ? init.signal.reason : new Error('aborted')
    if (err instanceof AgentError) throw err
    if (timeout.aborted) throw upstreamFailure(source, 'timeout', `no answer within ${init.timeoutMs} ms`)
    const reason = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)
    throw upstreamFailure(source, 'network', reason.replace(/\/\/[^/@\s]*@/g, '//…@').slice(0, 200), err)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw upstreamFailure(source, 'not-json', 'the answer is not JSON')
  }
  if (!batch) {
    const { id, outcome } = outcomeOf(parsed, source)
    if (id !== firstId) throw upstreamFailure(source, 'bad-shape', `answer id ${JSON.stringify(id)?.slice(0, 20) ?? '?'} does not match request id ${firstId}`)
    return [outcome]
  }
  if (!Array.isArray(parsed)) {
    // A node that refuses a whole batch answers with one error object.
    if (isObject(parsed) && isObject(parsed.error)) throw upstreamFailure(source, 'bad-shape', `batch refused: ${String(parsed.error.message).slice(0, 200)}`)
    throw upstreamFailure(source, 'bad-shape', 'a batch answer is not an array')
  }
  const byId = new Map<number, RpcOutcome>()
  for (const answer of parsed) {
    const { id, outcome } = outcomeOf(answer, source)
    if (typeof id !== 'number' || id < firstId || id >= firstId + requests.length || byId.has(id)) {
      throw upstreamFailure(source, 'bad-shape', `batch answer id ${JSON.stringify(id)?.slice(0, 20) ?? '?'} is unknown or repeated`)
    }
    byId.set(id, outcome)
  }
  return calls.map(c => {
    const o = byId.get(c.id)
    if (o === undefined) throw upstreamFailure(source, 'bad-shape', `batch answer lacks id ${c.id} (${c.method})`)
    return o
  })
}
