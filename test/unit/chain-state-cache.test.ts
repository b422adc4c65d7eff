/**
 * The state reader's cache of last verified values on a real LMDB store: bounded, durable
 * across a restart, newest block wins, and gentle on flash.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createStateCache, type CacheEntry } from '../../agent/chain/state/cache.js'
import { silentLogger } from '../../agent/log/logger.js'
import { Bucket, bucketPrefix } from '../../agent/store/buckets.js'
import { createLmdbStore } from '../../agent/store/lmdb-store.js'
import type { Store } from '../../agent/store/store.js'
import { tempDir } from '../helpers/tmp.js'

const mountsFile = new URL('../fixtures/mounts/debian-ext4.txt', import.meta.url).pathname

async function openStore (dataDir = tempDir('state-cache')): Promise<{ store: Store, dataDir: string }> {
  const store = createLmdbStore({ logger: silentLogger }, { dataDir, mountsFile })
  await store.start()
  return { store, dataDir }
}

const entry = (n: number, patch: Partial<CacheEntry> = {}): CacheEntry => ({
  kind: 'account', address: `0x${n.toString(16).padStart(40, '0')}`, value: { balance: '0x1', nonce: '0x0' },
  level: 'proof', blockNumber: 10n, blockHash: `0x${'ab'.repeat(32)}`, verifiedAtMs: 1000, sources: ['a'], ...patch
})

async function count (store: Store, bucket: Bucket): Promise<number> {
  let n = 0
  for await (const _ of store.range(bucketPrefix(bucket))) n++
  return n
}

describe('state cache', () => {
  it('default: keeps what was put, across a restart', async () => {
    const { store, dataDir } = await openStore()
    const cache = createStateCache(store, silentLogger, { maxEntries: 10, maxBytes: 1 << 20, persistIntervalMs: 0, now: () => 5000 })
    await cache.put(entry(1, { kind: 'storage', slot: `0x${'00'.repeat(31)}07`, value: `0x${'00'.repeat(31)}2a` }))
    await cache.put(entry(1))
    await store.stop()
    const again = await openStore(dataDir)
    const reopened = createStateCache(again.store, silentLogger, { maxEntries: 10, maxBytes: 1 << 20, persistIntervalMs: 0, now: () => 5000 })
    assert.deepEqual(await reopened.get('account', entry(1).address), entry(1))
    assert.equal((await reopened.get('storage', entry(1).address, `0x${'00'.repeat(31)}07`))?.value, `0x${'00'.repeat(31)}2a`)
    assert.equal(await reopened.get('code', entry(1).address), undefined)
    assert.equal((await reopened.stats()).entries, 2)
    await again.store.stop()
  })

  it('behavior: bounded in entries and bytes; the oldest written go first', async () => {
    const { store } = await openStore()
    const cache = createStateCache(store, silentLogger, { maxEntries: 3, maxBytes: 1 << 20, persistIntervalMs: 0, now: () => 0 })
    for (let i = 1; i <= 5; i++) await cache.put(entry(i))
    assert.deepEqual(await cache.stats(), { entries: 3, bytes: (await cache.stats()).bytes })
    assert.equal(await count(store, Bucket.chainState), 3)
    assert.equal(await count(store, Bucket.chainStateAge), 3)
    assert.equal(await cache.get('account', entry(1).address), undefined)
    assert.ok(await cache.get('account', entry(5).address))
    const small = createStateCache((await openStore()).store, silentLogger, { maxEntries: 100, maxBytes: 600, persistIntervalMs: 0, now: () => 0 })
    for (let i = 1; i <= 5; i++) await small.put(entry(i))
    const stats = await small.stats()
    assert.ok(stats.bytes <= 600 && stats.entries < 5, JSON.stringify(stats))
    await store.stop()
  })

  it('behavior: an older block never replaces a newer one; an unchanged value is not rewritten before the interval', async () => {
    const { store } = await openStore()
    let now = 0
    const cache = createStateCache(store, silentLogger, { maxEntries: 10, maxBytes: 1 << 20, persistIntervalMs: 60_000, now: () => now })
    await cache.put(entry(1, { blockNumber: 20n }))
    await cache.put(entry(1, { blockNumber: 15n, value: { balance: '0x9', nonce: '0x0' } }))
    assert.equal((await cache.get('account', entry(1).address))?.blockNumber, 20n)
    let writes = 0
    const counting: Store = { ...store, batch: async (ops) => { writes++; await store.batch(ops) } }
    const gentle = createStateCache(counting, silentLogger, { maxEntries: 10, maxBytes: 1 << 20, persistIntervalMs: 60_000, now: () => now })
    await gentle.put(entry(2, { blockNumber: 1n }))
    now = 1000
    await gentle.put(entry(2, { blockNumber: 2n, verifiedAtMs: 1000 }))
    assert.equal(writes, 1, 'same value, newer block, within the interval: memory only')
    assert.equal((await gentle.get('account', entry(2).address))?.blockNumber, 2n)
    await gentle.put(entry(2, { blockNumber: 3n, value: { balance: '0x2', nonce: '0x1' } }))
    assert.equal(writes, 2, 'a changed value is written at once')
    now = 70_000
    await gentle.put(entry(2, { blockNumber: 4n, value: { balance: '0x2', nonce: '0x1' } }))
    assert.equal(writes, 3, 'and an unchanged one after the interval')
    await store.stop()
  })
})
