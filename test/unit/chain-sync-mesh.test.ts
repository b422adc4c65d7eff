/**
 * Headers over the mesh (chain/sync/mesh-wire.ts, mesh-sync.ts) without libp2p: the message
 * format and its strict decoding; then whole chain-sync components on real LMDB stores, joined
 * by an in-process stand-in for broadcast that runs every validator before delivery, as
 * gossipsub does. Box `up` syncs from a JSON-RPC server on 127.0.0.1 (this process) serving a
 * dev-shaped chain; box `down` has no upstream and catches up from the mesh alone (requests and
 * answers); forged, malformed and foreign messages are rejected or ignored by the validator.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import { headerToRpc } from '../../agent/chain/header-rpc.js'
import { headerHash, type Header } from '../../agent/chain/header.js'
import { resolvePreset } from '../../agent/chain/presets.js'
import { createChainSync, type ChainSync } from '../../agent/chain/sync/index.js'
import { decodeMeshMessage, encodeMeshMessage, MAX_HEADERS_PER_MESSAGE, packHeaders } from '../../agent/chain/sync/mesh-wire.js'
import { hashOf } from '../../agent/chain/sync/header-store.js'
import { encodeRlp } from '../../agent/chain/rlp.js'
import { createLogger, silentLogger } from '../../agent/log/logger.js'
import type { BroadcastMessage, MessageHandler, ValidationResult, Validator } from '../../agent/mesh/broadcast/index.js'
import { createLmdbStore } from '../../agent/store/lmdb-store.js'
import type { Store } from '../../agent/store/store.js'
import { baseHeader } from '../fixtures/chain/make-headers.js'
import { tempDir } from '../helpers/tmp.js'

const mounts = new URL('../fixtures/mounts/debian-ext4.txt', import.meta.url).pathname
const DEV = resolvePreset('dev')
/** Timestamps well in the past (no header may run ahead of our clock), the same on every call. */
const START = BigInt(Math.floor(Date.now() / 1000) - 100_000)

/** A dev-shaped chain (difficulty 0, empty extra, 1 s apart, in the past) from block 0. */
function devChain (count: number, salt = 'dev'): Header[] {
  const out: Header[] = []
  let prev: Header | undefined
  for (let n = 0n; n < BigInt(count); n++) {
    const h = baseHeader({
      number: n, parentHash: prev === undefined ? new Uint8Array(32) : headerHash(prev), difficulty: 0n, gasLimit: 30_000_000n,
      timestamp: START + n, extraData: new TextEncoder().encode(salt), stateRoot: headerHash(baseHeader({ number: n, extraData: new TextEncoder().encode(salt) }))
    })
    out.push(h)
    prev = h
  }
  return out
}

const servers: Server[] = []
const syncs: ChainSync[] = []
const stores: Store[] = []
after(async () => {
  for (const s of syncs) await s.stop()
  for (const s of stores) await s.stop()
  await Promise.all(servers.map(async s => { s.closeAllConnections(); await new Promise(resolve => s.close(resolve)) }))
})

/** A JSON-RPC node serving `chain` (growing as the test pushes to it). */
async function fakeNode (chain: Header[], chainId = DEV.chainId): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number, method: string, params: unknown[] } | Array<{ id: number, method: string, params: unknown[] }>
      const one = (c: { id: number, method: string, params: unknown[] }): unknown => {
        const result = c.method === 'eth_chainId'
          ? '0x' + chainId.toString(16)
          : c.method === 'eth_blockNumber'
            ? '0x' + (chain.length - 1).toString(16)
            : c.method === 'eth_getBlockByNumber'
              ? (() => { const h = chain[Number(BigInt(String(c.params[0])))]; return h === undefined ? null : { ...headerToRpc(h), transactions: [], uncles: [] } })()
              : null
        return { jsonrpc: '2.0', id: c.id, result }
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(Array.isArray(body) ? body.map(one) : one(body)))
    })
  })
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Broadcast stand-in: each publish reaches every other box, validators first, like gossipsub. */
class Bus {
  readonly boxes: Array<{ id: string, handlers: Set<MessageHandler>, validators: Validator[], verdicts: ValidationResult[], joiners: Set<(peer: string) => void> }> = []

