/**
 * Verified headers on LMDB (buckets chainHeaders, chainCanonical, chainMeta): every branch by
 * hash with its total difficulty, the canonical chain by number, the anchor and the head. A
 * rolling window of `windowHeaders` recent headers is kept in full; older ones are pruned down to
 * one in CHECKPOINT_EVERY in batched commits. Reorgs inside the window follow fork choice
 * (fork.ts) and log `Chain reorg` with the depth; deeper ones and anything at or below the anchor
 * are refused. Callers verify headers before `insert`: this file only stores and chooses.
 * Layout: README.md, "Store layout".
 */
import { bigintToBytes, bytesToBigint, bytesToHex } from '../bytes.js'
import type { Header } from '../header.js'
import type { SealEngineName } from '../presets.js'
import { AgentError, ErrorCode } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { Bucket, bucketPrefix } from '../../store/buckets.js'
import type { BatchOp, Store } from '../../store/store.js'
import { isKeptBelowWindow, prefersCandidate, pruneRange, reorgAllowed, windowBottom } from './fork.js'
import {
  canonicalKey, decodeValue, encodeValue, hashBytes, hashOf, headerKey, MAX_TD, META_ANCHOR, META_HEAD, META_HEAD_ORIGIN, META_PRUNED, META_SIDE,
  metaKey, sideKey, type AnchorRecord, type HeadOrigin, type Hex, type InsertOptions, type InsertResult, type Reorg, type StoredHeader
} from './store-layout.js'

export { hashOf, numberKey } from './store-layout.js'
export type { AnchorRecord, HeadOrigin, Hex, InsertOptions, InsertResult, Reorg, StoredHeader } from './store-layout.js'

const enc = new TextEncoder()
const dec = new TextDecoder()

export interface HeaderStoreComponents { store: Store, logger: Logger }
export interface HeaderStoreInit {
  windowHeaders: number
  engine: SealEngineName
  /** Recent headers kept decoded in memory for the broadcast validator (default 512). */
  hotHeaders?: number
}

export interface HeaderStore {
  /** Loads the anchor record, the anchor header and the head. */
  open: () => Promise<void>
  anchorRecord: () => AnchorRecord | undefined
  /** The anchor header, once known. */
  anchor: () => StoredHeader | undefined
  head: () => StoredHeader | undefined
  /** How and when the head was verified (survives restarts). */
  headOrigin: () => HeadOrigin | undefined
  /** Deletes every chain entry and records a new anchor (without its header yet). */
  reset: (record: AnchorRecord) => Promise<void>
  /** Stores the anchor header; its hash must match the record's (a first-upstream record takes it). */
  setAnchorHeader: (header: Header) => Promise<StoredHeader>
  /** Moves the anchor forward to a canonical header (a newer checkpoint in config). */
  moveAnchor: (record: AnchorRecord & { hash: Hex }) => Promise<void>
  byHash: (hash: Hex) => Promise<StoredHeader | undefined>
  /** From the in-memory set of recent headers only (synchronous, for validators). */
  cached: (hash: Hex) => StoredHeader | undefined
  canonicalHash: (n: bigint) => Promise<Hex | undefined>
  byNumber: (n: bigint) => Promise<StoredHeader | undefined>
  /** Stores `headers`, already verified as a chain on top of `parent`, and applies fork choice. */
  insert: (parent: StoredHeader, headers: readonly Header[], options?: InsertOptions) => Promise<InsertResult>
  /** Prunes what fell out of the window, if a batch is due; returns how many headers were deleted. */
  prune: () => Promise<number>
  /** Side-branch headers kept (not canonical). */
  sideCount: () => number
}


