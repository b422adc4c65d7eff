/**
 * The header store on a real LMDB in a temp dir (chain/sync/header-store.ts): extension, restart,
 * the rolling window pruned to checkpoints in batches, reorgs inside the window by total
 * difficulty (and by length on the dev chain), refusals below the anchor and deeper than the
 * window; and verification plus storage together (chain/sync/core.ts) on signed Tribe chains
 * from test/fixtures/chain/make-headers.ts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bytesToHex, concatBytes } from '../../agent/chain/bytes.js'
import { headerHash, SEAL_BYTES, type Header } from '../../agent/chain/header.js'
import { resolvePreset } from '../../agent/chain/presets.js'
import { createSealEngine } from '../../agent/chain/seal/engine.js'
import { SyncCore } from '../../agent/chain/sync/core.js'
import { CHECKPOINT_EVERY, PRUNE_BATCH, prefersCandidate, pruneRange, reorgAllowed, windowBottom } from '../../agent/chain/sync/fork.js'
import { createHeaderStore, hashOf, type HeaderStore, type StoredHeader } from '../../agent/chain/sync/header-store.js'
import { ErrorCode } from '../../agent/errors.js'
import { silentLogger, type Logger } from '../../agent/log/logger.js'
import { createLmdbStore } from '../../agent/store/lmdb-store.js'
import type { Store } from '../../agent/store/store.js'
import { baseHeader, makeKeys, seal, type TestKey } from '../fixtures/chain/make-headers.js'
import { tempDir } from '../helpers/tmp.js'

const mounts = new URL('../fixtures/mounts/debian-ext4.txt', import.meta.url).pathname

function recording (): { logger: Logger, lines: Array<{ msg: string, ctx: Record<string, unknown> }> } {
  const lines: Array<{ msg: string, ctx: Record<string, unknown> }> = []
  const make = (): Logger => ({
    debug: () => {},
    info: (msg, ctx = {}) => { lines.push({ msg, ctx }) },
    warn: (msg, ctx = {}) => { lines.push({ msg, ctx }) },
    error: (msg, ctx = {}) => { lines.push({ msg, ctx }) },
    child: () => make()
  })
  return { logger: make(), lines }
}

/** Linked headers after `parent` (not sealed: the store does not verify). `salt` makes branches differ. */
function branch (parent: Header, count: number, difficulty = 1n, salt = 'main'): Header[] {
  const out: Header[] = []
  let prev = parent
  for (let i = 0; i < count; i++) {
    const number = prev.number + 1n
    const h = baseHeader({
      number, parentHash: headerHash(prev), difficulty, timestamp: prev.timestamp + 15n,
      stateRoot: headerHash(baseHeader({ number, extraData: new TextEncoder().encode(salt) }))
    })
    out.push(h)
    prev = h
  }
  return out
}

async function openStore (dataDir = tempDir('chain-store')): Promise<{ db: Store, dataDir: string }> {
  const db = createLmdbStore({ logger: silentLogger }, { dataDir, mountsFile: mounts })
  await db.start()
  return { db, dataDir }
}

async function freshChain (opts: { window?: number, engine?: 'tribe' | 'none', logger?: Logger, anchorNumber?: bigint, dataDir?: string } = {}) {
  const { db, dataDir } = await openStore(opts.dataDir)
  const store = createHeaderStore({ store: db, logger: opts.logger ?? silentLogger }, { windowHeaders: opts.window ?? 64, engine: opts.engine ?? 'tribe' })
  await store.open()
  const anchorHeader = baseHeader({ number: opts.anchorNumber ?? 0n, difficulty: 1n })
  await store.reset({ preset: 'mainnet', chainId: '20180430', number: anchorHeader.number, hash: hashOf(anchorHeader), kind: 'checkpoint' })
  const anchor = await store.setAnchorHeader(anchorHeader)
  return { db, dataDir, store, anchor }
}

/** Inserts `headers` in batches on top of the head, as sync does. */
async function extend (store: HeaderStore, headers: readonly Header[], batch = 100, skipBelow?: bigint): Promise<void> {
  for (let i = 0; i < headers.length; i += batch) {
    const r = await store.insert(store.head() as StoredHeader, headers.slice(i, i + batch), skipBelow !== undefined ? { skipBelow } : {})
    assert.equal(r.refused, undefined, r.refused?.message)
    await store.prune()
  }
}

