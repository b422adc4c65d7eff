/**
 * The transaction outbox on a real LMDB store, with a scripted upstream, a recording message
 * layer and verified block hashes it is told about: submit upstream and follow to inclusion,
 * forward to the nearest uplink box when there is no upstream, the uplink box's side, receipts
 * over the mesh, refusals, de-duplication, re-sends and drops.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, it } from 'node:test'
import { createTxOutbox, TX_PROTOCOL, TX_RECEIPT_PROTOCOL, TxRejected, type DecodedTx, type OutboxComponents } from '../../agent/chain/outbox/index.js'
import { createLogger } from '../../agent/log/logger.js'
import { createLmdbStore } from '../../agent/store/lmdb-store.js'
import type { Store } from '../../agent/store/store.js'

const logger = createLogger({ level: 'silent' })
const HASH = '0x' + 'aa'.repeat(32)
const FROM = '0x' + '11'.repeat(20)
const RAW = '0xf86b'
const tx: DecodedTx = { hash: HASH, from: FROM, nonce: 5n, value: 1n, gasLimit: 21_000n, gasPrice: 1n }
const BLOCK_HASH = '0x' + 'bb'.repeat(32)

interface World {
  store: Store
  calls: Array<[string, unknown[]]>
  sent: Array<{ dst: string, protocol: string, body: Record<string, unknown> }>
  handlers: Map<string, (m: { src: string, payload: Uint8Array }) => Promise<void>>
  head: bigint
  receipt: Record<string, unknown> | null
  count: string
  upstream: boolean
  uplink: string | undefined
  verified: Map<bigint, string>
}

const dirs: string[] = []
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  // A failed assertion must not leave a timer running and the process hanging.
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function world (over: Partial<OutboxComponents> = {}): Promise<{ w: World, outbox: ReturnType<typeof createTxOutbox> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mbx-outbox-'))
  dirs.push(dir)
  const store = createLmdbStore({ logger }, { dataDir: dir })
  await store.start()
  const w: World = { store, calls: [], sent: [], handlers: new Map(), head: 100n, receipt: null, count: '0x5', upstream: true, uplink: undefined, verified: new Map() }
  const outbox = createTxOutbox({
    store,
    logger,
    decode: (raw) => { if (raw !== RAW) throw new Error('rlp: not a transaction'); return tx },
    checkState: async () => undefined,
    head: () => w.head,
    verifiedHash: async (n) => w.verified.get(n),
    upstream: () => w.upstream
      ? {
          call: async (method, params) => {
            w.calls.push([method, params])
            if (method === 'eth_getTransactionReceipt') return { result: w.receipt }
            if (method === 'eth_getTransactionCount') return { result: w.count }
            return { result: HASH }
          }
        }
      : undefined,
    messages: {
      enqueue: async (dst, protocol, payload) => { w.sent.push({ dst, protocol, body: JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown> }); return { id: 'x' } },
      handle: (protocol, h) => { w.handlers.set(protocol, h) },
      unhandle: (protocol) => { w.handlers.delete(protocol) }
    },
    nearestUplink: () => w.uplink,
    ...over
  }, { confirmations: 3, resendEveryBlocks: 5, checkIntervalMs: 15 })
  await outbox.start()
  cleanups.push(async () => { await store.stop() }, async () => { await outbox.stop() })
  return { w, outbox }
}

const until = async (what: string, pred: () => Promise<boolean>): Promise<void> => {
  const end = Date.now() + 5_000
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`not reached: ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
const statusOf = async (o: ReturnType<typeof createTxOutbox>): Promise<string | undefined> => (await o.get(HASH))?.status
const msg = (body: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(body))

describe('transaction outbox', () => {
  it('default: with an upstream it submits once, then follows the receipt in a verified block to inclusion', async () => {
    const { w, outbox } = await world()
    assert.equal(await outbox.submit(RAW, AbortSignal.timeout(1000)), HASH)
    assert.equal(await outbox.submit(RAW, AbortSignal.timeout(1000)), HASH, 'the same transaction again')
    assert.deepEqual(w.calls.filter(([m]) => m === 'eth_sendRawTransaction').length, 1, 'sent upstream once')
    assert.equal(await statusOf(outbox), 'submitted')
    // Mined in block 100, but that block is not among our verified headers yet: not counted.
    w.receipt = { transactionHash: HASH, blockNumber: '0x64', blockHash: BLOCK_HASH, status: '0x1' }
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.equal(await statusOf(outbox), 'submitted')
    w.verified.set(100n, BLOCK_HASH)
    await until('mined', async () => await statusOf(outbox) === 'mined')
    w.head = 102n
    await until('included at depth 3', async () => await statusOf(outbox) === 'included')
    assert.equal((await outbox.get(HASH))?.receipt?.blockHash, BLOCK_HASH)
    await outbox.stop()
    await w.store.stop()
  })

  it('behavior: re-sent every few blocks until mined; dropped when the nonce is used by another', async () => {
    const { w, outbox } = await world()
    await outbox.submit(RAW, AbortSignal.timeout(1000))
    w.head = 105n
    await until('re-sent', async () => w.calls.filter(([m]) => m === 'eth_sendRawTransaction').length >= 2)
    w.count = '0x6'
    await until('dropped', async () => await statusOf(outbox) === 'dropped')
    assert.match(String((await outbox.get(HASH))?.lastError), /nonce was mined|nonce/)
    await outbox.stop()
    await w.store.stop()
  })

  it('behavior: without an upstream it waits for an uplink box, forwards there, and takes the receipt only from it', async () => {
    const { w, outbox } = await world()
    w.upstream = false
    await outbox.submit(RAW, AbortSignal.timeout(1000))
    assert.equal(await statusOf(outbox), 'queued')
    w.uplink = 'QmUplink'
    await until('forwarded', async () => await statusOf(outbox) === 'forwarded')
    assert.deepEqual(w.sent, [{ dst: 'QmUplink', protocol: TX_PROTOCOL, body: { raw: RAW } }])
    const onReceipt = w.handlers.get(TX_RECEIPT_PROTOCOL)
    assert.ok(onReceipt)
    await onReceipt({ src: 'QmSomeoneElse', payload: msg({ hash: HASH, receipt: { blockNumber: '0x1' } }) })
    assert.equal(await statusOf(outbox), 'forwarded', 'a receipt from a box it was not sent to is ignored')
    await onReceipt({ src: 'QmUplink', payload: msg({ hash: HASH, receipt: { blockNumber: '0x64', blockHash: BLOCK_HASH } }) })
    assert.equal(await statusOf(outbox), 'mined')
    assert.equal((await outbox.get(HASH))?.receipt?.blockHash, BLOCK_HASH)
    await outbox.stop()
    await w.store.stop()
  })

  it('behavior: the uplink box submits a transaction from the mesh and reports the receipt to its origin', async () => {
    const { w, outbox } = await world()
    const onTx = w.handlers.get(TX_PROTOCOL)
    assert.ok(onTx)
    await onTx({ src: 'QmOrigin', payload: msg({ raw: RAW }) })
    const r = await outbox.get(HASH)
    assert.equal(r?.origin, 'QmOrigin')
    assert.equal(r?.status, 'submitted')
    w.receipt = { transactionHash: HASH, blockNumber: '0x64', blockHash: BLOCK_HASH }
    w.verified.set(100n, BLOCK_HASH)
    await until('receipt reported', async () => w.sent.some(s => s.protocol === TX_RECEIPT_PROTOCOL))
    assert.deepEqual(w.sent.find(s => s.protocol === TX_RECEIPT_PROTOCOL), { dst: 'QmOrigin', protocol: TX_RECEIPT_PROTOCOL, body: { hash: HASH, receipt: w.receipt } })
    await outbox.stop()
    await w.store.stop()
  })

  it('error: an undecodable transaction or one the state refuses is rejected with the reason and not stored', async () => {
    const { w, outbox } = await world({ checkState: async () => 'insufficient funds: balance 0 < 21000' })
    await assert.rejects(outbox.submit('0xdead', AbortSignal.timeout(1000)), (err: unknown) => err instanceof TxRejected && /rlp: not a transaction/.test(err.message))
    await assert.rejects(outbox.submit(RAW, AbortSignal.timeout(1000)), (err: unknown) => err instanceof TxRejected && /insufficient funds/.test(err.message))
    assert.equal(await outbox.get(HASH), undefined)
    assert.equal(w.calls.length, 0)
    await outbox.stop()
    await w.store.stop()
  })

  it('durability: a queued transaction survives a restart and is forwarded afterwards', async () => {
    const first = await world()
    first.w.upstream = false
    await first.outbox.submit(RAW, AbortSignal.timeout(1000))
    await first.outbox.stop()
    await first.w.store.stop()
    const again = createLmdbStore({ logger }, { dataDir: dirs[0] as string })
    await again.start()
    const second = await world({ store: again })
    second.w.upstream = false
    second.w.uplink = 'QmUplink'
    await until('forwarded after restart', async () => await statusOf(second.outbox) === 'forwarded')
    await second.outbox.stop()
    await again.stop()
    await second.w.store.stop()
  })
})
