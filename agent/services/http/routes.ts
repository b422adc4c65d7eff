/**
 * Every route of the HTTP API in one table, one line each.
 *   GET  /api/v1/health                 open; {"ok":true}
 *   GET  /api/v1/status                 peer id, version, uptime, profile, addresses, counts, RSS
 *   GET  /api/v1/neighbours             the neighbour table
 *   GET  /api/v1/peers/:peerId          DHT lookup of any peer in the mesh
 *   POST /api/v1/peers/:peerId/ping     connect (directly or through a relay) and ping
 *   GET  /                              the technician status page
 */
import type { AbortOptions } from '../../component.js'
import type { FoundPeer, PingResult } from '../../mesh/peer-tools.js'
import type { NeighbourView } from '../../mesh/neighbours.js'
import { STATUS_PAGE_HTML } from '../../web/status-page.js'
import type { Route } from './app.js'

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
}

export function apiRoutes (api: AgentApi): Route[] {
  return [
    { method: 'GET', path: '/api/v1/health', handler: () => ({ json: { ok: true } }) },
    { method: 'GET', path: '/api/v1/status', handler: () => ({ json: api.status() }) },
    { method: 'GET', path: '/api/v1/neighbours', handler: () => ({ json: api.neighbours() }) },
    { method: 'GET', path: '/api/v1/peers/:peerId', handler: async ({ params, signal }) => ({ json: await api.findPeer(params.peerId ?? '', { signal }) }) },
    { method: 'POST', path: '/api/v1/peers/:peerId/ping', handler: async ({ params, signal }) => ({ json: await api.pingPeer(params.peerId ?? '', { signal }) }) },
    { method: 'GET', path: '/', handler: () => ({ html: STATUS_PAGE_HTML }) }
  ]
}
