/**
 * The custody queue: every envelope this box has promised to carry on (its own messages, those
 * it accepted from neighbours, and receipts), in LMDB, with a small index in memory for
 * scheduling and quotas. A record is written, and flushed, before custody is acknowledged, and
 * deleted only once the next hop has acknowledged it, so a message always sits on at least one
 * box's disk. Envelopes themselves are read back from LMDB when sent, not kept in memory.
 */
import type { Logger } from '../../log/logger.js'
import { Bucket, bucketKey, bucketPrefix } from '../../store/buckets.js'
import type { BatchOp, Store } from '../../store/store.js'
import { decodeEnvelope, envelopeBytes, type Envelope, type EnvelopeLimits } from './envelope.js'
import { addUsage, emptyUsage, quotaRefusal, removeUsage, type Held, type QuotaLimits, type Usage } from './quota.js'

export interface QueueEntry {
  id: string
  kind: Envelope['kind']
  src: string
  dst: string
  bytes: number
  hops: number
  /** Local clock: when this box gives up on it. */
  expiresAtMs: number
  queuedAtMs: number
  /** The neighbour it came from, or 'self'. */
  from: string
  /** Scheduling (memory only): earliest next offer, and failed offers so far. */
  nextTryMs: number
  attempts: number
}

interface StoredRecord { env: Envelope, hops: number, expiresAtMs: number, queuedAtMs: number, from: string }

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const keyOf = (id: string): Uint8Array => bucketKey(Bucket.msgQueue, id)
const heldOf = (e: QueueEntry): Held => ({ src: e.src, dst: e.dst, bytes: e.bytes, receipt: e.kind === 'receipt' })

export interface MessageQueue {
  load: () => Promise<void>
  has: (id: string) => boolean
  get: (id: string) => QueueEntry | undefined
  entries: () => IterableIterator<QueueEntry>
  usage: () => Usage
  /** Why it cannot be taken now (quota), or undefined. */
  refusal: (env: Envelope) => string | undefined
  /** Stores the envelope durably together with `extra` (one atomic commit). */
  add: (env: Envelope, meta: { hops: number, expiresAtMs: number, from: string }, extra?: BatchOp[]) => Promise<QueueEntry>
  /** Removes it durably together with `extra` (one atomic commit). */
  remove: (id: string, extra?: BatchOp[]) => Promise<void>
  read: (id: string) => Promise<Envelope | undefined>
}

export function createMessageQueue (c: { store: Store, logger: Logger, now: () => number }, init: { quota: QuotaLimits, envelope: EnvelopeLimits }): MessageQueue {
  const index = new Map<string, QueueEntry>()
  let usage = emptyUsage()

  const entryOf = (env: Envelope, r: Omit<StoredRecord, 'env'>): QueueEntry => ({
    id: env.id, kind: env.kind, src: env.src, dst: env.dst, bytes: envelopeBytes(env), hops: r.hops,
    expiresAtMs: r.expiresAtMs, queuedAtMs: r.queuedAtMs, from: r.from, nextTryMs: 0, attempts: 0
  })

  const decodeRecord = (bytes: Uint8Array): StoredRecord | string => {
    let v: unknown
    try { v = JSON.parse(decoder.decode(bytes)) } catch { return 'not JSON' }
    const r = v as Partial<StoredRecord>
    const env = decodeEnvelope(r.env, init.envelope)
    if (typeof env === 'string') return env
    if (typeof r.hops !== 'number' || typeof r.expiresAtMs !== 'number' || typeof r.queuedAtMs !== 'number' || typeof r.from !== 'string') return 'fields missing'
    return { env, hops: r.hops, expiresAtMs: r.expiresAtMs, queuedAtMs: r.queuedAtMs, from: r.from }
  }

  return {
    async load () {
      index.clear()
      usage = emptyUsage()
      for await (const [key, value] of c.store.range(bucketPrefix(Bucket.msgQueue))) {
        const r = decodeRecord(value)
        if (typeof r === 'string') {
          // Left in place for a person to look at; it holds no quota and is never sent. (Not logged
          // as `key`: the logger redacts fields named like secrets, and this one must be findable.)
          c.logger.error('Stored message unreadable; skipped', { record: Buffer.from(key).toString('hex'), reason: r })
          continue
        }
        const e = entryOf(r.env, r)
        index.set(e.id, e)
        addUsage(usage, heldOf(e))
      }
    },
    has: id => index.has(id),
    get: id => index.get(id),
    entries: () => index.values(),
    usage: () => usage,
    refusal: env => quotaRefusal(usage, { src: env.src, dst: env.dst, bytes: envelopeBytes(env), receipt: env.kind === 'receipt' }, init.quota),
    async add (env, meta, extra = []) {
      const record: StoredRecord = { env, hops: meta.hops, expiresAtMs: meta.expiresAtMs, queuedAtMs: c.now(), from: meta.from }
      const e = entryOf(env, record)
      // Counted before the write so concurrent offers cannot both squeeze under the quota.
      index.set(e.id, e)
      addUsage(usage, heldOf(e))
      try {
        await c.store.batch([...extra, { type: 'put', key: keyOf(e.id), value: encoder.encode(JSON.stringify(record)) }])
      } catch (err) {
        index.delete(e.id)
        removeUsage(usage, heldOf(e))
        throw err
      }
      return e
    },
    async remove (id, extra = []) {
      const e = index.get(id)
      await c.store.batch([...extra, { type: 'delete', key: keyOf(id) }])
      if (e !== undefined && index.get(id) === e) {
        index.delete(id)
        removeUsage(usage, heldOf(e))
      }
    },
    async read (id) {
      const bytes = await c.store.get(keyOf(id))
      if (bytes === undefined) return undefined
      const r = decodeRecord(bytes)
      return typeof r === 'string' ? undefined : r.env
    }
  }
}