describe('chain sync: fork choice and window (pure)', () => {
  it('behavior: heavier wins; equal weight keeps the lower head; the dev chain (weight 0) prefers the longer', () => {
    assert.equal(prefersCandidate('tribe', { number: 10n, td: 20n }, { number: 9n, td: 21n }), true)
    assert.equal(prefersCandidate('tribe', { number: 10n, td: 20n }, { number: 11n, td: 20n }), false)
    assert.equal(prefersCandidate('tribe', { number: 10n, td: 20n }, { number: 9n, td: 20n }), true)
    assert.equal(prefersCandidate('none', { number: 10n, td: 0n }, { number: 11n, td: 0n }), true)
    assert.equal(prefersCandidate('none', { number: 10n, td: 0n }, { number: 10n, td: 0n }), false)
  })

  it('behavior: the window, checkpoints and pruning batches', () => {
    assert.equal(windowBottom(100n, 0n, 64), 37n)
    assert.equal(windowBottom(10n, 5n, 64), 5n)
    assert.equal(pruneRange(0n, 100n, 0n, 64), undefined, 'fewer than a batch out of the window')
    assert.deepEqual(pruneRange(0n, 64n + PRUNE_BATCH, 0n, 64), { from: 1n, to: PRUNE_BATCH + 1n })
    assert.equal(reorgAllowed(36n, 100n, 0n, 64), true)
    assert.equal(reorgAllowed(35n, 100n, 0n, 64), false)
    assert.equal(CHECKPOINT_EVERY, 1024n)
  })
})

