/**
 * `/meshbox/msg/1.0.0`: moving custody of an envelope one hop. The sender offers it on a
 * long-lived stream to the neighbour; the neighbour checks it, writes it to disk and answers with
 * an ack naming the offer. Only an ack of `ok` or `duplicate` lets the sender forget its copy;
 * silence, a closed stream or a temporary refusal leaves it queued for another try. Offers are
 * pipelined; acks may come back in any order. Wire format: README.md.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import type { Component } from '../../component.js'
import { errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { encodeFrame, readFramedStream } from '../framing.js'
import { decodeEnvelope, type Envelope, type EnvelopeLimits } from './envelope.js'

export const MSG_PROTOCOL = '/meshbox/msg/1.0.0'

/** ok/duplicate: custody passed. invalid/undecryptable/expired/hop-limit: drop it. quota/busy/unreachable: try later. */
export type AckResult = 'ok' | 'duplicate' | 'invalid' | 'undecryptable' | 'expired' | 'hop-limit' | 'quota' | 'busy' | 'unreachable'
const RESULTS: readonly string[] = ['ok', 'duplicate', 'invalid', 'undecryptable', 'expired', 'hop-limit', 'quota', 'busy']
export const MAX_HOPS = 64

export interface Offer { env: Envelope, hops: number, ttlLeftMs: number }
export interface Ack { result: AckResult, reason?: string }

export interface TransferInit {
  ackTimeoutMs: number
  envelope: EnvelopeLimits
  onOffer: (from: string, offer: Offer) => Promise<Ack>
}

export interface Transfer extends Component {
  offer: (peerId: string, offer: Offer) => Promise<Ack>
}

interface Link { stream: Stream, pending: Map<number, (ack: Ack) => void>, next: number }

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
const MAX_FRAMES_PER_SECOND = 1_000
const WARN_EVERY_MS = 10_000

