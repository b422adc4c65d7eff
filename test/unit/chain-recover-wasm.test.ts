/**
 * The WASM recovery backend (tiny-secp256k1) against the pure-JS one it replaces: the same signer
 * for every header of fixture chains, the same refusals for malformed seals, and a fallback to
 * noble, logged once, when the package cannot be loaded.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bigintToBytes, bytesToBigint, concatBytes } from '../../agent/chain/bytes.js'
import { sealHash, sealOf } from '../../agent/chain/header.js'
import { cliquePreset, resolvePreset } from '../../agent/chain/presets.js'
import { recoverWithNoble, type RecoverSigner } from '../../agent/chain/seal/recover.js'
import { createRecoverBackend, importWasmSecp, recoverWithWasm } from '../../agent/chain/seal/recover-wasm.js'
import { createLogger } from '../../agent/log/logger.js'
import { cliqueOf, makeCliqueChain, makeKeys, makeTribeChain, signDigest, tribeOf } from '../fixtures/chain/make-headers.js'

const N = secp256k1.Point.Fn.ORDER
const P = secp256k1.Point.Fp.ORDER
const keys = makeKeys(17, 'wasm')
const digest = new Uint8Array(32).fill(0x5c)
const word = (x: bigint): Uint8Array => bigintToBytes(x).length === 32 ? bigintToBytes(x) : concatBytes(new Uint8Array(32 - bigintToBytes(x).length), bigintToBytes(x))

const isX = (x: bigint): boolean => {
  try { secp256k1.Point.fromHex('02' + x.toString(16).padStart(64, '0')); return true } catch { return false }
}

type Expect = 'key0' | 'none' | 'another'

/** Malformed and edge-case seals, each with what it must recover: key 0, nobody, or some other key. */
function edgeCases (): Array<[string, Uint8Array, Uint8Array, Expect]> {
  const sig = signDigest(digest, keys[0]!)
  const r = sig.subarray(0, 32)
  const s = sig.subarray(32, 64)
  const v = sig.subarray(64)
  let x = 5n // an r that is no curve x-coordinate: x³ + 7 has no square root for about half of all x
  while (isX(x)) x++
  let small = 1n // an r below p − n whose r + n is an x-coordinate: v = 2 or 3 would recover a key
  while (!isX(small + N)) small++
  return [
    ['valid', digest, sig, 'key0'],
    ['high s, flipped v (geth accepts it for seals)', digest, concatBytes(r, word(N - bytesToBigint(s)), Uint8Array.of(sig[64]! ^ 1)), 'key0'],
    ['v = 2', digest, concatBytes(r, s, Uint8Array.of(2)), 'none'],
    ['v = 27', digest, concatBytes(r, s, Uint8Array.of(27)), 'none'],
    ['v = 2, r + n on the curve', digest, concatBytes(word(small), s, Uint8Array.of(2)), 'none'],
    ['v = 3, r + n on the curve', digest, concatBytes(word(small), s, Uint8Array.of(3)), 'none'],
    ['r = 0', digest, concatBytes(new Uint8Array(32), s, v), 'none'],
    ['r = n', digest, concatBytes(word(N), s, v), 'none'],
    ['r = 2^256 - 1', digest, concatBytes(new Uint8Array(32).fill(0xff), s, v), 'none'],
    ['r = p - 1 (≥ n)', digest, concatBytes(word(P - 1n), s, v), 'none'],
    ['r not an x-coordinate', digest, concatBytes(word(x), s, v), 'none'],
    ['s = 0', digest, concatBytes(r, new Uint8Array(32), v), 'none'],
    ['s = n', digest, concatBytes(r, word(N), v), 'none'],
    ['s = n + 1', digest, concatBytes(r, word(N + 1n), v), 'none'],
    ['64-byte seal', digest, sig.subarray(0, 64), 'none'],
    ['66-byte seal', digest, concatBytes(sig, Uint8Array.of(0)), 'none'],
    ['31-byte digest', digest.subarray(1), sig, 'none'],
    ['another digest', new Uint8Array(32), sig, 'another'],
    ['v flipped', digest, concatBytes(r, s, Uint8Array.of(sig[64]! ^ 1)), 'another']
  ]
}

