import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cliqueEpochTransitionSigners, cliqueSigHash, cliqueSigner, createBlockHeader, createSealedCliqueBlockHeader } from '@ethereumjs/block'
import { Hardfork, Mainnet, createCustomCommon } from '@ethereumjs/common'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bigintToBytes, bytesToBigint, bytesToHex, concatBytes, toAddress, type Address } from '../../agent/chain/bytes.js'
import { headerHash, sealHash, type Header } from '../../agent/chain/header.js'
import { cliquePreset, resolvePreset } from '../../agent/chain/presets.js'
import { cliqueSignersFromExtra } from '../../agent/chain/seal/clique-snapshot.js'
import { createSealEngine } from '../../agent/chain/seal/engine.js'
import { cachedRecover, recoverWithNoble, type RecoverSigner } from '../../agent/chain/seal/recover.js'
import type { VerifyContext } from '../../agent/chain/verify/types.js'
import { cliqueOf, corrupt, makeCliqueChain, makeKeys, makeTribeChain, seal, signDigest, tribeOf } from '../fixtures/chain/make-headers.js'

const N = secp256k1.Point.Fn.ORDER
const keys = makeKeys(6)
const digest = new Uint8Array(32).fill(0xab)

describe('signer recovery', () => {
  it('default: recovers the address of the signing key', () => {
    for (const key of keys) assert.equal(recoverWithNoble(digest, signDigest(digest, key)), key.address)
  })

  it('behavior: accepts the high-s twin of a signature, as geth does for seals', () => {
    const sig = signDigest(digest, keys[0]!)
    const s = bytesToBigint(sig.subarray(32, 64))
    const high = concatBytes(sig.subarray(0, 32), bigintToBytes(N - s).slice(-32), Uint8Array.of(sig[64]! ^ 1))
    assert.ok(N - s > N / 2n)
    assert.equal(recoverWithNoble(digest, high), keys[0]!.address)
  })

  it('error: malformed seals recover nobody', () => {
    const sig = signDigest(digest, keys[0]!)
    const withV = (v: number): Uint8Array => concatBytes(sig.subarray(0, 64), Uint8Array.of(v))
    assert.equal(recoverWithNoble(digest, withV(27)), undefined, 'v is 0 or 1 in seals')
    assert.equal(recoverWithNoble(digest, withV(2)), undefined)
    assert.equal(recoverWithNoble(digest, concatBytes(new Uint8Array(32), sig.subarray(32))), undefined, 'r = 0')
    assert.equal(recoverWithNoble(digest, concatBytes(sig.subarray(0, 32), bigintToBytes(N), sig.subarray(64))), undefined, 's = n')
    assert.equal(recoverWithNoble(digest, sig.subarray(1)), undefined, '64 bytes')
    assert.equal(recoverWithNoble(digest.subarray(1), sig), undefined, '31-byte digest')
    const flipped = sig.slice(); flipped[5] = flipped[5]! ^ 1
    assert.notEqual(recoverWithNoble(digest, flipped), keys[0]!.address, 'a changed r gives another key or none')
  })

  it('behavior: cachedRecover recovers once per (digest, seal) and evicts the oldest', () => {
    let calls = 0
    const counting: RecoverSigner = (d, s) => { calls++; return recoverWithNoble(d, s) }
    const recover = cachedRecover(counting, 2)
    const sigs = keys.slice(0, 3).map(k => signDigest(digest, k))
    recover(digest, sigs[0]!); recover(digest, sigs[0]!); recover(digest, sigs[1]!)
    assert.equal(calls, 2)
    recover(digest, sigs[0]!) // refreshes 0, so 1 is the oldest
    recover(digest, sigs[2]!)
    recover(digest, sigs[0]!)
    assert.equal(calls, 3)
    recover(digest, sigs[1]!)
    assert.equal(calls, 4)
  })
})

