/**
 * The last verified state values, in memory and durably in LMDB, so an offline box can still
 * answer with an honest "this is what it was at block N, T ms ago", and a verified value is not
 * fetched twice for the same block.
 *
 * Bounded in entries and bytes: the oldest-written entries go first (bucket `chainStateAge`
 * orders them by a write sequence, not the clock, which routers without an RTC cannot trust).
 * Writes are spared for flash: an unchanged value re-verified at a newer block is rewritten at
 * most every `persistIntervalMs`; a changed value at once.
 */
import { errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { Bucket, bucketKey, bucketPrefix } from '../../store/buckets.js'
import type { BatchOp, Store } from '../../store/store.js'
import type { Hex } from './types.js'

export type CacheKind = 'account' | 'storage' | 'code'
export type CachedValue = string | Record<string, string | boolean>

export interface CacheEntry {
  kind: CacheKind
  address: Hex
  slot?: Hex
  /** The value in JSON form (the reader owns the codec per kind). */
  value: CachedValue
  level: 'proof' | 'agreement'
  blockNumber: bigint
  blockHash: Hex
  verifiedAtMs: number
  sources: string[]
}

export interface StateCacheInit {
  maxEntries: number
  maxBytes: number
  persistIntervalMs: number
  now: () => number
}

export interface StateCache {
  get: (kind: CacheKind, address: string, slot?: string) => Promise<CacheEntry | undefined>
  put: (entry: CacheEntry) => Promise<void>
  stats: () => Promise<{ entries: number, bytes: number }>
}

interface Held { entry: CacheEntry, seq: bigint, bytes: number, persistedAtMs: number, persistedValue: string, persistedLevel: string }

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function seqBytes (seq: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, seq)
  return out
}

function idOf (kind: CacheKind, address: string, slot?: string): Uint8Array {
  const a = address.toLowerCase()
  return slot === undefined ? bucketKey(Bucket.chainState, kind, a) : bucketKey(Bucket.chainState, kind, a, slot.toLowerCase())
}

/** `<chainStateAge><seq 8 bytes>0x00<id without its bucket byte>` */
function ageKey (seq: bigint, id: Uint8Array): Uint8Array {
  return bucketKey(Bucket.chainStateAge, seqBytes(seq), id.subarray(1))
}

function parse (bytes: Uint8Array): { entry: CacheEntry, seq: bigint } | undefined {
  try {
    const o = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>
    if (o.v !== 1 || typeof o.blockNumber !== 'string' || typeof o.seq !== 'string') return undefined
    const entry: CacheEntry = {
      kind: o.kind as CacheKind,
      address: o.address as Hex,
      ...(typeof o.slot === 'string' ? { slot: o.slot as Hex } : {}),
      value: o.value as CachedValue,
      level: o.level === 'agreement' ? 'agreement' : 'proof',
      blockNumber: BigInt(o.blockNumber),
      blockHash: o.blockHash as Hex,
      verifiedAtMs: Number(o.verifiedAtMs),
      sources: Array.isArray(o.sources) ? o.sources.map(String) : []
    }
    return { entry, seq: BigInt(o.seq) }
  } catch {
    return undefined
  }
}

