/**
 * The transaction outbox. A raw transaction from a phone is decoded and checked (EIP-155 chain
 * id, signature, nonce and balance against verified state when known), stored durably, and then
 * either sent upstream by this box or, with no uplink here, carried as an end-to-end message
 * (`/meshbox/tx/1`) to the nearest box announcing `chain-uplink`. That box submits it, follows it
 * to inclusion (re-sending every few blocks), and reports the receipt back to the origin box
 * (`/meshbox/tx-receipt/1`). De-duplicated by hash; dropped when another transaction with the
 * same sender and nonce is mined instead.
 */
import type { Component } from '../../component.js'
import { errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import type { Store } from '../../store/store.js'
import { allRecords, depthOf, onHead, readRecord, writeRecord, type OutboxRecord } from './records.js'

export const TX_PROTOCOL = '/meshbox/tx/1'
export const TX_RECEIPT_PROTOCOL = '/meshbox/tx-receipt/1'
export const UPLINK_ROLE = 'chain-uplink'

export interface DecodedTx { hash: string, from: string, nonce: bigint, value: bigint, gasLimit: bigint, gasPrice: bigint }

export interface OutboxComponents {
  store: Store
  logger: Logger
  /** Throws (naming the field) when the raw transaction is not acceptable for this chain. */
  decode: (raw: string) => DecodedTx
  /** A reason to refuse given what is known of the sender's state, or undefined; never throws for lack of data. */
  checkState: (tx: DecodedTx, signal: AbortSignal) => Promise<string | undefined>
  head: () => bigint | undefined
  /** The verified hash of block `n`, when known. */
  verifiedHash: (n: bigint) => Promise<string | undefined>
  upstream: () => { call: (method: string, params: unknown[], options?: { signal?: AbortSignal }) => Promise<{ result: unknown }> } | undefined
  messages: {
    enqueue: (dst: string, protocol: string, payload: Uint8Array) => Promise<{ id: string }>
    handle: (protocol: string, handler: (m: { src: string, payload: Uint8Array }) => Promise<void>) => void
    unhandle: (protocol: string) => void
  }
  /** The nearest box announcing `chain-uplink`, or undefined. */
  nearestUplink: () => string | undefined
  now?: () => number
}

export interface OutboxInit { confirmations: number, resendEveryBlocks: number, checkIntervalMs: number }

export class TxRejected extends Error {}

export interface TxOutbox extends Component {
  submit: (raw: string, signal: AbortSignal) => Promise<string>
  get: (hash: string) => Promise<OutboxRecord | undefined>
  list: (limit: number) => Promise<OutboxRecord[]>
}

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
const parse = (b: Uint8Array): Record<string, unknown> | undefined => {
  try { const v: unknown = JSON.parse(new TextDecoder().decode(b)); return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined } catch { return undefined }
}

export function createTxOutbox (c: OutboxComponents, init: OutboxInit): TxOutbox {
  const now = c.now ?? Date.now
  const log = c.logger
  let timer: NodeJS.Timeout | undefined
  let busy = false
  let started = false

  const save = async (r: OutboxRecord, change: Partial<OutboxRecord>): Promise<OutboxRecord> => {
    const next = { ...r, ...change, updatedMs: now() }
    await writeRecord(c.store, next)
    return next
  }

  const sendUpstream = async (r: OutboxRecord): Promise<OutboxRecord> => {
    const up = c.upstream()
    if (up === undefined) return r
    try {
      await up.call('eth_sendRawTransaction', [r.raw])
    } catch (err) {
      const msg = errorMessage(err)
      // A node that already has it (or mined it) is not a failure: the receipt will tell.
      if (!/already known|known transaction|nonce too low|already imported/i.test(msg)) return await save(r, { lastError: msg.slice(0, 300) })
    }
    const head = c.head()
    return await save(r, { status: r.status === 'mined' ? 'mined' : 'submitted', ...(head !== undefined ? { sentAtBlock: head.toString() } : {}) })
  }

  const forward = async (r: OutboxRecord): Promise<OutboxRecord> => {
    const uplink = c.nearestUplink()
    if (uplink === undefined) return r
    await c.messages.enqueue(uplink, TX_PROTOCOL, json({ raw: r.raw }))
    log.info('Transaction forwarded to an uplink box', { hash: r.hash, via: uplink })
    return await save(r, { status: 'forwarded', via: uplink })
  }

  // The check loop and a fresh submit can reach the same queued record at once: one sends it.
  // The one already under way is awaited, so a submit returns the record as that send left it.
  const inFlight = new Map<string, Promise<OutboxRecord>>()
  const dispatch = async (r: OutboxRecord): Promise<OutboxRecord> => {
    const running = inFlight.get(r.hash)
    if (running !== undefined) return await running
    const send = async (): Promise<OutboxRecord> => {
      // A copy read before another send finished is stale: act on what the store holds now.
      const now = await readRecord(c.store, r.hash) ?? r
      if (now.status !== r.status || now.updatedMs !== r.updatedMs) return now
      return c.upstream() !== undefined ? await sendUpstream(now) : await forward(now)
    }
    const sending = send().finally(() => { inFlight.delete(r.hash) })
    inFlight.set(r.hash, sending)
    return await sending
  }

  const reportReceipt = async (r: OutboxRecord): Promise<void> => {
    if (r.origin === 'local' || r.receipt === undefined) return
    await c.messages.enqueue(r.origin, TX_RECEIPT_PROTOCOL, json({ hash: r.hash, receipt: r.receipt }))
  }

  /** One pass over open records: a box with an uplink follows them; one without forwards queued ones. */
  const check = async (): Promise<void> => {
    const head = c.head()
    const up = c.upstream()
    for await (const r of allRecords(c.store)) {
      try {
        if (r.status === 'queued' || (r.status === 'forwarded' && up !== undefined && r.origin === 'local' && r.receipt === undefined)) { await dispatch(r); continue }
        if (up === undefined || head === undefined) continue
        const action = onHead(r, head, BigInt(init.resendEveryBlocks))
        if (action.kind === 'wait') continue
        if (action.kind === 'resend') { await sendUpstream(r); continue }
        const got = (await up.call('eth_getTransactionReceipt', [r.hash])).result
        if (got === null || typeof got !== 'object') {
          const count = (await up.call('eth_getTransactionCount', [r.from, 'latest'])).result
          if (typeof count === 'string' && BigInt(count) > BigInt(r.nonce)) {
            await save(r, { status: 'dropped', lastError: 'another transaction with this nonce was mined' })
            log.warn('Transaction dropped: its nonce was used by another', { hash: r.hash, from: r.from, nonce: r.nonce })
          }
          continue
        }
        const receipt = got as Record<string, unknown>
        const n = typeof receipt.blockNumber === 'string' ? BigInt(receipt.blockNumber) : undefined
        // A receipt only counts once its block is one of our verified headers.
        if (n === undefined || (await c.verifiedHash(n)) !== String(receipt.blockHash).toLowerCase()) continue
        const depth = depthOf(receipt, head)
        const status = depth >= BigInt(init.confirmations) ? 'included' : 'mined'
        if (status === r.status && r.receipt !== undefined) continue
        const saved = await save(r, { status, receipt })
        if (r.receipt === undefined) {
          log.info('Transaction mined', { hash: r.hash, blockNumber: n.toString(), origin: r.origin })
          await reportReceipt(saved)
        }
      } catch (err) {
        log.debug('Outbox check failed for a transaction', { hash: r.hash, error: errorMessage(err) })
      }
    }
  }

  const tick = (): void => {
    if (busy || !started) return
    busy = true
    void check().catch((err: unknown) => { log.warn('Outbox check failed', { error: errorMessage(err) }) }).finally(() => { busy = false })
  }

  const accept = async (raw: string, origin: string, signal: AbortSignal): Promise<OutboxRecord> => {
    let tx: DecodedTx
    try {
      tx = c.decode(raw)
    } catch (err) {
      throw new TxRejected(errorMessage(err))
    }
    const have = await readRecord(c.store, tx.hash)
    if (have !== undefined) return have
    const reason = await c.checkState(tx, signal)
    if (reason !== undefined) throw new TxRejected(reason)
    const again = await readRecord(c.store, tx.hash)
    if (again !== undefined) return again
    const r: OutboxRecord = { hash: tx.hash, raw: raw.toLowerCase(), from: tx.from, nonce: tx.nonce.toString(), origin, status: 'queued', createdMs: now(), updatedMs: now() }
    await writeRecord(c.store, r)
    log.info('Transaction queued', { hash: r.hash, from: r.from, nonce: r.nonce, origin })
    return await dispatch(r)
  }

  return {
    name: 'tx-outbox',
    async start () {
      if (started) return
      started = true
      c.messages.handle(TX_PROTOCOL, async ({ src, payload }) => {
        const body = parse(payload)
        if (typeof body?.raw !== 'string') { log.warn('Transaction message unreadable; ignored', { src }); return }
        await accept(body.raw, src, AbortSignal.timeout(30_000)).catch((err: unknown) => {
          if (err instanceof TxRejected) log.warn('Transaction from the mesh refused', { src, reason: err.message })
          else throw err
        })
      })
      c.messages.handle(TX_RECEIPT_PROTOCOL, async ({ src, payload }) => {
        const body = parse(payload)
        const hash = typeof body?.hash === 'string' ? body.hash.toLowerCase() : ''
        const r = await readRecord(c.store, hash)
        if (r === undefined || r.via !== src || body?.receipt === null || typeof body?.receipt !== 'object') {
          log.warn('Transaction receipt from the mesh ignored', { src, hash: hash.slice(0, 66) })
          return
        }
        await save(r, { status: 'mined', receipt: body.receipt as Record<string, unknown> })
        log.info('Transaction receipt arrived over the mesh', { hash, via: src })
      })
      timer = setInterval(tick, init.checkIntervalMs)
    },
    async stop () {
      if (!started) return
      started = false
      clearInterval(timer)
      c.messages.unhandle(TX_PROTOCOL)
      c.messages.unhandle(TX_RECEIPT_PROTOCOL)
    },
    async submit (raw, signal) {
      return (await accept(raw, 'local', signal)).hash
    },
    get: async (hash) => await readRecord(c.store, hash.toLowerCase()),
    async list (limit) {
      const out: OutboxRecord[] = []
      for await (const r of allRecords(c.store)) out.push(r)
      return out.sort((a, b) => b.createdMs - a.createdMs).slice(0, limit)
    }
  }
}
