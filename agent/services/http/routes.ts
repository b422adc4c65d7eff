/**
 * Every route of the HTTP API in one table, one line each.
 *   GET  /api/v1/health                 open; {"ok":true}
 *   GET  /api/v1/status                 peer id, version, uptime, profile, addresses, counts, RSS
 *   GET  /api/v1/neighbours             the neighbour table
 *   GET  /api/v1/peers/:peerId          DHT lookup of any peer in the mesh
 *   POST /api/v1/peers/:peerId/ping     connect (directly or through a relay) and ping
 *   POST /api/v1/peers/:peerId/throughput  {"bytes": N} one-stream throughput test (default 10 MB)
 *   GET  /api/v1/routes                 the route table (destination, next hop, metric, hops, age)
 *   GET  /api/v1/routes/log             recent route changes, oldest first
 *   POST /api/v1/mesh/ping              {"peerId"} round trip over the routed path, with hop count
 *   POST /api/v1/mesh/traceroute        {"peerId"} every hop on the routed path with its RTT
 *   GET  /api/v1/services               every announced role with its providers (metric, hops, expiry) and the nearest
 *   GET  /api/v1/services/:role/nearest the nearest reachable provider; 404 SERVICE_NOT_FOUND when none
 *   GET  /api/v1/broadcast              broadcast topics with their counters
 *   POST /api/v1/messages               {"peerId", "text"|"base64", "protocol"?, "ttlMs"?, "waitMs"?} send end to end
 *   GET  /api/v1/messages               what this box holds, inbox size, counters, recent sent messages
 *   GET  /api/v1/messages/inbox         delivered messages no handler took (?protocol=, ?limit=)
 *   DELETE /api/v1/messages/inbox/:id   take one out of the inbox
 *   GET  /api/v1/messages/:id           a sent message: queued, forwarded, delivered, expired or failed
 *   POST /rpc                           JSON-RPC 2.0 for phones and wallets (eth_*, meshbox_*), CORS open
 *   GET  /api/v1/chain                  light chain node: preset, anchor, verified head and its age, upstream sources, mesh counters
 *   GET  /api/v1/chain/headers/:id      a verified header by number (decimal or 0x) or hash
 *   GET  /api/v1/system                 CPU, load, memory, temperatures, interfaces with counters, uptime, data-dir disk (cached 2 s)
 *   GET  /api/v1/wifi                   Wi-Fi backend, radios, and the phones connected (stations)
 *   GET  /api/v1/wifi/scan              networks around (?device=phy1-ap0; default one interface per radio); slow, cached 10 s
 *   GET  /                              the technician status page
 */
import type { AbortOptions } from '../../component.js'
import { AgentError, ErrorCode } from '../../errors.js'
import { MAX_PERF_BYTES, type PerfResult } from '../../mesh/perf/index.js'
import type { FoundPeer, PingResult } from '../../mesh/peer-tools.js'
import type { NeighbourView } from '../../mesh/neighbours.js'
import type { MeshPingResult, TracerouteResult } from '../../mesh/forwarding/index.js'
import type { RouteChange, RouteView } from '../../mesh/routing/route-table.js'
import type { TopicView } from '../../mesh/broadcast/index.js'
import type { ProviderView, RoleView } from '../../mesh/service-directory/index.js'
import { STATUS_PAGE_HTML } from '../../web/status-page.js'
import type { Route } from './app.js'
import type { MessageService } from '../../mesh/messages/index.js'
import { inboxView, limitParam, sendRequest } from './message-params.js'
import { wifiScan, wifiView } from './wifi-params.js'
import type { RpcMethod } from '../rpc/jsonrpc.js'
import { rpcRoute } from '../rpc/route.js'
import type { Logger } from '../../log/logger.js'
import type { ChainView } from '../../chain/sync/index.js'
import { chainHeader } from './chain-params.js'
import type { SystemFactsView } from '../../system/facts.js'
import type { WifiAdapter } from '../../system/wifi/index.js'

export interface StatusView {
  peerId: string
  version: string
  uptimeS: number
  profile: string
  addresses: string[]
  neighbours: number
  rssBytes: number
  [extra: string]: unknown
}

export interface AgentApi {
  status: () => StatusView
  neighbours: () => NeighbourView[]
  findPeer: (peerId: string, options: AbortOptions) => Promise<FoundPeer>
  pingPeer: (peerId: string, options: AbortOptions) => Promise<PingResult>
  throughput: (peerId: string, bytes: number, options: AbortOptions) => Promise<PerfResult>
  routes: () => RouteView[]
  routeLog: () => RouteChange[]
  meshPing: (peerId: string, options: AbortOptions) => Promise<MeshPingResult>
  traceroute: (peerId: string, options: AbortOptions) => Promise<TracerouteResult>
  services: () => RoleView[]
  nearestService: (role: string) => ProviderView
  broadcastTopics: () => TopicView[]
  messages: () => MessageService
  /** The JSON-RPC methods; empty when the chain is off. */
  rpcMethods: () => ReadonlyMap<string, RpcMethod>
  system: () => Promise<SystemFactsView>
  wifi: () => WifiAdapter
  /** The light chain node; undefined when `chain.enabled` is false. */
  chain: () => ChainView | undefined
  logger: Logger
}

