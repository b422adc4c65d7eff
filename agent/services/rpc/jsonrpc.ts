/**
 * JSON-RPC 2.0 framing for `POST /rpc`: one request or a batch in, answers out, with the
 * standard error codes. Pure: the method table is handed in. A wallet on a phone sends us
 * whatever it likes, so every shape is checked and batches are bounded.
 */

export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  /** Server-defined: the answer cannot be verified (no proof, no agreement, no cache). */
  UNVERIFIABLE: -32010,
  /** Server-defined: no upstream is reachable for a call that needs one. */
  NO_UPSTREAM: -32011,
  /** Server-defined: a transaction was refused (bad signature, chain id, nonce, funds). */
  TX_REJECTED: -32012,
  /** Server-defined: the light node has no verified header yet. */
  NOT_SYNCED: -32013
} as const

export class RpcError extends Error {
  readonly code: number
  readonly data: unknown
  constructor (code: number, message: string, data?: unknown) {
    super(message)
    this.code = code
    this.data = data
  }
}

export type RpcId = string | number | null

export interface RpcRequest { id: RpcId, method: string, params: unknown[], notification: boolean }

/** What a method returns: the result, and optionally how it was verified (see README.md). */
export interface RpcAnswer { result: unknown, meshbox?: Record<string, unknown> }

export type RpcMethod = (params: unknown[], signal: AbortSignal) => Promise<RpcAnswer>

export interface RpcResponse { jsonrpc: '2.0', id: RpcId, result?: unknown, error?: { code: number, message: string, data?: unknown }, meshbox?: Record<string, unknown> }

export const MAX_BATCH = 100
const MAX_METHOD_CHARS = 64

const failure = (id: RpcId, code: number, message: string, data?: unknown): RpcResponse =>
  ({ jsonrpc: '2.0', id, error: { code, message, ...(data !== undefined ? { data } : {}) } })

/** One request object: the request, or the error answer it earns. */
export function readRequest (v: unknown): RpcRequest | RpcResponse {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return failure(null, RpcCode.INVALID_REQUEST, 'a request must be an object')
  const r = v as Record<string, unknown>
  const idOk = r.id === undefined || r.id === null || typeof r.id === 'string' || (typeof r.id === 'number' && Number.isFinite(r.id))
  const id: RpcId = idOk && r.id !== undefined ? r.id as RpcId : null
  if (!idOk) return failure(null, RpcCode.INVALID_REQUEST, '"id" must be a string, a number or null')
  if (typeof r.id === 'string' && r.id.length > 256) return failure(null, RpcCode.INVALID_REQUEST, '"id" is longer than 256 characters')
  if (r.jsonrpc !== '2.0') return failure(id, RpcCode.INVALID_REQUEST, '"jsonrpc" must be "2.0"')
  if (typeof r.method !== 'string' || r.method.length === 0 || r.method.length > MAX_METHOD_CHARS) return failure(id, RpcCode.INVALID_REQUEST, '"method" must be a non-empty string')
  if (r.params !== undefined && !Array.isArray(r.params)) return failure(id, RpcCode.INVALID_PARAMS, '"params" must be an array (by-name params are not used by eth_* methods)')
  return { id, method: r.method, params: (r.params ?? []) as unknown[], notification: r.id === undefined }
}

const isResponse = (x: RpcRequest | RpcResponse): x is RpcResponse => 'jsonrpc' in x

async function runOne (methods: ReadonlyMap<string, RpcMethod>, req: RpcRequest, signal: AbortSignal, onInternal: (method: string, err: unknown) => void): Promise<RpcResponse> {
  const method = methods.get(req.method)
  if (method === undefined) return failure(req.id, RpcCode.METHOD_NOT_FOUND, `the method ${req.method} does not exist or is not available`)
  try {
    const answer = await method(req.params, signal)
    return { jsonrpc: '2.0', id: req.id, result: answer.result, ...(answer.meshbox !== undefined ? { meshbox: answer.meshbox } : {}) }
  } catch (err) {
    if (err instanceof RpcError) return failure(req.id, err.code, err.message, err.data)
    onInternal(req.method, err)
    return failure(req.id, RpcCode.INTERNAL, 'internal error')
  }
}

/**
 * Answers a parsed body: an object → one response (or none for a notification), an array → an
 * array of responses (notifications left out; none at all → undefined).
 */
export async function handleRpc (body: unknown, methods: ReadonlyMap<string, RpcMethod>, signal: AbortSignal, onInternal: (method: string, err: unknown) => void = () => {}): Promise<RpcResponse | RpcResponse[] | undefined> {
  if (!Array.isArray(body)) {
    const req = readRequest(body)
    if (isResponse(req)) return req
    const res = await runOne(methods, req, signal, onInternal)
    return req.notification ? undefined : res
  }
  if (body.length === 0) return failure(null, RpcCode.INVALID_REQUEST, 'an empty batch')
  if (body.length > MAX_BATCH) return failure(null, RpcCode.INVALID_REQUEST, `a batch of ${body.length} requests is over the limit of ${MAX_BATCH}`)
  const out = await Promise.all(body.map(async (item) => {
    const req = readRequest(item)
    if (isResponse(req)) return req
    const res = await runOne(methods, req, signal, onInternal)
    return req.notification ? undefined : res
  }))
  const answers = out.filter((r): r is RpcResponse => r !== undefined)
  return answers.length === 0 ? undefined : answers
}

export const parseError = (message: string): RpcResponse => failure(null, RpcCode.PARSE_ERROR, message)
