/**
 * Messages of `/meshbox/route/1.0.0` and their checks. Anything malformed rejects the whole
 * frame (never half of it), so a broken or hostile neighbour cannot poison part of the table.
 */
import type { Advert } from './route-table.js'
import { METRIC_INFINITY, SEQNO_MODULUS } from './seqno.js'

export const MAX_ROUTES_PER_UPDATE = 2048
export const MAX_HOPS = 255
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{32,100}$/

export type RouteMessage =
  | { type: 'update', routes: Advert[] }
  | { type: 'request', dest: string, seqno: number, hopCount: number }

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max

export function isPeerIdText (v: unknown): v is string {
  return typeof v === 'string' && PEER_ID.test(v)
}

/** Wire form of an update: short keys, since it is sent to every neighbour every few seconds. */
export function encodeUpdate (routes: Advert[]): unknown {
  return { type: 'update', routes: routes.map(r => ({ d: r.dest, s: r.seqno, m: r.metric, h: r.hops })) }
}

export function encodeRequest (dest: string, seqno: number, hopCount: number): unknown {
  return { type: 'request', dest, seqno, hopCount }
}

/** Returns the message, or a sentence saying what is wrong with it. */
export function decodeRouteMessage (v: unknown): RouteMessage | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'message is not an object'
  const m = v as Record<string, unknown>
  if (m.type === 'request') {
    if (!isPeerIdText(m.dest)) return 'request.dest is not a peer id'
    if (!isInt(m.seqno, 0, SEQNO_MODULUS - 1)) return 'request.seqno is not a 16-bit integer'
    if (!isInt(m.hopCount, 1, MAX_HOPS)) return 'request.hopCount is not 1..255'
    return { type: 'request', dest: m.dest, seqno: m.seqno, hopCount: m.hopCount }
  }
  if (m.type !== 'update') return `unknown message type ${JSON.stringify(m.type)?.slice(0, 20)}`
  if (!Array.isArray(m.routes)) return 'update.routes is not a list'
  if (m.routes.length > MAX_ROUTES_PER_UPDATE) return `update has ${m.routes.length} routes, more than ${MAX_ROUTES_PER_UPDATE}`
  const routes: Advert[] = []
  for (const [i, r] of (m.routes as unknown[]).entries()) {
    if (r === null || typeof r !== 'object') return `route ${i} is not an object`
    const x = r as Record<string, unknown>
    if (!isPeerIdText(x.d)) return `route ${i}: destination is not a peer id`
    if (!isInt(x.s, 0, SEQNO_MODULUS - 1)) return `route ${i}: seqno is not a 16-bit integer`
    if (!isInt(x.m, 0, METRIC_INFINITY)) return `route ${i}: metric is not 0..65535`
    if (!isInt(x.h, 0, MAX_HOPS)) return `route ${i}: hop count is not 0..255`
    routes.push({ dest: x.d, seqno: x.s, metric: x.m, hops: x.h })
  }
  return { type: 'update', routes }
}
