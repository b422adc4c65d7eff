/**
 * What a box remembers about messages besides its custody queue, all in LMDB:
 *   - seen:  ids delivered here, kept past their TTL, so a duplicate or a replay is not delivered twice;
 *   - inbox: messages delivered here that no handler has taken yet, in arrival order;
 *   - sent:  this box's own messages and whether their receipt came back.
 * Records are JSON; writes are handed back as batch operations so the caller can commit them
 * atomically with the queue change they belong to.
 */
import { Bucket, bucketKey, bucketPrefix } from '../../store/buckets.js'
import type { BatchOp, Store } from '../../store/store.js'

/** queued: in this box's queue; forwarded: a neighbour took custody; failed: a box refused it for good. */
export type SentStatus = 'queued' | 'forwarded' | 'delivered' | 'expired' | 'failed'

export interface SentRecord {
  id: string
  dst: string
  protocol: string
  bytes: number
  createdMs: number
  ttlMs: number
  status: SentStatus
  deliveredAtMs?: number
}

export interface InboxRecord {
  seq: number
  id: string
  src: string
  protocol: string
  /** base64 */
  payload: string
  createdMs: number
  receivedAtMs: number
  hops: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const put = (key: Uint8Array, value: unknown): BatchOp => ({ type: 'put', key, value: encoder.encode(JSON.stringify(value)) })
const parse = <T>(bytes: Uint8Array | undefined): T | undefined => {
  if (bytes === undefined) return undefined
  try { return JSON.parse(decoder.decode(bytes)) as T } catch { return undefined }
}
/** Fixed width, so key order is arrival order. */
const seqKey = (seq: number): Uint8Array => bucketKey(Bucket.msgInbox, seq.toString(16).padStart(13, '0'))

export const seenOp = (id: string, keepUntilMs: number): BatchOp => put(bucketKey(Bucket.msgSeen, id), { until: keepUntilMs })
export const sentOp = (r: SentRecord): BatchOp => put(bucketKey(Bucket.msgSent, r.id), r)
export const inboxOp = (r: InboxRecord): BatchOp => put(seqKey(r.seq), r)
export const inboxDeleteOp = (seq: number): BatchOp => ({ type: 'delete', key: seqKey(seq) })

export async function isSeen (store: Store, id: string): Promise<boolean> {
  return (await store.get(bucketKey(Bucket.msgSeen, id))) !== undefined
}

export async function readSent (store: Store, id: string): Promise<SentRecord | undefined> {
  return parse<SentRecord>(await store.get(bucketKey(Bucket.msgSent, id)))
}

export async function * sentRecords (store: Store): AsyncIterable<SentRecord> {
  for await (const [, value] of store.range(bucketPrefix(Bucket.msgSent))) {
    const r = parse<SentRecord>(value)
    if (r !== undefined) yield r
  }
}

export async function * inboxRecords (store: Store): AsyncIterable<InboxRecord> {
  for await (const [, value] of store.range(bucketPrefix(Bucket.msgInbox))) {
    const r = parse<InboxRecord>(value)
    if (r !== undefined) yield r
  }
}

/** Deletes seen-ids past their keep time and sent records that ended long ago; returns how many. */
export async function prune (store: Store, nowMs: number, keepSentMs: number): Promise<number> {
  const ops: BatchOp[] = []
  for await (const [key, value] of store.range(bucketPrefix(Bucket.msgSeen))) {
    const r = parse<{ until: number }>(value)
    if (r === undefined || r.until < nowMs) ops.push({ type: 'delete', key })
  }
  for await (const [key, value] of store.range(bucketPrefix(Bucket.msgSent))) {
    const r = parse<SentRecord>(value)
    const ended = r === undefined || (r.deliveredAtMs ?? r.createdMs + r.ttlMs) + keepSentMs < nowMs
    if (ended) ops.push({ type: 'delete', key })
  }
  if (ops.length > 0) await store.batch(ops)
  return ops.length
}
