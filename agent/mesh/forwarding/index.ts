/**
 * Hop-by-hop forwarding `/meshbox/fwd/1.0.0` along the routing table, and the technician tools on
 * top of it: mesh-ping (round trip over the routed path, with hop count) and traceroute (each hop
 * with its RTT, found by raising the TTL one hop at a time). Wire format: README.md.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import type { AbortOptions, Component } from '../../component.js'
import { AgentError, ErrorCode } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { encodeFrame, readFramedStream } from '../framing.js'
import { createStreamPool } from '../stream-pool.js'
import { decodePacket, MAX_TTL, type Packet } from './packet.js'

export const FWD_PROTOCOL = '/meshbox/fwd/1.0.0'

export interface MeshPingResult { peerId: string, rttMs: number, hops: number }
export interface TraceHop { hop: number, peerId: string | null, rttMs: number | null }
export interface TracerouteResult { peerId: string, reached: boolean, hops: TraceHop[] }

export interface ForwardingComponents {
  node: Libp2p
  routing: { nextHop: (dest: string) => string | undefined }
  logger: Logger
}

export interface ForwardingInit { probeTimeoutMs: number, maxTraceHops: number }

export interface ForwardingService extends Component {
  ping: (peerId: string, options?: AbortOptions) => Promise<MeshPingResult>
  traceroute: (peerId: string, options?: AbortOptions) => Promise<TracerouteResult>
}

const MAX_FRAME_BYTES = 16 * 1024
const MAX_FRAMES_PER_SECOND = 500
const MAX_PENDING = 256

export function createForwardingService (c: ForwardingComponents, init: ForwardingInit): ForwardingService {
  const self = c.node.peerId.toString()
  const log = c.logger
  const pool = createStreamPool({ node: c.node, logger: log }, { protocol: FWD_PROTOCOL, openTimeoutMs: 3_000 })
  const pending = new Map<string, (answer: Packet) => void>()
  let started = false

  /** Sends a packet one hop further towards its destination; false when there is no route. */
  const route = (p: Packet): boolean => {
    const next = c.routing.nextHop(p.dst)
    if (next === undefined) return false
    void pool.send(next, encodeFrame(p))
    return true
  }

  const receive = (p: Packet): void => {
    if (p.dst === self) {
      if (p.kind === 'echo') route({ kind: 'echo-reply', src: self, dst: p.src, ttl: MAX_TTL, id: p.id, hops: 0, probeHops: p.hops })
      else pending.get(p.id)?.(p)
      return
    }
    const ttl = p.ttl - 1
    if (ttl <= 0) {
      // Only probes get an answer: errors about errors could loop.
      if (p.kind === 'echo') route({ kind: 'ttl-exceeded', src: self, dst: p.src, ttl: MAX_TTL, id: p.id, hops: 0, probeHops: p.hops })
      return
    }
    if (!route({ ...p, ttl, hops: p.hops + 1 })) log.debug('Packet dropped: no route', { dst: p.dst, kind: p.kind })
  }

  const handle = (stream: Stream, connection: Connection): void => {
    const peer = connection.remotePeer.toString()
    readFramedStream(stream, {
      maxFrameBytes: MAX_FRAME_BYTES,
      maxFramesPerSecond: MAX_FRAMES_PER_SECOND,
      onViolation: (reason) => { log.warn('Forwarding stream reset', { peerId: peer, reason }) },
      onFrame: (value) => {
        const p = decodePacket(value)
        if (typeof p === 'string') { log.debug('Packet rejected', { peerId: peer, reason: p }); return }
        receive(p)
      }
    })
  }

  /** Sends one echo with `ttl` and waits for whatever answer comes back. */
  const probe = async (dst: string, ttl: number, options: AbortOptions): Promise<{ answer: Packet, rttMs: number } | undefined> => {
    if (pending.size >= MAX_PENDING) throw new AgentError(ErrorCode.TIMEOUT, 'too many probes in flight; try again shortly')
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex')
    const started = performance.now()
    return await new Promise((resolve) => {
      const done = (answer: Packet | undefined): void => {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        pending.delete(id)
        resolve(answer === undefined ? undefined : { answer, rttMs: Math.round((performance.now() - started) * 1000) / 1000 })
      }
      const onAbort = (): void => { done(undefined) }
      const timer = setTimeout(() => { done(undefined) }, init.probeTimeoutMs)
      options.signal?.addEventListener('abort', onAbort, { once: true })
      pending.set(id, done)
      if (!route({ kind: 'echo', src: self, dst, ttl, id, hops: 0 })) done(undefined)
    })
  }

  const needRoute = (dst: string): void => {
    if (dst === self) throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, 'that is this box itself', { data: { param: 'peerId' } })
    if (c.routing.nextHop(dst) === undefined) {
      throw new AgentError(ErrorCode.MESH_NO_ROUTE, `no route to ${dst}`, { data: { peerId: dst }, hints: ['see `meshbox routes`; a box that just joined needs a few seconds'] })
    }
  }

  return {
    name: 'forwarding',
    async start () {
      if (started) return
      started = true
      await c.node.handle(FWD_PROTOCOL, handle, { maxInboundStreams: 4, maxOutboundStreams: 4, runOnLimitedConnection: true })
    },
    async stop () {
      if (!started) return
      started = false
      for (const resolve of [...pending.values()]) resolve({ kind: 'ttl-exceeded', src: self, dst: self, ttl: 0, id: '0', hops: 0 })
      pending.clear()
      pool.closeAll()
      await c.node.unhandle(FWD_PROTOCOL)
    },
    async ping (dst, options = {}) {
      needRoute(dst)
      const got = await probe(dst, MAX_TTL, options)
      if (got === undefined || got.answer.kind !== 'echo-reply') {
        throw new AgentError(ErrorCode.TIMEOUT, `no answer from ${dst} within ${init.probeTimeoutMs} ms`, { data: { peerId: dst } })
      }
      return { peerId: dst, rttMs: got.rttMs, hops: (got.answer.probeHops ?? 0) + 1 }
    },
    async traceroute (dst, options = {}) {
      needRoute(dst)
      const hops: TraceHop[] = []
      let silent = 0
      for (let ttl = 1; ttl <= init.maxTraceHops && silent < 3; ttl++) {
        const got = await probe(dst, ttl, options)
        if (got === undefined) {
          hops.push({ hop: ttl, peerId: null, rttMs: null })
          silent++
          continue
        }
        silent = 0
        hops.push({ hop: ttl, peerId: got.answer.src, rttMs: got.rttMs })
        if (got.answer.kind === 'echo-reply') return { peerId: dst, reached: true, hops }
      }
      return { peerId: dst, reached: false, hops }
    }
  }
}
