/**
 * The HTTP API as a plain request handler: building it never listens, so tests drive it directly
 * and server.ts owns the socket. Every answer is JSON; every error carries a stable `code`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { AgentError, ErrorCode, errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { httpStatusFor } from './status-codes.js'

export interface RequestContext {
  params: Record<string, string>
  query: URLSearchParams
  /** Parsed JSON body (POST/PUT), bounded by maxBodyBytes; undefined when empty. */
  body: unknown
  /** Routes with `lenientBody`: why the body is not JSON (the route answers in its own protocol). */
  bodyError?: AgentError
  signal: AbortSignal
}

export interface Reply { status?: number, json?: unknown, html?: string }

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply

export interface Route {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  handler: Handler
  /** Answers carry `access-control-allow-origin: *` and OPTIONS preflights are answered (the phone page, wallets). */
  cors?: boolean
  /** A body that is not JSON reaches the handler as `bodyError` instead of a 400 (JSON-RPC answers -32700). */
  lenientBody?: boolean
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600'
}

export interface HttpAppComponents { logger: Logger }
export interface HttpAppInit { routes: Route[], maxBodyBytes: number, requestTimeoutMs: number }

type Matcher = (path: string) => Record<string, string> | undefined

function compile (pattern: string): Matcher {
  const parts = pattern.split('/')
  return (path) => {
    const got = path.split('/')
    if (got.length !== parts.length) return undefined
    const params: Record<string, string> = {}
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i] as string
      const have = got[i] as string
      if (want.startsWith(':')) {
        if (have === '') return undefined
        try {
          params[want.slice(1)] = decodeURIComponent(have)
        } catch {
          return undefined
        }
      } else if (want !== have) {
        return undefined
      }
    }
    return params
  }
}

/** After a 413 the rest of the body is read and dropped (up to a cap), so the client sees the answer, not EPIPE. */
const DISCARD_AFTER_LIMIT_BYTES = 4 * 1024 * 1024

async function readBody (req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0)
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let failed = false
    const tooLarge = (): void => {
      failed = true
      reject(new AgentError(ErrorCode.HTTP_BODY_TOO_LARGE, `request body is larger than ${maxBytes} bytes`))
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength
      if (failed) {
        if (size > maxBytes + DISCARD_AFTER_LIMIT_BYTES) req.destroy()
        return
      }
      if (size > maxBytes) tooLarge()
      else chunks.push(chunk)
    })
    req.once('end', () => { if (!failed) resolve(Buffer.concat(chunks).toString('utf8')) })
    req.once('error', (err) => { if (!failed) { failed = true; reject(err) } })
    if (declared > maxBytes) tooLarge()
  })
  if (text.length === 0) return undefined
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new AgentError(ErrorCode.HTTP_BODY_INVALID, `request body is not valid JSON: ${errorMessage(err)}`)
  }
}

function send (res: ServerResponse, status: number, body: string, type: string): void {
  if (res.headersSent) return
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
  res.end(body)
}

export function createHttpApp (c: HttpAppComponents, init: HttpAppInit): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const routes = init.routes.map(r => ({ ...r, match: compile(r.path) }))
  const log = c.logger

  return async (req, res) => {
    const signal = AbortSignal.timeout(init.requestTimeoutMs)
    const startedMs = performance.now()
    res.once('finish', () => { log.debug('Request answered', { method: req.method, path: req.url?.split('?')[0]?.slice(0, 200), status: res.statusCode, durationMs: Math.round((performance.now() - startedMs) * 10) / 10 }) })
    try {
      const url = new URL(req.url ?? '/', 'http://agent.local')
      const candidates = routes.map(r => ({ r, params: r.match(url.pathname) })).filter(x => x.params !== undefined)
      if (candidates.length === 0) throw new AgentError(ErrorCode.HTTP_NOT_FOUND, `no route for ${url.pathname.slice(0, 200)}`)
      if (candidates.some(x => x.r.cors === true)) {
        for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v)
        if (req.method === 'OPTIONS') { res.writeHead(204); res.end(); return }
      }
      const hit = candidates.find(x => x.r.method === req.method)
      if (hit === undefined) {
        res.setHeader('allow', candidates.map(x => x.r.method).join(', '))
        throw new AgentError(ErrorCode.HTTP_METHOD_NOT_ALLOWED, `${req.method ?? '?'} is not allowed on ${url.pathname}`)
      }
      let body: unknown
      let bodyError: AgentError | undefined
      try {
        body = req.method === 'POST' ? await readBody(req, init.maxBodyBytes) : undefined
      } catch (err) {
        if (hit.r.lenientBody !== true || !(err instanceof AgentError) || err.code !== ErrorCode.HTTP_BODY_INVALID) throw err
        bodyError = err
      }
      const reply = await hit.r.handler({ params: hit.params ?? {}, query: url.searchParams, body, signal, ...(bodyError !== undefined ? { bodyError } : {}) })
      if (reply.html !== undefined) send(res, reply.status ?? 200, reply.html, 'text/html; charset=utf-8')
      else send(res, reply.status ?? 200, JSON.stringify(reply.json ?? null), 'application/json')
    } catch (err) {
      const agentErr = err instanceof AgentError
        ? err
        : signal.aborted
          ? new AgentError(ErrorCode.TIMEOUT, `request took longer than ${init.requestTimeoutMs} ms`)
          : new AgentError(ErrorCode.INTERNAL, 'internal error')
      const status = httpStatusFor(agentErr.code)
      if (status >= 500 && agentErr.code === ErrorCode.INTERNAL) log.error('Request failed', { method: req.method, url: req.url?.slice(0, 200) }, err)
      if (agentErr.code === ErrorCode.HTTP_BODY_TOO_LARGE) res.setHeader('connection', 'close')
      send(res, status, JSON.stringify({ error: agentErr.toJSON() }), 'application/json')
    }
  }
}