export function createStateCache (store: Store, logger: Logger, init: StateCacheInit): StateCache {
  const memory = new Map<string, Held>()
  let loaded: Promise<void> | undefined
  let entries = 0
  let bytes = 0
  let nextSeq = 0n

  // Counts what is on disk once, so the bounds hold across restarts.
  const load = async (): Promise<void> => {
    for await (const [key, value] of store.range(bucketPrefix(Bucket.chainStateAge))) {
      entries++
      bytes += value.length === 4 ? new DataView(value.buffer, value.byteOffset, 4).getUint32(0) : 0
      const seq = new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0)
      if (seq >= nextSeq) nextSeq = seq + 1n
    }
  }
  const ready = async (): Promise<void> => { loaded ??= load(); await loaded }

  const remember = (idHex: string, held: Held): void => {
    memory.delete(idHex)
    memory.set(idHex, held)
    if (memory.size > init.maxEntries) {
      const oldest = memory.keys().next()
      if (oldest.done !== true) memory.delete(oldest.value)
    }
  }

  const read = async (id: Uint8Array): Promise<Held | undefined> => {
    const idHex = Buffer.from(id).toString('hex')
    const hit = memory.get(idHex)
    if (hit !== undefined) return hit
    const raw = await store.get(id)
    const parsed = raw === undefined ? undefined : parse(raw)
    if (parsed === undefined) return undefined
    const held: Held = {
      entry: parsed.entry,
      seq: parsed.seq,
      bytes: raw?.length ?? 0,
      persistedAtMs: parsed.entry.verifiedAtMs,
      persistedValue: JSON.stringify(parsed.entry.value),
      persistedLevel: parsed.entry.level
    }
    remember(idHex, held)
    return held
  }

  const evict = async (): Promise<void> => {
    while (entries > init.maxEntries || bytes > init.maxBytes) {
      const ops: BatchOp[] = []
      let freedEntries = 0
      let freedBytes = 0
      for await (const [key, value] of store.range(bucketPrefix(Bucket.chainStateAge), { limit: 32 })) {
        const id = Uint8Array.of(Bucket.chainState, ...key.subarray(10))
        ops.push({ type: 'delete', key }, { type: 'delete', key: id })
        memory.delete(Buffer.from(id).toString('hex'))
        freedEntries++
        freedBytes += value.length === 4 ? new DataView(value.buffer, value.byteOffset, 4).getUint32(0) : 0
        if (entries - freedEntries <= init.maxEntries && bytes - freedBytes <= init.maxBytes) break
      }
      if (ops.length === 0) { entries = 0; bytes = 0; return }
      await store.batch(ops)
      entries -= freedEntries
      bytes -= freedBytes
    }
  }

  // Puts run one at a time: each reads the entry it replaces and adjusts the counts.
  let queue: Promise<void> = Promise.resolve()
  const serial = async (job: () => Promise<void>): Promise<void> => {
    const run = queue.then(job, job)
    queue = run.catch(() => undefined)
    await run
  }

  return {
    async get (kind, address, slot) {
      await ready()
      return (await read(idOf(kind, address, slot)))?.entry
    },

    async put (entry) { await serial(async () => { await write(entry) }) },

    async stats () {
      await ready()
      return { entries, bytes }
    }
  }

  async function write (entry: CacheEntry): Promise<void> {
    await ready()
    const id = idOf(entry.kind, entry.address, entry.slot)
    const idHex = Buffer.from(id).toString('hex')
    const held = await read(id)
    if (held !== undefined && entry.blockNumber < held.entry.blockNumber) return // keep the newest block's value
    const valueJson = JSON.stringify(entry.value)
    const persist = held === undefined || held.persistedValue !== valueJson || held.persistedLevel !== entry.level ||
      init.now() - held.persistedAtMs >= init.persistIntervalMs
    if (!persist) {
      remember(idHex, { ...held, entry })
      return
    }
    const seq = nextSeq++
    const record = encoder.encode(JSON.stringify({
      v: 1, ...entry, blockNumber: '0x' + entry.blockNumber.toString(16), seq: seq.toString()
    }))
    const size = new Uint8Array(4)
    new DataView(size.buffer).setUint32(0, record.length)
    const ops: BatchOp[] = [{ type: 'put', key: id, value: record }, { type: 'put', key: ageKey(seq, id), value: size }]
    if (held !== undefined) {
      ops.push({ type: 'delete', key: ageKey(held.seq, id) })
      entries--
      bytes -= held.bytes
    }
    try {
      await store.batch(ops)
    } catch (err) {
      logger.warn('State cache write failed', { kind: entry.kind, address: entry.address, error: errorMessage(err) })
      if (held !== undefined) { entries++; bytes += held.bytes }
      return
    }
    entries++
    bytes += record.length
    remember(idHex, { entry, seq, bytes: record.length, persistedAtMs: init.now(), persistedValue: valueJson, persistedLevel: entry.level })
    await evict()
  }
}
