/**
 * Sync with the signer-recovery pool (chain/sync/prepare.ts): a batch's signers come from the
 * worker threads and verification then finds them cached, with exactly the results of in-thread
 * verification: the same headers stored, the same refusal at the same header. Real LMDB, real
 * worker threads, signed Tribe chains from test/fixtures/chain/make-headers.ts.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { concatBytes } from '../../agent/chain/bytes.js'
import { SEAL_BYTES, type Header } from '../../agent/chain/header.js'
import { cliquePreset, resolvePreset } from '../../agent/chain/presets.js'
import { createSealEngine } from '../../agent/chain/seal/engine.js'
import { createRecoverPool, type RecoverPool } from '../../agent/chain/seal/recover-pool.js'
import { SyncCore, type AcceptResult } from '../../agent/chain/sync/core.js'
import { createHeaderStore, hashOf } from '../../agent/chain/sync/header-store.js'
import { verifyBatch } from '../../agent/chain/sync/verify-batch.js'
import { verifyChain } from '../../agent/chain/verify/verify-chain.js'
import { AgentError } from '../../agent/errors.js'
import { silentLogger } from '../../agent/log/logger.js'
import { createLmdbStore } from '../../agent/store/lmdb-store.js'
import type { Store } from '../../agent/store/store.js'
import { cliqueOf, corrupt, makeCliqueChain, makeKeys, makeTribeChain, tribeOf } from '../fixtures/chain/make-headers.js'
import { tempDir } from '../helpers/tmp.js'

const mounts = new URL('../fixtures/mounts/debian-ext4.txt', import.meta.url).pathname
const preset = tribeOf(resolvePreset('mainnet'))
const chain = makeTribeChain({ preset, signers: makeKeys(17, 'sync-pool'), count: 200, from: 2_823_366n - 100n })
const dbs: Store[] = []
const pools: RecoverPool[] = []
after(async () => {
  for (const p of pools) await p.stop()
  for (const db of dbs) await db.stop()
})

/** A fresh store anchored at the chain's anchor, and a core whose engine counts in-thread recoveries. */
async function setup (pool: RecoverPool | undefined) {
  const db = createLmdbStore({ logger: silentLogger }, { dataDir: tempDir('chain-sync-pool'), mountsFile: mounts })
  await db.start()
  dbs.push(db)
  const store = createHeaderStore({ store: db, logger: silentLogger }, { windowHeaders: 512, engine: 'tribe' })
  await store.open()
  await store.reset({ preset: 'mainnet', chainId: '20180430', number: chain.anchor.number, hash: hashOf(chain.anchor), kind: 'checkpoint' })
  const anchor = await store.setAnchorHeader(chain.anchor)
  const counter = { inThread: 0 }
  const inner = pool?.recover ?? createRecoverPool({ logger: silentLogger }, { workers: 0 }).recover
  const engine = createSealEngine('tribe', { recover: (d, s) => { counter.inThread++; return inner(d, s) } })
  const nowMs = (Number(chain.headers.at(-1)!.timestamp) + 60) * 1000
  const core = new SyncCore({ preset, engine, store, logger: silentLogger, windowHeaders: 512, now: () => nowMs, ...(pool !== undefined ? { pool } : {}) })
  return { core, anchor, store, counter }
}

async function withPool (): Promise<RecoverPool> {
  const pool = createRecoverPool({ logger: silentLogger }, { workers: 2 })
  pools.push(pool)
  await pool.start()
  return pool
}

/** Fresh header objects, as if just decoded: nothing memoised, nothing cached. */
const fresh = (headers: readonly Header[]): Header[] => headers.map(h => ({ ...h }))
const summary = (r: AcceptResult): unknown => ({ verified: r.verified, rule: r.failure?.rule, number: r.failure?.number, message: r.failure?.message })

