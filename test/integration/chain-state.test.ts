/**
 * The state reader against a real anvil (chain id 20180430, Byzantium, in a network namespace)
 * behind an in-test proxy that plays several upstream sources: honest, lying about a balance or
 * a proof node or code, answering eth_getProof with -32601 as Spectrum nodes do, or offline.
 * Every answer's verification level and every refusal message is checked.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it, type TestContext } from 'node:test'
import { bytesToHex } from '../../agent/chain/bytes.js'
import { headerFromRpc } from '../../agent/chain/header-rpc.js'
import { headerHash } from '../../agent/chain/header.js'
import { createStateReader, proofRequest, stateUpstreamFromPool, verifyProofBundle, type ProofBundle, type StateHeaders, type StateReaderInit, type StateUpstream, type VerifiedHeaderRef } from '../../agent/chain/state/index.js'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { silentLogger } from '../../agent/log/logger.js'
import { createLmdbStore } from '../../agent/store/lmdb-store.js'
import type { Store } from '../../agent/store/store.js'
import { FUNDED, seedState, startAnvilInNetns, STORAGE_RUNTIME, STORAGE_SLOTS, type AnvilNetns } from '../helpers/anvil-state.js'
import { isNetnsAvailable } from '../helpers/netns.js'
import { tempDir } from '../helpers/tmp.js'

const ETHER = 10n ** 18n
const mountsFile = new URL('../fixtures/mounts/debian-ext4.txt', import.meta.url).pathname

type Behaviour = 'honest' | 'lie-balance' | 'lie-node' | 'lie-code' | 'no-proof' | 'no-proof-lie-balance' | 'offline'

/** Verified headers as the header sync would hold them (from block 1): fetched from anvil, hash-checked by headerFromRpc. */
function headerStore (anvil: AnvilNetns): StateHeaders & { sync: () => Promise<bigint> } {
  const byNumber = new Map<bigint, VerifiedHeaderRef>()
  let head: bigint | undefined
  const fetchBlock = async (n: bigint): Promise<VerifiedHeaderRef | undefined> => {
    const json = await anvil.rpc('eth_getBlockByNumber', ['0x' + n.toString(16), false])
    if (json === null) return undefined
    const header = headerFromRpc(json)
    return { header, hash: bytesToHex(headerHash(header)) }
  }
  return {
    head: () => {
      if (head === undefined) return undefined
      const ref = byNumber.get(head) as VerifiedHeaderRef
      return { number: head, ...ref }
    },
    headerByNumber: async (n) => byNumber.get(n),
    headerByHash: async (hash) => [...byNumber.values()].find(r => r.hash === hash),
    sync: async () => {
      const latest = BigInt(await anvil.rpc('eth_blockNumber', []) as string)
      // From block 1: anvil's genesis (even with --hardfork byzantium) carries blobGasUsed and
      // excessBlobGas and an empty-trie stateRoot despite the funded dev accounts.
      for (let n = (head ?? 0n) + 1n; n <= latest; n++) {
        const ref = await fetchBlock(n)
        if (ref !== undefined) byNumber.set(n, ref)
      }
      head = latest
      return latest
    }
  }
}

