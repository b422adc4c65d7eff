/**
 * Taking custody of offered envelopes (agent/mesh/messages/receive.ts + queue.ts + ledger.ts) on
 * a real LMDB store in a temp dir, with real keys and no libp2p: delivery to this box (inbox,
 * seen id, receipt queued, all at once), duplicates and concurrent duplicates, forgeries,
 * replays after the seen id is pruned, transit custody with hop counting and TTL capping,
 * quotas, the hop limit, a full inbox, receipts for our own messages, and a restart.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createLogger, silentLogger } from '../../agent/log/logger.js'
import { makeReceipt, newMessageId, sealMessage, verifyEnvelope, type Envelope, type EnvelopeLimits } from '../../agent/mesh/messages/envelope.js'
import { inboxRecords, isSeen, prune, readSent, sentOp, type InboxRecord, type SentRecord } from '../../agent/mesh/messages/ledger.js'
import { createMessageQueue, type MessageQueue, type QueueEntry } from '../../agent/mesh/messages/queue.js'
import type { QuotaLimits } from '../../agent/mesh/messages/quota.js'
import { createReceiver, type Receiver } from '../../agent/mesh/messages/receive.js'
import type { Ack, Offer } from '../../agent/mesh/messages/transfer.js'
import { Bucket, bucketKey, bucketPrefix } from '../../agent/store/buckets.js'
import { createLmdbStore } from '../../agent/store/lmdb-store.js'
import type { Store } from '../../agent/store/store.js'
import { newBox, resign, type Box } from '../helpers/message-forge.js'
import { tempDir } from '../helpers/tmp.js'

const MOUNTS = new URL('../fixtures/mounts/debian-ext4.txt', import.meta.url).pathname
const T0 = 1_763_700_000_000
const SKEW = 600_000
const TTL = 3_600_000
const ENVELOPE: EnvelopeLimits = { maxPayloadBytes: 64 * 1024, maxTtlMs: 7 * 86_400_000 }
const ROOMY: QuotaLimits = { maxStoredBytes: 16 * 1024 * 1024, maxStoredMessages: 10_000, maxBytesPerSource: 2 * 1024 * 1024, maxBytesPerDestination: 4 * 1024 * 1024 }
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

// A, C, D, E, F: other boxes; B: the box under test (unless a test says otherwise).
const [A, B, C, D, E, F] = await Promise.all([newBox(), newBox(), newBox(), newBox(), newBox(), newBox()]) as [Box, Box, Box, Box, Box, Box]

interface LogRecord { level: string, msg: string, ctx?: Record<string, unknown> }

interface Harness {
  store: Store
  queue: MessageQueue
  receiver: Receiver
  dataDir: string
  self: Box
  logs: LogRecord[]
  inboxed: InboxRecord[]
  receipts: Array<{ ref: string, env: Envelope }>
  queued: { count: number }
  setNow: (t: number) => void
  now: () => number
  accept: (env: Envelope, opts?: { hops?: number, ttlLeftMs?: number, from?: string }) => Promise<Ack>
  inbox: () => Promise<InboxRecord[]>
  entries: () => QueueEntry[]
  bucketSize: (bucket: Bucket) => Promise<number>
}

const stores: Store[] = []
after(async () => { for (const s of stores) await s.stop() })

async function openStore (dataDir: string): Promise<Store> {
  const store = createLmdbStore({ logger: silentLogger }, { dataDir, mountsFile: MOUNTS })
  await store.start()
  stores.push(store)
  return store
}

async function harness (init: { self?: Box, quota?: Partial<QuotaLimits>, maxInboxMessages?: number, dataDir?: string } = {}): Promise<Harness> {
  const dataDir = init.dataDir ?? tempDir('msg-custody')
  const store = await openStore(dataDir)
  const self = init.self ?? B
  let t = T0
  const now = (): number => t
  const logs: LogRecord[] = []
  const logger = createLogger({ level: 'debug', write: (line) => { logs.push(JSON.parse(line) as LogRecord) } })
  const queue = createMessageQueue({ store, logger, now }, { quota: { ...ROOMY, ...init.quota }, envelope: ENVELOPE })
  await queue.load()
  const inboxed: InboxRecord[] = []
  const receipts: Array<{ ref: string, env: Envelope }> = []
  const queued = { count: 0 }
  const receiver = createReceiver({
    store, queue, keys: self.keys, logger, now,
    onInbox: (r) => { inboxed.push(r) },
    onReceipt: (ref, env) => { receipts.push({ ref, env }) },
    onQueued: () => { queued.count++ }
  }, { clockSkewMs: SKEW, maxInboxMessages: init.maxInboxMessages ?? 1_000 })
  const accept = async (env: Envelope, opts: { hops?: number, ttlLeftMs?: number, from?: string } = {}): Promise<Ack> =>
    await receiver.accept(opts.from ?? A.id, { env, hops: opts.hops ?? 0, ttlLeftMs: opts.ttlLeftMs ?? TTL } satisfies Offer)
  const inbox = async (): Promise<InboxRecord[]> => {
    const out: InboxRecord[] = []
    for await (const r of inboxRecords(store)) out.push(r)
    return out
  }
  const bucketSize = async (bucket: Bucket): Promise<number> => {
    let n = 0
    for await (const _ of store.range(bucketPrefix(bucket))) n++
    return n
  }
  return {
    store, queue, receiver, dataDir, self, logs, inboxed, receipts, queued, now, accept, inbox, bucketSize,
    setNow: (x) => { t = x },
    entries: () => [...queue.entries()]
  }
}

const seal = (from: Box, to: Box, payload = text('hello'), extra: { createdMs?: number, ttlMs?: number, id?: string } = {}): Envelope =>
  sealMessage(from.keys, { dst: to.id, protocol: '/meshbox/note/1', payload, ttlMs: extra.ttlMs ?? TTL, createdMs: extra.createdMs ?? T0, ...(extra.id !== undefined ? { id: extra.id } : {}) })

const seenUntil = async (store: Store, id: string): Promise<number | undefined> => {
  const v = await store.get(bucketKey(Bucket.msgSeen, id))
  return v === undefined ? undefined : (JSON.parse(new TextDecoder().decode(v)) as { until: number }).until
}

describe('a message for this box', () => {
  it('default: accepted once: inbox record, seen id, signed receipt queued for the source, onInbox once', async () => {
    const h = await harness()
    h.setNow(T0 + 2_000)
    const env = seal(A, B, text('water at the school'))
    assert.deepEqual(await h.accept(env, { hops: 2 }), { result: 'ok' })

    const inbox = await h.inbox()
    assert.equal(inbox.length, 1)
    assert.deepEqual(inbox[0], {
      seq: 1, id: env.id, src: A.id, protocol: '/meshbox/note/1', payload: Buffer.from('water at the school').toString('base64'),
      createdMs: T0, receivedAtMs: T0 + 2_000, hops: 3
    })
    assert.deepEqual(h.inboxed, inbox, 'onInbox called once, with the stored record')
    assert.equal(h.receiver.inboxCount(), 1)
    assert.equal(await seenUntil(h.store, env.id), T0 + 2_000 + TTL + SKEW)

    const entries = h.entries()
    assert.equal(entries.length, 1)
    const r = entries[0] as QueueEntry
    assert.equal(r.kind, 'receipt')
    assert.equal(r.src, B.id)
    assert.equal(r.dst, A.id, 'the receipt goes back to the source')
    assert.equal(r.from, 'self')
    assert.equal(r.hops, 0)
    assert.equal(r.expiresAtMs, T0 + 2_000 + TTL)
    const receipt = await h.queue.read(r.id)
    assert.ok(receipt !== undefined)
    assert.equal(receipt.ref, env.id)
    assert.equal(verifyEnvelope(receipt), true)
    assert.equal(h.queued.count, 1)
    assert.ok(h.logs.some(l => l.msg === 'Message delivered' && l.ctx?.id === env.id && l.ctx?.hops === 3))
  })

  it('behavior: the same offer again is a duplicate: still one inbox record and one receipt', async () => {
    const h = await harness()
    const env = seal(A, B)
    assert.equal((await h.accept(env)).result, 'ok')
    assert.equal((await h.accept(env)).result, 'duplicate')
    assert.equal((await h.accept(env, { hops: 5, from: C.id })).result, 'duplicate', 'from another neighbour too')
    assert.equal((await h.inbox()).length, 1)
    assert.equal(h.inboxed.length, 1)
    assert.equal(h.entries().length, 1)
    assert.equal(h.receiver.inboxCount(), 1)
  })

  it('behavior: two identical offers at once share one decision: both ok, one inbox record, one receipt', async () => {
    const h = await harness()
    const env = seal(A, B)
    const acks = await Promise.all([h.accept(env), h.accept(env, { from: C.id })])
    assert.deepEqual(acks.map(a => a.result), ['ok', 'ok'])
    assert.equal((await h.inbox()).length, 1)
    assert.equal(h.inboxed.length, 1)
    assert.equal(h.entries().filter(e => e.kind === 'receipt').length, 1)
  })

  it('behavior: two validly signed variants of one id at once are delivered once', async () => {
    const h = await harness()
    const env = seal(A, B)
    // The same signature bytes in another base64url spelling (the last character's unused bits)...
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(env.sig.at(-1) ?? 'A')
    const respelt = { ...env, sig: env.sig.slice(0, -1) + alphabet[last ^ 1] }
    assert.notEqual(respelt.sig, env.sig)
    assert.equal(verifyEnvelope(respelt), true)
    // ...and the source sealing other content under the same id.
    const again = seal(A, B, text('other content'), { id: env.id })
    const acks = await Promise.all([h.accept(env), h.accept(respelt, { from: C.id }), h.accept(again, { from: D.id })])
    assert.ok(acks.every(a => a.result === 'ok' || a.result === 'duplicate'), JSON.stringify(acks))
    const inbox = await h.inbox()
    assert.equal(inbox.length, 1, `delivered once, not ${inbox.length} times`)
    assert.equal(h.inboxed.length, 1)
    assert.equal(h.entries().filter(e => e.kind === 'receipt').length, 1)
    assert.equal(h.receiver.inboxCount(), 1)
  })

  it('error: a forgery (claims src A, signed by C) is invalid and nothing is stored', async () => {
    const h = await harness()
    const forged = resign({ ...seal(C, B), src: A.id }, C.keys.signing)
    const ack = await h.accept(forged)
    assert.equal(ack.result, 'invalid')
    assert.match(String(ack.reason), new RegExp(`signature is not ${A.id}'s`))
    for (const bucket of [Bucket.msgQueue, Bucket.msgInbox, Bucket.msgSeen, Bucket.msgSent]) assert.equal(await h.bucketSize(bucket), 0, `bucket ${bucket} empty`)
    assert.equal(h.entries().length, 0)
    assert.equal(h.inboxed.length, 0)
    assert.equal(h.queued.count, 0)
  })

  it('error: a forgery racing the real envelope does not decide for it', async () => {
    const h = await harness()
    const env = seal(A, B)
    const forged = resign({ ...env, ct: seal(C, B).ct }, C.keys.signing)
    const [f, real] = await Promise.all([h.accept(forged), h.accept(env)])
    assert.equal(f.result, 'invalid')
    assert.equal(real.result, 'ok')
    assert.equal((await h.inbox()).length, 1)
  })

  it('error: a message that does not decrypt is undecryptable and not stored', async () => {
    const h = await harness()
    const stolen = resign({ ...seal(A, B), src: C.id }, C.keys.signing)
    const ack = await h.accept(stolen)
    assert.equal(ack.result, 'undecryptable')
    assert.equal(await h.bucketSize(Bucket.msgSeen), 0)
    assert.equal(h.entries().length, 0)
  })

  it('error: a replay after its seen id was pruned is expired, by the signed createdMs + ttlMs + clockSkewMs', async () => {
    const h = await harness()
    const env = seal(A, B, text('once'), { createdMs: T0, ttlMs: 60_000 })
    assert.equal((await h.accept(env)).result, 'ok')
    const end = T0 + 60_000 + SKEW
    assert.equal(await seenUntil(h.store, env.id), end, 'kept exactly as long as a copy could be accepted')
    h.setNow(end - 1)
    assert.equal((await h.accept(env)).result, 'duplicate', 'within its life: a duplicate')
    h.setNow(end + 1)
    assert.equal(await prune(h.store, h.now(), 86_400_000), 1, 'the seen id is pruned')
    assert.equal(await isSeen(h.store, env.id), false)
    // The neighbour says plenty of time is left; the signed fields say otherwise.
    const ack = await h.accept(env, { ttlLeftMs: TTL })
    assert.equal(ack.result, 'expired')
    assert.equal((await h.inbox()).length, 1, 'not delivered twice')
    assert.equal(h.entries().length, 1, 'no second receipt')
    h.setNow(end)
    assert.equal((await h.accept(env)).result, 'expired', 'no time left at the very end either')
  })

  it('error: a full inbox (maxInboxMessages 1) answers busy and stores nothing, and takes it once there is room', async () => {
    const h = await harness({ maxInboxMessages: 1 })
    assert.equal((await h.accept(seal(A, B))).result, 'ok')
    const second = seal(C, B)
    const ack = await h.accept(second, { from: C.id })
    assert.equal(ack.result, 'busy')
    assert.match(String(ack.reason), /inbox full \(1 messages\)/)
    assert.equal(await isSeen(h.store, second.id), false, 'not marked seen, so the retry is not a duplicate')
    assert.equal((await h.inbox()).length, 1)
    assert.equal(h.entries().length, 1)
    h.receiver.inboxTaken()
    assert.equal((await h.accept(second, { from: C.id })).result, 'ok')
    assert.deepEqual((await h.inbox()).map(r => r.id).slice(1), [second.id])
  })
})

describe('custody for another box (transit)', () => {
  it('default: queued with the hop counted and the TTL the neighbour gave; the same id again is a duplicate', async () => {
    const h = await harness()
    h.setNow(T0 + 1_000)
    const env = seal(A, C)
    assert.deepEqual(await h.accept(env, { hops: 2, ttlLeftMs: 30_000, from: D.id }), { result: 'ok' })
    const entries = h.entries()
    assert.equal(entries.length, 1)
    assert.deepEqual(entries[0], {
      id: env.id, kind: 'msg', src: A.id, dst: C.id, bytes: 512 + (env.ct ?? '').length, hops: 3,
      expiresAtMs: T0 + 1_000 + 30_000, queuedAtMs: T0 + 1_000, from: D.id, nextTryMs: 0, attempts: 0
    })
    assert.deepEqual(await h.queue.read(env.id), env, 'the envelope exactly as signed')
    assert.equal(h.queued.count, 1)
    assert.equal((await h.inbox()).length, 0)
    assert.equal(await isSeen(h.store, env.id), false)
    assert.deepEqual(h.queue.usage().total, { bytes: 512 + (env.ct ?? '').length, count: 1 })

    assert.equal((await h.accept(env, { hops: 2, from: D.id })).result, 'duplicate')
    assert.equal((await h.accept(env, { hops: 7, from: E.id })).result, 'duplicate')
    assert.equal(h.entries().length, 1)
    assert.equal(h.entries()[0]?.hops, 3, 'the first copy stays as it was')
  })

  it('behavior: ttlLeftMs is capped by the signed createdMs + ttlMs + clockSkewMs', async () => {
    const h = await harness()
    h.setNow(T0 + 50_000)
    const env = seal(A, C, text('x'), { createdMs: T0, ttlMs: 60_000 })
    assert.equal((await h.accept(env, { ttlLeftMs: ENVELOPE.maxTtlMs })).result, 'ok')
    assert.equal(h.queue.get(env.id)?.expiresAtMs, T0 + 60_000 + SKEW, 'the neighbour\'s 7 days are cut to what the source signed')
    const shorter = seal(A, C, text('y'), { createdMs: T0, ttlMs: 60_000 })
    assert.equal((await h.accept(shorter, { ttlLeftMs: 5_000 })).result, 'ok')
    assert.equal(h.queue.get(shorter.id)?.expiresAtMs, T0 + 50_000 + 5_000, 'a shorter word from the neighbour stands')
    assert.equal((await h.accept(seal(A, C), { ttlLeftMs: 0 })).result, 'expired', 'no time left')
  })

  it('error: hop limit: an offer that has made 64 transfers is refused; 63 is taken', async () => {
    const h = await harness()
    const over = seal(A, C)
    const ack = await h.accept(over, { hops: 64 })
    assert.equal(ack.result, 'hop-limit')
    assert.match(String(ack.reason), /travelled 64 hops/)
    assert.equal(h.queue.has(over.id), false)
    const last = seal(A, C)
    assert.equal((await h.accept(last, { hops: 63 })).result, 'ok')
    assert.equal(h.queue.get(last.id)?.hops, 64)
  })

  it('error: quota: one source beyond maxBytesPerSource is refused while another source fits; then the total ceiling', async () => {
    const sample = seal(A, C, new Uint8Array(100))
    const size = 512 + (sample.ct ?? '').length
    const h = await harness({ quota: { maxBytesPerSource: 2 * size, maxBytesPerDestination: 100 * size, maxStoredBytes: 4 * size, maxStoredMessages: 100 } })
    const from = (box: Box): Envelope => seal(box, C, new Uint8Array(100))
    assert.equal((await h.accept(from(A))).result, 'ok')
    assert.equal((await h.accept(from(A))).result, 'ok')
    const third = from(A)
    const refused = await h.accept(third)
    assert.equal(refused.result, 'quota')
    assert.match(String(refused.reason), new RegExp(`^source ${A.id} already has ${2 * size} bytes stored here`))
    assert.equal(h.queue.has(third.id), false)
    assert.equal((await h.accept(from(D), { from: D.id })).result, 'ok', 'another source still fits')
    assert.equal((await h.accept(from(E), { from: E.id })).result, 'ok')
    const overTotal = await h.accept(from(F), { from: F.id })
    assert.equal(overTotal.result, 'quota')
    assert.match(String(overTotal.reason), new RegExp(`message store is full \\(${4 * size} of ${4 * size} bytes\\)`))
    assert.equal(h.entries().length, 4)
    assert.equal(await h.bucketSize(Bucket.msgQueue), 4)
  })

  it('error: quota: one destination beyond maxBytesPerDestination is refused while another destination fits', async () => {
    const sample = seal(A, C, new Uint8Array(100))
    const size = 512 + (sample.ct ?? '').length
    const h = await harness({ quota: { maxBytesPerDestination: size } })
    assert.equal((await h.accept(seal(A, C, new Uint8Array(100)))).result, 'ok')
    const ack = await h.accept(seal(D, C, new Uint8Array(100)), { from: D.id })
    assert.equal(ack.result, 'quota')
    assert.match(String(ack.reason), new RegExp(`^destination ${C.id}`))
    assert.equal((await h.accept(seal(D, E, new Uint8Array(100)), { from: D.id })).result, 'ok')
  })
})

describe('receipts', () => {
  const sentRecord = (env: Envelope, status: SentRecord['status'] = 'forwarded'): SentRecord =>
    ({ id: env.id, dst: env.dst, protocol: env.protocol, bytes: 5, createdMs: env.createdMs, ttlMs: env.ttlMs, status })

  it('default: a receipt from the destination marks our message delivered and calls onReceipt once', async () => {
    const h = await harness({ self: A })
    const msg = seal(A, B)
    await h.store.batch([sentOp(sentRecord(msg))])
    h.setNow(T0 + 7_000)
    const receipt = makeReceipt(B.keys, msg, T0 + 6_000, TTL)
    assert.deepEqual(await h.accept(receipt, { from: B.id }), { result: 'ok' })
    assert.deepEqual(await readSent(h.store, msg.id), { ...sentRecord(msg), status: 'delivered', deliveredAtMs: T0 + 7_000 })
    assert.deepEqual(h.receipts.map(r => r.ref), [msg.id])
    assert.deepEqual(h.receipts[0]?.env, receipt)
    assert.equal(await isSeen(h.store, receipt.id), true)
    assert.equal(h.entries().length, 0, 'a receipt for us is not queued')
    assert.equal((await h.inbox()).length, 0)

    assert.equal((await h.accept(receipt, { from: C.id })).result, 'duplicate')
    assert.equal(h.receipts.length, 1)
  })

  it('error: a receipt signed by a box the message was not sent to is invalid and changes nothing', async () => {
    const h = await harness({ self: A })
    const msg = seal(A, B)
    await h.store.batch([sentOp(sentRecord(msg))])
    // C signs a receipt for A's message to B: well-formed and validly signed by C, but C is not B.
    const fake = makeReceipt(C.keys, msg, T0, TTL)
    assert.equal(verifyEnvelope(fake), true)
    const ack = await h.accept(fake, { from: C.id })
    assert.equal(ack.result, 'invalid')
    assert.match(String(ack.reason), /not sent to/)
    assert.equal((await readSent(h.store, msg.id))?.status, 'forwarded')
    assert.equal(h.receipts.length, 0)
    assert.equal(await isSeen(h.store, fake.id), false)
    // And one claiming to be from B but signed by C is a forgery.
    const forged = resign({ ...fake, src: B.id }, C.keys.signing)
    assert.equal((await h.accept(forged, { from: C.id })).result, 'invalid')
    assert.equal((await readSent(h.store, msg.id))?.status, 'forwarded')
  })

  it('behavior: a receipt passing through is carried on and counts only towards the totals', async () => {
    const sample = seal(A, C, new Uint8Array(100))
    const h = await harness({ quota: { maxBytesPerSource: 512 + (sample.ct ?? '').length, maxBytesPerDestination: 512 + (sample.ct ?? '').length } })
    assert.equal((await h.accept(sample)).result, 'ok')
    // C's receipt for A: C's share and A's share are both used up by messages, yet it is taken.
    const receipt = makeReceipt(C.keys, sample, T0, TTL)
    assert.equal((await h.accept(receipt, { from: C.id })).result, 'ok')
    assert.equal(h.queue.get(receipt.id)?.kind, 'receipt')
    assert.equal(h.queue.usage().total.count, 2)
    assert.equal(h.queue.usage().bySource.get(C.id), undefined)
  })
})

describe('restart', () => {
  it('behavior: after reopening the store, load() rebuilds the same entries and usage; duplicates stay duplicates', async () => {
    const h = await harness()
    h.setNow(T0 + 3_000)
    const transit = seal(A, C, text('for C'))
    const mine = seal(D, B, text('for B'))
    assert.equal((await h.accept(transit, { hops: 4, ttlLeftMs: 100_000 })).result, 'ok')
    assert.equal((await h.accept(mine, { from: D.id })).result, 'ok')
    const before = h.entries().map(e => ({ ...e })).sort((x, y) => x.id.localeCompare(y.id))
    const usageBefore = structuredClone(h.queue.usage())
    assert.equal(before.length, 2)
    await h.store.stop()

    const again = await harness({ dataDir: h.dataDir })
    assert.deepEqual(again.entries().sort((x, y) => x.id.localeCompare(y.id)), before)
    assert.deepEqual(again.queue.usage(), usageBefore)
    assert.deepEqual(await again.queue.read(transit.id), transit)
    assert.equal(again.logs.filter(l => l.level === 'error').length, 0)
    assert.equal((await again.accept(transit)).result, 'duplicate', 'still held')
    assert.equal((await again.accept(mine, { from: D.id })).result, 'duplicate', 'still seen')
    assert.equal((await again.inbox()).length, 1)
  })

  it('error: unreadable records in the msgQueue bucket are skipped with an error log and hold no quota', async () => {
    const h = await harness()
    const good = seal(A, C)
    assert.equal((await h.accept(good)).result, 'ok')
    const usage = structuredClone(h.queue.usage())
    const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))
    const junk: Array<[string, Uint8Array, string]> = [
      [newMessageId(), enc('{not json'), 'not JSON'],
      [newMessageId(), enc({ env: { v: 1, kind: 'note' }, hops: 0, expiresAtMs: T0, queuedAtMs: T0, from: 'self' }), 'unknown envelope kind'],
      [newMessageId(), enc({ env: seal(A, C), expiresAtMs: T0, queuedAtMs: T0, from: 'self' }), 'fields missing'],
      [newMessageId(), enc({ env: { ...seal(A, C), ttlMs: 0 }, hops: 1, expiresAtMs: T0, queuedAtMs: T0, from: 'self' }), 'ttlMs is not']
    ]
    await h.store.batch(junk.map(([id, value]) => ({ type: 'put' as const, key: bucketKey(Bucket.msgQueue, id), value })))
    await h.queue.load()
    assert.deepEqual(h.entries().map(e => e.id), [good.id])
    assert.deepEqual(h.queue.usage(), usage)
    const errors = h.logs.filter(l => l.level === 'error' && l.msg === 'Stored message unreadable; skipped')
    assert.equal(errors.length, junk.length)
    for (const [id, , reason] of junk) {
      const line = errors.find(l => l.ctx?.record === Buffer.from(bucketKey(Bucket.msgQueue, id)).toString('hex'))
      assert.ok(line !== undefined, `logged ${id}`)
      assert.ok(String(line.ctx?.reason).startsWith(reason), `${id}: ${String(line.ctx?.reason)} starts with ${reason}`)
      assert.equal(await h.queue.read(id), undefined)
    }
    assert.equal(await h.bucketSize(Bucket.msgQueue), 1 + junk.length, 'left in place for a person to look at')
  })
})