describe('recovery cache seeding', () => {
  it('behavior: a seeded signer is answered from the cache without recovering', () => {
    let calls = 0
    const recover = cachedRecover((d, s) => { calls++; return recoverWithNoble(d, s) })
    const sig = signDigest(digest, keys[1]!)
    assert.equal(recover.has(digest, sig), false)
    recover.seed(digest, sig, keys[1]!.address)
    assert.equal(recover.has(digest, sig), true)
    assert.equal(recover(digest, sig), keys[1]!.address)
    assert.equal(calls, 0)
    assert.equal(recover.has(digest.slice().fill(1), sig), false, 'keyed by digest and seal')
  })

  it('behavior: the cache key tells every byte and the split between digest and seal apart', () => {
    let calls = 0
    const recover = cachedRecover((d, s) => { calls++; return recoverWithNoble(d, s) })
    const sig = signDigest(digest, keys[2]!)
    assert.equal(recover(digest, sig), keys[2]!.address)
    // The same 97 bytes, split 31 + 66: malformed, so it must not be answered from the entry above.
    assert.equal(recover(digest.subarray(0, 31), concatBytes(digest.subarray(31), sig)), undefined)
    assert.equal(calls, 2)
    for (const b of [0x80, 0x81, 0x9d, 0xff]) {
      const d = digest.slice(); d[0] = b
      recover(d, sig)
    }
    assert.equal(calls, 6, 'bytes 0x80–0xff are distinct in the key')
  })

  it('behavior: engines expose the (seal hash, seal) to recover and take seeded signers', () => {
    let calls = 0
    const engine = createSealEngine('tribe', { recover: (d, s) => { calls++; return recoverWithNoble(d, s) } })
    const preset = resolvePreset('mainnet')
    const chain = makeTribeChain({ preset: tribeOf(preset), signers: keys.slice(0, 3), count: 4, from: 2_823_366n - 2n })
    for (const [i, h] of chain.headers.entries()) {
      const input = engine.sealInput(h)
      assert.ok(input !== undefined)
      assert.deepEqual(input.digest, sealHash(h, 'tribe'))
      assert.deepEqual(input.seal, h.extraData.subarray(h.extraData.length - 65))
      assert.equal(engine.knows(input), false)
      engine.seed(input, chain.sealers[i]!.address)
      assert.equal(engine.knows(input), true)
      assert.equal(engine.verifySeal(h, { preset, engine, nowS: 2e9, signers: new Set(keys.slice(0, 3).map(k => k.address)) }), undefined)
    }
    assert.equal(calls, 0, 'every signer came from the seed')
    assert.equal(engine.sealInput(corrupt(chain.headers[0]!, { extraData: new Uint8Array(64) })), undefined, 'no room for a seal')
    const none = createSealEngine('none')
    assert.equal(none.sealInput(chain.headers[0]!), undefined)
  })
})

describe('tribe engine', () => {
  const preset = resolvePreset('mainnet')
  const tribe = tribeOf(preset)
  const engine = createSealEngine('tribe')
  const ctx: VerifyContext = { preset, engine, nowS: 2e9 }
  const chain = makeTribeChain({ preset: tribe, signers: keys.slice(0, 3), count: 6, from: 2_823_366n - 3n })

  it('default: recovers the sealer of both extraData layouts', () => {
    assert.deepEqual(chain.headers.map(h => h.extraData.length), [97, 97, 226, 226, 226, 226])
    chain.headers.forEach((h, i) => {
      assert.equal(engine.signer(h), chain.sealers[i]!.address)
      assert.equal(engine.verifySeal(h, ctx), undefined)
    })
  })

  it('behavior: with a signer set, a header sealed by an outsider is refused', () => {
    const signers = new Set<Address>(keys.slice(0, 3).map(k => k.address))
    const h = chain.headers[3]!
    assert.equal(engine.verifySeal(h, { ...ctx, signers }), undefined)
    const outsider = seal(h, keys[5]!)
    assert.equal(engine.signer(outsider), keys[5]!.address)
    const f = engine.verifySeal(outsider, { ...ctx, signers })
    assert.equal(f?.rule, 'signer')
    assert.match(f?.message ?? '', new RegExp(`header ${h.number}: seal signer ${keys[5]!.address} is not among the 3 signers`))
  })

  it('error: a damaged seal is refused', () => {
    const h = chain.headers[4]!
    const broken = corrupt(h, { extraData: concatBytes(h.extraData.subarray(0, 161), new Uint8Array(65)) })
    assert.equal(engine.verifySeal(broken, ctx)?.rule, 'seal')
    assert.equal(engine.verifySeal(corrupt(h, { extraData: new Uint8Array(10) }), ctx)?.rule, 'seal')
  })
})

