/**
 * The routing service `/meshbox/route/1.0.0`: feeds measured link costs into the route table,
 * sends our routes to every neighbour (periodically, and batched right after any change),
 * applies what neighbours send, and keeps a bounded log of route changes for technicians.
 * Decisions live in route-table.ts; this file only moves messages. Wire format: README.md.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import type { Component } from '../../component.js'
import type { Logger } from '../../log/logger.js'
import { encodeFrame, readFramedStream } from '../framing.js'
import type { NeighbourView } from '../neighbours.js'
import { createStreamPool } from '../stream-pool.js'
import { linkCost, type LinkFacts } from './link-cost.js'
import {
  advertisements, applyAdverts, createRoutingState, expire, nextHop, onSeqnoRequest, routeViews, setLinkCost,
  type RouteChange, type RouteView, type RoutingRules, type UpdateResult
} from './route-table.js'
import { METRIC_INFINITY } from './seqno.js'
import { decodeRouteMessage, encodeRequest, encodeUpdate } from './wire.js'

export const ROUTE_PROTOCOL = '/meshbox/route/1.0.0'

export interface RoutingComponents {
  node: Libp2p
  neighbours: { list: () => NeighbourView[] }
  logger: Logger
  now?: () => number
}

export interface RoutingInit {
  updateIntervalMs: number
  /** How often link costs are re-read from the neighbour table. */
  linkCheckMs: number
  /** A link silent this long is treated as gone for routing, before the table calls it lost. */
  linkSilenceMs: number
  triggeredDelayMs: number
  hysteresis: number
  logSize: number
}

export interface RoutingService extends Component {
  routes: () => RouteView[]
  nextHop: (dest: string) => string | undefined
  log: () => RouteChange[]
}

const MAX_FRAME_BYTES = 256 * 1024
const MAX_FRAMES_PER_SECOND = 40
/** Cost changes smaller than this fraction are not worth a triggered update. */
const COST_CHANGE_FRACTION = 0.1
const SEQNO_REQUEST_HOPS = 16

