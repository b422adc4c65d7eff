/**
 * The WASM recovery backend (tiny-secp256k1) against the pure-JS one it replaces: the same signer
 * for every header of fixture chains, the same refusals for malformed seals, and a fallback to
 * noble, logged once, when the package cannot be loaded.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { sealHash, sealOf } from '../../agent/chain/header.js'
import { cliquePreset, resolvePreset } from '../../agent/chain/presets.js'
import { recoverWithNoble, type RecoverSigner } from '../../agent/chain/seal/recover.js'
import { createRecoverBackend, importWasmSecp, recoverWithWasm } from '../../agent/chain/seal/recover-wasm.js'
import { createLogger } from '../../agent/log/logger.js'
import { cliqueOf, makeCliqueChain, makeKeys, makeTribeChain, signDigest, tribeOf } from '../fixtures/chain/make-headers.js'
import { sealEdgeCases } from '../fixtures/chain/seal-cases.js'

const keys = makeKeys(17, 'wasm')
const digest = new Uint8Array(32).fill(0x5c)
const edgeCases = (): ReturnType<typeof sealEdgeCases> => sealEdgeCases(digest, keys[0]!)

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