describe('chain sync: header store on LMDB', () => {
  it('default: extends the head, finds headers by number and hash, and keeps it all across a restart', async () => {
    const { db, dataDir, store, anchor } = await freshChain()
    const hs = branch(anchor.header, 10)
    const r = await store.insert(anchor, hs, { origin: { from: 'mesh', verifiedAtMs: 1234 } })
    assert.equal(r.headChanged, true)
    assert.equal(r.stored, 10)
    assert.equal(store.head()?.number, 10n)
    assert.equal(store.head()?.td, 10n)
    assert.equal((await store.byNumber(4n))?.hash, hashOf(hs[3] as Header))
    assert.equal((await store.byHash(hashOf(hs[6] as Header)))?.number, 7n)
    assert.equal((await store.byHash(hashOf(hs[6] as Header).toUpperCase().replace('0X', '0x') as `0x${string}`))?.number, 7n)
    // Known headers are not written again.
    assert.equal((await store.insert(anchor, hs.slice(0, 3))).stored, 0)
    await db.stop()
    const again = await openStore(dataDir)
    const reopened = createHeaderStore({ store: again.db, logger: silentLogger }, { windowHeaders: 64, engine: 'tribe' })
    await reopened.open()
    assert.equal(reopened.head()?.hash, hashOf(hs[9] as Header))
    assert.equal(reopened.anchor()?.hash, anchor.hash)
    assert.deepEqual(reopened.headOrigin(), { from: 'mesh', verifiedAtMs: 1234 })
    assert.equal((await reopened.byNumber(10n))?.td, 10n)
    await again.db.stop()
  })

  it('behavior: headers out of the window are pruned in batches down to one in 1024 and the anchor', async () => {
    const { db, store, anchor } = await freshChain({ window: 64, anchorNumber: 3n })
    const hs = branch(anchor.header, 2500)
    await extend(store, hs)
    const head = store.head() as StoredHeader
    assert.equal(head.number, 2503n)
    const bottom = windowBottom(head.number, anchor.number, 64)
    const kept: bigint[] = []
    for (let n = 0n; n <= head.number; n++) if (await store.byNumber(n) !== undefined) kept.push(n)
    const below = kept.filter(n => n < bottom)
    // Pruning waits for a batch of PRUNE_BATCH: at most that many stragglers above the kept ones.
    const stragglers = below.filter(n => n !== 3n && n % 1024n !== 0n)
    assert.ok(stragglers.length < Number(PRUNE_BATCH), `${stragglers.length} unpruned`)
    assert.ok(stragglers.every(n => n >= bottom - PRUNE_BATCH), 'only the last batch waits')
    for (const n of [3n, 1024n, 2048n]) assert.ok(kept.includes(n), `kept ${n}`)
    for (const n of [4n, 1000n, 1025n, 2047n]) assert.ok(!kept.includes(n), `pruned ${n}`)
    for (let n = bottom; n <= head.number; n++) assert.ok(kept.includes(n), `window keeps ${n}`)
    assert.equal(await store.byHash(hashOf(hs[500] as Header)), undefined)
    await db.stop()
  })

  it('behavior: catching up from far behind skips writing what would be pruned at once', async () => {
    const { db, store, anchor } = await freshChain({ window: 64 })
    const hs = branch(anchor.header, 3000)
    await extend(store, hs, 100, 3000n - 64n + 1n)
    assert.equal(store.head()?.number, 3000n)
    assert.ok(await store.byNumber(2048n) !== undefined, 'checkpoints are written')
    assert.equal(await store.byNumber(2047n), undefined, 'the rest below the window is not')
    assert.ok(await store.byNumber(2937n) !== undefined)
    await db.stop()
  })

  it('behavior: a heavier branch inside the window reorganises the canonical chain (logged with its depth); the lighter stays on the side', async () => {
    const { logger, lines } = recording()
    const { db, store, anchor } = await freshChain({ window: 64, logger })
    const main = branch(anchor.header, 100, 1n)
    await extend(store, main)
    const forkParent = await store.byNumber(90n) as StoredHeader
    const lighter = branch(forkParent.header, 5, 1n, 'light')
    const side = await store.insert(forkParent, lighter)
    assert.equal(side.headChanged, false)
    assert.equal(store.sideCount(), 5)
    assert.equal(store.head()?.number, 100n)
    const heavier = branch(forkParent.header, 5, 3n, 'heavy') // td 90 + 15 = 105 > 100
    const r = await store.insert(forkParent, heavier)
    assert.equal(r.headChanged, true)
    assert.equal(r.reorg?.depth, 10)
    assert.equal(r.reorg?.ancestor.number, 90n)
    assert.equal(store.head()?.hash, hashOf(heavier[4] as Header))
    assert.equal((await store.byNumber(93n))?.hash, hashOf(heavier[2] as Header))
    assert.equal(await store.byNumber(96n), undefined, 'the old chain above the new head is no longer canonical')
    assert.equal((await store.byHash(hashOf(main[97] as Header)))?.number, 98n, 'the old branch is kept by hash')
    const log = lines.find(l => l.msg === 'Chain reorg')
    assert.deepEqual([log?.ctx.depth, log?.ctx.ancestor, log?.ctx.oldHead, log?.ctx.newHead], [10, 90, 100, 95])
    // The old branch grows heavier again (stored side headers are picked up on the way back).
    const oldTip = await store.byHash(hashOf(main[99] as Header)) as StoredHeader
    const back = await store.insert(oldTip, branch(main[99] as Header, 10, 1n, 'main2'))
    assert.equal(back.reorg?.depth, 5)
    assert.equal((await store.byNumber(95n))?.hash, hashOf(main[94] as Header))
    assert.equal(store.head()?.number, 110n)
    await db.stop()
  })

  it('error: a branch forking below the window, or headers at or below the anchor, are refused', async () => {
    const { logger, lines } = recording()
    const { db, store, anchor } = await freshChain({ window: 64, logger, anchorNumber: 10n })
    await extend(store, branch(anchor.header, 300))
    const deep = await store.byNumber(200n) as StoredHeader
    const r = await store.insert(deep, branch(deep.header, 20, 50n, 'deep'))
    assert.equal(r.refused?.code, ErrorCode.CHAIN_REORG_TOO_DEEP)
    assert.equal(store.head()?.number, 310n)
    assert.ok(lines.some(l => l.msg === 'Chain reorg refused'))
    const lightDeep = await store.insert(deep, branch(deep.header, 2, 1n, 'deep-light'))
    assert.equal(lightDeep.refused?.code, ErrorCode.CHAIN_REORG_TOO_DEEP, 'side branches below the window are refused too')
    const before = baseHeader({ number: 5n })
    const below = await store.insert(anchor, [baseHeader({ number: 10n, parentHash: headerHash(before) })])
    assert.equal(below.refused?.code, ErrorCode.CHAIN_BELOW_ANCHOR)
    await db.stop()
  })

  it('behavior: on the dev chain (difficulty 0) the longer branch wins', async () => {
    const { db, store, anchor } = await freshChain({ window: 64, engine: 'none' })
    await extend(store, branch(anchor.header, 20, 0n))
    const p = await store.byNumber(15n) as StoredHeader
    assert.equal((await store.insert(p, branch(p.header, 5, 0n, 'same-length'))).headChanged, false)
    const r = await store.insert(p, branch(p.header, 6, 0n, 'longer'))
    assert.equal(r.reorg?.depth, 5)
    assert.equal(store.head()?.number, 21n)
    await db.stop()
  })
})

