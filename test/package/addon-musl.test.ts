/**
 * What this proves: the crypto addon file we build for a CPU (dist/native/meshbox-crypto-linux-<cpu>.node,
 * scripts/build-native.ts) loads and gives correct answers in a musl process, as it must under
 * node on OpenWrt, and not only in the glibc node it is otherwise tested in.
 *
 * No musl build of node exists here, so test/fixtures/native/napi-host.c stands in for it: a
 * dynamically linked musl executable (Debian's musl-gcc, interpreter /lib/ld-musl-<machine>.so.1)
 * that exports fake napi_* functions the way node exports the real ones, dlopens the real addon
 * file with musl's loader and calls its functions. The addon is linked -nostdlib, so its
 * malloc/free/memcpy/memset/abort bind to musl there; a symbol musl lacks, a symbol version or a
 * relocation musl's loader does not handle fails the load (RTLD_NOW) and this test. The answers
 * are checked against @noble/hashes (Keccak-256 over 0..700 bytes, every block edge) and
 * @noble/curves (signer recovery for random keys), and the same host built with the glibc
 * compiler must answer the same, byte for byte.
 *
 * On an x64 box the arm64 file, the one aarch64 routers load, gets the same checks in an aarch64
 * musl process under qemu-user: the same host source built with Debian's aarch64 cross gcc against
 * Debian's musl for arm64 (unpacked by `make arm64-emu`, not installed).
 *
 * What it does not prove: that node's real N-API behaves like these fakes (the tests that load
 * the file in node, through agent/chain/native.ts, cover that, in glibc node), or anything about
 * 32-bit ARM.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { arch } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { before, describe, it, type TestContext } from 'node:test'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { buildNative, type NativeCpu } from '../../scripts/build-native.js'
import { parseElf } from '../../scripts/package/elf.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const HOST_SOURCE = join(ROOT, 'test/fixtures/native/napi-host.c')
const NAPI_HEADERS = join(ROOT, 'node_modules/node-api-headers/include')
/** node's process.arch → the machine name in musl's loader path (/lib/ld-musl-<machine>.so.1). */
const MUSL_MACHINE: Partial<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armhf' }
const N = secp256k1.Point.Fn.ORDER

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const u8 = (b: Uint8Array): string => `u8:${hex(b)}`

interface Loaded { loaded: true, libc: string, apiVersion: number, exports: string[], objects: string[] }
interface Thrown { kind: 'error' | 'type' | 'range', code: string, message: string }
interface Answer { result?: 'undefined' | 'true' | 'false', throw?: Thrown, outs: string[] }
interface HostRun { loaded: Loaded, answers: Answer[], stdout: string }

/** How to start a host program: directly, or under qemu with a sysroot. The addon's path is appended. */
interface Host { command: string, args: string[] }

interface Exit { code: number | null, stdout: string, stderr: string }

/** Runs `host` on `addon` with one command per stdin line. */
async function spawnHost (host: Host, addon: string, commands: string[]): Promise<Exit> {
  const child = spawn(host.command, [...host.args, addon], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(signal === null ? code : -1))
  })
  // a host that dies before reading (a failed dlopen) closes the pipe: its exit code and stderr
  // tell what happened, so EPIPE here is not the error to report
  child.stdin.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE') throw err })
  child.stdin.end(commands.map(c => c + '\n').join(''))
  return { code: await exit, stdout, stderr }
}

/** spawnHost, parsed; rejects on a non-zero exit or a missing answer. */
async function runHost (host: Host, addon: string, commands: string[]): Promise<HostRun> {
  const { code, stdout, stderr } = await spawnHost(host, addon, commands)
  // a crash in the addon (a bad free under musl's malloc, say) shows here as a signal
  assert.equal(code, 0, `${[host.command, ...host.args].join(' ')} exited ${code}: ${stderr.trim()}\nlast output: ${stdout.trim().split('\n').at(-1) ?? ''}`)
  const lines = stdout.trim().split('\n').map(l => JSON.parse(l) as unknown)
  const [first, ...rest] = lines
  const last = rest.pop()
  assert.deepEqual(last, { finalized: true }, 'the instance finalizer ran and the host got past it')
  assert.equal(rest.length, commands.length, 'one answer per command')
  return { loaded: first as Loaded, answers: rest as Answer[], stdout }
}

