/**
 * One round of header sync from the upstream pool: learn the anchor header if missing, ask the
 * best source for its head, fetch what we lack in batches (`eth_getBlockByNumber(n, false)`, one
 * HTTP request per batch), check each block's hash against its fields, verify the segment from
 * our head, store it; on a parent mismatch walk back (within the window) to the fork point and
 * verify the source's branch from there. Then cross-check our head against a second source.
 * A source whose header fails verification, or whose hash does not match its fields, is demoted.
 */
import { bytesToHex } from '../bytes.js'
import { ChainInputError } from '../errors.js'
import { headerFromRpc } from '../header-rpc.js'
import type { Header } from '../header.js'
import { ErrorCode, errorMessage } from '../../errors.js'
import type { SyncCore } from './core.js'
import { windowBottom } from './fork.js'
import { hashOf, type StoredHeader } from './header-store.js'
import type { SourceRef, UpstreamPool } from './upstream.js'

export interface UpstreamSyncInit {
  batchSize: number
  /**
   * A source's chain has another block at our first-upstream anchor's number (the dev chain was
   * restarted): the caller resets the store and learns the anchor again.
   */
  onAnchorConflict?: (theirHash: string) => void
  /** Fork-point searches per round: a source that keeps forking is not followed for ever. */
  maxForkSearches?: number
}

export type RoundOutcome = 'no-source' | 'no-anchor' | 'synced' | 'behind' | 'failed'

const hex = (n: bigint): string => '0x' + n.toString(16)

/** A block object that does not decode or whose hash does not match: the source lied (or is broken). */
class SourceLied extends Error {
  readonly source: SourceRef
  readonly number: bigint
  constructor (source: SourceRef, number: bigint, message: string) {
    super(message)
    this.source = source
    this.number = number
  }
}