describe('clique engine', () => {
  const preset = cliquePreset({ chainId: 20180430n, periodS: 15, epoch: 30000n })
  const common = createCustomCommon({ name: 'clique-test', chainId: 20180430, consensus: { type: 'poa', algorithm: 'clique', clique: { period: 15, epoch: 30000 } } } as never, Mainnet, { hardfork: Hardfork.Byzantium })
  const toEjs = (h: Header): ReturnType<typeof createBlockHeader> => createBlockHeader({
    parentHash: h.parentHash, uncleHash: h.sha3Uncles, coinbase: h.miner, stateRoot: h.stateRoot, transactionsTrie: h.transactionsRoot,
    receiptTrie: h.receiptsRoot, logsBloom: h.logsBloom, difficulty: h.difficulty, number: h.number, gasLimit: h.gasLimit,
    gasUsed: h.gasUsed, timestamp: h.timestamp, extraData: h.extraData, mixHash: h.mixHash, nonce: h.nonce
  }, { common })
  const engine = createSealEngine('clique')

  it('behavior: our seal hash, signer and block hash agree with @ethereumjs/block', () => {
    const chain = makeCliqueChain({ preset: cliqueOf(preset), keys: keys.slice(0, 4), count: 8 })
    for (const h of [chain.anchor, ...chain.headers]) {
      const theirs = toEjs(h)
      assert.equal(bytesToHex(headerHash(h)), bytesToHex(theirs.hash()))
      if (h.number === 0n) {
        assert.deepEqual(cliqueSignersFromExtra(h.extraData), cliqueEpochTransitionSigners(theirs).map(a => a.toString()))
        continue
      }
      assert.equal(bytesToHex(sealHash(h, 'clique')), bytesToHex(cliqueSigHash(theirs)))
      assert.equal(engine.signer(h), cliqueSigner(theirs).toString())
    }
  })

  it('behavior: recovers the signer of a header sealed by @ethereumjs/block', () => {
    const key = keys[2]!
    const theirs = createSealedCliqueBlockHeader({ number: 7n, difficulty: 1n, gasLimit: 8_000_000n, timestamp: 1_700_000_105n, extraData: new Uint8Array(97) }, key.secretKey, { common, freeze: false })
    const ours: Header = {
      parentHash: theirs.parentHash, sha3Uncles: theirs.uncleHash, miner: theirs.coinbase.bytes, stateRoot: theirs.stateRoot,
      transactionsRoot: theirs.transactionsTrie, receiptsRoot: theirs.receiptTrie, logsBloom: theirs.logsBloom, difficulty: theirs.difficulty,
      number: theirs.number, gasLimit: theirs.gasLimit, gasUsed: theirs.gasUsed, timestamp: theirs.timestamp, extraData: theirs.extraData,
      mixHash: theirs.mixHash, nonce: theirs.nonce
    }
    assert.equal(engine.signer(ours), key.address)
    assert.equal(bytesToHex(headerHash(ours)), bytesToHex(theirs.hash()))
  })
})

describe('none engine', () => {
  it('default: accepts any seal; the signer is the coinbase', () => {
    const engine = createSealEngine('none')
    const h = makeTribeChain({ preset: tribeOf(resolvePreset('mainnet')), signers: keys, count: 1 }).headers[0]!
    assert.equal(engine.verifySeal(h, { preset: resolvePreset('dev'), engine, nowS: 0 }), undefined)
    assert.equal(engine.signer(h), toAddress(h.miner))
  })
})