  join (id: string) {
    const box = { id, handlers: new Set<MessageHandler>(), validators: [] as Validator[], verdicts: [] as ValidationResult[], joiners: new Set<(peer: string) => void>() }
    this.boxes.push(box)
    return {
      // Like gossipsub's subscription-change: every other box hears that this one listens now.
      subscribe: (_t: string, h: MessageHandler) => { box.handlers.add(h); for (const b of this.boxes) if (b !== box) for (const j of b.joiners) j(id) },
      unsubscribe: (_t: string, h: MessageHandler) => { box.handlers.delete(h) },
      addValidator: (_t: string, v: Validator) => { box.validators.push(v); return () => { box.validators = box.validators.filter(x => x !== v) } },
      onNewSubscriber: (_t: string, cb: (peer: string) => void) => { box.joiners.add(cb); return () => { box.joiners.delete(cb) } },
      publish: async (topic: string, data: Uint8Array) => {
        const recipients = this.boxes.filter(b => b.id !== id)
        setImmediate(() => { for (const b of recipients) this.deliver(b, { topic: topic as BroadcastMessage['topic'], from: id, via: id, data }) })
        return { recipients: recipients.length }
      }
    }
  }

  deliver (box: Bus['boxes'][number], m: BroadcastMessage): ValidationResult {
    let verdict: ValidationResult = 'accept'
    for (const v of box.validators) {
      const r = v(m)
      if (r !== 'accept') { verdict = r; break }
    }
    box.verdicts.push(verdict)
    if (verdict === 'accept') for (const h of box.handlers) h(m)
    return verdict
  }
}

async function box (bus: Bus, id: string, rpc: string[], checkpoint: Header | undefined): Promise<ChainSync> {
  const db = createLmdbStore({ logger: silentLogger }, { dataDir: tempDir('chain-mesh'), mountsFile: mounts })
  await db.start()
  stores.push(db)
  // DEBUG_CHAIN=1 prints each box's chain log lines.
  const sync = createChainSync({ store: db, broadcast: bus.join(id), logger: process.env.DEBUG_CHAIN === "1" ? createLogger({ level: "debug", module: id }) : silentLogger }, {
    preset: DEV, anchor: checkpoint === undefined ? { kind: 'first-upstream', number: 1n } : { kind: 'checkpoint', number: checkpoint.number, hash: hashOf(checkpoint) }, rpc,
    windowHeaders: 128, pollIntervalMs: 100, batchSize: 50, requestTimeoutMs: 2000, maxResponseBytes: 1 << 20, demoteMs: 60_000,
    maxMessageBytes: 16 * 1024, meshTickMs: 50, meshRequestTimeoutMs: 500
  })
  syncs.push(sync)
  await sync.start()
  return sync
}

