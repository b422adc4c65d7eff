/**
 * The native crypto addon (native/crypto, loaded by agent/chain/native.ts) against the pure-JS
 * code it stands in for: Keccak-256 on every length around the sponge's block size, signer
 * recovery on fixture chains and on malformed seals, argument errors that throw instead of
 * crashing, several threads loading it at once, and the loader's fallbacks (switched off, a
 * damaged file, a foreign .node), each in a child process since the loader keeps its first answer.
 * Needs the addon built for this CPU (`make native`; `make test` and `make test-unit` do it).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Worker } from 'node:worker_threads'
import { describe, it } from 'node:test'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, keccak256 } from '../../agent/chain/bytes.js'
import { sealHash, sealOf } from '../../agent/chain/header.js'
import { loadNativeCrypto, nativeFileName, nativeStatus } from '../../agent/chain/native.js'
import { cliquePreset, resolvePreset } from '../../agent/chain/presets.js'
import { recoverWithNative } from '../../agent/chain/seal/recover-native.js'
import { recoverWithNoble } from '../../agent/chain/seal/recover.js'
import { cliqueOf, makeCliqueChain, makeKeys, makeTribeChain, tribeOf } from '../fixtures/chain/make-headers.js'
import { sealEdgeCases } from '../fixtures/chain/seal-cases.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const keys = makeKeys(17, 'native')

const native = loadNativeCrypto()
const addon = (): NonNullable<typeof native> => {
  assert.ok(native !== undefined, `the native addon did not load: ${nativeStatus().reason ?? ''} (make native builds it)`)
  return native
}

describe('native crypto addon', () => {
  it('default: loads from dist/native for this CPU', () => {
    const status = nativeStatus()
    assert.equal(status.loaded, true, status.reason)
    assert.ok(status.file?.endsWith(join('dist', 'native', nativeFileName())), status.file)
  })

  it('default: Keccak-256 equals @noble/hashes for every length 0..700 and the known empty hash', () => {
    const n = addon()
    const out = new Uint8Array(32)
    for (let len = 0; len <= 700; len++) {
      const data = randomBytes(len)
      n.keccak256(data, out)
      assert.equal(bytesToHex(out), bytesToHex(keccak_256(data)), `length ${len}`)
    }
    assert.equal(bytesToHex(keccak256(new Uint8Array(0))), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    // A view into a larger buffer is hashed from its own offset, not the buffer's start.
    const big = randomBytes(300)
    n.keccak256(big.subarray(17, 250), out)
    assert.equal(bytesToHex(out), bytesToHex(keccak_256(big.subarray(17, 250))))
    n.keccak256(randomBytes(1 << 20), out) // a megabyte: several thousand blocks, no limit hit
  })

  it('default: recovers every signer of Tribe (both extra lengths) and Clique chains as noble does', () => {
    const recover = recoverWithNative(addon())
    const tribe = makeTribeChain({ preset: tribeOf(resolvePreset('mainnet')), signers: keys, count: 60, from: 2_823_366n - 30n })
    assert.deepEqual([...new Set(tribe.headers.map(h => h.extraData.length))], [97, 226])
    tribe.headers.forEach((h, i) => {
      assert.equal(recover(sealHash(h, 'tribe'), sealOf(h)), tribe.sealers[i]!.address, `tribe ${h.number}`)
    })
    const clique = makeCliqueChain({ preset: cliqueOf(cliquePreset({ chainId: 20180430n, periodS: 15, epoch: 10n })), keys: keys.slice(0, 5), count: 25 })
    clique.headers.forEach((h, i) => {
      assert.equal(recover(sealHash(h, 'clique'), sealOf(h)), clique.sealers[i]!.address, `clique ${h.number}`)
    })
  })

  it('error: malformed seals recover nobody, as with noble; high s recovers the same key', () => {
    const recover = recoverWithNative(addon())
    const digest = new Uint8Array(32).fill(0xa7)
    for (const [name, d, seal, expect] of sealEdgeCases(digest, keys[0]!)) {
      const ours = recover(d, seal)
      assert.equal(ours, recoverWithNoble(d, seal), name)
      if (expect === 'key0') assert.equal(ours, keys[0]!.address, name)
      else if (expect === 'none') assert.equal(ours, undefined, name)
      else assert.ok(ours !== undefined && ours !== keys[0]!.address, name)
    }
    // The raw call takes v up to 3 and refuses 4 and more without reading past the seal.
    const seal = new Uint8Array(65)
    seal.set(sealEdgeCases(digest, keys[0]!)[0]![2])
    for (const v of [4, 27, 255]) {
      seal[64] = v
      assert.equal(addon().recoverAddress(digest, seal, new Uint8Array(20)), false, `v = ${v}`)
    }
  })

  it('error: wrong argument types and sizes throw a TypeError or RangeError naming the argument', () => {
    const n = addon()
    const d = new Uint8Array(32)
    const s = new Uint8Array(65)
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['no arguments', () => (n.keccak256 as unknown as () => void)(), /keccak256\(data, out\)/],
      ['data as a string', () => { n.keccak256('abc' as unknown as Uint8Array, new Uint8Array(32)) }, /data must be a Uint8Array/],
      ['data as a Uint16Array', () => { n.keccak256(new Uint16Array(4) as unknown as Uint8Array, new Uint8Array(32)) }, /data must be a Uint8Array/],
      ['out of 31 bytes', () => { n.keccak256(d, new Uint8Array(31)) }, /out must be a Uint8Array of at least 32 bytes/],
      ['digest of 31 bytes', () => n.recoverAddress(d.subarray(1), s, new Uint8Array(20)), /digest must be a Uint8Array of 32 bytes/],
      ['digest of 33 bytes', () => n.recoverAddress(new Uint8Array(33), s, new Uint8Array(20)), /digest must be a Uint8Array of 32 bytes/],
      ['seal of 64 bytes', () => n.recoverAddress(d, s.subarray(1), new Uint8Array(20)), /seal must be a Uint8Array of 65 bytes/],
      ['seal as null', () => n.recoverAddress(d, null as unknown as Uint8Array, new Uint8Array(20)), /seal must be a Uint8Array/],
      ['address out of 19 bytes', () => n.recoverAddress(d, s, new Uint8Array(19)), /out must be a Uint8Array of at least 20 bytes/],
      ['key out of 64 bytes', () => n.recoverPublicKey(d, s, new Uint8Array(64)), /out must be a Uint8Array of at least 65 bytes/],
      ['two arguments', () => (n.recoverAddress as unknown as (a: Uint8Array, b: Uint8Array) => boolean)(d, s), /expected \(digest, seal, out\)/]
    ]
    for (const [name, call, message] of cases) {
      assert.throws(call, (err: unknown) => (err instanceof TypeError || err instanceof RangeError) && message.test(err.message), name)
    }
    // Still working after every refusal.
    assert.equal(recoverWithNative(n)(sealHash(makeTribeChain({ preset: tribeOf(resolvePreset('mainnet')), signers: keys, count: 1, from: 10n }).headers[0]!, 'tribe'), new Uint8Array(65)), undefined)
  })

  it('behavior: four worker threads load it at once and give the same answers as this thread', async () => {
    const file = nativeStatus().file as string
    const chain = makeTribeChain({ preset: tribeOf(resolvePreset('mainnet')), signers: keys, count: 40, from: 100n })
    const items = chain.headers.map(h => ({ digest: sealHash(h, 'tribe'), seal: sealOf(h) }))
    const body = `const { parentPort, workerData } = require('node:worker_threads')
      const m = { exports: {} }; process.dlopen(m, workerData.file)
      const out = workerData.items.map(({ digest, seal }) => { const a = new Uint8Array(20); return m.exports.recoverAddress(digest, seal, a) ? Buffer.from(a).toString('hex') : null })
      const h = new Uint8Array(32); m.exports.keccak256(workerData.items[0].seal, h)
      parentPort.postMessage({ out, hash: Buffer.from(h).toString('hex') })`
    const answers = await Promise.all(Array.from({ length: 4 }, async () => await new Promise<{ out: string[], hash: string }>((resolve, reject) => {
      const w = new Worker(body, { eval: true, workerData: { file, items } })
      w.once('message', resolve)
      w.once('error', reject)
    })))
    for (const a of answers) {
      assert.deepEqual(a.out.map(x => `0x${x}`), chain.sealers.map(k => k.address))
      assert.equal(`0x${a.hash}`, bytesToHex(keccak_256(items[0]!.seal)))
    }
  })
})

/** Runs a few lines in a fresh node (tsx), where the loader has not looked yet; returns its JSON. */
interface ChildAnswer { loaded: boolean, reason?: string, backend: string, hash: string, signer: string | undefined }

