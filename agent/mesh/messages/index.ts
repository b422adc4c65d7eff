/**
 * End-to-end messages across the mesh, with store-and-forward. `send` seals a payload for its
 * destination and queues it durably; the queue is pumped hop by hop along the routing table,
 * custody moving to each next hop only once that hop has it on disk. With no route, messages
 * wait (until their TTL) and go as soon as one appears. The destination answers with a signed
 * receipt that travels back the same way. `handle(protocol)` receives; anything no handler has
 * taken waits in the inbox. Wire format and guarantees: README.md.
 */
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { AbortOptions, Component } from '../../component.js'
import { AgentError, ErrorCode, errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import type { Store } from '../../store/store.js'
import { isPeerIdText } from '../routing/wire.js'
import { PROTOCOL_PATTERN, sealMessage, type Envelope } from './envelope.js'
import { ownKeys } from './keys.js'
import { inboxDeleteOp, inboxRecords, prune, readSent, sentOp, sentRecords, type InboxRecord, type SentRecord } from './ledger.js'
import { createMessageQueue, type QueueEntry } from './queue.js'
import { createReceiver } from './receive.js'
import { createTransfer, type Ack } from './transfer.js'
import type { Config } from '../../config/schema.js'

/** `mesh.messages.*` of the configuration; each key is documented in config/fields.ts. */
export type MessagesInit = Config['mesh']['messages']

export interface Delivered { id: string, src: string, protocol: string, payload: Uint8Array, createdMs: number, hops: number }
export type MessageHandler = (m: Delivered) => Promise<void> | void

export interface SendOptions extends AbortOptions {
  /** How long the mesh keeps trying to deliver (default mesh.messages.defaultTtlMs). */
  ttlMs?: number
  /** How long send() waits for the receipt; the message itself keeps going until its TTL. */
  deadlineMs?: number
}

export interface SentView extends SentRecord { held: boolean }

export interface MessagesSummary {
  held: { messages: number, bytes: number, receipts: number, oldestAgeMs: number | null }
  inbox: number
  handlers: string[]
  counters: Record<'sent' | 'handedOn' | 'delivered' | 'receipts' | 'dropped' | 'expired', number>
}

export interface MessageService extends Component {
  /** Queues durably and resolves with the id once the destination's receipt is back. */
  send: (dst: string, protocol: string, payload: Uint8Array, options?: SendOptions) => Promise<{ id: string, rttMs: number }>
  /** Queues durably and resolves at once with the id. */
  enqueue: (dst: string, protocol: string, payload: Uint8Array, options?: { ttlMs?: number }) => Promise<{ id: string }>
  /** True once the receipt for `id` is in, false if `timeoutMs` passes first. */
  waitDelivered: (id: string, timeoutMs: number, options?: AbortOptions) => Promise<boolean>
  handle: (protocol: string, handler: MessageHandler) => void
  unhandle: (protocol: string) => void
  sent: (id: string) => Promise<SentView>
  recentSent: (limit: number) => Promise<SentView[]>
  inbox: (limit: number, protocol?: string) => Promise<InboxRecord[]>
  deleteFromInbox: (id: string) => Promise<boolean>
  summary: () => MessagesSummary
}

export interface MessagesComponents {
  node: Libp2p
  store: Store
  privateKey: PrivateKey
  routing: { nextHop: (dest: string) => string | undefined }
  logger: Logger
  now?: () => number
}

const SENT_KEEP_MS = 7 * 86_400_000
const PRUNE_EVERY_MS = 10 * 60_000

export function createMessageService (c: MessagesComponents, init: MessagesInit): MessageService {
  const now = c.now ?? Date.now
  const log = c.logger
  const self = c.node.peerId.toString()
  const keys = ownKeys(self, c.privateKey)
  const envelopeLimits = { maxPayloadBytes: init.maxPayloadBytes, maxTtlMs: init.maxTtlMs }
  const queue = createMessageQueue({ store: c.store, logger: log, now }, { quota: init, envelope: envelopeLimits })
  const handlers = new Map<string, MessageHandler>()
  const waiters = new Map<string, Set<(ok: boolean) => void>>()
  const inFlight = new Set<string>()
  const dispatching = new Set<number>()
  const perNeighbour = new Map<string, number>()
  const counters = { sent: 0, handedOn: 0, delivered: 0, receipts: 0, dropped: 0, expired: 0 }
  let timer: NodeJS.Timeout | undefined
  let pruneTimer: NodeJS.Timeout | undefined
  let pumpSoon = false
  let started = false

  const schedule = (): void => {
    if (pumpSoon || !started) return
    pumpSoon = true
    setImmediate(() => { pumpSoon = false; pump() })
  }

  const dispatch = (r: InboxRecord): void => {
    const handler = handlers.get(r.protocol)
    if (handler === undefined || dispatching.has(r.seq)) return
    dispatching.add(r.seq)
    const delivered: Delivered = { id: r.id, src: r.src, protocol: r.protocol, payload: new Uint8Array(Buffer.from(r.payload, 'base64')), createdMs: r.createdMs, hops: r.hops }
    Promise.resolve().then(async () => { await handler(delivered) }).then(
      async () => { await c.store.batch([inboxDeleteOp(r.seq)]); receiver.inboxTaken() },
      (err: unknown) => { log.warn('Message handler failed; kept in the inbox', { id: r.id, protocol: r.protocol, error: errorMessage(err) }) }
    ).catch((err: unknown) => { log.error('Inbox update failed', { id: r.id }, err) }).finally(() => dispatching.delete(r.seq))
  }

  const settle = (id: string, ok: boolean): void => {
    for (const resolve of waiters.get(id) ?? []) resolve(ok)
    waiters.delete(id)
  }

  const receiver = createReceiver({
    store: c.store, queue, keys, logger: log, now,
    onInbox: (r) => { counters.delivered++; dispatch(r) },
    onReceipt: (ref) => { counters.receipts++; settle(ref, true) },
    onQueued: schedule
  }, init)
  const transfer = createTransfer({ node: c.node, logger: log }, {
    ackTimeoutMs: init.ackTimeoutMs, envelope: envelopeLimits, onOffer: async (from, offer) => await receiver.accept(from, offer)
  })

  const markOwn = async (e: QueueEntry, status: SentRecord['status']): Promise<ReturnType<typeof sentOp>[]> => {
    if (e.from !== 'self' || e.kind !== 'msg') return []
    const r = await readSent(c.store, e.id)
    return r === undefined || r.status === 'delivered' ? [] : [sentOp({ ...r, status })]
  }

  const finish = async (e: QueueEntry, next: string, ack: Ack): Promise<void> => {
    if (ack.result === 'ok' || ack.result === 'duplicate') {
      await queue.remove(e.id, await markOwn(e, 'forwarded'))
      counters.handedOn++
      return
    }
    if (ack.result === 'quota' || ack.result === 'busy' || ack.result === 'unreachable') {
      e.attempts++
      const backoff = Math.min(init.retryMaxMs, init.retryMinMs * 2 ** Math.min(e.attempts - 1, 16))
      e.nextTryMs = now() + backoff * (0.75 + Math.random() / 2)
      log.debug('Message offer not taken; will retry', { id: e.id, next, result: ack.result, reason: ack.reason, attempts: e.attempts })
      return
    }
    // A box that checked it refused it for good: carrying it further cannot succeed.
    await queue.remove(e.id, await markOwn(e, 'failed'))
    counters.dropped++
    log.warn('Message dropped', { id: e.id, src: e.src, dst: e.dst, next, result: ack.result, reason: ack.reason })
  }

  const attempt = async (e: QueueEntry, next: string): Promise<void> => {
    inFlight.add(e.id)
    perNeighbour.set(next, (perNeighbour.get(next) ?? 0) + 1)
    try {
      const env = await queue.read(e.id)
      if (env === undefined) return
      const ack = await transfer.offer(next, { env, hops: e.hops, ttlLeftMs: Math.max(0, e.expiresAtMs - now()) })
      await finish(e, next, ack)
    } catch (err) {
      log.error('Message send failed', { id: e.id, next }, err)
    } finally {
      inFlight.delete(e.id)
      perNeighbour.set(next, (perNeighbour.get(next) ?? 1) - 1)
      schedule()
    }
  }

  const expire = async (e: QueueEntry): Promise<void> => {
    inFlight.add(e.id)
    try {
      await queue.remove(e.id, await markOwn(e, 'expired'))
      counters.expired++
      log.info('Message expired', { id: e.id, kind: e.kind, src: e.src, dst: e.dst, heldMs: now() - e.queuedAtMs })
    } finally {
      inFlight.delete(e.id)
    }
  }

  function pump (): void {
    if (!started) return
    const t = now()
    for (const e of queue.entries()) {
      if (inFlight.has(e.id)) continue
      if (e.expiresAtMs <= t) { void expire(e).catch((err: unknown) => { log.error('Message expiry failed', { id: e.id }, err) }); continue }
      if (e.nextTryMs > t) continue
      const next = c.routing.nextHop(e.dst)
      if (next === undefined || (perNeighbour.get(next) ?? 0) >= init.windowPerNeighbour) continue
      void attempt(e, next)
    }
  }

  const checkSend = (dst: string, protocol: string, payload: Uint8Array, ttlMs: number): void => {
    if (!isPeerIdText(dst)) throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, `"${String(dst).slice(0, 64)}" is not a peer id`, { data: { param: 'peerId' } })
    if (dst === self) throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, 'that is this box itself', { data: { param: 'peerId' } })
    if (!PROTOCOL_PATTERN.test(protocol)) throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, 'protocol must look like /name/1: lower case, starting with /, at most 64 characters', { data: { param: 'protocol' } })
    if (payload.byteLength > init.maxPayloadBytes) throw new AgentError(ErrorCode.MESSAGE_TOO_LARGE, `payload of ${payload.byteLength} bytes is over the ${init.maxPayloadBytes}-byte limit`)
    if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > init.maxTtlMs) throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, `ttlMs must be 1..${init.maxTtlMs}`, { data: { param: 'ttlMs' } })
  }

  const enqueue: MessageService['enqueue'] = async (dst, protocol, payload, options = {}) => {
    if (!started) throw new AgentError(ErrorCode.MESH_NOT_STARTED, 'messages are not running')
    const ttlMs = options.ttlMs ?? init.defaultTtlMs
    checkSend(dst, protocol, payload, ttlMs)
    const createdMs = now()
    let env: Envelope
    try {
      env = sealMessage(keys, { dst, protocol, payload, ttlMs, createdMs })
    } catch (err) {
      throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, errorMessage(err), { data: { param: 'peerId' } })
    }
    const refused = queue.refusal(env)
    if (refused !== undefined) throw new AgentError(ErrorCode.MESSAGE_QUOTA, refused, { hints: ['wait for queued messages to be delivered or expire'] })
    const record: SentRecord = { id: env.id, dst, protocol, bytes: payload.byteLength, createdMs, ttlMs, status: 'queued' }
    await queue.add(env, { hops: 0, expiresAtMs: createdMs + ttlMs, from: 'self' }, [sentOp(record)])
    counters.sent++
    schedule()
    return { id: env.id }
  }

  const waitDelivered: MessageService['waitDelivered'] = async (id, timeoutMs, options = {}) => {
    if ((await readSent(c.store, id))?.status === 'delivered') return true
    return await new Promise<boolean>((resolve) => {
      const set = waiters.get(id) ?? new Set()
      const done = (ok: boolean): void => {
        clearTimeout(t)
        options.signal?.removeEventListener('abort', onAbort)
        set.delete(done)
        resolve(ok)
      }
      const onAbort = (): void => { done(false) }
      const t = setTimeout(() => { done(false) }, timeoutMs)
      options.signal?.addEventListener('abort', onAbort, { once: true })
      set.add(done)
      waiters.set(id, set)
    })
  }

  const view = (r: SentRecord): SentView => ({
    ...r, held: queue.has(r.id), status: r.status !== 'delivered' && now() > r.createdMs + r.ttlMs ? 'expired' : r.status
  })

  return {
    name: 'messages',
    async start () {
      if (started) return
      await queue.load()
      let count = 0
      let lastSeq = 0
      const pendingInbox: InboxRecord[] = []
      for await (const r of inboxRecords(c.store)) { count++; lastSeq = r.seq; pendingInbox.push(r) }
      receiver.setInbox(count, lastSeq + 1)
      await transfer.start()
      started = true
      for (const r of pendingInbox) dispatch(r)
      timer = setInterval(pump, init.scanIntervalMs)
      const tidy = (): void => { void prune(c.store, now(), SENT_KEEP_MS).catch((err: unknown) => { log.warn('Message ledger prune failed', { error: errorMessage(err) }) }) }
      pruneTimer = setInterval(tidy, PRUNE_EVERY_MS)
      tidy()
      log.info('Messages ready', { held: queue.usage().total.count, inbox: count })
      schedule()
    },
    async stop () {
      if (!started) return
      started = false
      clearInterval(timer)
      clearInterval(pruneTimer)
      for (const id of [...waiters.keys()]) settle(id, false)
      await transfer.stop()
    },
    async send (dst, protocol, payload, options = {}) {
      const startedAt = performance.now()
      const { id } = await enqueue(dst, protocol, payload, options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {})
      const deadlineMs = options.deadlineMs ?? 30_000
      if (!await waitDelivered(id, deadlineMs, options)) {
        throw new AgentError(ErrorCode.TIMEOUT, `no receipt within ${deadlineMs} ms; message ${id} stays queued until its TTL`, { data: { id } })
      }
      return { id, rttMs: Math.round((performance.now() - startedAt) * 1000) / 1000 }
    },
    enqueue,
    waitDelivered,
    handle (protocol, handler) {
      handlers.set(protocol, handler)
      if (!started) return
      void (async () => { for await (const r of inboxRecords(c.store)) if (r.protocol === protocol) dispatch(r) })()
    },
    unhandle (protocol) { handlers.delete(protocol) },
    async sent (id) {
      const r = /^[0-9a-f]{32}$/.test(id) ? await readSent(c.store, id) : undefined
      if (r === undefined) throw new AgentError(ErrorCode.MESSAGE_NOT_FOUND, `no message ${id.slice(0, 40)} was sent from this box (or it was pruned)`)
      return view(r)
    },
    async recentSent (limit) {
      const all: SentRecord[] = []
      for await (const r of sentRecords(c.store)) all.push(r)
      return all.sort((a, b) => b.createdMs - a.createdMs).slice(0, limit).map(view)
    },
    async inbox (limit, protocol) {
      const out: InboxRecord[] = []
      for await (const r of inboxRecords(c.store)) {
        if (protocol === undefined || r.protocol === protocol) out.push(r)
      }
      return out.slice(-limit)
    },
    async deleteFromInbox (id) {
      for await (const r of inboxRecords(c.store)) {
        if (r.id !== id) continue
        await c.store.batch([inboxDeleteOp(r.seq)])
        receiver.inboxTaken()
        return true
      }
      return false
    },
    summary () {
      const u = queue.usage()
      let receipts = 0
      let oldest: number | null = null
      for (const e of queue.entries()) {
        if (e.kind === 'receipt') receipts++
        if (oldest === null || e.queuedAtMs < oldest) oldest = e.queuedAtMs
      }
      return {
        held: { messages: u.total.count - receipts, bytes: u.total.bytes, receipts, oldestAgeMs: oldest === null ? null : now() - oldest },
        inbox: receiver.inboxCount(),
        handlers: [...handlers.keys()],
        counters: { ...counters }
      }
    }
  }
}
