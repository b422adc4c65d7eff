/**
 * The native crypto addon in the package (built by scripts/build-native.ts, staged by
 * scripts/package/stage.ts): where it lands, its mode and ELF header, that it names no library
 * and takes only Node-API and a few libc functions from outside (our ELF reader and binutils' nm
 * must agree on that); NATIVE=none leaves it out and the packaged agent falls back to WASM; and
 * staging refuses a file built for another CPU or tied to one libc.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { before, describe, it } from 'node:test'
import { listProfiles } from '../../agent/config/profile.js'
import { EXTERNAL } from '../../scripts/build.js'
import { foreignImports, LIBC_ALLOWED } from '../../scripts/build-native.js'
import { targetArch } from '../../scripts/package/arch.js'
import { PKG_DIR, ROOT } from '../../scripts/package/build.js'
import { elfImports, parseElf } from '../../scripts/package/elf.js'
import { tarballName, type Lockfile } from '../../scripts/package/npm.js'
import { LAYOUT, stageTree } from '../../scripts/package/stage.js'
import { readTar } from '../../scripts/package/tar.js'
import { agentBundle, buildFor, packagedSelftest, runnableTree, type BuiltPackage } from '../helpers/package-build.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const CASES = [{ arch: 'aarch64_cortex-a53', cpu: 'arm64', machine: 183 }, { arch: 'x86_64', cpu: 'x64', machine: 62 }] as const
const addonPath = (cpu: string): string => `./${LAYOUT.nativeDir}/meshbox-crypto-linux-${cpu}.node`

/** Stages the x86_64 or aarch64 tree as buildPackage does, with `file` as the addon. */
async function stageWith (arch: string, file: string): Promise<string> {
  const root = join(tempDir('addon-stage'), 'root')
  await stageTree({
    root, bundle: await agentBundle(), filesDir: join(PKG_DIR, 'files'), profiles: listProfiles(), target: targetArch(arch),
    lock: JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile, roots: EXTERNAL,
    cacheDir: join(ROOT, '.cache/npm'), strip: null, addon: async () => file
  })
  return root
}