async function child (env: NodeJS.ProcessEnv): Promise<ChildAnswer> {
  const code = `
    import { nativeStatus } from './agent/chain/native.ts'
    import { keccak256, bytesToHex } from './agent/chain/bytes.ts'
    import { createRecoverBackend } from './agent/chain/seal/recover-wasm.ts'
    import { silentLogger } from './agent/log/logger.ts'
    import { makeKeys, signDigest } from './test/fixtures/chain/make-headers.ts'
    const digest = new Uint8Array(32).fill(3)
    const backend = createRecoverBackend({ logger: silentLogger })
    await backend.load()
    const s = nativeStatus()
    console.log(JSON.stringify({ loaded: s.loaded, reason: s.reason, backend: backend.name(), hash: bytesToHex(keccak256(new Uint8Array(200).fill(1))), signer: backend.recover(digest, signDigest(digest, makeKeys(1, 'child')[0])) }))`
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 })
  return JSON.parse(stdout) as ChildAnswer
}

describe('native crypto loader fallbacks', { timeout: 120_000 }, () => {
  const expectedHash = bytesToHex(keccak_256(new Uint8Array(200).fill(1)))
  const expectedSigner = makeKeys(1, 'child')[0]!.address

  it('error: MESHBOX_NATIVE=off leaves hashing to JS and recovery to WASM, with the same answers', async () => {
    const r = await child({ MESHBOX_NATIVE: 'off' })
    assert.deepEqual(r, { loaded: false, reason: 'MESHBOX_NATIVE=off', backend: 'wasm', hash: expectedHash, signer: expectedSigner })
  })

  it('error: a damaged file is reported, not fatal', async () => {
    const dir = tempDir('native-damaged')
    await writeFile(join(dir, nativeFileName()), randomBytes(4096))
    const r = await child({ MESHBOX_NATIVE_DIR: dir })
    assert.equal(r.loaded, false)
    assert.match(r.reason ?? '', /invalid ELF header/)
    assert.deepEqual([r.backend, r.hash, r.signer], ['wasm', expectedHash, expectedSigner])
  })

  it('error: a foreign Node-API module under our name is refused for its missing exports', async () => {
    const dir = tempDir('native-foreign')
    await copyFile(join(ROOT, 'node_modules/@lmdb/lmdb-linux-x64/node.napi.glibc.node'), join(dir, nativeFileName()))
    const r = await child({ MESHBOX_NATIVE_DIR: dir })
    assert.equal(r.loaded, false)
    assert.match(r.reason ?? '', /exports no keccak256 function/)
    assert.deepEqual([r.backend, r.hash, r.signer], ['wasm', expectedHash, expectedSigner])
  })

  it('default: MESHBOX_NATIVE_DIR pointing at the built file loads it', async () => {
    const r = await child({ MESHBOX_NATIVE_DIR: join(ROOT, 'dist/native') })
    assert.deepEqual([r.loaded, r.backend, r.hash, r.signer], [true, 'native', expectedHash, expectedSigner])
  })
})
