/**
 * What upstream sync and mesh sync share: verification of a segment against its stored parent,
 * storing it (fork choice in the header store), counters, the last failure, and head listeners.
 * Every change to the store goes through `exclusive`, so the two never interleave their writes.
 */
import { AgentError, ErrorCode } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import type { Header } from '../header.js'
import type { ChainPreset } from '../presets.js'
import type { SealEngine } from '../seal/engine.js'
import type { RecoverPool } from '../seal/recover-pool.js'
import type { VerifyContext, VerifyFailure } from '../verify/types.js'
import type { HeaderStore, InsertResult, Reorg, StoredHeader } from './header-store.js'
import { verifyBatch } from './verify-batch.js'

export type HeadSource = 'upstream' | 'mesh'

export interface VerifiedHead extends StoredHeader {
  /** Unix ms when this box verified it. */
  readonly verifiedAtMs: number
  readonly from: HeadSource
}

export interface HeadChange {
  readonly head: VerifiedHead
  /** Set when the head moved to another branch. */
  readonly reorg?: { readonly depth: number, readonly ancestor: number, readonly oldHead: number, readonly oldHash: string }
}

export type HeadListener = (change: HeadChange) => void

export interface SyncFailure {
  readonly atMs: number
  readonly code: ErrorCode
  /** The verification rule, for a refused header. */
  readonly rule: string | null
  readonly number: number | null
  readonly message: string
  /** Redacted upstream URL, or `mesh:<peer id>`. */
  readonly source: string
}

export interface AcceptResult {
  /** Headers of the segment that passed verification (stored unless `refused`). */
  readonly verified: number
  readonly failure?: VerifyFailure
  readonly insert?: InsertResult
}

export interface SyncCoreInit {
  preset: ChainPreset
  engine: SealEngine
  store: HeaderStore
  logger: Logger
  windowHeaders: number
  now?: () => number
  /** Recovers the signers of a batch on worker threads first; without it, all in this thread. */
  pool?: RecoverPool
}

export class SyncCore {
  readonly preset: ChainPreset
  readonly engine: SealEngine
  readonly store: HeaderStore
  readonly log: Logger
  readonly windowHeaders: number
  readonly now: () => number
  readonly pool: RecoverPool | undefined
  readonly counters = { fromUpstream: 0, fromMesh: 0, refused: 0, reorgs: 0 }
  lastFailure: SyncFailure | undefined
  lastReorg: { atMs: number, depth: number, from: number, to: number } | undefined
  /** The highest head number heard of (upstream sources, mesh announcements). */
  target: bigint | undefined
  private readonly listeners = new Set<HeadListener>()
  private queue: Promise<unknown> = Promise.resolve()

  constructor (init: SyncCoreInit) {
    this.preset = init.preset
    this.engine = init.engine
    this.store = init.store
    this.log = init.logger
    this.windowHeaders = init.windowHeaders
    this.now = init.now ?? Date.now
    this.pool = init.pool
  }

  verifyContext (): VerifyContext {
    return { preset: this.preset, engine: this.engine, nowS: this.now() / 1000 }
  }

  /** Runs `fn` after every earlier exclusive section finished. */
  async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return await run
  }

  head (): VerifiedHead | undefined {
    const h = this.store.head()
    if (h === undefined) return undefined
    const origin = this.store.headOrigin()
    return { ...h, verifiedAtMs: origin?.verifiedAtMs ?? this.now(), from: origin?.from ?? 'upstream' }
  }

  noteTarget (n: bigint): void {
    if (this.target === undefined || n > this.target) this.target = n
  }

  onHead (listener: HeadListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  fail (failure: Omit<SyncFailure, 'atMs'>): void {
    this.lastFailure = { atMs: this.now(), ...failure }
  }

  /**
   * Verifies `headers` (consecutive, on top of `parent`) and stores the part that passes, in one
   * commit. Call inside `exclusive`. Never throws for a bad header: the failure comes back.
   * @throws AgentError ABORTED when `signal` aborts before the segment is verified.
   */
  async accept (parent: StoredHeader, headers: readonly Header[], from: HeadSource, source: string, skipBelow?: bigint, signal?: AbortSignal): Promise<AcceptResult> {
    const { verified, failure } = await verifyBatch({ engine: this.engine, pool: this.pool, logger: this.log }, parent.header, headers, this.verifyContext(), signal)
    if (failure !== undefined && failure.rule !== 'future') {
      this.counters.refused++
      this.fail({ code: ErrorCode.CHAIN_HEADER_REFUSED, rule: failure.rule, number: Number(failure.number), message: failure.message, source })
      this.log.warn('Chain headers refused', { rule: failure.rule, number: Number(failure.number), field: failure.field, reason: failure.message, source })
    }
    if (verified === 0) return { verified, ...(failure !== undefined ? { failure } : {}) }
    const before = this.store.head()
    const insert = await this.store.insert(parent, headers.slice(0, verified), {
      origin: { from, verifiedAtMs: this.now() },
      ...(skipBelow !== undefined ? { skipBelow } : {})
    })
    if (insert.refused !== undefined) {
      this.fail({ code: insert.refused.code, rule: null, number: Number(headers[0]?.number ?? 0n), message: insert.refused.message, source })
      return { verified, insert, ...(failure !== undefined ? { failure } : {}) }
    }
    if (from === 'mesh') this.counters.fromMesh += verified
    else this.counters.fromUpstream += verified
    if (insert.headChanged) this.headChanged(insert.reorg, before)
    await this.store.prune()
    return { verified, insert, ...(failure !== undefined ? { failure } : {}) }
  }

  private headChanged (reorg: Reorg | undefined, before: StoredHeader | undefined): void {
    const head = this.head()
    if (head === undefined) return
    if (reorg !== undefined) {
      this.counters.reorgs++
      this.lastReorg = { atMs: this.now(), depth: reorg.depth, from: Number(reorg.oldHead.number), to: Number(reorg.newHead.number) }
    }
    const change: HeadChange = {
      head,
      ...(reorg !== undefined
        ? { reorg: { depth: reorg.depth, ancestor: Number(reorg.ancestor.number), oldHead: Number(reorg.oldHead.number), oldHash: reorg.oldHead.hash } }
        : {})
    }
    this.log.debug('Chain head advanced', { number: Number(head.number), hash: head.hash, from: head.from, previous: before === undefined ? null : Number(before.number) })
    for (const l of this.listeners) {
      try { l(change) } catch (err) { this.log.error('Chain head listener failed', {}, err) }
    }
  }

  /** Tells listeners about the anchor header, the first head. */
  anchorSet (): void {
    this.headChanged(undefined, undefined)
  }
}

/** A stored header by number or throws CHAIN_HEADER_UNKNOWN (for the HTTP view). */
export function unknownHeader (what: string): AgentError {
  return new AgentError(ErrorCode.CHAIN_HEADER_UNKNOWN, `no verified header ${what} here`, {
    hints: ['only chain.windowHeaders recent headers and every 1024th older one are kept; see `meshbox chain` for the head']
  })
}