function peerIdParam (body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).some(k => k !== 'peerId')) {
    throw new AgentError(ErrorCode.HTTP_BODY_INVALID, 'body must be {"peerId": "<peer id>"}')
  }
  const id = (body as { peerId?: unknown }).peerId
  if (typeof id !== 'string') throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, '"peerId" must be a string', { data: { param: 'peerId' } })
  return id
}

const DEFAULT_THROUGHPUT_BYTES = 10_000_000

function bytesParam (body: unknown): number {
  if (body === undefined) return DEFAULT_THROUGHPUT_BYTES
  const bytes = (body as { bytes?: unknown } | null)?.bytes
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).some(k => k !== 'bytes')) {
    throw new AgentError(ErrorCode.HTTP_BODY_INVALID, 'body must be {"bytes": <integer>} or empty')
  }
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1 || bytes > MAX_PERF_BYTES) {
    throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, `"bytes" must be an integer from 1 to ${MAX_PERF_BYTES}`, { data: { param: 'bytes' } })
  }
  return bytes
}

export function apiRoutes (api: AgentApi): Route[] {
  return [
    { method: 'GET', path: '/api/v1/health', handler: () => ({ json: { ok: true } }) },
    { method: 'GET', path: '/api/v1/status', handler: () => ({ json: api.status() }) },
    { method: 'GET', path: '/api/v1/neighbours', handler: () => ({ json: api.neighbours() }) },
    { method: 'GET', path: '/api/v1/peers/:peerId', handler: async ({ params, signal }) => ({ json: await api.findPeer(params.peerId ?? '', { signal }) }) },
    { method: 'POST', path: '/api/v1/peers/:peerId/ping', handler: async ({ params, signal }) => ({ json: await api.pingPeer(params.peerId ?? '', { signal }) }) },
    { method: 'POST', path: '/api/v1/peers/:peerId/throughput', handler: async ({ params, body, signal }) => ({ json: await api.throughput(params.peerId ?? '', bytesParam(body), { signal }) }) },
    { method: 'GET', path: '/api/v1/routes', handler: () => ({ json: api.routes() }) },
    { method: 'GET', path: '/api/v1/routes/log', handler: () => ({ json: api.routeLog() }) },
    { method: 'POST', path: '/api/v1/mesh/ping', handler: async ({ body, signal }) => ({ json: await api.meshPing(peerIdParam(body), { signal }) }) },
    { method: 'POST', path: '/api/v1/mesh/traceroute', handler: async ({ body, signal }) => ({ json: await api.traceroute(peerIdParam(body), { signal }) }) },
    { method: 'GET', path: '/api/v1/services', handler: () => ({ json: api.services() }) },
    { method: 'GET', path: '/api/v1/services/:role/nearest', handler: ({ params }) => ({ json: api.nearestService(params.role ?? '') }) },
    { method: 'GET', path: '/api/v1/broadcast', handler: () => ({ json: api.broadcastTopics() }) },
    {
      method: 'POST',
      path: '/api/v1/messages',
      handler: async ({ body, signal }) => {
        const req = sendRequest(body)
        const m = api.messages()
        const startedAt = performance.now()
        const { id } = await m.enqueue(req.peerId, req.protocol, req.payload, req.ttlMs !== undefined ? { ttlMs: req.ttlMs } : {})
        const delivered = req.waitMs > 0 && await m.waitDelivered(id, req.waitMs, { signal })
        const rttMs = Math.round((performance.now() - startedAt) * 1000) / 1000
        return delivered ? { json: { ...await m.sent(id), rttMs } } : { status: 202, json: await m.sent(id) }
      }
    },
    { method: 'GET', path: '/api/v1/messages', handler: async ({ query }) => ({ json: { ...api.messages().summary(), recent: await api.messages().recentSent(limitParam(query, 20, 1000)) } }) },
    {
      method: 'GET',
      path: '/api/v1/messages/inbox',
      handler: async ({ query }) => ({ json: (await api.messages().inbox(limitParam(query, 100, 10_000), query.get('protocol') ?? undefined)).map(inboxView) })
    },
    {
      method: 'DELETE',
      path: '/api/v1/messages/inbox/:id',
      handler: async ({ params }) => {
        if (!await api.messages().deleteFromInbox(params.id ?? '')) throw new AgentError(ErrorCode.MESSAGE_NOT_FOUND, `no message ${(params.id ?? '').slice(0, 40)} in the inbox`)
        return { json: { deleted: params.id } }
      }
    },
    { method: 'GET', path: '/api/v1/messages/:id', handler: async ({ params }) => ({ json: await api.messages().sent(params.id ?? '') }) },
    { method: 'GET', path: '/api/v1/chain', handler: () => ({ json: api.chain()?.status() ?? { enabled: false } }) },
    { method: 'GET', path: '/api/v1/chain/headers/:id', handler: async ({ params }) => ({ json: await chainHeader(api.chain(), params.id ?? '') }) },
    { method: 'GET', path: '/api/v1/system', handler: async () => ({ json: await api.system() }) },
    { method: 'GET', path: '/api/v1/wifi', handler: async ({ signal }) => ({ json: await wifiView(api.wifi(), signal) }) },
    { method: 'GET', path: '/api/v1/wifi/scan', handler: async ({ query, signal }) => ({ json: await wifiScan(api.wifi(), query.get('device') ?? undefined, signal) }) },
    rpcRoute(api.rpcMethods, api.logger),
    { method: 'GET', path: '/', handler: () => ({ html: STATUS_PAGE_HTML }) }
  ]
}