async function until (what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

describe('chain sync: mesh message format', () => {
  it('default: announce, range and request round-trip; packing respects 64 headers and the byte bound', () => {
    const hs = devChain(200)
    const ann = decodeMeshMessage(encodeMeshMessage({ kind: 'announce', chainId: 20180430n, network: 'dev', headers: hs.slice(10, 13) }))
    assert.ok(typeof ann !== 'string' && ann.kind === 'announce')
    assert.deepEqual(ann.headers.map(h => hashOf(h)), hs.slice(10, 13).map(h => hashOf(h)))
    assert.deepEqual(decodeMeshMessage(encodeMeshMessage({ kind: 'request', chainId: 2022n, network: 'testnet', from: 7n, count: 256 })),
      { kind: 'request', chainId: 2022n, network: 'testnet', from: 7n, count: 256 })
    const packed = packHeaders('range', 20180430n, 'dev', hs, 65536)
    assert.deepEqual(packed.map(m => { const d = decodeMeshMessage(m); return typeof d === 'string' ? d : d.kind === 'request' ? 0 : d.headers.length }), [64, 64, 64, 8])
    const small = packHeaders('range', 20180430n, 'dev', hs.slice(0, 20), 2048)
    assert.ok(small.every(m => m.length <= 2048) && small.length > 1)
    assert.equal(MAX_HEADERS_PER_MESSAGE, 64)
  })

  it('error: malformed messages name what is wrong', () => {
    const hs = devChain(3)
    const bad = (data: Uint8Array): string => { const d = decodeMeshMessage(data); assert.equal(typeof d, 'string'); return d as string }
    assert.match(bad(new Uint8Array([1, 2, 3])), /^not RLP/)
    assert.match(bad(encodeRlp([Uint8Array.of(1)])), /not a list of \[kind, chainId, network, body\]/)
    assert.match(bad(encodeRlp([Uint8Array.of(9), Uint8Array.of(1), new TextEncoder().encode('dev'), []])), /unknown kind 9/)
    assert.match(bad(encodeMeshMessage({ kind: 'announce', chainId: 1n, network: 'dev', headers: [hs[0] as Header, hs[2] as Header] })), /does not follow block 0/)
    const unlinked = baseHeader({ number: 1n, difficulty: 0n })
    assert.match(bad(encodeMeshMessage({ kind: 'announce', chainId: 1n, network: 'dev', headers: [hs[0] as Header, unlinked] })), /does not name block 0/)
    assert.match(bad(encodeMeshMessage({ kind: 'announce', chainId: 1n, network: 'dev', headers: devChain(65) })), /carries 65 headers/)
    assert.match(bad(encodeRlp([Uint8Array.of(2), Uint8Array.of(1), new TextEncoder().encode('dev'), [Uint8Array.of(1, 2)]])), /header 0: /)
    assert.match(bad(encodeMeshMessage({ kind: 'request', chainId: 1n, network: 'dev', from: 1n, count: 0 })), /count is 0/)
  })
})

describe('chain sync: two boxes over a mesh', () => {
  it('behavior: a box without upstream catches up from the mesh alone and follows new heads; forged and foreign messages are refused', async () => {
    const chain = devChain(300)
    const url = await fakeNode(chain)
    const bus = new Bus()
    const checkpoint = chain[1] as Header
    const up = await box(bus, 'up', [url], checkpoint)
    await until('up syncs from upstream', () => up.head()?.number === 299n)
    const down = await box(bus, 'down', [], checkpoint)
    assert.equal(down.head(), undefined, 'no anchor header yet')
    // The chain stands still: `up` greets the newcomer with its head, `down` asks for the rest.
    await until('down catches up through the mesh', () => down.head()?.hash === up.head()?.hash)
    assert.equal(down.head()?.number, 299n)
    chain.push(...devChain(301).slice(300))
    const st = down.status()
    assert.equal(st.head?.from, 'mesh')
    assert.ok(st.verified.fromMesh >= 298, `${st.verified.fromMesh} headers from the mesh`)
    assert.ok(st.mesh.requested >= 2, 'asked for the anchor and the rest')
    assert.ok(up.status().mesh.answered >= 2 && up.status().mesh.announced >= 1)
    assert.ok((await down.headerByNumber(250n))?.hash === hashOf(chain[250] as Header))
    assert.equal(up.status().uplink, true)
    assert.equal(down.status().uplink, false)
    // Later heads arrive with announcements alone.
    const more = devChain(306)
    chain.push(...more.slice(301))
    await until('down follows new heads', () => down.head()?.number === 305n)

    const downBox = bus.boxes.find(b => b.id === 'down') as Bus['boxes'][number]
    const head = chain[305] as Header
    const deliver = (data: Uint8Array): ValidationResult => bus.deliver(downBox, { topic: '/meshbox/headers/1', from: 'hostile', via: 'hostile', data })
    const forged = baseHeader({ number: 306n, parentHash: headerHash(head), difficulty: 0n, gasLimit: 30_000_000n, gasUsed: 30_000_001n, timestamp: head.timestamp + 1n, extraData: new Uint8Array(0) })
    const verdict = deliver(encodeMeshMessage({ kind: 'announce', chainId: DEV.chainId, network: 'dev', headers: [forged] }))
    assert.deepEqual(verdict, { verdict: 'reject', reason: 'gas-used: header 306: gasUsed 30000001 exceeds gasLimit 30000000' })
    const early = baseHeader({ number: 306n, parentHash: headerHash(head), difficulty: 0n, gasLimit: 30_000_000n, timestamp: head.timestamp, extraData: new Uint8Array(0) })
    assert.match(JSON.stringify(deliver(encodeMeshMessage({ kind: 'announce', chainId: DEV.chainId, network: 'dev', headers: [early] }))), /reject.*timestamp: header 306/)
    assert.match(JSON.stringify(deliver(new TextEncoder().encode('junk'))), /reject.*headers message: not RLP/)
    assert.match(JSON.stringify(deliver(encodeMeshMessage({ kind: 'announce', chainId: 2022n, network: 'testnet', headers: [forged] }))), /ignore.*another chain/)
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.equal(down.head()?.number, 305n, 'nothing forged was stored')
    assert.equal(await down.headerByHash(hashOf(forged)), undefined)
  })

  it('behavior: when the dev chain restarts (another block 1 at the same URL), the box learns the new anchor and syncs the new chain', async () => {
    const chain = devChain(50, 'first')
    const url = await fakeNode(chain)
    const bus = new Bus()
    const solo = await box(bus, 'solo', [url], undefined)
    await until('solo syncs the first chain', () => solo.head()?.number === 49n)
    assert.equal(solo.status().anchor?.hash, hashOf(chain[1] as Header))
    chain.splice(0, chain.length, ...devChain(30, 'second'))
    await until('solo follows the restarted chain', () => solo.head()?.hash === hashOf(chain[29] as Header))
    const st = solo.status()
    assert.equal(st.anchor?.hash, hashOf(chain[1] as Header), 'the anchor is the new chain\'s block 1')
    assert.equal(st.anchor?.kind, 'first-upstream')
    assert.equal(st.upstream[0]?.demotions, 0, 'a restarted dev chain is not a lie')
    assert.equal(await solo.headerByNumber(40n), undefined, 'nothing of the old chain is left')
  })
})