describe('the crypto addon in the package', { timeout: 180_000 }, () => {
  const built = new Map<string, BuiltPackage>()
  let without: BuiltPackage | undefined
  before(async () => {
    for (const c of CASES) built.set(c.arch, await buildFor(c.arch))
    without = await buildFor('x86_64', { native: false })
  })
  const shipped = (arch: string, cpu: string): Uint8Array => {
    const m = built.get(arch)?.data.find(x => x.path === addonPath(cpu))
    assert.ok(m !== undefined, `${arch}: no ${addonPath(cpu)}`)
    return m.data
  }

  it('default: usr/lib/meshbox/native/meshbox-crypto-linux-<cpu>.node, 0644, for the target machine, 64-bit, naming no library', async (t) => {
    for (const c of CASES) {
      const p = built.get(c.arch)
      const members = p?.data.filter(m => m.path.startsWith(`./${LAYOUT.nativeDir}/`)).map(m => [m.path, m.type, m.mode.toString(8)])
      assert.deepEqual(members, [[`./${LAYOUT.nativeDir}/`, 'dir', '755'], [addonPath(c.cpu), 'file', '644']], c.arch)
      const data = shipped(c.arch, c.cpu)
      const elf = parseElf(data)
      assert.deepEqual([elf.machine, elf.elf64, elf.type, elf.interp, elf.needed], [c.machine, true, 3, undefined, []], c.arch)
      assert.deepEqual(data, new Uint8Array(await readFile(join(ROOT, 'dist/native', `meshbox-crypto-linux-${c.cpu}.node`))), 'ships as built')
      assert.equal(p?.addon?.bytes, data.length)
      t.diagnostic(`${c.arch}: ${addonPath(c.cpu)} ${data.length} bytes, .ipk ${p?.ipkBytes} bytes`)
    }
  })

  it('default: it imports only Node-API and allowed libc functions, unversioned; our ELF reader and nm -D agree', async () => {
    for (const c of CASES) {
      const file = join(tempDir('addon-nm'), 'a.node')
      await writeFile(file, shipped(c.arch, c.cpu))
      const { stdout } = await run(process.env.NM ?? 'nm', ['-D', '--undefined-only', file])
      const fromNm = stdout.split('\n').map(l => l.trim().split(/\s+/).at(-1) ?? '').filter(n => n !== '').sort()
      const ours = elfImports(shipped(c.arch, c.cpu)).sort()
      assert.deepEqual(ours, fromNm, c.arch)
      assert.deepEqual(foreignImports(ours), [], c.arch)
      assert.ok(ours.every(n => /^(napi|node_api)_\w+$/.test(n) || LIBC_ALLOWED.has(n)), ours.join(' '))
      for (const n of ['napi_define_properties', 'malloc', 'free']) assert.ok(ours.includes(n), `${c.arch}: ${n}`)
      assert.deepEqual(built.get(c.arch)?.addon?.imports.slice().sort(), ours)
    }
  })

  it('behavior: NATIVE=none, or native: false, leaves it out; the package builds and is otherwise the same', async (t) => {
    const on = built.get('x86_64')
    assert.ok(on !== undefined && without !== undefined)
    assert.equal(without.addon, null)
    const saved = process.env.NATIVE
    process.env.NATIVE = 'none'
    const byEnv = await buildFor('x86_64').finally(() => { if (saved === undefined) delete process.env.NATIVE; else process.env.NATIVE = saved })
    assert.ok(byEnv.ipk.equals(without.ipk), 'NATIVE=none and native: false build the same bytes')
    const paths = new Set(without.data.map(m => m.path))
    assert.deepEqual(on.data.map(m => m.path).filter(x => !paths.has(x)), [`./${LAYOUT.nativeDir}/`, addonPath('x64')])
    t.diagnostic(`x86_64 .ipk ${on.ipkBytes} bytes with the addon, ${without.ipkBytes} without (+${on.ipkBytes - without.ipkBytes})`)
  })

  it('behavior: without the addon the packaged agent recovers signers in WASM and selftest passes', async (t) => {
    if (process.getuid?.() !== 0) { t.skip('needs root for a private network namespace (unshare -n)'); return }
    assert.ok(without !== undefined)
    const r = await packagedSelftest(join(await runnableTree(without, 'x64'), LAYOUT.bundle), { LIBC: 'glibc' })
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /^ok\s+signer recovery \(wasm here, wasm in a worker\)$/m)
  })

  it('error: staging refuses an addon for another CPU, one naming a library, and one importing other libc functions', async () => {
    const x64 = join(ROOT, 'dist/native/meshbox-crypto-linux-x64.node')
    await assert.rejects(stageWith('aarch64_cortex-a53', x64),
      /meshbox-crypto-linux-x64\.node is for ELF machine 62 \(64-bit\), not 183 \(64-bit\) as aarch64_cortex-a53 needs: build it for the target CPU \(.*build-native\.ts arm64\)/)
    // lmdb's glibc build: the right machine, but tied to glibc's libc.so.6 and libstdc++
    const lmdb = built.get('x86_64')?.packages.find(x => x.name === 'lmdb')?.version ?? 'unknown'
    const tgz = await readFile(join(ROOT, '.cache/npm', tarballName('@lmdb/lmdb-linux-x64', lmdb)))
    const glibc = join(tempDir('addon-glibc'), 'node.napi.glibc.node')
    await writeFile(glibc, readTar(gunzipSync(tgz)).find(m => m.path === 'package/node.napi.glibc.node')?.data ?? new Uint8Array())
    await assert.rejects(stageWith('x86_64', glibc), /node\.napi\.glibc\.node needs .*libc\.so\.6.*: the addon must be built without libc/)
    // libc-free linkage but a stdio call: musl and glibc would each bind it differently, or not at all
    const dir = tempDir('addon-printf')
    await writeFile(join(dir, 'p.c'), 'int printf(const char *, ...);\nint napi_register_module_v1(void) { return printf("x"); }\n')
    await run('cc', ['-shared', '-fPIC', '-nostdlib', '-o', join(dir, 'p.node'), join(dir, 'p.c')])
    await assert.rejects(stageWith('x86_64', join(dir, 'p.node')), /p\.node imports printf: only Node-API and malloc, .* may come from outside/)
  })
})
