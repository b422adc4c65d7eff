/**
 * Request checks for the message routes: POST /api/v1/messages takes
 * {"peerId", "protocol"?, "text" | "base64", "ttlMs"?, "waitMs"?}.
 */
import { AgentError, ErrorCode } from '../../errors.js'
import type { InboxRecord } from '../../mesh/messages/ledger.js'

/** Technicians' notes when the sender names no protocol. */
export const NOTE_PROTOCOL = '/meshbox/note/1'
const MAX_WAIT_MS = 60_000
const KEYS = ['peerId', 'protocol', 'text', 'base64', 'ttlMs', 'waitMs']

export interface SendRequest { peerId: string, protocol: string, payload: Uint8Array, ttlMs?: number, waitMs: number }

const bad = (param: string, message: string): AgentError => new AgentError(ErrorCode.HTTP_PARAM_INVALID, message, { data: { param } })

export function sendRequest (body: unknown): SendRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AgentError(ErrorCode.HTTP_BODY_INVALID, 'body must be {"peerId", "text" or "base64", "protocol"?, "ttlMs"?, "waitMs"?}')
  }
  const b = body as Record<string, unknown>
  const unknown = Object.keys(b).find(k => !KEYS.includes(k))
  if (unknown !== undefined) throw new AgentError(ErrorCode.HTTP_BODY_INVALID, `unknown field "${unknown.slice(0, 40)}"; allowed: ${KEYS.join(', ')}`)
  if (typeof b.peerId !== 'string') throw bad('peerId', '"peerId" must be a string')
  const protocol = b.protocol ?? NOTE_PROTOCOL
  if (typeof protocol !== 'string') throw bad('protocol', '"protocol" must be a string')
  if ((b.text === undefined) === (b.base64 === undefined)) throw bad('text', 'give exactly one of "text" and "base64"')
  let payload: Uint8Array
  if (b.text !== undefined) {
    if (typeof b.text !== 'string') throw bad('text', '"text" must be a string')
    payload = new TextEncoder().encode(b.text)
  } else {
    if (typeof b.base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b.base64)) throw bad('base64', '"base64" must be standard base64')
    payload = new Uint8Array(Buffer.from(b.base64, 'base64'))
  }
  if (b.ttlMs !== undefined && (typeof b.ttlMs !== 'number' || !Number.isInteger(b.ttlMs))) throw bad('ttlMs', '"ttlMs" must be an integer')
  const waitMs = b.waitMs ?? 0
  if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS) throw bad('waitMs', `"waitMs" must be an integer from 0 to ${MAX_WAIT_MS}`)
  return { peerId: b.peerId, protocol, payload, waitMs, ...(b.ttlMs !== undefined ? { ttlMs: b.ttlMs } : {}) }
}

export function limitParam (query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get('limit')
  if (raw === null) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max) throw bad('limit', `"limit" must be an integer from 1 to ${max}`)
  return n
}

/** An inbox record for people: the text when the payload is UTF-8, base64 always. */
export function inboxView (r: InboxRecord): InboxRecord & { text: string | null, bytes: number } {
  const bytes = Buffer.from(r.payload, 'base64')
  let text: string | null = null
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes) } catch { /* binary */ }
  return { ...r, text, bytes: bytes.byteLength }
}