export function createHeaderStore (c: HeaderStoreComponents, init: HeaderStoreInit): HeaderStore {
  const db = c.store
  const log = c.logger
  const hotMax = init.hotHeaders ?? 512
  const hot = new Map<Hex, StoredHeader>()
  let anchorRec: AnchorRecord | undefined
  let anchorHeader: StoredHeader | undefined
  let headHeader: StoredHeader | undefined
  let prunedBelow = 0n
  let sides = 0
  let origin: HeadOrigin | undefined

  const remember = (s: StoredHeader): void => {
    hot.delete(s.hash)
    hot.set(s.hash, s)
    if (hot.size > hotMax) hot.delete(hot.keys().next().value as Hex)
  }

  const byHash = async (hash: Hex): Promise<StoredHeader | undefined> => {
    const h = hash.toLowerCase() as Hex
    const cachedHit = hot.get(h)
    if (cachedHit !== undefined) return cachedHit
    if (!/^0x[0-9a-f]{64}$/.test(h)) return undefined
    const value = await db.get(headerKey(h))
    if (value === undefined) return undefined
    const s = decodeValue(h, value)
    remember(s)
    return s
  }

  const canonicalHash = async (n: bigint): Promise<Hex | undefined> => {
    if (n < 0n || n >= 1n << 64n) return undefined
    const v = await db.get(canonicalKey(n))
    return v === undefined ? undefined : bytesToHex(v)
  }

  const writeAnchorRecord = (r: AnchorRecord): BatchOp => ({
    type: 'put',
    key: metaKey(META_ANCHOR),
    value: enc.encode(JSON.stringify({ preset: r.preset, chainId: r.chainId, number: r.number.toString(), hash: r.hash ?? null, kind: r.kind }))
  })

  const readAnchorRecord = async (): Promise<AnchorRecord | undefined> => {
    const v = await db.get(metaKey(META_ANCHOR))
    if (v === undefined) return undefined
    const o = JSON.parse(dec.decode(v)) as { preset: string, chainId: string, number: string, hash: Hex | null, kind: AnchorRecord['kind'] }
    return { preset: o.preset, chainId: o.chainId, number: BigInt(o.number), hash: o.hash ?? undefined, kind: o.kind }
  }

  const deleteAll = async (): Promise<void> => {
    for (const bucket of [Bucket.chainHeaders, Bucket.chainCanonical, Bucket.chainMeta] as const) {
      for (;;) {
        const ops: BatchOp[] = []
        for await (const [key] of db.range(bucketPrefix(bucket), { limit: 4096 })) ops.push({ type: 'delete', key })
        if (ops.length === 0) break
        await db.batch(ops)
      }
    }
  }

  /** Walks back from `from` to the canonical chain; returns the ancestor and the branch above it (oldest first). */
  const findAncestor = async (from: StoredHeader, floor: bigint): Promise<{ ancestor: StoredHeader, branch: StoredHeader[] } | undefined> => {
    const branch: StoredHeader[] = []
    let at: StoredHeader | undefined = from
    while (at !== undefined) {
      if (await canonicalHash(at.number) === at.hash) return { ancestor: at, branch: branch.reverse() }
      if (at.number <= floor) return undefined
      branch.push(at)
      at = await byHash(bytesToHex(at.header.parentHash))
    }
    return undefined
  }

  const refuseHeader = (message: string, head: StoredHeader): InsertResult =>
    ({ stored: 0, headChanged: false, head, refused: new AgentError(ErrorCode.CHAIN_HEADER_REFUSED, message) })

  const refuse = (code: typeof ErrorCode.CHAIN_REORG_TOO_DEEP | typeof ErrorCode.CHAIN_BELOW_ANCHOR, message: string, head: StoredHeader): InsertResult =>
    ({ stored: 0, headChanged: false, head, refused: new AgentError(code, message) })

  /**
   * Deletes for every canonical header below `limit` that `keep` does not keep, and every side
   * branch below it. Walks the canonical bucket in number order: what was pruned before is only
   * the kept checkpoints, one in 1024.
   */
  const pruneOps = async (limit: bigint, keep: (n: bigint) => boolean): Promise<BatchOp[]> => {
    const ops: BatchOp[] = []
    for await (const [key, value] of db.range(bucketPrefix(Bucket.chainCanonical))) {
      const n = new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0)
      if (n >= limit) break
      if (keep(n)) continue
      const h = bytesToHex(value)
      ops.push({ type: 'delete', key }, { type: 'delete', key: headerKey(h) })
      hot.delete(h)
    }
    for await (const [key] of db.range(bucketPrefix(Bucket.chainMeta, META_SIDE))) {
      const tail = key.subarray(key.length - 40)
      const n = new DataView(tail.buffer, tail.byteOffset, 8).getBigUint64(0)
      if (n >= limit) break
      const h = bytesToHex(tail.subarray(8))
      ops.push({ type: 'delete', key })
      // A side entry left over from a reorg back to that branch must not take a canonical header with it.
      if (await canonicalHash(n) !== h) ops.push({ type: 'delete', key: headerKey(h) })
      hot.delete(h)
      sides--
    }
    return ops
  }

  const headerOrUndefined = (): StoredHeader | undefined => headHeader

  const liveHead = (): StoredHeader => {
    if (headHeader === undefined || anchorHeader === undefined) throw new AgentError(ErrorCode.INTERNAL, 'the header store has no anchor header yet')
    return headHeader
  }

  return {
    async open () {
      hot.clear()
      anchorRec = await readAnchorRecord()
      anchorHeader = undefined
      headHeader = undefined
      prunedBelow = 0n
      sides = 0
      if (anchorRec?.hash !== undefined) anchorHeader = await byHash(anchorRec.hash)
      const headHash = await db.get(metaKey(META_HEAD))
      if (headHash !== undefined) headHeader = await byHash(bytesToHex(headHash))
      if (anchorHeader !== undefined && headHeader === undefined) headHeader = anchorHeader
      const o = await db.get(metaKey(META_HEAD_ORIGIN))
      origin = o === undefined ? undefined : JSON.parse(dec.decode(o)) as HeadOrigin
      const pruned = await db.get(metaKey(META_PRUNED))
      if (pruned !== undefined) prunedBelow = bytesToBigint(pruned)
      for await (const _ of db.range(bucketPrefix(Bucket.chainMeta, META_SIDE))) sides++
    },
    anchorRecord: () => anchorRec,
    anchor: () => anchorHeader,
    head: () => headHeader,
    headOrigin: () => origin,
    async reset (record) {
      await deleteAll()
      hot.clear()
      await db.batch([writeAnchorRecord(record)])
      anchorRec = record
      anchorHeader = undefined
      headHeader = undefined
      prunedBelow = 0n
      sides = 0
      origin = undefined
    },
    async setAnchorHeader (header) {
      if (anchorRec === undefined) throw new AgentError(ErrorCode.INTERNAL, 'no anchor record')
      const hash = hashOf(header)
      if (header.number !== anchorRec.number) throw new AgentError(ErrorCode.CHAIN_HEADER_REFUSED, `header ${header.number} is not the anchor, block ${anchorRec.number}`)
      if (anchorRec.hash !== undefined && anchorRec.hash !== hash) {
        throw new AgentError(ErrorCode.CHAIN_HEADER_REFUSED, `block ${header.number} hashes to ${hash}, not the anchor ${anchorRec.hash}`)
      }
      const s: StoredHeader = { number: header.number, hash, header, td: 0n }
      anchorRec = { ...anchorRec, hash }
      await db.batch([
        writeAnchorRecord(anchorRec),
        { type: 'put', key: headerKey(hash), value: encodeValue(0n, header) },
        { type: 'put', key: canonicalKey(header.number), value: hashBytes(hash) },
        { type: 'put', key: metaKey(META_HEAD), value: hashBytes(hash) }
      ])
      anchorHeader = s
      headHeader = s
      remember(s)
      return s
    },
    async moveAnchor (record) {
      const target = await byHash(record.hash)
      if (target === undefined || await canonicalHash(record.number) !== record.hash) {
        throw new AgentError(ErrorCode.INTERNAL, `block ${record.number} ${record.hash} is not on the stored canonical chain`)
      }
      // Below the new anchor nothing is needed any more.
      const ops = [writeAnchorRecord(record), ...await pruneOps(record.number, () => false)]
      await db.batch(ops)
      anchorRec = record
      anchorHeader = target
      if (prunedBelow < record.number) prunedBelow = record.number
    },
    byHash,
    cached: (hash) => hot.get(hash.toLowerCase() as Hex),
    canonicalHash,
    async byNumber (n) {
      const h = await canonicalHash(n)
      return h === undefined ? undefined : await byHash(h)
    },
    async insert (parent, headers, options = {}) {
      const cur = liveHead()
      const anchor = anchorHeader as StoredHeader
      const first = headers[0]
      if (first === undefined) return { stored: 0, headChanged: false, head: cur }
      if (first.number <= anchor.number) {
        return refuse(ErrorCode.CHAIN_BELOW_ANCHOR, `header ${first.number} is at or below the anchor, block ${anchor.number}`, cur)
      }
      const items: StoredHeader[] = []
      let td = parent.td
      for (const h of headers) {
        td += h.difficulty
        if (td > MAX_TD) return refuseHeader(`header ${h.number}: total difficulty exceeds 2^256`, cur)
        items.push({ number: h.number, hash: hashOf(h), header: h, td })
      }
      const tip = items[items.length - 1] as StoredHeader
      const extends_ = parent.hash === cur.hash
      const wins = tip.hash !== cur.hash && prefersCandidate(init.engine, cur, tip)
      const ops: BatchOp[] = []
      let reorg: Reorg | undefined
      let sideDelta = 0

      // Known headers are not written again (flash wear); the skip rule only while extending.
      const fresh: StoredHeader[] = []
      for (const s of items) {
        if (hot.has(s.hash)) continue
        if (await db.get(headerKey(s.hash)) !== undefined) continue
        fresh.push(s)
      }
      const skip = (s: StoredHeader): boolean => extends_ && wins && options.skipBelow !== undefined &&
        s.number < options.skipBelow && s !== tip && !isKeptBelowWindow(s.number, anchor.number)
      const written = fresh.filter(s => !skip(s))
      for (const s of written) ops.push({ type: 'put', key: headerKey(s.hash), value: encodeValue(s.td, s.header) })

      if (wins) {
        // Known headers of the winning branch may have been side-branch ones.
        for (const s of items) {
          if (fresh.includes(s) || await db.get(sideKey(s.number, s.hash)) === undefined) continue
          ops.push({ type: 'delete', key: sideKey(s.number, s.hash) })
          sideDelta--
        }
      }
      if (wins && extends_) {
        for (const s of items) if (!skip(s)) ops.push({ type: 'put', key: canonicalKey(s.number), value: hashBytes(s.hash) })
      } else if (wins) {
        const found = await findAncestor(parent, windowBottom(cur.number, anchor.number, init.windowHeaders) - 1n)
        if (found === undefined || !reorgAllowed(found.ancestor.number, cur.number, anchor.number, init.windowHeaders)) {
          const message = `a heavier branch to block ${tip.number} (${tip.hash}) forks off more than ${init.windowHeaders} headers (chain.windowHeaders) below the head ${cur.number}`
          log.warn('Chain reorg refused', { head: Number(cur.number), candidate: Number(tip.number), candidateHash: tip.hash, windowHeaders: init.windowHeaders })
          return refuse(ErrorCode.CHAIN_REORG_TOO_DEEP, message, cur)
        }
        const { ancestor, branch } = found
        for (const s of [...branch, ...items]) {
          ops.push({ type: 'put', key: canonicalKey(s.number), value: hashBytes(s.hash) })
          if (branch.includes(s)) { ops.push({ type: 'delete', key: sideKey(s.number, s.hash) }); sideDelta-- }
        }
        for (let n = ancestor.number + 1n; n <= cur.number; n++) {
          const old = await canonicalHash(n)
          if (old !== undefined) { ops.push({ type: 'put', key: sideKey(n, old), value: new Uint8Array(0) }); sideDelta++ }
          if (n > tip.number) ops.push({ type: 'delete', key: canonicalKey(n) })
        }
        reorg = { depth: Number(cur.number - ancestor.number), ancestor, oldHead: cur, newHead: tip }
      } else {
        if (parent.number < windowBottom(cur.number, anchor.number, init.windowHeaders) - 1n) {
          return refuse(ErrorCode.CHAIN_REORG_TOO_DEEP, `a branch from block ${parent.number} forks off below the kept window (head ${cur.number}, chain.windowHeaders ${init.windowHeaders})`, cur)
        }
        if (sides + fresh.length > init.windowHeaders) {
          return refuse(ErrorCode.CHAIN_REORG_TOO_DEEP, `side branches already hold ${sides} headers, the most kept is chain.windowHeaders (${init.windowHeaders})`, cur)
        }
        for (const s of fresh) {
          if (await canonicalHash(s.number) === s.hash) continue
          ops.push({ type: 'put', key: sideKey(s.number, s.hash), value: new Uint8Array(0) })
          sideDelta++
        }
      }
      if (wins) ops.push({ type: 'put', key: metaKey(META_HEAD), value: hashBytes(tip.hash) })
      if (wins && options.origin !== undefined) ops.push({ type: 'put', key: metaKey(META_HEAD_ORIGIN), value: enc.encode(JSON.stringify(options.origin)) })
      if (ops.length > 0) await db.batch(ops)
      sides += sideDelta
      for (const s of items) if (!skip(s)) remember(s)
      if (wins) headHeader = tip
      if (wins && options.origin !== undefined) origin = options.origin
      if (reorg !== undefined) {
        log.info('Chain reorg', { depth: reorg.depth, ancestor: Number(reorg.ancestor.number), oldHead: Number(reorg.oldHead.number), oldHash: reorg.oldHead.hash, newHead: Number(tip.number), newHash: tip.hash })
      }
      return { stored: written.length, headChanged: wins, head: headHeader as StoredHeader, tip, ...(reorg !== undefined ? { reorg } : {}) }
    },
    async prune () {
      const head = headerOrUndefined()
      const anchor = anchorHeader
      if (head === undefined || anchor === undefined) return 0
      const range = pruneRange(prunedBelow, head.number, anchor.number, init.windowHeaders)
      if (range === undefined) return 0
      const ops = await pruneOps(range.to, n => isKeptBelowWindow(n, anchor.number))
      ops.push({ type: 'put', key: metaKey(META_PRUNED), value: bigintToBytes(range.to) })
      await db.batch(ops)
      prunedBelow = range.to
      const deleted = ops.filter(op => op.type === 'delete' && op.key[0] === Bucket.chainHeaders).length
      log.debug('Chain headers pruned', { below: Number(range.to), deleted })
      return deleted
    },
    sideCount: () => sides
  }
}