/** The in-test proxy: each source is anvil behind a behaviour; sources are tried in order, demoted ones last. */
function proxy (anvil: AnvilNetns, sources: Array<[string, Behaviour]>) {
  const demoted = new Map<string, string>()
  const calls: Array<{ source: string, method: string }> = []
  let allOffline = false
  const ask = async (name: string, behaviour: Behaviour, method: string, params: unknown[]) => {
    calls.push({ source: name, method })
    if (allOffline || behaviour === 'offline') throw Object.assign(new Error(`connect ECONNREFUSED 10.77.0.9:8545 (${name})`), { source: name })
    if (behaviour.startsWith('no-proof') && method === 'eth_getProof') {
      throw Object.assign(new Error('the method eth_getProof does not exist/is not available'), { code: -32601, source: name })
    }
    let result = await anvil.rpc(method, params)
    const lieBalance = behaviour === 'lie-balance' || behaviour === 'no-proof-lie-balance'
    if (lieBalance && method === 'eth_getBalance') result = '0x' + (BigInt(result as string) + ETHER).toString(16)
    if (method === 'eth_getProof') {
      const p = structuredClone(result) as { balance: string, accountProof: string[] }
      if (lieBalance) p.balance = '0x' + (BigInt(p.balance) + ETHER).toString(16)
      if (behaviour === 'lie-node') { const node = p.accountProof[1] as string; p.accountProof[1] = node.slice(0, 40) + (node[40] === '0' ? '1' : '0') + node.slice(41) }
      result = p
    }
    if (behaviour === 'lie-code' && method === 'eth_getCode') result = '0x6000'
    return { result, source: name }
  }
  const ordered = (exclude: readonly string[] = []) => [...sources.filter(([n]) => !demoted.has(n)), ...sources.filter(([n]) => demoted.has(n))]
    .filter(([n]) => !exclude.includes(n))
  const upstream: StateUpstream = {
    // Like a real upstream that cannot honour the hint, it falls back to its best source when all are excluded.
    call: async (method, params, options) => {
      const [name, behaviour] = ordered(options?.exclude)[0] ?? ordered()[0] as [string, Behaviour]
      return await ask(name, behaviour, method, params)
    },
    callTwo: async (method, params, options) => {
      const out: Array<{ result: unknown, source: string }> = []
      let lastError: unknown
      for (const [name, behaviour] of ordered(options?.exclude)) {
        if (out.length === 2) break
        try { out.push(await ask(name, behaviour, method, params)) } catch (err) { lastError = err }
      }
      if (out.length === 0 && lastError !== undefined) throw lastError
      return out
    },
    demote: (source, reason) => { demoted.set(source, reason) }
  }
  const askByName = async (name: string, method: string, params: unknown[]) => {
    const found = sources.find(([n]) => n === name)
    if (found === undefined) throw new Error(`no source ${name}`)
    return await ask(name, found[1], method, params)
  }
  return { upstream, demoted, calls, ask: askByName, setOffline: (v: boolean) => { allOffline = v } }
}

const refused = (code: string, message: RegExp) => (e: unknown): boolean => {
  if (!(e instanceof AgentError)) return false
  assert.equal(e.code, code, e.message)
  assert.match(e.message, message)
  return true
}