/** A Tribe branch (mainnet rules before SIP002: 97-byte extra, 15 s gap), sealed in turn by `keys`. */
function tribeBranch (parent: Header, count: number, keys: readonly TestKey[], difficulty: bigint, salt: string): Header[] {
  const out: Header[] = []
  let prev = parent
  for (let i = 0; i < count; i++) {
    const number = prev.number + 1n
    const h = seal(baseHeader({
      number, parentHash: headerHash(prev), difficulty, timestamp: prev.timestamp + 15n,
      extraData: concatBytes(new TextEncoder().encode(salt.padEnd(32, '.')).subarray(0, 32), new Uint8Array(SEAL_BYTES))
    }), keys[Number(number % BigInt(keys.length))] as TestKey)
    out.push(h)
    prev = h
  }
  return out
}

describe('chain sync: verify then store (Tribe)', () => {
  it('behavior: verified segments extend the chain, a heavier verified fork takes over, a forged header stops the segment', async () => {
    const { logger, lines } = recording()
    const { db } = await openStore()
    const preset = resolvePreset('mainnet')
    const keys = makeKeys(3)
    const store = createHeaderStore({ store: db, logger }, { windowHeaders: 64, engine: 'tribe' })
    await store.open()
    const anchorHeader = tribeBranch(baseHeader({ number: 99n, timestamp: 1_700_000_000n }), 1, keys, 2n, 'anchor')[0] as Header
    await store.reset({ preset: 'mainnet', chainId: '20180430', number: 100n, hash: hashOf(anchorHeader), kind: 'checkpoint' })
    const anchor = await store.setAnchorHeader(anchorHeader)
    const core = new SyncCore({ preset, engine: createSealEngine('tribe'), store, logger, windowHeaders: 64 })
    const heads: number[] = []
    core.onHead(c => { heads.push(Number(c.head.number)) })
    const main = tribeBranch(anchorHeader, 30, keys, 2n, 'main')
    assert.equal((await core.accept(anchor, main, 'upstream', 'src')).verified, 30)
    assert.equal(store.head()?.number, 130n)
    assert.deepEqual(heads, [130])
    const at120 = await store.byNumber(120n) as StoredHeader
    const fork = tribeBranch(at120.header, 12, keys, 3n, 'fork') // td 20·2 + 12·3 = 76 > 60
    const r = await core.accept(at120, fork, 'mesh', 'mesh:peer')
    assert.equal(r.insert?.reorg?.depth, 10)
    assert.equal(store.head()?.hash, hashOf(fork[11] as Header))
    assert.equal(core.head()?.from, 'mesh')
    assert.equal(core.counters.reorgs, 1)
    // A forged header (gas used over the limit, properly sealed) in the next segment.
    const next = tribeBranch(fork[11] as Header, 5, keys, 2n, 'next')
    const forged = seal({ ...(next[2] as Header), gasUsed: 50_000_000n }, keys[Number((next[2] as Header).number % 3n)] as TestKey)
    const bad = [next[0] as Header, next[1] as Header, forged]
    const res = await core.accept(store.head() as StoredHeader, bad, 'upstream', 'http://liar/')
    assert.equal(res.verified, 2)
    assert.equal(res.failure?.rule, 'gas-used')
    assert.equal(store.head()?.number, 134n)
    assert.equal(core.lastFailure?.rule, 'gas-used')
    assert.equal(core.lastFailure?.source, 'http://liar/')
    assert.ok(lines.some(l => l.msg === 'Chain headers refused' && l.ctx.rule === 'gas-used' && l.ctx.number === 135))
    assert.equal(await store.byHash(bytesToHex(headerHash(forged))), undefined, 'nothing of the forged header was stored')
    await db.stop()
  })
})
