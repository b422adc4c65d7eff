/**
 * Outbox records in LMDB (bucket txOutbox), one per transaction hash, and the pure decisions
 * about them: what to do with a record when a new head arrives.
 */
import { Bucket, bucketKey, bucketPrefix } from '../../store/buckets.js'
import type { Store } from '../../store/store.js'

/**
 * queued: waiting for an uplink (this box has none, and no uplink box is known yet);
 * forwarded: handed to the message layer for the nearest uplink box;
 * submitted: sent upstream by this box, waiting for a receipt;
 * mined: a receipt in a block, not yet `confirmations` deep; included: deep enough;
 * dropped: another transaction with the same sender and nonce won.
 */
export type TxStatus = 'queued' | 'forwarded' | 'submitted' | 'mined' | 'included' | 'dropped'

export interface OutboxRecord {
  hash: string
  raw: string
  from: string
  nonce: string
  /** 'local' (a phone on this box) or the peer id of the box it came from. */
  origin: string
  status: TxStatus
  /** The uplink box it was forwarded to. */
  via?: string
  receipt?: Record<string, unknown>
  /** Head number when it was last sent upstream (re-broadcast pacing). */
  sentAtBlock?: string
  lastError?: string
  createdMs: number
  updatedMs: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const keyOf = (hash: string): Uint8Array => bucketKey(Bucket.txOutbox, hash)

export async function readRecord (store: Store, hash: string): Promise<OutboxRecord | undefined> {
  const v = await store.get(keyOf(hash))
  if (v === undefined) return undefined
  try { return JSON.parse(decoder.decode(v)) as OutboxRecord } catch { return undefined }
}

export async function writeRecord (store: Store, r: OutboxRecord): Promise<void> {
  await store.put(keyOf(r.hash), encoder.encode(JSON.stringify(r)))
}

export async function * allRecords (store: Store): AsyncIterable<OutboxRecord> {
  for await (const [, v] of store.range(bucketPrefix(Bucket.txOutbox))) {
    try { yield JSON.parse(decoder.decode(v)) as OutboxRecord } catch { /* a damaged record is skipped */ }
  }
}

export type HeadAction =
  | { kind: 'wait' }
  | { kind: 'resend' }
  | { kind: 'ask-receipt' }

/** What a box with an uplink does with a submitted or mined record at head `head`. */
export function onHead (r: OutboxRecord, head: bigint, resendEveryBlocks: bigint): HeadAction {
  if (r.status !== 'submitted' && r.status !== 'mined') return { kind: 'wait' }
  if (r.status === 'submitted' && r.sentAtBlock !== undefined && head - BigInt(r.sentAtBlock) >= resendEveryBlocks) return { kind: 'resend' }
  return { kind: 'ask-receipt' }
}

/** How deep a receipt's block is under `head` (1 = in the head block itself). */
export function depthOf (receipt: Record<string, unknown>, head: bigint): bigint {
  const n = typeof receipt.blockNumber === 'string' && /^0x[0-9a-f]+$/i.test(receipt.blockNumber) ? BigInt(receipt.blockNumber) : undefined
  return n === undefined || n > head ? 0n : head - n + 1n
}