export function createRoutingService (c: RoutingComponents, init: RoutingInit): RoutingService {
  const now = c.now ?? Date.now
  const log = c.logger
  const self = c.node.peerId.toString()
  const state = createRoutingState(self, Math.floor(Math.random() * 1000))
  const rules: RoutingRules = {
    holdMs: Math.round(init.updateIntervalMs * 3.5),
    retractMs: init.updateIntervalMs * 2,
    hysteresis: init.hysteresis,
    fdGcMs: 3 * 60_000,
    requestRetryMs: 2_000
  }
  const pool = createStreamPool({ node: c.node, logger: log }, { protocol: ROUTE_PROTOCOL, openTimeoutMs: 3_000 })
  const changeLog: RouteChange[] = []
  const warned = new Set<string>()
  let dirty = false
  let flushTimer: NodeJS.Timeout | undefined
  let timers: NodeJS.Timeout[] = []
  let started = false

  const neighbourIds = (): string[] => [...state.linkCosts.keys()]

  const sendUpdates = (): void => {
    for (const peer of neighbourIds()) {
      void pool.send(peer, encodeFrame(encodeUpdate(advertisements(state, peer))))
    }
  }

  const scheduleFlush = (): void => {
    dirty = true
    if (flushTimer !== undefined || !started) return
    flushTimer = setTimeout(() => {
      flushTimer = undefined
      if (!dirty) return
      dirty = false
      sendUpdates()
    }, init.triggeredDelayMs)
  }

  const react = (r: UpdateResult): void => {
    for (const ch of r.changes) {
      changeLog.push(ch)
      if (changeLog.length > init.logSize) changeLog.splice(0, changeLog.length - init.logSize)
      log.info('Route changed', { destination: ch.destination, change: ch.change, from: ch.from?.nextHop, to: ch.to?.nextHop, metric: ch.to?.metric, reason: ch.reason })
    }
    if (r.changes.length > 0 || r.refreshed.length > 0 || r.selfBumped) scheduleFlush()
    for (const s of r.starving) {
      for (const peer of neighbourIds()) void pool.send(peer, encodeFrame(encodeRequest(s.dest, s.seqno, SEQNO_REQUEST_HOPS)))
    }
  }

  /** Re-reads link costs from the neighbour table. */
  const checkLinks = (): void => {
    const t = now()
    const seen = new Set<string>()
    const list = c.neighbours.list()
    const facts = (n: (typeof list)[number]): LinkFacts => ({ kind: n.kind, state: n.state, rttMs: n.rttMs, lossPct: n.lossPct, upForMs: t - n.upSinceMs })
    const direct = new Map(list.filter(n => n.kind === 'direct').map(n => [n.peerId, n]))
    for (const n of list) {
      seen.add(n.peerId)
      const silent = t - n.lastSeenMs > init.linkSilenceMs
      const relay = n.kind === 'relayed' && n.via !== null ? direct.get(n.via) : undefined
      const viaCost = relay !== undefined ? linkCost(facts(relay)) : undefined
      // A relay box that routes already offers the path this link takes (us, relay, peer), with
      // honest costs: the relayed link carries routes only where it is all there is.
      const redundant = relay !== undefined && (state.entries.get(n.peerId)?.get(relay.peerId)?.advMetric ?? METRIC_INFINITY) < METRIC_INFINITY
      const cost = silent || redundant ? METRIC_INFINITY : linkCost({ ...facts(n), ...(viaCost !== undefined ? { viaCost } : {}) })
      const before = state.linkCosts.get(n.peerId)
      const crossesInfinity = (before === undefined) !== (cost >= METRIC_INFINITY)
      if (crossesInfinity || (before !== undefined && Math.abs(cost - before) > before * COST_CHANGE_FRACTION)) {
        react(setLinkCost(state, n.peerId, cost, t, rules))
        if (cost >= METRIC_INFINITY) pool.close(n.peerId)
        else if (before === undefined) scheduleFlush() // a new neighbour hears our table at once
      }
    }
    for (const peer of neighbourIds()) {
      if (!seen.has(peer)) {
        react(setLinkCost(state, peer, METRIC_INFINITY, t, rules))
        pool.close(peer)
      }
    }
  }

  const violation = (peer: string, reason: string): void => {
    const key = `${peer}:${reason}`
    if (warned.has(key)) { log.debug('Route message rejected', { peerId: peer, reason }); return }
    if (warned.size > 1000) warned.clear()
    warned.add(key)
    log.warn('Route message rejected', { peerId: peer, reason })
  }

  const handle = (stream: Stream, connection: Connection): void => {
    const peer = connection.remotePeer.toString()
    readFramedStream(stream, {
      maxFrameBytes: MAX_FRAME_BYTES,
      maxFramesPerSecond: MAX_FRAMES_PER_SECOND,
      onViolation: (reason) => { violation(peer, reason) },
      onFrame: (value) => {
        const msg = decodeRouteMessage(value)
        if (typeof msg === 'string') { violation(peer, msg); return }
        if (msg.type === 'update') {
          react(applyAdverts(state, peer, msg.routes, now(), rules))
          return
        }
        if (!state.linkCosts.has(peer)) return
        const action = onSeqnoRequest(state, peer, msg, now(), rules)
        if (action.type === 'advertise') scheduleFlush()
        else if (action.type === 'forward') void pool.send(action.to, encodeFrame(encodeRequest(msg.dest, msg.seqno, action.hopCount)))
      }
    })
  }

  return {
    name: 'routing',
    async start () {
      if (started) return
      started = true
      await c.node.handle(ROUTE_PROTOCOL, handle, { maxInboundStreams: 4, maxOutboundStreams: 4, runOnLimitedConnection: true })
      timers = [
        setInterval(checkLinks, init.linkCheckMs),
        setInterval(sendUpdates, init.updateIntervalMs),
        setInterval(() => { react(expire(state, now(), rules)) }, 1_000)
      ]
      checkLinks()
    },
    async stop () {
      if (!started) return
      started = false
      for (const t of timers) clearInterval(t)
      clearTimeout(flushTimer)
      flushTimer = undefined
      timers = []
      pool.closeAll()
      await c.node.unhandle(ROUTE_PROTOCOL)
    },
    routes: () => routeViews(state, now()),
    nextHop: (dest) => nextHop(state, dest),
    log: () => [...changeLog]
  }
}