describe('WASM signer recovery', async () => {
  const wasm: RecoverSigner = recoverWithWasm(await importWasmSecp())

  it('default: agrees with noble on a Tribe chain across Chief100Block (97- and 226-byte extra, 17 signers)', () => {
    const preset = tribeOf(resolvePreset('mainnet'))
    const chain = makeTribeChain({ preset, signers: keys, count: 60, from: 2_823_366n - 30n })
    assert.deepEqual([...new Set(chain.headers.map(h => h.extraData.length))], [97, 226])
    chain.headers.forEach((h, i) => {
      const d = sealHash(h, 'tribe')
      const who = wasm(d, sealOf(h))
      assert.equal(who, chain.sealers[i]!.address, `header ${h.number}`)
      assert.equal(who, recoverWithNoble(d, sealOf(h)))
    })
    assert.equal(new Set(chain.sealers.map(k => k.address)).size, 17)
  })

  it('default: agrees with noble on a Clique chain with votes and a checkpoint', () => {
    const preset = cliqueOf(cliquePreset({ chainId: 20180430n, periodS: 15, epoch: 10n }))
    const chain = makeCliqueChain({ preset, keys: keys.slice(0, 6), initialSigners: 5, count: 25, vote: n => n < 8n ? { address: keys[5]!.address, authorize: true } : undefined })
    chain.headers.forEach((h, i) => {
      const d = sealHash(h, 'clique')
      assert.equal(wasm(d, sealOf(h)), chain.sealers[i]!.address, `header ${h.number}`)
      assert.equal(wasm(d, sealOf(h)), recoverWithNoble(d, sealOf(h)))
    })
  })

  it('error: malformed seals recover nobody, as with noble; edge cases the same key', () => {
    for (const [name, d, seal, expect] of edgeCases()) {
      const ours = wasm(d, seal)
      assert.equal(ours, recoverWithNoble(d, seal), name)
      if (expect === 'key0') assert.equal(ours, keys[0]!.address, name)
      else if (expect === 'none') assert.equal(ours, undefined, name)
      else assert.ok(ours !== undefined && ours !== keys[0]!.address, name)
    }
  })

  it('behavior: the backend starts on noble and moves to WASM once loaded', async () => {
    const lines: string[] = []
    const backend = createRecoverBackend({ logger: createLogger({ level: 'debug', write: l => { lines.push(l) } }) }, { native: false })
    const sig = signDigest(digest, keys[3]!)
    assert.equal(backend.name(), 'noble')
    assert.equal(backend.recover(digest, sig), keys[3]!.address)
    assert.equal(await backend.load(), 'wasm')
    assert.equal(await backend.load(), 'wasm')
    assert.equal(backend.recover(digest, sig), keys[3]!.address)
    assert.equal(lines.filter(l => l.includes('Signer recovery uses WASM')).length, 1)
  })

  it('error: without the package it stays on noble and says so in one log line', async () => {
    const lines: string[] = []
    const backend = createRecoverBackend({ logger: createLogger({ level: 'debug', write: l => { lines.push(l) } }) }, { specifier: 'meshbox-no-such-wasm-package', native: false })
    assert.equal(await backend.load(), 'noble')
    assert.equal(await backend.load(), 'noble')
    assert.equal(backend.recover(digest, signDigest(digest, keys[4]!)), keys[4]!.address)
    const warned = lines.filter(l => l.includes('Signer recovery falls back to pure JS'))
    assert.equal(warned.length, 1)
    assert.match(warned[0]!, /meshbox-no-such-wasm-package/)
  })
})