describe('chain sync with the recovery pool', { timeout: 60_000 }, () => {
  it('default: a batch is recovered by the workers and stored exactly as without them', async () => {
    const pool = await withPool()
    const a = await setup(pool)
    const b = await setup(undefined)
    const ra = await a.core.accept(a.anchor, fresh(chain.headers), 'upstream', 'src')
    const rb = await b.core.accept(b.anchor, fresh(chain.headers), 'upstream', 'src')
    assert.deepEqual(summary(ra), summary(rb))
    assert.equal(ra.verified, 200)
    assert.equal(a.store.head()?.hash, b.store.head()?.hash)
    assert.equal(a.store.head()?.hash, hashOf(chain.headers.at(-1)!))
    assert.equal(a.counter.inThread, 0, 'every signer came from the workers')
    assert.equal(b.counter.inThread, 200)
    assert.ok(pool.stats().jobs >= 7, 'chunks of 32, each split between two workers')
  })

  it('error: a broken seal mid-batch is refused at the same header, with or without the pool', async () => {
    const i = 150
    const h = chain.headers[i]!
    // r = 0: malformed; the pool answers "no signer", and verification establishes that itself.
    const broken = corrupt(h, { extraData: concatBytes(h.extraData.subarray(0, h.extraData.length - SEAL_BYTES), new Uint8Array(SEAL_BYTES - 1), Uint8Array.of(1)) })
    const batch = [...chain.headers.slice(0, i), broken, ...chain.headers.slice(i + 1)]
    const a = await setup(await withPool())
    const b = await setup(undefined)
    const ra = await a.core.accept(a.anchor, fresh(batch), 'upstream', 'liar')
    const rb = await b.core.accept(b.anchor, fresh(batch), 'upstream', 'liar')
    assert.deepEqual(summary(ra), summary(rb))
    assert.equal(ra.verified, i)
    assert.equal(ra.failure?.rule, 'seal')
    assert.equal(ra.failure?.number, h.number)
    assert.equal(a.counter.inThread, 1, 'only the broken seal was recovered in-thread')
    assert.equal(a.store.head()?.number, h.number - 1n)
  })

  it('behavior: a small batch (a box in sync) does not use the workers', async () => {
    const pool = await withPool()
    const a = await setup(pool)
    const r = await a.core.accept(a.anchor, fresh(chain.headers.slice(0, 10)), 'upstream', 'src')
    assert.equal(r.verified, 10)
    assert.equal(pool.stats().jobs, 0)
    assert.equal(pool.stats().live, 0)
    assert.equal(a.counter.inThread, 10)
  })

  it('error: an aborted signal stops the batch before anything is stored', async () => {
    const a = await setup(await withPool())
    await assert.rejects(a.core.accept(a.anchor, fresh(chain.headers), 'upstream', 'src', undefined, AbortSignal.abort()),
      (err: unknown) => err instanceof AgentError && err.code === 'ABORTED')
    assert.equal(a.store.head()?.number, chain.anchor.number)
  })

  it('behavior: a Clique batch keeps its signer snapshot from chunk to chunk, as one verifyChain does', async () => {
    const clique = cliqueOf(cliquePreset({ chainId: 20180430n, periodS: 15, epoch: 30n }))
    const keys = makeKeys(6, 'sync-pool-clique')
    const made = makeCliqueChain({ preset: clique, keys, initialSigners: 5, count: 100, vote: n => n > 40n && n < 50n ? { address: keys[5]!.address, authorize: true } : undefined })
    const nowS = Number(made.headers.at(-1)!.timestamp) + 60
    const whole = verifyChain(made.anchor, made.headers, { preset: clique, engine: createSealEngine('clique'), nowS })
    assert.equal(whole.verified, 100)
    assert.equal(whole.clique?.signers.length, 6, 'the vote added a signer')
    for (const pool of [await withPool(), undefined]) {
      const engine = createSealEngine('clique', pool !== undefined ? { recover: pool.recover } : {})
      const r = await verifyBatch({ engine, pool, logger: silentLogger }, made.anchor, fresh(made.headers), { preset: clique, engine, nowS })
      assert.equal(r.verified, 100)
      assert.equal(r.failure, undefined)
      assert.deepEqual(r.clique?.signers, whole.clique?.signers)
      assert.equal(hashOf(r.head), hashOf(made.headers.at(-1)!))
    }
  })
})