/** Bytes from a fixed-seed xorshift, so a failing length reproduces. */
function pseudoRandom (n: number, seed: number): Uint8Array {
  let x = (seed * 2654435761) >>> 0 || 1
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

const bigToBytes = (v: bigint): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'))
const bytesToBig = (b: Uint8Array): bigint => BigInt('0x' + hex(b))

interface SealCase { digest: Uint8Array, seal: Uint8Array, publicKey: Uint8Array, address: Uint8Array }

/** A signature by a random key in our seal layout, r || s || v; noble puts the recovery byte first. */
function sealCase (): SealCase {
  const key = secp256k1.utils.randomSecretKey()
  const digest = keccak_256(crypto.getRandomValues(new Uint8Array(48)))
  const recovered = secp256k1.sign(digest, key, { prehash: false, format: 'recovered' })
  const seal = new Uint8Array(65)
  seal.set(recovered.subarray(1, 65), 0)
  seal[64] = recovered[0] ?? 0xff
  const publicKey = secp256k1.getPublicKey(key, false)
  return { digest, seal, publicKey, address: keccak_256(publicKey.subarray(1)).subarray(12) }
}

/** The same signature with s → n - s and the parity flipped: recovers the same key (the addon accepts high s). */
function highS (seal: Uint8Array): Uint8Array {
  const out = seal.slice()
  out.set(bigToBytes(N - bytesToBig(seal.subarray(32, 64))), 32)
  out[64] = (seal[64] ?? 0) ^ 1
  return out
}

/** The checks both CPUs get: the load itself, Keccak-256, recovery, argument errors. */
const checks = {
  async loads (host: Host, addon: string, loader: string): Promise<Loaded> {
    const { loaded } = await runHost(host, addon, [])
    assert.equal(loaded.libc, 'musl')
    assert.deepEqual(loaded.exports, ['keccak256', 'recoverAddress', 'recoverPublicKey'])
    assert.ok(loaded.objects.includes(addon), loaded.objects.join(', '))
    assert.ok(loaded.objects.includes(loader), loaded.objects.join(', '))
    // had anything pulled glibc in, it would be listed here
    assert.deepEqual(loaded.objects.filter(o => /libc\.so\.6|ld-linux/.test(o)), [])
    return loaded
  },

  async keccak (host: Host, addon: string): Promise<void> {
    const inputs = Array.from({ length: 701 }, (_, n) => pseudoRandom(n, n + 1))
    // out:40: the 8 bytes past the hash must stay 0xaa; u8+k: data that is not 8-byte aligned
    const commands = inputs.map((d, i) => `keccak256 ${i % 3 === 0 ? `u8+${i % 16}:${hex(d)}` : u8(d)} out:40`)
    const { answers } = await runHost(host, addon, commands)
    for (const [i, d] of inputs.entries()) {
      assert.deepEqual(answers[i], { result: 'undefined', outs: [hex(keccak_256(d)) + 'aa'.repeat(8)] }, `length ${d.length}`)
    }
    // fixed vectors too, so a wrong reference would not go unseen
    const fixed = await runHost(host, addon, ['keccak256 u8: out:32', 'keccak256 u8:616263 out:32'])
    assert.equal(fixed.answers[0]?.outs[0], 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    assert.equal(fixed.answers[1]?.outs[0], '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45')
  },

  /** Returns the milliseconds the host took, load and the context's tables included. */
  async recovery (host: Host, addon: string, keys: number): Promise<{ recoveries: number, ms: number }> {
    const cases = Array.from({ length: keys }, sealCase)
    const commands: string[] = []
    for (const c of cases) {
      for (const seal of [c.seal, highS(c.seal)]) {
        commands.push(`recoverAddress ${u8(c.digest)} ${u8(seal)} out:20`, `recoverPublicKey ${u8(c.digest)} ${u8(seal)} out:65`)
      }
    }
    const started = performance.now()
    const { answers } = await runHost(host, addon, commands)
    const ms = performance.now() - started
    for (const [i, c] of cases.entries()) {
      for (const [j, which] of ['low s', 'high s'].entries()) {
        const at = i * 4 + j * 2
        assert.deepEqual(answers[at], { result: 'true', outs: [hex(c.address)] }, `case ${i} ${which}: address`)
        assert.deepEqual(answers[at + 1], { result: 'true', outs: [hex(c.publicKey)] }, `case ${i} ${which}: public key`)
      }
    }
    // the wrong digest recovers some other key: the answer depends on every input
    const c0 = cases[0]
    assert.ok(c0 !== undefined)
    const other = await runHost(host, addon, [`recoverAddress ${u8(keccak_256(c0.digest))} ${u8(c0.seal)} out:20`])
    assert.equal(other.answers[0]?.result, 'true')
    assert.notEqual(other.answers[0]?.outs[0], hex(c0.address))
    return { recoveries: commands.length, ms }
  },

  async errors (host: Host, addon: string): Promise<void> {
    const c = sealCase()
    const digest = u8(c.digest)
    const seal = (edit: (s: Uint8Array) => void): string => { const s = c.seal.slice(); edit(s); return u8(s) }
    const untouched = (n: number): string[] => ['aa'.repeat(n)]
    const range = (message: string, out: number): Answer => ({ throw: { kind: 'range', code: 'ERR_INVALID_ARG_VALUE', message }, outs: untouched(out) })
    const type = (code: string, message: string, outs: string[]): Answer => ({ throw: { kind: 'type', code, message }, outs })
    const noKey: Answer = { result: 'false', outs: untouched(20) }
    const cases: Array<[string, Answer]> = [
      [`recoverAddress ${u8(c.digest.subarray(0, 31))} ${u8(c.seal)} out:20`, range('digest must be a Uint8Array of 32 bytes', 20)],
      [`recoverAddress u8:${hex(c.digest)}00 ${u8(c.seal)} out:20`, range('digest must be a Uint8Array of 32 bytes', 20)],
      [`recoverAddress ${digest} ${u8(c.seal.subarray(0, 64))} out:20`, range('seal must be a Uint8Array of 65 bytes', 20)],
      [`recoverAddress ${digest} ${u8(c.seal)} out:19`, range('out must be a Uint8Array of at least 20 bytes', 19)],
      [`recoverPublicKey ${digest} ${u8(c.seal)} out:64`, range('out must be a Uint8Array of at least 65 bytes', 64)],
      ['keccak256 u8:00 out:31', range('out must be a Uint8Array of at least 32 bytes', 31)],
      ['keccak256 obj out:32', type('ERR_INVALID_ARG_TYPE', 'data must be a Uint8Array', untouched(32))],
      ['keccak256 f32:0000803f out:32', type('ERR_INVALID_ARG_TYPE', 'data must be a Uint8Array', untouched(32))],
      [`recoverAddress obj ${u8(c.seal)} out:20`, type('ERR_INVALID_ARG_TYPE', 'digest must be a Uint8Array of 32 bytes', untouched(20))],
      ['keccak256 u8:00', type('ERR_MISSING_ARGS', 'keccak256(data, out)', [])],
      [`recoverAddress ${digest} ${u8(c.seal)}`, type('ERR_MISSING_ARGS', 'expected (digest, seal, out)', [])],
      // seals that recover no key: false, no exception (zero seal, v out of 0..3, r or s zero or >= n)
      [`recoverAddress ${digest} ${u8(new Uint8Array(65))} out:20`, noKey],
      [`recoverAddress ${digest} ${seal(s => { s[64] = 4 })} out:20`, noKey],
      [`recoverAddress ${digest} ${seal(s => { s[64] = 27 })} out:20`, noKey],
      [`recoverAddress ${digest} ${seal(s => { s.fill(0, 0, 32) })} out:20`, noKey],
      [`recoverAddress ${digest} ${seal(s => { s.fill(0, 32, 64) })} out:20`, noKey],
      [`recoverAddress ${digest} ${seal(s => { s.set(bigToBytes(N), 0) })} out:20`, noKey],
      [`recoverAddress ${digest} ${seal(s => { s.set(bigToBytes(N), 32) })} out:20`, noKey],
      [`recoverPublicKey ${digest} ${u8(new Uint8Array(65))} out:65`, { result: 'false', outs: untouched(65) }]
    ]
    const { answers } = await runHost(host, addon, cases.map(([command]) => command))
    for (const [i, [command, expected]] of cases.entries()) assert.deepEqual(answers[i], expected, command.slice(0, 60))
  }
}

// -rdynamic: the napi_* fakes go into the dynamic symbol table, where the addon looks for them
const HOST_FLAGS = ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-rdynamic', `-I${NAPI_HEADERS}`, HOST_SOURCE]

describe(`the ${arch()} crypto addon in a musl process`, { timeout: 180_000 }, () => {
  const cpu = arch()
  const machine = MUSL_MACHINE[cpu]
  const loader = `/lib/ld-musl-${machine ?? 'unknown'}.so.1`
  let addon = ''
  let musl: Host = { command: '', args: [] }
  let glibc: Host = { command: '', args: [] }

  before(async () => {
    assert.ok(machine !== undefined, `no musl loader name known for ${cpu}`)
    // missing musl-gcc must fail loudly: a skipped test would leave the musl claim unproven
    await run('musl-gcc', ['--version']).catch(() => {
      throw new Error('musl-gcc not found: install Debian\'s musl-tools (make system-deps does, as root); without it the addon\'s musl loading is untested')
    })
    // the real file, rebuilt only when a source is newer (what make native does)
    addon = (await buildNative(cpu as NativeCpu)).file
    const dir = tempDir('addon-musl')
    musl = { command: join(dir, 'napi-host-musl'), args: [] }
    glibc = { command: join(dir, 'napi-host-glibc'), args: [] }
    await run('musl-gcc', [...HOST_FLAGS, '-o', musl.command])
    await run(process.env.CC ?? 'cc', [...HOST_FLAGS, '-o', glibc.command])
  })

  it('default: the host is a dynamically linked musl executable, and the addon names no library', async (t) => {
    const elf = parseElf(await readFile(musl.command))
    assert.equal(elf.interp, loader)
    assert.deepEqual(elf.needed, ['libc.so'])
    // musl's loader is its own ldd; glibc's ldd cannot read a musl executable
    const { stdout: ldd } = await run(loader, ['--list', musl.command])
    assert.match(ldd, /libc\.so => \/lib\/ld-musl-/)
    assert.doesNotMatch(ldd, /libc\.so\.6|ld-linux/)
    const { stdout: interp } = await run('readelf', ['-l', musl.command])
    assert.match(interp, /Requesting program interpreter: \/lib\/ld-musl-/)
    // what makes one file serve both: no DT_NEEDED and no version requirements
    assert.deepEqual(parseElf(await readFile(addon)).needed, [])
    const { stdout: versions } = await run('readelf', ['--version-info', '--wide', addon])
    assert.match(versions, /No version information found/)
    t.diagnostic(`host: interpreter ${elf.interp}, needs ${elf.needed.join(' ')}; ldd: ${ldd.trim().replace(/\s+/g, ' ')}`)
  })

  it('default: the addon loads under musl\'s loader, registers its three functions, and musl is the only C library in the process', async (t) => {
    const loaded = await checks.loads(musl, addon, loader)
    t.diagnostic(`Node-API version ${loaded.apiVersion}; objects: ${loaded.objects.filter(o => o !== '').join(', ')}`)
  })

  it('behavior: keccak256 under musl equals @noble/hashes for every length 0..700 (rate 136: 135, 136, 137, 272 included), at odd offsets too', async () => {
    await checks.keccak(musl, addon)
  })

  it('behavior: recoverAddress and recoverPublicKey under musl equal @noble/curves for random keys, low and high s', async (t) => {
    const { recoveries, ms } = await checks.recovery(musl, addon, 24)
    t.diagnostic(`${recoveries} recoveries in one musl process: ${ms.toFixed(0)} ms including load and the context's tables`)
  })

  it('error: bad arguments under musl throw with Node\'s codes; seals that recover no key answer false', async () => {
    await checks.errors(musl, addon)
  })

  it('behavior: the same file in a glibc process gives the same answers, line for line', async (t) => {
    const commands = [
      ...Array.from({ length: 300 }, (_, n) => `keccak256 ${u8(pseudoRandom(n, 7000 + n))} out:32`),
      ...Array.from({ length: 6 }, sealCase).flatMap(c => [`recoverAddress ${u8(c.digest)} ${u8(c.seal)} out:20`, `recoverPublicKey ${u8(c.digest)} ${u8(highS(c.seal))} out:65`]),
      `recoverAddress u8:${'11'.repeat(31)} u8:${'00'.repeat(65)} out:20`,
      `recoverAddress u8:${'11'.repeat(32)} u8:${'00'.repeat(65)} out:20`,
      'keccak256 obj out:32'
    ]
    const inMusl = await runHost(musl, addon, commands)
    const inGlibc = await runHost(glibc, addon, commands)
    assert.equal(inGlibc.loaded.libc, 'glibc')
    assert.ok(inGlibc.loaded.objects.some(o => /libc\.so\.6/.test(o)), inGlibc.loaded.objects.join(', '))
    assert.deepEqual(inMusl.answers, inGlibc.answers)
    t.diagnostic(`glibc objects: ${inGlibc.loaded.objects.filter(o => o !== '').join(', ')}`)
  })

  it('error: the harness is not blind: a file importing a glibc-only function fails in the musl host and loads in the glibc one', async () => {
    // linked the way scripts/build-native.ts links ours, but calling gnu_get_libc_version
    const dir = tempDir('addon-musl-control')
    const source = join(dir, 'control.c')
    const control = join(dir, 'control.node')
    await writeFile(source, [
      '#include <node_api.h>',
      'extern const char *gnu_get_libc_version(void);',
      'NAPI_MODULE_INIT() { (void)gnu_get_libc_version(); return exports; }',
      ''
    ].join('\n'))
    await run(process.env.CC ?? 'cc', ['-O2', '-fPIC', '-shared', '-nostdlib', `-I${NAPI_HEADERS}`, '-o', control, source])
    const inMusl = await spawnHost(musl, control, [])
    assert.equal(inMusl.code, 2, inMusl.stdout)
    assert.match(inMusl.stderr, /dlopen failed: .*gnu_get_libc_version/)
    const inGlibc = await runHost(glibc, control, [])
    assert.deepEqual(inGlibc.loaded.exports, [])
  })
})

/**
 * Where `make arm64-emu` unpacks Debian's musl and musl-dev for arm64 (not installed): the loader
 * for qemu -L, and the headers, start files and musl-gcc.specs to build the host against.
 */
const ARM64_MUSL = join(ROOT, '.cache/arm64/musl')

/** The host built for aarch64 musl and run under qemu, or why that cannot be done here. */
async function prepareArm64Musl (dir: string): Promise<Host | string> {
  const qemu = await run('qemu-aarch64-static', ['--version']).then(() => 'qemu-aarch64-static', () => undefined)
  if (qemu === undefined) return 'qemu-aarch64-static is not installed (Debian package qemu-user-static; make system-deps installs it as root)'
  const cc = 'aarch64-linux-gnu-gcc'
  if (await run(cc, ['--version']).then(() => false, () => true)) return `${cc} is not installed (Debian package gcc-aarch64-linux-gnu; make system-deps installs it as root)`
  const specs = await readFile(join(ARM64_MUSL, 'usr/lib/aarch64-linux-musl/musl-gcc.specs'), 'utf8').catch(() => undefined)
  if (specs === undefined || !existsSync(join(ARM64_MUSL, 'lib/ld-musl-aarch64.so.1'))) {
    return `musl for arm64 is missing at ${ARM64_MUSL} (make arm64-emu unpacks Debian's musl and musl-dev for arm64 there, as root)`
  }
  // Debian's musl-gcc.specs for arm64 names the installed paths; point them into the unpacked tree
  const local = join(dir, 'musl-gcc.specs')
  await writeFile(local, specs
    .replaceAll('/usr/include/aarch64-linux-musl', join(ARM64_MUSL, 'usr/include/aarch64-linux-musl'))
    .replaceAll('/usr/lib/aarch64-linux-musl', join(ARM64_MUSL, 'usr/lib/aarch64-linux-musl')))
  const host = join(dir, 'napi-host-musl-arm64')
  // libc.so (the loader itself) sits in lib/, not usr/lib/
  await run(cc, ['-specs', local, `-L${join(ARM64_MUSL, 'lib/aarch64-linux-musl')}`, ...HOST_FLAGS, '-o', host])
  return { command: qemu, args: ['-L', ARM64_MUSL, host] }
}

// The routers' CPU. On an arm64 box the suite above already runs the arm64 file natively.
describe('the arm64 crypto addon in an aarch64 musl process, under qemu', { timeout: 300_000, skip: arch() !== 'x64' && 'the host is not x64: the suite above covers this CPU natively' }, () => {
  const loader = '/lib/ld-musl-aarch64.so.1'
  const isRoot = process.getuid?.() === 0
  let addon = ''
  let musl: Host | string = 'not prepared'

  before(async () => {
    musl = await prepareArm64Musl(tempDir('addon-musl-arm64'))
    // as root (CI, where make installs and unpacks everything) a missing piece is a failure
    if (typeof musl === 'string') {
      if (isRoot) throw new Error(musl)
      return
    }
    addon = (await buildNative('arm64')).file
  })

  /** The host, or undefined after skipping the test with the reason it cannot run here. */
  const ready = (t: TestContext): Host | undefined => {
    if (typeof musl === 'string') { t.skip(musl); return undefined }
    return musl
  }

  it('default: the host is an aarch64 musl executable, and the arm64 addon names no library', async (t) => {
    const host = ready(t)
    if (host === undefined) return
    const elf = parseElf(await readFile(host.args.at(-1) ?? ''))
    assert.equal(elf.machine, 183)
    assert.equal(elf.interp, loader)
    assert.deepEqual(elf.needed, ['libc.so'])
    const addonElf = parseElf(await readFile(addon))
    assert.equal(addonElf.machine, 183)
    assert.deepEqual(addonElf.needed, [])
  })

  it('default: the addon loads under aarch64 musl\'s loader and musl is the only C library in the process', async (t) => {
    const host = ready(t)
    if (host === undefined) return
    const loaded = await checks.loads(host, addon, loader)
    t.diagnostic(`objects: ${loaded.objects.filter(o => o !== '').join(', ')}`)
  })

  it('behavior: keccak256 under aarch64 musl equals @noble/hashes for every length 0..700', async (t) => {
    const host = ready(t)
    if (host === undefined) return
    await checks.keccak(host, addon)
  })

  it('behavior: recovery under aarch64 musl equals @noble/curves for random keys, low and high s', async (t) => {
    const host = ready(t)
    if (host === undefined) return
    const { recoveries, ms } = await checks.recovery(host, addon, 8)
    t.diagnostic(`${recoveries} recoveries in one emulated process: ${ms.toFixed(0)} ms`)
  })

  it('error: bad arguments under aarch64 musl throw with Node\'s codes; seals that recover no key answer false', async (t) => {
    const host = ready(t)
    if (host === undefined) return
    await checks.errors(host, addon)
  })
})