export function createUpstreamSync (core: SyncCore, pool: UpstreamPool, init: UpstreamSyncInit) {
  const log = core.log
  const maxForkSearches = init.maxForkSearches ?? 4
  let lastCrossCheck: { number: number, agreed: boolean, atMs: number, sources: string[] } | undefined
  let lastForkLogged: string | undefined

  /** Headers `from`, `from + 1`, … up to `count` from `source`, stopping at the first it lacks. */
  const fetchRange = async (source: SourceRef, from: bigint, count: number, signal: AbortSignal): Promise<Header[]> => {
    const requests = Array.from({ length: count }, (_, i) => ({ method: 'eth_getBlockByNumber', params: [hex(from + BigInt(i)), false] }))
    const outcomes = await pool.batchOn(source, requests, { signal })
    const out: Header[] = []
    for (const [i, o] of outcomes.entries()) {
      if (!o.ok || o.result === null) break
      const want = from + BigInt(i)
      let h: Header
      try {
        h = headerFromRpc(o.result, { checkHash: true })
      } catch (err) {
        if (err instanceof ChainInputError) throw new SourceLied(source, want, `block ${want}: ${err.message}`)
        throw err
      }
      if (h.number !== want) throw new SourceLied(source, want, `asked for block ${want}, got block ${h.number}`)
      out.push(h)
    }
    return out
  }

  const liar = (err: SourceLied): void => {
    core.fail({ code: ErrorCode.CHAIN_HEADER_INVALID, rule: 'hash', number: Number(err.number), message: err.message, source: err.source.url })
    core.counters.refused++
    log.warn('Chain headers refused', { rule: 'hash', number: Number(err.number), reason: err.message, source: err.source.url })
    pool.demote(err.source, err.message)
  }

  /** The anchor header from `source`; true when we have one after the call. */
  const ensureAnchor = async (source: SourceRef, signal: AbortSignal): Promise<boolean> => {
    if (core.store.anchor() !== undefined) return true
    const rec = core.store.anchorRecord()
    if (rec === undefined) return false
    const [h] = await fetchRange(source, rec.number, 1, signal)
    if (h === undefined) return false // the source has not reached it yet
    if (rec.hash !== undefined && hashOf(h) !== rec.hash) {
      pool.demote(source, `its block ${rec.number} is ${hashOf(h)}, not our anchor ${rec.hash}`)
      return false
    }
    await core.exclusive(async () => { if (core.store.anchor() === undefined) await core.store.setAnchorHeader(h) })
    const a = core.store.anchor() as StoredHeader
    if (rec.kind === 'first-upstream') log.warn('Chain anchor taken from upstream', { number: Number(a.number), hash: a.hash, source: source.url, why: 'the dev chain has no fixed genesis; set chain.checkpoint to pin one' })
    else log.info('Chain anchor set', { number: Number(a.number), hash: a.hash, kind: rec.kind, source: source.url })
    core.anchorSet()
    return true
  }

  /**
   * Walks back from block `from` on `source` to the highest block where its hash equals ours, never
   * below the window. Returns that ancestor and the source's headers above it, or undefined.
   */
  const findForkPoint = async (source: SourceRef, from: bigint, signal: AbortSignal): Promise<{ ancestor: StoredHeader, above: Header[] } | undefined> => {
    const anchor = core.store.anchor() as StoredHeader
    const floor = windowBottom(core.store.head()?.number ?? from, anchor.number, core.windowHeaders)
    let above: Header[] = []
    let top = from
    while (top >= floor) {
      const lo = top - BigInt(init.batchSize) + 1n > floor ? top - BigInt(init.batchSize) + 1n : floor
      const theirs = await fetchRange(source, lo, Number(top - lo + 1n), signal)
      if (theirs.length !== Number(top - lo + 1n)) return undefined // the source lost blocks it had: try later
      for (let i = theirs.length - 1; i >= 0; i--) {
        const h = theirs[i] as Header
        const ours = await core.store.canonicalHash(h.number)
        if (ours === hashOf(h)) {
          const ancestor = await core.store.byHash(ours)
          if (ancestor === undefined) return undefined
          return { ancestor, above: [...theirs.slice(i + 1), ...above] }
        }
      }
      above = [...theirs, ...above]
      top = lo - 1n
    }
    return undefined
  }

  /**
   * Does `source`'s chain contain our anchor? When it does not, a first-upstream anchor is
   * learned again (the dev chain restarted) and any other source is demoted: it serves another
   * chain, or a fork from before our checkpoint.
   */
  const hasOurAnchor = async (source: SourceRef, signal: AbortSignal): Promise<boolean> => {
    const rec = core.store.anchorRecord()
    if (rec?.hash === undefined) return true
    const [theirs] = await fetchRange(source, rec.number, 1, signal)
    if (theirs === undefined || hashOf(theirs) === rec.hash) return true
    if (rec.kind === 'first-upstream' && init.onAnchorConflict !== undefined) init.onAnchorConflict(hashOf(theirs))
    else pool.demote(source, `its block ${rec.number} is ${hashOf(theirs)}, not our anchor ${rec.hash}: another chain, or a fork before our checkpoint`)
    return false
  }

  /**
   * Brings our chain up to `target` along `source`'s chain. Returns false when the source was
   * refused (demoted or backing off) on the way.
   */
  const follow = async (source: SourceRef, target: bigint, signal: AbortSignal): Promise<boolean> => {
    let cursor = core.store.head() as StoredHeader
    let forkSearches = 0
    let headChecked = false
    let pending: Header[] = []
    /** The next batch, asked for while the current one is verified and stored. */
    let ahead: { from: bigint, headers: Promise<Header[]> } | undefined
    const batchFrom = (from: bigint): Promise<Header[]> => {
      const count = Number(target - from + 1n < BigInt(init.batchSize) ? target - from + 1n : BigInt(init.batchSize))
      return fetchRange(source, from, count, signal)
    }
    const drop = (): void => { void ahead?.headers.catch(() => undefined); ahead = undefined }
    try {
      while (!signal.aborted) {
        let forkAt: bigint | undefined
        if (pending.length === 0 && cursor.number >= target) {
          // Not ahead of us: its head must be on our chain, else it is on a fork (or another chain).
          if (headChecked) return true
          headChecked = true
          const [theirs] = await fetchRange(source, target, 1, signal)
          if (theirs === undefined || await core.store.canonicalHash(target) === hashOf(theirs)) return true
          forkAt = target
        }
        if (pending.length === 0 && forkAt === undefined) {
          const from = cursor.number + 1n
          pending = ahead?.from === from ? await ahead.headers : await batchFrom(from)
          ahead = undefined
          if (pending.length === 0) return true // the source does not have more yet
        }
        const first = pending[0]
        if (forkAt !== undefined || (first !== undefined && bytesToHex(first.parentHash) !== cursor.hash)) {
          if (++forkSearches > maxForkSearches) {
            pool.backoff(source, `its chain forked from ours ${forkSearches - 1} times in one round`)
            return false
          }
          const at = forkAt ?? cursor.number
          const fork = await findForkPoint(source, at, signal)
          if (fork === undefined && !await hasOurAnchor(source, signal)) return false
          if (fork === undefined) {
            const message = `its chain forks off ours further back than the ${core.windowHeaders} kept headers (chain.windowHeaders), or lost blocks`
            core.fail({ code: ErrorCode.CHAIN_REORG_TOO_DEEP, rule: null, number: Number(at), message, source: source.url })
            log.warn('Chain reorg refused', { source: source.url, at: Number(at), windowHeaders: core.windowHeaders })
            pool.backoff(source, message)
            return false
          }
          const forkKey = `${source.url} ${fork.ancestor.hash} ${String(fork.above.length)}`
          if (forkKey !== lastForkLogged) log.info('Chain fork found', { source: source.url, ancestor: Number(fork.ancestor.number), ourHead: Number(core.store.head()?.number ?? 0n), theirBlocks: fork.above.length })
          lastForkLogged = forkKey
          cursor = fork.ancestor
          pending = fork.above
          if (pending.length === 0) return true
          continue
        }
        const batch = pending
        pending = []
        const next = (batch[batch.length - 1] as Header).number + 1n
        drop()
        if (next <= target) ahead = { from: next, headers: batchFrom(next) }
        const skipBelow = target - BigInt(core.windowHeaders) + 1n
        const r = await core.exclusive(async () => await core.accept(cursor, batch, 'upstream', source.url, skipBelow, signal))
        if (r.insert?.refused !== undefined) {
          pool.backoff(source, r.insert.refused.message)
          return false
        }
        if (r.failure !== undefined) {
          if (r.failure.rule === 'future') {
            log.info('Chain header from the future', { number: Number(r.failure.number), reason: r.failure.message, source: source.url })
            return true
          }
          pool.demote(source, `${r.failure.rule}: ${r.failure.message}`)
          return false
        }
        if (r.insert?.tip === undefined) return true
        cursor = r.insert.tip
      }
      return true
    } finally {
      drop()
    }
  }

  /** Is our head on `other`'s chain? If not, verify its branch too and let fork choice decide. */
  const crossCheck = async (main: SourceRef, other: SourceRef, signal: AbortSignal): Promise<void> => {
    const head = core.store.head()
    const theirHead = pool.headOf(other)
    if (head === undefined || theirHead === undefined) return
    const n = theirHead < head.number ? theirHead : head.number
    const [theirs] = await fetchRange(other, n, 1, signal)
    if (theirs === undefined) return
    const ours = await core.store.canonicalHash(n)
    const agreed = ours === hashOf(theirs)
    lastCrossCheck = { number: Number(n), agreed, atMs: core.now(), sources: [main.url, other.url] }
    if (agreed) return
    log.warn('Upstream sources disagree', { number: Number(n), ours: ours ?? null, theirs: hashOf(theirs), main: main.url, other: other.url })
    await follow(other, theirHead, signal)
  }

  return {
    crossCheck: () => lastCrossCheck,
    async round (signal: AbortSignal): Promise<RoundOutcome> {
      await pool.probe({ signal })
      const ranked = pool.ranked()
      const best = ranked[0]
      if (best === undefined) return 'no-source'
      try {
        if (!await ensureAnchor(best, signal)) return 'no-anchor'
        const target = pool.headOf(best)
        if (target === undefined) return 'failed'
        core.noteTarget(target)
        const ok = await follow(best, target, signal)
        const second = pool.ranked().find(s => s.id !== best.id)
        if (ok && second !== undefined) {
          try {
            await crossCheck(best, second, signal)
          } catch (err) {
            if (signal.aborted) throw err
            if (err instanceof SourceLied) liar(err)
            else log.debug('Chain cross-check failed', { source: second.url, reason: errorMessage(err) })
          }
        }
        const head = core.store.head()
        return !ok ? 'failed' : head !== undefined && head.number >= target ? 'synced' : 'behind'
      } catch (err) {
        if (signal.aborted) throw err
        if (err instanceof SourceLied) { liar(err); return 'failed' }
        // Transport failures were recorded (and logged) by the pool.
        log.debug('Chain sync round failed', { source: best.url, reason: errorMessage(err) })
        return 'failed'
      }
    }
  }
}

export type UpstreamSync = ReturnType<typeof createUpstreamSync>