describe('state reader against anvil', () => {
  let anvil: AnvilNetns | undefined
  let skip: string | undefined
  let headers: ReturnType<typeof headerStore>
  let contract = ''
  let seededAt = 0n
  const stores: Store[] = []

  before(async () => {
    const ok = await isNetnsAvailable()
    if (ok !== true) { skip = `needs network namespaces for anvil: ${ok}`; return }
    anvil = await startAnvilInNetns({ name: 'state' })
    const seeded = await seedState(anvil.rpc)
    contract = seeded.contract
    seededAt = seeded.blockNumber
    headers = headerStore(anvil)
    await headers.sync()
  })
  after(async () => {
    for (const s of stores) await s.stop()
    await anvil?.stop()
  })

  const live = (t: TestContext): AnvilNetns | undefined => {
    if (skip !== undefined || anvil === undefined) { t.skip(skip ?? 'anvil did not start'); return undefined }
    return anvil
  }
  const newStore = async (dataDir = tempDir('state')): Promise<Store> => {
    const store = createLmdbStore({ logger: silentLogger }, { dataDir, mountsFile })
    await store.start()
    stores.push(store)
    return store
  }
  const reader = async (upstream: StateUpstream | undefined, init: StateReaderInit = {}, store?: Store, now?: () => number) =>
    createStateReader({ headers, ...(upstream !== undefined ? { upstream } : {}), store: store ?? await newStore(), logger: silentLogger, ...(now !== undefined ? { now } : {}) }, init)

  it('default: an honest source that serves eth_getProof gives `proof` answers: account, storage, code, absent account', async (t) => {
    const a = live(t); if (a === undefined) return
    const p = proxy(a, [['honest', 'honest']])
    const r = await reader(p.upstream)
    const head = headers.head()
    const account = await r.getAccount(FUNDED[0].address)
    assert.equal(account.level, 'proof')
    assert.equal(account.value.balance, FUNDED[0].wei)
    assert.equal(account.value.exists, true)
    assert.equal(account.blockNumber, head?.number)
    assert.equal(account.blockHash, head?.hash)
    assert.deepEqual(account.sources, ['honest'])
    assert.equal(account.ageMs, undefined)
    const slot = await r.getStorageAt(contract, 7n)
    assert.deepEqual([slot.level, slot.value], ['proof', '0x' + STORAGE_SLOTS[7].toString(16).padStart(64, '0')])
    assert.equal((await r.getStorageAt(contract, 2n)).value, '0x' + '0'.repeat(64))
    const code = await r.getCode(contract)
    assert.deepEqual([code.level, code.value], ['proof', STORAGE_RUNTIME])
    assert.equal((await r.getCode(FUNDED[0].address)).value, '0x')
    const absent = await r.getAccount('0x000000000000000000000000000000000000dEaD')
    assert.deepEqual([absent.level, absent.value.exists, absent.value.balance, absent.value.nonce], ['proof', false, 0n, 0n])
    assert.equal(p.demoted.size, 0)
  })

  it('args: block tags resolve against verified headers only', async (t) => {
    const a = live(t); if (a === undefined) return
    const r = await reader(proxy(a, [['honest', 'honest']]).upstream)
    const before = await r.getAccount(FUNDED[2].address, 1n)
    assert.deepEqual([before.level, before.blockNumber, before.value.balance], ['proof', 1n, 0n], 'the third transfer landed in block 3 (automine)')
    assert.equal((await r.getAccount(FUNDED[2].address, '0x3')).value.balance, FUNDED[2].wei)
    const byHash = await r.getAccount(FUNDED[0].address, headers.head()?.hash)
    assert.equal(byHash.value.balance, FUNDED[0].wei)
    assert.equal((await r.getAccount(FUNDED[0].address, '0x' + seededAt.toString(16))).blockNumber, seededAt)
    assert.equal((await r.getAccount(FUNDED[0].address, 'pending')).blockNumber, headers.head()?.number)
    await assert.rejects(r.getAccount(FUNDED[0].address, 10_000n), refused('CHAIN_HEADER_UNKNOWN', /block 10000 is not among this box's verified headers/))
    await assert.rejects(r.getAccount(FUNDED[0].address, '0x' + 'ee'.repeat(32)), refused('CHAIN_HEADER_UNKNOWN', /0xeeee/))
    await assert.rejects(r.getAccount(FUNDED[0].address, 'tomorrow'), RangeError)
    await assert.rejects(r.getAccount(FUNDED[0].address, 'earliest'), refused('CHAIN_HEADER_UNKNOWN', /block earliest \(0\) is not among/))
    const unsynced = createStateReader({ headers: { head: () => undefined, headerByNumber: async () => undefined }, store: await newStore(), logger: silentLogger })
    await assert.rejects(unsynced.getAccount(FUNDED[0].address), refused('CHAIN_HEADER_UNKNOWN', /this box has no verified header yet and no cached value/))
  })

  it('behavior: a source lying about a balance is demoted and the answer comes from another', async (t) => {
    const a = live(t); if (a === undefined) return
    const p = proxy(a, [['liar', 'lie-balance'], ['honest', 'honest']])
    const account = await (await reader(p.upstream)).getAccount(FUNDED[2].address)
    assert.deepEqual([account.level, account.value.balance, account.sources], ['proof', FUNDED[2].wei, ['honest']])
    assert.match(p.demoted.get('liar') ?? '', /^eth_getProof: at block \d+: balance: the answer claims 0x[0-9a-f]+ but the proof shows 0x3635c9adc5dea00000$/)
  })

  it('behavior: a bad proof node demotes its source too', async (t) => {
    const a = live(t); if (a === undefined) return
    const p = proxy(a, [['bad-node', 'lie-node'], ['honest', 'honest']])
    assert.equal((await (await reader(p.upstream)).getAccount(FUNDED[1].address)).value.balance, FUNDED[1].wei)
    assert.match(p.demoted.get('bad-node') ?? '', /accountProof\[1\]: node hashes to 0x[0-9a-f]+ but accountProof\[0\] references/)
  })

  it('error: when the only source lies, the answer is refused and the source demoted', async (t) => {
    const a = live(t); if (a === undefined) return
    const p = proxy(a, [['liar', 'lie-balance']])
    await assert.rejects((await reader(p.upstream)).getAccount(FUNDED[0].address), refused('CHAIN_STATE_UNVERIFIED',
      /^cannot verify the account 0x1111111111111111111111111111111111111111 at block \d+: liar was demoted: its eth_getProof answer does not verify \(at block \d+: balance: the answer claims .*\); .*not answering unverified$/))
    assert.ok(p.demoted.has('liar'))
  })

  it('behavior: code that does not hash to the proven codeHash demotes its source; another gives the code', async (t) => {
    const a = live(t); if (a === undefined) return
    const p = proxy(a, [['bad-code', 'lie-code'], ['honest', 'honest']])
    const code = await (await reader(p.upstream)).getCode(contract)
    assert.deepEqual([code.level, code.value], ['proof', STORAGE_RUNTIME])
    assert.match(p.demoted.get('bad-code') ?? '', /^eth_getCode: the code hashes to 0x[0-9a-f]+, the proven codeHash at block \d+ is 0x/)
  })

  it('behavior: two sources without eth_getProof (-32601, as Spectrum) give `agreement` answers', async (t) => {
    const a = live(t); if (a === undefined) return
    const p = proxy(a, [['spectrum-a', 'no-proof'], ['spectrum-b', 'no-proof']])
    const r = await reader(p.upstream)
    const account = await r.getAccount(FUNDED[0].address)
    assert.equal(account.level, 'agreement')
    assert.deepEqual([account.value.balance, account.value.nonce], [FUNDED[0].wei, 0n])
    assert.equal(account.value.codeHash, undefined, 'agreement reads balance and nonce only')
    assert.deepEqual(account.sources.sort(), ['spectrum-a', 'spectrum-b'])
    assert.equal(account.blockNumber, headers.head()?.number)
    const slot = await r.getStorageAt(contract, 1n)
    assert.deepEqual([slot.level, slot.value], ['agreement', '0x' + '0'.repeat(60) + '1234'])
    const code = await r.getCode(contract)
    assert.deepEqual([code.level, code.value], ['agreement', STORAGE_RUNTIME])
    assert.equal(p.demoted.size, 0, 'refusing eth_getProof is no lie')
  })

  it('error: a single source that cannot prove is refused, never answered unverified', async (t) => {
    const a = live(t); if (a === undefined) return
    const r = await reader(proxy(a, [['spectrum-a', 'no-proof']]).upstream)
    await assert.rejects(r.getAccount(FUNDED[0].address), refused('CHAIN_STATE_UNVERIFIED',
      /spectrum-a refused eth_getProof: the method eth_getProof does not exist\/is not available; only spectrum-a answered eth_getBalance, and agreement needs two independent sources.*; not answering unverified$/))
    await assert.rejects(r.getStorageAt(contract, 0n), refused('CHAIN_STATE_UNVERIFIED', /only spectrum-a answered eth_getStorageAt/))
  })

  it('error: two sources that disagree are refused, and neither is demoted', async (t) => {
    const a = live(t); if (a === undefined) return
    const p = proxy(a, [['spectrum-a', 'no-proof'], ['spectrum-b', 'no-proof-lie-balance']])
    await assert.rejects((await reader(p.upstream)).getAccount(FUNDED[0].address), refused('CHAIN_STATE_UNVERIFIED',
      /spectrum-a and spectrum-b disagree on eth_getBalance: 0x14d1120d7b160000 vs 0x22b1c8c1227a0000/))
    assert.equal(p.demoted.size, 0)
  })

  it('behavior: offline, the last verified value is served as `cache` with its block and age; never silently', async (t) => {
    const a = live(t); if (a === undefined) return
    let now = 1_000_000
    const dataDir = tempDir('state-offline')
    const store = await newStore(dataDir)
    const p = proxy(a, [['honest', 'honest']])
    const r = await reader(p.upstream, {}, store, () => now)
    const fresh = await r.getAccount(FUNDED[1].address)
    const slot = await r.getStorageAt(contract, 0n)
    assert.equal(fresh.level, 'proof')
    await a.rpc('evm_mine', [])
    await headers.sync()
    p.setOffline(true)
    now += 42_000
    const stale = await r.getAccount(FUNDED[1].address)
    assert.deepEqual([stale.level, stale.blockNumber, stale.ageMs, stale.value.balance], ['cache', fresh.blockNumber, 42_000, FUNDED[1].wei])
    assert.ok(stale.blockNumber < (headers.head()?.number ?? 0n), 'the head moved on: the answer says which block it is from')
    assert.equal((await r.getStorageAt(contract, 0n)).level, 'cache')
    await assert.rejects(r.getAccount(FUNDED[2].address), refused('CHAIN_STATE_UNAVAILABLE', /offline \(honest could not be reached for eth_getProof: connect ECONNREFUSED.*\) and no verified value is cached for it/))
    await assert.rejects(r.getAccount(FUNDED[1].address, headers.head()?.number), refused('CHAIN_STATE_UNAVAILABLE', /only "latest" is answered from the cache/))
    // after a restart: the same from LMDB
    const restarted = await reader(undefined, {}, store, () => now + 1000)
    const cached = await restarted.getStorageAt(contract, 0n)
    assert.deepEqual([cached.level, cached.blockNumber, cached.ageMs, cached.value], ['cache', slot.blockNumber, 43_000, '0x' + '0'.repeat(62) + '2a'])
    await assert.rejects(restarted.getCode(contract), refused('CHAIN_STATE_UNAVAILABLE', /no upstream is configured and no box with an uplink can be asked/))
  })

  it('behavior: through stateUpstreamFromPool (chain/sync\'s pool shape), a refusal moves on to the next source', async (t) => {
    const a = live(t); if (a === undefined) return
    const p = proxy(a, [['spectrum-a', 'no-proof'], ['prover', 'honest']])
    const refs = [{ id: 0, url: 'spectrum-a' }, { id: 1, url: 'prover' }]
    const demoted: string[] = []
    const pool = {
      ranked: () => refs.filter(r => !demoted.includes(r.url)),
      callOn: async (ref: { id: number, url: string }, method: string, params: readonly unknown[]) => {
        try {
          return { result: (await p.ask(ref.url, method, [...params])).result, source: ref }
        } catch (err) {
          const code = (err as { code?: unknown }).code
          if (typeof code !== 'number') throw err
          // as chain/sync's pool reports a JSON-RPC error answer
          throw new AgentError(ErrorCode.CHAIN_UPSTREAM_ERROR, `upstream ${ref.url}: ${method}: ${(err as Error).message} (JSON-RPC error ${code})`, { data: { source: ref.url, rpcCode: code } })
        }
      },
      demote: (ref: { url: string }) => { demoted.push(ref.url) }
    }
    const r = await reader(stateUpstreamFromPool(pool))
    const account = await r.getAccount(FUNDED[0].address)
    assert.deepEqual([account.level, account.sources, account.value.balance], ['proof', ['prover'], FUNDED[0].wei])
    assert.deepEqual(p.calls.filter(c => c.method === 'eth_getProof').map(c => c.source), ['spectrum-a', 'prover'])
    const lonely = await reader(stateUpstreamFromPool({ ...pool, ranked: () => refs.slice(0, 1) }))
    await assert.rejects(lonely.getAccount(FUNDED[0].address), refused('CHAIN_STATE_UNVERIFIED', /spectrum-a refused eth_getProof: upstream spectrum-a: eth_getProof: .*-32601.*only spectrum-a answered eth_getBalance/))
    assert.deepEqual(demoted, [])
  })

  it('behavior: a value verified for this very block is not fetched again', async (t) => {
    const a = live(t); if (a === undefined) return
    const p = proxy(a, [['honest', 'honest']])
    const r = await reader(p.upstream)
    const first = await r.getAccount(FUNDED[0].address)
    const calls = p.calls.length
    const second = await r.getAccount(FUNDED[0].address)
    assert.equal(p.calls.length, calls)
    assert.deepEqual(second, first)
  })

  it('behavior: without an uplink, a mesh proof bundle from an uplinked box is verified here (`proof`)', async (t) => {
    const a = live(t); if (a === undefined) return
    const uplinked = await reader(proxy(a, [['honest', 'honest']]).upstream)
    const asked: unknown[] = []
    const meshOnly = await reader(undefined, {
      remote: async (request) => { asked.push(request); return { ...await uplinked.proofBundle(request), source: 'box-b' } }
    })
    const account = await meshOnly.getAccount(FUNDED[2].address)
    assert.deepEqual([account.level, account.value.balance, account.sources], ['proof', FUNDED[2].wei, ['mesh:box-b']])
    const code = await meshOnly.getCode(contract)
    assert.deepEqual([code.level, code.value], ['proof', STORAGE_RUNTIME])
    assert.equal((await meshOnly.getStorageAt(contract, 1n)).value, '0x' + '0'.repeat(60) + '1234')
    assert.equal(asked.length, 3)

    const lying = await reader(undefined, {
      remote: async (request) => {
        const bundle = await uplinked.proofBundle(request)
        return { ...bundle, proof: { ...(bundle.proof as Record<string, unknown>), balance: '0x1' }, source: 'box-x' }
      }
    })
    await assert.rejects(lying.getAccount(FUNDED[2].address), refused('CHAIN_STATE_UNVERIFIED', /the proof bundle from mesh:box-x does not verify \(proof\.balance: the answer claims 0x1 but the proof shows/))
    const unreachable = await reader(undefined, { remote: async () => { throw new Error('no route to a chain-uplink box') } })
    await assert.rejects(unreachable.getAccount(FUNDED[2].address), refused('CHAIN_STATE_UNAVAILABLE', /no box with an uplink answered over the mesh: no route/))
  })

  it('error: verifyProofBundle refuses a bundle for another block, another address or with wrong code', async (t) => {
    const a = live(t); if (a === undefined) return
    const uplinked = await reader(proxy(a, [['honest', 'honest']]).upstream)
    const head = headers.head()
    const older = await headers.headerByNumber(seededAt - 1n)
    assert.ok(head !== undefined && older !== undefined)
    const request = proofRequest(contract, [0n], head.header, true)
    const bundle: ProofBundle = await uplinked.proofBundle(request)
    assert.equal(verifyProofBundle(bundle, head.header, request).ok, true)
    const fail = (b: unknown, header = head.header): string => {
      const checked = verifyProofBundle(b, header, request)
      return checked.ok ? 'ok' : checked.failure.message
    }
    assert.match(fail(bundle, older.header), /^blockHash: the bundle is for block 0x[0-9a-f]{64} but this box's verified header \d+ is 0x/)
    assert.match(fail({ ...bundle, address: FUNDED[0].address }), /^address: .* answers a request for/)
    assert.match(fail({ ...bundle, code: '0x00' }), /^code: hashes to 0x[0-9a-f]+ but the proven codeHash is/)
    assert.match(fail({ ...bundle, code: undefined }), /^code: missing although requested/)
    assert.match(fail({ ...bundle, v: 2 }), /^v: version 2 is not 1/)
    assert.match(fail({ ...bundle, proof: { ...(bundle.proof as Record<string, unknown>), storageProof: [] } }), /^proof\.storageProof: 0 entries for 1 requested slot/)
  })
})
