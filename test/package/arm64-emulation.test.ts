/**
 * The aarch64 package, run: the .ipk for a GL-MT6000 (aarch64_cortex-a53) is built, its data tree
 * unpacked, and `meshbox selftest` runs from it under qemu-user with Node for arm64 from npm
 * (test/helpers/arm64-emu.ts says what is emulated and why lmdb's glibc build is added); the
 * package's aarch64 crypto addon is used as it ships, being libc-free. Each
 * run gets a private network namespace with only loopback. Without root the test says so and
 * skips; as root (CI) a missing piece is a failure, not a skip.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { before, describe, it } from 'node:test'
import { prepareArm64, type Arm64Emu } from '../helpers/arm64-emu.js'
import { buildFor, runnableTree, treeEnv } from '../helpers/package-build.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const ARCH = 'aarch64_cortex-a53'
const isRoot = process.getuid?.() === 0

/** Runs the emulated Node with `args` in a fresh network namespace; exit code and output. */
async function emulated (emu: Arm64Emu, args: string[]): Promise<{ code: number, out: string }> {
  const [cmd, argv] = emu.nodeCommand(args)
  return await run('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', cmd, ...argv], { env: treeEnv(), timeout: 180_000, maxBuffer: 4 << 20 })
    .then(r => ({ code: 0, out: r.stdout + r.stderr }), (e: { code: number, stdout: string, stderr: string }) => ({ code: e.code, out: `${e.stdout}${e.stderr}` }))
}

describe(`the ${ARCH} package under emulation`, { timeout: 600_000 }, () => {
  let emu: Arm64Emu | string = 'not prepared'
  let app = ''
  before(async () => {
    if (!isRoot) return
    emu = prepareArm64()
    if (typeof emu === 'string') return
    app = join(await runnableTree(await buildFor(ARCH), 'arm64'), 'usr/lib/meshbox')
  })

  it('behavior: Node for arm64 runs under qemu, as arm64', async (t) => {
    if (!isRoot) { t.skip('needs root for a private network namespace (unshare -n)'); return }
    assert.ok(typeof emu !== 'string', `aarch64 emulation unavailable: ${String(emu)}`)
    const r = await emulated(emu, ['-p', 'process.arch + " " + process.version'])
    assert.equal(r.code, 0, r.out)
    assert.equal(r.out.trim(), `arm64 ${process.version}`)
  })

  it('behavior: `meshbox selftest` passes from the unpacked package (store on lmdb\'s arm64 build, libp2p node, HTTP, recovery in the aarch64 addon)', async (t) => {
    if (!isRoot) { t.skip('needs root for a private network namespace (unshare -n)'); return }
    assert.ok(typeof emu !== 'string', `aarch64 emulation unavailable: ${String(emu)}`)
    const t0 = performance.now()
    const r = await emulated(emu, [join(app, 'meshbox.mjs'), 'selftest', '--data-dir', join(tempDir('arm64-data'), 'd')])
    t.diagnostic(`selftest under emulation took ${Math.round(performance.now() - t0)} ms`)
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /ok\s+store and identity/)
    assert.match(r.out, /ok\s+libp2p node/)
    // the package's own aarch64 addon, loaded by the arm64 Node (not the WASM fallback)
    assert.match(r.out, /^ok\s+signer recovery \(native here, native in a worker\)$/m)
    assert.match(r.out, /selftest passed/)
  })

  it('error: with only the package\'s musl build, a glibc Node cannot open the store, and says so', async (t) => {
    if (!isRoot) { t.skip('needs root for a private network namespace (unshare -n)'); return }
    assert.ok(typeof emu !== 'string', `aarch64 emulation unavailable: ${String(emu)}`)
    // Proves the run above stood on the arm64 native file we added, and that the package's own is musl.
    const musl = join(tempDir('arm64-musl'), 'app')
    await run('cp', ['-a', app, musl])
    await run('rm', [join(musl, 'node_modules/@lmdb/lmdb-linux-arm64/node.napi.glibc.node')])
    const r = await emulated(emu, [join(musl, 'meshbox.mjs'), 'selftest', '--data-dir', join(tempDir('arm64-data'), 'd')])
    assert.notEqual(r.code, 0, 'selftest must fail without a loadable store')
    assert.match(r.out, /store/i, r.out)
  })
})
