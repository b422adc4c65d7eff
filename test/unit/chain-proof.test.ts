/**
 * Merkle-Patricia proofs: synthetic tries built here (always run), and real eth_getProof answers
 * from anvil (chain id 20180430, Byzantium) running in a network namespace (skipped, saying why,
 * when namespaces are unavailable).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it, type TestContext } from 'node:test'
import { bytesToHex, hexToBytes, keccak256 } from '../../agent/chain/bytes.js'
import { ChainInputError } from '../../agent/chain/errors.js'
import { headerFromRpc } from '../../agent/chain/header-rpc.js'
import type { Header } from '../../agent/chain/header.js'
import {
  checkProofResponse, EMPTY_CODE_HASH, EMPTY_TRIE_ROOT, slotBytes, verifyAccountProof, verifyStorageProof, type ProofCheck, type ProvenState
} from '../../agent/chain/proof.js'
import { encodeRlp, type RlpItem } from '../../agent/chain/rlp.js'
import { verifyTrieProof } from '../../agent/chain/trie-proof.js'
import { FUNDED, seedState, startAnvilInNetns, STORAGE_RUNTIME, STORAGE_SLOTS, type AnvilNetns } from '../helpers/anvil-state.js'
import { isNetnsAvailable } from '../helpers/netns.js'

const proofError = (field: string | RegExp, message?: RegExp) => (e: unknown): boolean => {
  if (!(e instanceof ChainInputError) || e.code !== 'CHAIN_PROOF_INVALID') return false
  const fieldOk = typeof field === 'string' ? e.field === field : field.test(e.field ?? '')
  if (!fieldOk) assert.fail(`field ${String(e.field)} does not match ${String(field)} (${e.message})`)
  if (message !== undefined && !message.test(e.message)) assert.fail(`message "${e.message}" does not match ${String(message)}`)
  return true
}

function nibblesOf (bytes: Uint8Array): number[] {
  const out: number[] = []
  for (const b of bytes) out.push(b >> 4, b & 15)
  return out
}

/** Hex-prefix encoding of a nibble path. */
function hp (nibbles: number[], leaf: boolean): Uint8Array {
  const odd = nibbles.length % 2 === 1
  const flag = (leaf ? 2 : 0) + (odd ? 1 : 0)
  const all = odd ? [flag, ...nibbles] : [flag, 0, ...nibbles]
  const out = new Uint8Array(all.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = (all[2 * i] as number) * 16 + (all[2 * i + 1] as number)
  return out
}

const int = (n: bigint): Uint8Array => n === 0n ? new Uint8Array(0) : hexToBytes('0x' + n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'))

function failureOf<T> (check: ProofCheck<T>): { field: string, kind: string, message: string } {
  assert.equal(check.ok, false, 'expected a failure')
  if (check.ok) throw new Error('unreachable')
  return check.failure
}

describe('trie proofs: synthetic tries', () => {
  const address = hexToBytes('0x00000000000000000000000000000000000000aa')
  const path = nibblesOf(keccak256(address))
  const account = (items: RlpItem[]): Uint8Array => encodeRlp([hp(path, true), encodeRlp(items)])

  it('default: a one-leaf state trie proves its account; another address is proven absent', () => {
    const leaf = account([int(5n), int(10n ** 18n), EMPTY_TRIE_ROOT, EMPTY_CODE_HASH])
    const root = keccak256(leaf)
    assert.deepEqual(verifyAccountProof(root, address, [leaf]), { nonce: 5n, balance: 10n ** 18n, storageRoot: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH })
    assert.equal(verifyAccountProof(root, '0x00000000000000000000000000000000000000bb', [leaf]), null, 'a leaf for another key proves absence')
  })

  it('error: an account RLP that is not 4 items', () => {
    const leaf = account([int(5n), int(1n), EMPTY_TRIE_ROOT])
    assert.throws(() => verifyAccountProof(keccak256(leaf), address, [leaf]), proofError('account', /3 items, expected 4/))
  })

  it('error: an account field out of form (leading zero in balance, short codeHash)', () => {
    const leading = account([int(5n), Uint8Array.of(0, 1), EMPTY_TRIE_ROOT, EMPTY_CODE_HASH])
    assert.throws(() => verifyAccountProof(keccak256(leading), address, [leading]), proofError('account.balance', /leading zero/))
    const short = account([int(5n), int(1n), EMPTY_TRIE_ROOT, new Uint8Array(31)])
    assert.throws(() => verifyAccountProof(keccak256(short), address, [short]), proofError('account.codeHash', /31 bytes/))
  })

  it('error: malformed RLP in a node, even one that hashes right', () => {
    const bad = Uint8Array.of(0xc2, 0x81, 0x05) // 0x05 wrapped in a prefix: non-canonical
    assert.throws(() => verifyAccountProof(keccak256(bad), address, [bad]), proofError('accountProof[0]', /malformed node: RLP/))
    const notANode = encodeRlp([int(1n), int(2n), int(3n)])
    assert.throws(() => verifyAccountProof(keccak256(notANode), address, [notANode]), proofError('accountProof[0]', /3 items/))
  })

  it('behavior: an empty trie proves every key absent, with no node or the RLP empty string', () => {
    assert.equal(verifyStorageProof(EMPTY_TRIE_ROOT, 0n, []), 0n)
    assert.equal(verifyStorageProof(EMPTY_TRIE_ROOT, 0n, [Uint8Array.of(0x80)]), 0n)
    assert.throws(() => verifyStorageProof(keccak256(Uint8Array.of(1)), 0n, []), proofError('storageProof[0]', /missing node/))
  })

  it('behavior: follows an extension and a branch to an embedded leaf (a node under 32 bytes is inlined)', () => {
    const slot = 3n
    const key = nibblesOf(keccak256(slotBytes(slot)))
    const embedded: RlpItem = [hp(key.slice(61), true), encodeRlp(int(0x99n))]
    assert.ok(encodeRlp(embedded).length < 32)
    const branchItems: RlpItem[] = Array.from({ length: 17 }, () => new Uint8Array(0))
    branchItems[key[60] as number] = embedded
    const branch = encodeRlp(branchItems)
    const extension = encodeRlp([hp(key.slice(0, 60), false), keccak256(branch)])
    const root = keccak256(extension)
    assert.equal(verifyStorageProof(root, slot, [extension, branch]), 0x99n)
    assert.equal(verifyTrieProof(root, keccak256(slotBytes(4n)), [extension], 'p'), null, 'slot 4 leaves the extension: absent with one node')
    assert.throws(() => verifyStorageProof(root, slot, [extension]), proofError('storageProof[1]', /missing node/))
    assert.throws(() => verifyStorageProof(root, 4n, [extension, branch]), proofError('storageProof[1]', /left after the path ends/))
  })

  it('error: a storage leaf holding zero or a non-canonical value', () => {
    const key = nibblesOf(keccak256(slotBytes(1n)))
    const zero = encodeRlp([hp(key, true), encodeRlp(new Uint8Array(0))])
    assert.throws(() => verifyStorageProof(keccak256(zero), 1n, [zero]), proofError('storageProof.value', /never stores/))
    const padded = encodeRlp([hp(key, true), encodeRlp(Uint8Array.of(0, 7))])
    assert.throws(() => verifyStorageProof(keccak256(padded), 1n, [padded]), proofError('storageProof.value', /leading zero/))
  })

  it('error: a bad hex-prefix flag and a leaf path of the wrong length', () => {
    const flag = encodeRlp([Uint8Array.of(0x40, ...new Uint8Array(32)), int(1n)])
    assert.throws(() => verifyStorageProof(keccak256(flag), 1n, [flag]), proofError('storageProof[0]', /flag 4/))
    const short = encodeRlp([hp([1, 2, 3], true), encodeRlp(int(1n))])
    assert.throws(() => verifyStorageProof(keccak256(short), 1n, [short]), proofError('storageProof[0]', /3 nibbles where 64 remain/))
  })

  it('error: bounds on proof length and node size', () => {
    const big = new Uint8Array(2000)
    assert.throws(() => verifyStorageProof(keccak256(big), 1n, [big]), proofError('storageProof[0]', /2000 bytes/))
    assert.throws(() => verifyStorageProof(EMPTY_TRIE_ROOT, 1n, Array.from({ length: 66 }, () => Uint8Array.of(0x80))), proofError('storageProof', /66 nodes/))
  })
})

describe('trie proofs: eth_getProof answers from anvil', () => {
  let anvil: AnvilNetns | undefined
  let skip: string | undefined
  let contract = ''
  let header: Header
  let previous: Header
  const slots = [0n, 1n, 7n, 2n]
  const absent = '0x000000000000000000000000000000000000dead'

  before(async () => {
    const ok = await isNetnsAvailable()
    if (ok !== true) { skip = `needs network namespaces for anvil: ${ok}`; return }
    anvil = await startAnvilInNetns({ name: 'proof' })
    contract = (await seedState(anvil.rpc)).contract
    header = headerFromRpc(await anvil.rpc('eth_getBlockByNumber', ['latest', false]))
    previous = headerFromRpc(await anvil.rpc('eth_getBlockByNumber', ['0x' + (header.number - 1n).toString(16), false]))
  })
  after(async () => { await anvil?.stop() })

  const live = (t: TestContext): AnvilNetns | undefined => {
    if (skip !== undefined || anvil === undefined) { t.skip(skip ?? 'anvil did not start'); return undefined }
    return anvil
  }
  const block = (): string => '0x' + header.number.toString(16)
  const keys = (s: bigint[]): string[] => s.map(n => bytesToHex(slotBytes(n)))
  type ProofJson = { address: string, balance: string, nonce: string, codeHash: string, storageHash: string, accountProof: string[], storageProof: Array<{ key: string, value: string, proof: string[] }> }
  const getProof = async (a: AnvilNetns, address: string, s: bigint[] = []): Promise<ProofJson> => await a.rpc('eth_getProof', [address, keys(s), block()]) as ProofJson
  const nodes = (list: string[]): Uint8Array[] => list.map(hexToBytes)
  const ok = (check: ProofCheck<ProvenState>): ProvenState => {
    if (!check.ok) assert.fail(check.failure.message)
    return check.value
  }

  it('default: funded accounts prove the balance anvil reports', async (t) => {
    const a = live(t); if (a === undefined) return
    for (const f of FUNDED) {
      const json = await getProof(a, f.address)
      const account = verifyAccountProof(header.stateRoot, f.address, nodes(json.accountProof))
      assert.ok(account !== null)
      assert.equal(account.balance, f.wei)
      assert.equal(account.balance, BigInt(await a.rpc('eth_getBalance', [f.address, block()]) as string))
      assert.deepEqual(account.codeHash, EMPTY_CODE_HASH)
      assert.equal(ok(checkProofResponse(json, header, f.address, [])).balance, f.wei)
    }
  })

  it('default: the contract proves its code hash and storage; an unset slot is proven zero', async (t) => {
    const a = live(t); if (a === undefined) return
    const json = await getProof(a, contract, slots)
    const state = ok(checkProofResponse(json, header, contract, slots))
    assert.equal(state.exists, true)
    assert.equal(state.nonce, 1n, 'a contract created after EIP-161 starts at nonce 1')
    assert.deepEqual(state.codeHash, keccak256(hexToBytes(STORAGE_RUNTIME)))
    assert.equal(await a.rpc('eth_getCode', [contract, block()]), STORAGE_RUNTIME)
    assert.deepEqual(state.storage, [
      { slot: 0n, value: STORAGE_SLOTS[0] }, { slot: 1n, value: STORAGE_SLOTS[1] }, { slot: 7n, value: STORAGE_SLOTS[7] }, { slot: 2n, value: 0n }
    ])
    assert.notDeepEqual(state.storageRoot, EMPTY_TRIE_ROOT)
    const entry = json.storageProof[2]
    assert.ok(entry !== undefined)
    assert.equal(verifyStorageProof(state.storageRoot, 7n, nodes(entry.proof)), STORAGE_SLOTS[7])
  })

  it('default: an absent account is proven absent (exclusion proof), its slots zero', async (t) => {
    const a = live(t); if (a === undefined) return
    const json = await getProof(a, absent, [0n])
    assert.equal(verifyAccountProof(header.stateRoot, absent, nodes(json.accountProof)), null)
    const state = ok(checkProofResponse(json, header, absent, [0n]))
    assert.equal(state.exists, false)
    assert.equal(state.balance, 0n)
    assert.deepEqual(state.storage, [{ slot: 0n, value: 0n }])
  })

  it('error: a changed byte in any node names that node', async (t) => {
    const a = live(t); if (a === undefined) return
    const proof = nodes((await getProof(a, FUNDED[0].address)).accountProof)
    assert.ok(proof.length >= 2)
    for (let i = 0; i < proof.length; i++) {
      const tampered = proof.map(n => n.slice())
      const node = tampered[i] as Uint8Array
      node[node.length - 3] = (node[node.length - 3] as number) ^ 1
      const expected = i === 0 ? /hashes to 0x[0-9a-f]{64} but the root is/ : new RegExp(`but accountProof\\[${i - 1}\\] references`)
      assert.throws(() => verifyAccountProof(header.stateRoot, FUNDED[0].address, tampered), proofError(`accountProof[${i}]`, expected))
    }
  })

  it('error: the claimed balance, nonce, codeHash, storageHash or storage value lies', async (t) => {
    const a = live(t); if (a === undefined) return
    const json = await getProof(a, contract, slots)
    const lie = (patch: (j: ProofJson) => void): { field: string, kind: string, message: string } => {
      const copy = structuredClone(json)
      patch(copy)
      return failureOf(checkProofResponse(copy, header, contract, slots))
    }
    assert.deepEqual(lie(j => { j.balance = '0xde0b6b3a7640000' }), { field: 'balance', kind: 'mismatch', message: 'balance: the answer claims 0xde0b6b3a7640000 but the proof shows 0x0' })
    assert.equal(lie(j => { j.nonce = '0x2' }).field, 'nonce')
    assert.equal(lie(j => { j.codeHash = bytesToHex(EMPTY_CODE_HASH) }).field, 'codeHash')
    assert.equal(lie(j => { j.storageHash = bytesToHex(EMPTY_TRIE_ROOT) }).field, 'storageHash')
    const value = lie(j => { (j.storageProof[1] as { value: string }).value = '0x1235' })
    assert.deepEqual([value.field, value.kind], ['storageProof[1].value', 'mismatch'])
    assert.match(value.message, /claims 0x1235 but the proof shows 0x1234/)
    assert.equal(lie(j => { (j.storageProof[3] as { value: string }).value = '0x1' }).field, 'storageProof[3].value', 'a value claimed for an empty slot')
    const node = lie(j => { const p = (j.storageProof[0] as { proof: string[] }).proof; p[0] = (p[0] as string).slice(0, -2) + '00' })
    assert.equal(node.kind, 'proof')
    assert.equal(node.field, 'storageProof[0].proof[0]')
  })

  it('error: a missing node, an extra node, a stale state root', async (t) => {
    const a = live(t); if (a === undefined) return
    const proof = nodes((await getProof(a, FUNDED[1].address)).accountProof)
    assert.throws(() => verifyAccountProof(header.stateRoot, FUNDED[1].address, proof.slice(0, -1)), proofError(`accountProof[${proof.length - 1}]`, /missing node/))
    assert.throws(() => verifyAccountProof(header.stateRoot, FUNDED[1].address, [...proof, Uint8Array.of(0x80)]), proofError(`accountProof[${proof.length}]`, /1 node\(s\) left/))
    assert.throws(() => verifyAccountProof(previous.stateRoot, FUNDED[1].address, proof), proofError('accountProof[0]', /but the root is/))
  })

  it('error: a proof for another address', async (t) => {
    const a = live(t); if (a === undefined) return
    const json = await getProof(a, FUNDED[2].address)
    assert.throws(() => verifyAccountProof(header.stateRoot, FUNDED[0].address, nodes(json.accountProof)), proofError(/^accountProof\[\d+\]$/))
    const claimsOther = failureOf(checkProofResponse(json, header, FUNDED[0].address, []))
    assert.deepEqual([claimsOther.field, claimsOther.kind], ['address', 'mismatch'])
    const relabelled = failureOf(checkProofResponse({ ...json, address: FUNDED[0].address }, header, FUNDED[0].address, []))
    assert.equal(relabelled.kind, 'proof')
    assert.match(relabelled.field, /^accountProof\[\d+\]$/)
  })

  it('error: malformed JSON fields are named', async (t) => {
    const a = live(t); if (a === undefined) return
    const json = await getProof(a, contract, [0n])
    const bad = (patch: Record<string, unknown>, s: bigint[] = [0n]): string => failureOf(checkProofResponse({ ...json, ...patch }, header, contract, s)).field
    assert.equal(bad({ balance: '0x00' }), 'balance')
    assert.equal(bad({ balance: 5 }), 'balance')
    assert.equal(bad({ nonce: '0x' + '1'.repeat(17) }), 'nonce')
    assert.equal(bad({ codeHash: '0x1234' }), 'codeHash')
    assert.equal(bad({ accountProof: 'nope' }), 'accountProof')
    assert.equal(bad({ accountProof: ['0x1'] }), 'accountProof[0]')
    assert.equal(bad({ storageProof: [] }), 'storageProof')
    assert.equal(bad({}, [1n]), 'storageProof[0].key')
    assert.equal(failureOf(checkProofResponse(null, header, contract, [])).field, 'result')
  })
})
