/**
 * Link probe `/meshbox/probe/1.0.0`: RTT and loss on a long-lived stream per neighbour, timed
 * with performance.now(). libp2p's ping opens a stream per sample (multistream negotiation and
 * a half-close on every call), which adds milliseconds of noise to a sub-millisecond link.
 * Peers that do not speak the protocol (stock libp2p nodes) are measured with libp2p ping.
 * Wire format: README.md beside this file.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import { Uint8ArrayList } from 'uint8arraylist'
import type { AbortOptions, Component } from '../../component.js'
import type { Logger } from '../../log/logger.js'
import { createEchoHandler, FRAME_BYTES } from './echo.js'

export const PROBE_PROTOCOL = '/meshbox/probe/1.0.0'
const MAX_INBOUND_STREAMS = 64
const MAX_OUTBOUND_STREAMS = 64

export interface LinkProbeComponents { node: Libp2p<{ ping: Ping }>, logger: Logger }

export interface LinkProbe extends Component {
  /** One RTT sample in milliseconds; rejects on timeout (signal) or a broken link. */
  measure: (peer: PeerId, options: AbortOptions) => Promise<number>
  /** Drops the probe stream of a peer that went away. */
  forget: (peerId: string) => void
}

interface Pending { seq: number, sentAt: number, resolve: (rtt: number) => void, reject: (err: Error) => void }
interface Session { stream: Stream, token: Uint8Array, seq: number, pending: Map<number, Pending>, rx: Uint8ArrayList }

export function createLinkProbe (c: LinkProbeComponents, init: { protocol?: string } = {}): LinkProbe {
  const protocol = init.protocol ?? PROBE_PROTOCOL
  const sessions = new Map<string, Session>()
  const opening = new Map<string, Promise<Session>>()
  const pingOnly = new Set<string>()
  let started = false

  const close = (peerId: string, err: Error): void => {
    const s = sessions.get(peerId)
    if (s === undefined) return
    sessions.delete(peerId)
    for (const p of s.pending.values()) p.reject(err)
    s.stream.abort(err)
  }

  const onFrames = (s: Session): void => {
    while (s.rx.byteLength >= FRAME_BYTES) {
      const frame = s.rx.subarray(0, FRAME_BYTES)
      s.rx.consume(FRAME_BYTES)
      const view = new DataView(frame.buffer, frame.byteOffset, FRAME_BYTES)
      const p = s.pending.get(view.getUint32(0))
      const tokenOk = frame[4] === s.token[0] && frame[5] === s.token[1] && frame[6] === s.token[2] && frame[7] === s.token[3]
      if (p === undefined || !tokenOk) continue // late answer to a timed-out probe, or garbage
      s.pending.delete(p.seq)
      p.resolve(performance.now() - p.sentAt)
    }
  }

  const open = async (peer: PeerId, options: AbortOptions): Promise<Session> => {
    const key = peer.toString()
    const stream = await c.node.dialProtocol(peer, protocol, { ...options, runOnLimitedConnection: true })
    const s: Session = { stream, token: crypto.getRandomValues(new Uint8Array(4)), seq: 0, pending: new Map(), rx: new Uint8ArrayList() }
    stream.addEventListener('message', (evt) => {
      s.rx.append(evt.data)
      onFrames(s)
    })
    stream.addEventListener('close', () => {
      if (sessions.get(key) === s) close(key, new Error('probe stream closed'))
    })
    sessions.set(key, s)
    return s
  }

  const session = async (peer: PeerId, options: AbortOptions): Promise<Session> => {
    const key = peer.toString()
    const existing = sessions.get(key)
    if (existing !== undefined && existing.stream.status === 'open') return existing
    let p = opening.get(key)
    if (p === undefined) {
      p = open(peer, options).finally(() => opening.delete(key))
      opening.set(key, p)
    }
    return await p
  }

  const measure = async (peer: PeerId, options: AbortOptions): Promise<number> => {
    const key = peer.toString()
    if (pingOnly.has(key)) {
      const t = performance.now()
      await c.node.services.ping.ping(peer, options)
      return performance.now() - t
    }
    let s: Session
    try {
      s = await session(peer, options)
    } catch (err) {
      if ((err as Error).name === 'UnsupportedProtocolError') {
        pingOnly.add(key)
        return await measure(peer, options)
      }
      throw err
    }
    const seq = s.seq = (s.seq + 1) >>> 0
    const frame = new Uint8Array(FRAME_BYTES)
    new DataView(frame.buffer).setUint32(0, seq)
    frame.set(s.token, 4)
    return await new Promise<number>((resolve, reject) => {
      const onAbort = (): void => {
        s.pending.delete(seq)
        reject(new Error('probe timed out'))
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      s.pending.set(seq, {
        seq,
        sentAt: performance.now(),
        resolve: (rtt) => { options.signal?.removeEventListener('abort', onAbort); resolve(rtt) },
        reject: (err) => { options.signal?.removeEventListener('abort', onAbort); reject(err) }
      })
      s.stream.send(frame)
    })
  }

  return {
    name: 'probe',
    async start () {
      if (started) return
      started = true
      await c.node.handle(protocol, createEchoHandler(c.logger), {
        maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_OUTBOUND_STREAMS, runOnLimitedConnection: true
      })
    },
    async stop () {
      if (!started) return
      started = false
      await c.node.unhandle(protocol)
      for (const key of [...sessions.keys()]) close(key, new Error('probe stopped'))
    },
    measure,
    forget: (peerId) => {
      close(peerId, new Error('neighbour gone'))
      pingOnly.delete(peerId)
    }
  }
}
