/**
 * Taking custody of an offered envelope. Every offer is checked before anything is written: the
 * source's signature, the hop limit and the TTL. An envelope for another box is queued to be
 * carried on (within quotas). A message for this box is decrypted, recorded as seen, put in the
 * inbox and answered with a receipt, all in one commit; a receipt for this box marks the sent
 * message delivered. Two offers of the same id at once share one decision.
 */
import type { Logger } from '../../log/logger.js'
import type { Store } from '../../store/store.js'
import { makeReceipt, openMessage, verifyEnvelope, type Envelope } from './envelope.js'
import type { OwnKeys } from './keys.js'
import { inboxOp, isSeen, readSent, seenOp, sentOp, type InboxRecord } from './ledger.js'
import type { MessageQueue } from './queue.js'
import { MAX_HOPS, type Ack, type Offer } from './transfer.js'

export interface ReceiverComponents {
  store: Store
  queue: MessageQueue
  keys: OwnKeys
  logger: Logger
  now: () => number
  /** A new message sits in the inbox: hand it to its protocol's handler. */
  onInbox: (r: InboxRecord) => void
  /** A receipt for message `ref` came back. */
  onReceipt: (ref: string, env: Envelope) => void
  /** Something new is queued to be sent on. */
  onQueued: () => void
}

export interface ReceiverInit { clockSkewMs: number, maxInboxMessages: number }

export interface Receiver {
  accept: (from: string, offer: Offer) => Promise<Ack>
  /** Inbox size and next sequence number, read from the store at start. */
  setInbox: (count: number, nextSeq: number) => void
  inboxTaken: () => void
  inboxCount: () => number
}

export function createReceiver (c: ReceiverComponents, init: ReceiverInit): Receiver {
  const deciding = new Map<string, Promise<Ack>>()
  let inboxCount = 0
  let nextSeq = 1

  const receipt = async (env: Envelope): Promise<Ack> => {
    if (await isSeen(c.store, env.id)) return { result: 'duplicate' }
    const sent = env.ref === undefined ? undefined : await readSent(c.store, env.ref)
    if (sent !== undefined && sent.dst !== env.src) return { result: 'invalid', reason: 'receipt signed by a box the message was not sent to' }
    const now = c.now()
    const ops = [seenOp(env.id, now + env.ttlMs + init.clockSkewMs)]
    if (sent !== undefined && sent.status !== 'delivered') ops.push(sentOp({ ...sent, status: 'delivered', deliveredAtMs: now }))
    await c.store.batch(ops)
    c.onReceipt(env.ref ?? '', env)
    return { result: 'ok' }
  }

  const message = async (env: Envelope, hops: number): Promise<Ack> => {
    if (await isSeen(c.store, env.id)) return { result: 'duplicate' }
    const now = c.now()
    // Seen ids are kept past the message's life; an older copy is a replay, whatever its TTL says.
    if (env.createdMs + env.ttlMs + init.clockSkewMs < now) return { result: 'expired', reason: 'older than its TTL by this box\'s clock' }
    const payload = openMessage(c.keys, env)
    if (typeof payload === 'string') return { result: 'undecryptable', reason: payload }
    if (inboxCount >= init.maxInboxMessages) return { result: 'busy', reason: `inbox full (${inboxCount} messages)` }
    const ack = makeReceipt(c.keys, env, now, env.ttlMs)
    const refused = c.queue.refusal(ack)
    if (refused !== undefined) return { result: 'busy', reason: refused }
    const record: InboxRecord = {
      seq: nextSeq++, id: env.id, src: env.src, protocol: env.protocol, payload: Buffer.from(payload).toString('base64'),
      createdMs: env.createdMs, receivedAtMs: now, hops
    }
    // A creation time in the future (a source with a wrong clock) must not keep the id for ever.
    const keepUntil = Math.max(now, Math.min(env.createdMs, now + init.clockSkewMs)) + env.ttlMs + init.clockSkewMs
    // Counted before the write, so messages arriving together cannot overfill the inbox.
    inboxCount++
    try {
      await c.queue.add(ack, { hops: 0, expiresAtMs: now + env.ttlMs, from: 'self' }, [seenOp(env.id, keepUntil), inboxOp(record)])
    } catch (err) {
      inboxCount--
      throw err
    }
    c.logger.info('Message delivered', { id: env.id, src: env.src, protocol: env.protocol, hops, bytes: payload.byteLength })
    c.onInbox(record)
    c.onQueued()
    return { result: 'ok' }
  }

  const decide = async (from: string, offer: Offer): Promise<Ack> => {
    const { env } = offer
    const hops = offer.hops + 1
    if (hops > MAX_HOPS) return { result: 'hop-limit', reason: `travelled ${offer.hops} hops` }
    // The hop's word on time left, capped by the source's signed creation time and TTL.
    const ttlLeftMs = Math.min(offer.ttlLeftMs, env.createdMs + env.ttlMs + init.clockSkewMs - c.now())
    if (ttlLeftMs <= 0) return { result: 'expired', reason: 'no TTL left' }
    if (env.dst === c.keys.peerId) return env.kind === 'receipt' ? await receipt(env) : await message(env, hops)
    if (c.queue.has(env.id)) return { result: 'duplicate' }
    const refused = c.queue.refusal(env)
    if (refused !== undefined) return { result: 'quota', reason: refused }
    await c.queue.add(env, { hops, expiresAtMs: c.now() + ttlLeftMs, from })
    c.logger.debug('Message custody taken', { id: env.id, from, dst: env.dst, hops })
    c.onQueued()
    return { result: 'ok' }
  }

  return {
    async accept (from, offer) {
      const { env } = offer
      // The signature first, so a forgery racing the real envelope cannot decide for it. Then one
      // decision per id, not per signature text: two validly signed variants of one id (the same
      // signature spelt differently in base64url, or the source sealing twice under one id) would
      // otherwise both pass the seen check and be delivered twice.
      // Copies of what is already held or delivered are answered before the costly signature
      // check, so a neighbour resending valid envelopes cannot keep a core busy.
      if (env.dst === c.keys.peerId ? await isSeen(c.store, env.id) : c.queue.has(env.id)) return { result: 'duplicate' }
      if (!verifyEnvelope(env)) return { result: 'invalid', reason: `signature is not ${env.src}'s` }
      const pending = deciding.get(env.id)
      if (pending !== undefined) return await pending
      const p = decide(from, offer).finally(() => deciding.delete(env.id))
      deciding.set(env.id, p)
      return await p
    },
    setInbox (count, seq) { inboxCount = count; nextSeq = seq },
    inboxTaken () { inboxCount = Math.max(0, inboxCount - 1) },
    inboxCount: () => inboxCount
  }
}