export function createTransfer (c: { node: Libp2p, logger: Logger }, init: TransferInit): Transfer {
  const log = c.logger
  const links = new Map<string, Link>()
  const opening = new Map<string, Promise<Link | undefined>>()
  const lastWarn = new Map<string, number>()
  // A maximal envelope in base64 plus the frame's own fields.
  const maxFrameBytes = Math.ceil((init.envelope.maxPayloadBytes + 16) * 4 / 3) + 4096
  let started = false

  /** One warning per neighbour per 10 s, so a hostile one cannot flood the log. */
  const warn = (peerId: string, msg: string, data: Record<string, unknown>): void => {
    const t = Date.now()
    if (t - (lastWarn.get(peerId) ?? 0) < WARN_EVERY_MS) return
    lastWarn.set(peerId, t)
    if (lastWarn.size > 1024) lastWarn.delete(lastWarn.keys().next().value as string)
    log.warn(msg, { peerId, ...data })
  }

  const answer = (stream: Stream, n: number, id: string, ack: Ack): void => {
    if (stream.status !== 'open') return
    try { stream.send(encodeFrame({ t: 'ack', n, id, result: ack.result, ...(ack.reason !== undefined ? { reason: ack.reason } : {}) })) } catch { /* closed meanwhile */ }
  }

  const inbound = (stream: Stream, connection: Connection): void => {
    const peer = connection.remotePeer.toString()
    readFramedStream(stream, {
      maxFrameBytes,
      maxFramesPerSecond: MAX_FRAMES_PER_SECOND,
      onViolation: (reason) => { warn(peer, 'Message stream reset', { reason }) },
      onFrame: (v) => {
        const f = v as Record<string, unknown> | null
        if (f === null || typeof f !== 'object' || f.t !== 'offer' || !isInt(f.n, 0, 2 ** 52)) {
          warn(peer, 'Message offer rejected', { reason: 'frame is not an offer with a number' })
          return
        }
        const n = f.n
        const env = decodeEnvelope(f.env, init.envelope)
        const id = typeof (f.env as { id?: unknown } | null)?.id === 'string' ? String((f.env as { id: string }).id).slice(0, 32) : ''
        let problem = typeof env === 'string' ? env : undefined
        if (problem === undefined && !isInt(f.hops, 0, 255)) problem = 'hops is not 0..255'
        if (problem === undefined && !isInt(f.ttlLeftMs, 0, init.envelope.maxTtlMs)) problem = `ttlLeftMs is not 0..${init.envelope.maxTtlMs}`
        if (problem !== undefined || typeof env === 'string') {
          warn(peer, 'Message offer rejected', { reason: problem })
          answer(stream, n, id, { result: 'invalid', reason: problem ?? 'invalid' })
          return
        }
        init.onOffer(peer, { env, hops: f.hops as number, ttlLeftMs: f.ttlLeftMs as number }).then(
          (ack) => {
            if (ack.result !== 'ok' && ack.result !== 'duplicate' && ack.result !== 'quota' && ack.result !== 'busy') warn(peer, 'Message offer rejected', { id: env.id, result: ack.result, reason: ack.reason })
            answer(stream, n, env.id, ack)
          },
          (err: unknown) => { answer(stream, n, env.id, { result: 'busy', reason: errorMessage(err) }) }
        )
      }
    })
  }

  const open = async (peerId: string): Promise<Link | undefined> => {
    try {
      const stream = await c.node.dialProtocol(peerIdFromString(peerId), MSG_PROTOCOL, { signal: AbortSignal.timeout(init.ackTimeoutMs), runOnLimitedConnection: true })
      const link: Link = { stream, pending: new Map(), next: 1 }
      const fail = (reason: string): void => {
        if (links.get(peerId) === link) links.delete(peerId)
        for (const resolve of [...link.pending.values()]) resolve({ result: 'unreachable', reason })
      }
      stream.addEventListener('close', () => { fail('stream closed') })
      readFramedStream(stream, {
        maxFrameBytes: 4096,
        maxFramesPerSecond: MAX_FRAMES_PER_SECOND,
        onViolation: (reason) => { warn(peerId, 'Message stream reset', { reason }); fail(reason) },
        onFrame: (v) => {
          const f = v as Record<string, unknown> | null
          if (f === null || typeof f !== 'object' || f.t !== 'ack' || !isInt(f.n, 0, 2 ** 52) || typeof f.result !== 'string' || !RESULTS.includes(f.result)) return
          link.pending.get(f.n)?.({ result: f.result as AckResult, ...(typeof f.reason === 'string' ? { reason: f.reason.slice(0, 300) } : {}) })
        }
      })
      links.set(peerId, link)
      return link
    } catch (err) {
      log.debug('Message stream open failed', { peerId, error: errorMessage(err) })
      return undefined
    }
  }

  const linkTo = async (peerId: string): Promise<Link | undefined> => {
    const have = links.get(peerId)
    if (have !== undefined && have.stream.status === 'open') return have
    let pending = opening.get(peerId)
    if (pending === undefined) {
      pending = open(peerId).finally(() => opening.delete(peerId))
      opening.set(peerId, pending)
    }
    return await pending
  }

  return {
    name: 'message-transfer',
    async start () {
      if (started) return
      started = true
      await c.node.handle(MSG_PROTOCOL, inbound, { maxInboundStreams: 8, maxOutboundStreams: 8, runOnLimitedConnection: true })
    },
    async stop () {
      if (!started) return
      started = false
      for (const link of links.values()) link.stream.abort(new Error('stopping'))
      links.clear()
      await c.node.unhandle(MSG_PROTOCOL)
    },
    async offer (peerId, offer) {
      const link = await linkTo(peerId)
      if (link === undefined) return { result: 'unreachable', reason: 'cannot open a message stream' }
      const n = link.next++
      return await new Promise<Ack>((resolve) => {
        const timer = setTimeout(() => { done({ result: 'unreachable', reason: `no ack within ${init.ackTimeoutMs} ms` }) }, init.ackTimeoutMs)
        const done = (ack: Ack): void => {
          clearTimeout(timer)
          link.pending.delete(n)
          resolve(ack)
        }
        link.pending.set(n, done)
        try {
          link.stream.send(encodeFrame({ t: 'offer', n, hops: offer.hops, ttlLeftMs: offer.ttlLeftMs, env: offer.env }))
        } catch (err) {
          done({ result: 'unreachable', reason: errorMessage(err) })
        }
      })
    }
  }
}
