import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { before, describe, it } from 'node:test'
import { listProfiles } from '../../agent/config/profile.js'
import { targetArch } from '../../scripts/package/arch.js'
import { resolveStrip } from '../../scripts/package/build.js'
import { elfLibc, isElf, parseElf } from '../../scripts/package/elf.js'
import { NoMuslBuildError } from '../../scripts/package/node-modules.js'
import { tarballName } from '../../scripts/package/npm.js'
import { LAYOUT } from '../../scripts/package/stage.js'
import { readTar } from '../../scripts/package/tar.js'
import { buildFor, packagedSelftest, type BuiltPackage } from '../helpers/package-build.js'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const ARCHES = [...new Set([...listProfiles().filter(p => p.status === 'supported').map(p => p.arch), 'aarch64_generic'])].sort()
const CACHE = new URL('../../.cache/npm/', import.meta.url)
const lmdbVersion = (p: BuiltPackage | undefined): string => p?.packages.find(x => x.name === 'lmdb')?.version ?? 'unknown'

describe('native files in the package', { timeout: 120_000 }, () => {
  const built = new Map<string, BuiltPackage>()
  before(async () => {
    for (const arch of ARCHES) built.set(arch, await buildFor(arch))
  })

  it('default: every ELF file is built for the target machine: lmdb\'s musl N-API build, and the crypto addon, which links no library', (t) => {
    for (const [arch, p] of built) {
      const target = targetArch(arch)
      const elves = p.data.filter(m => m.type === 'file' && isElf(m.data))
      assert.equal(elves.length, 2, `${arch}: ${elves.map(m => m.path).join(', ')}`)
      for (const m of elves) {
        const elf = parseElf(m.data)
        assert.equal(elf.machine, target.elfMachine, `${arch} ${m.path}: e_machine ${elf.machine}`)
        assert.equal(elf.elf64, target.elf64, `${arch} ${m.path}: ELF class`)
        // the addon binds to whichever libc the node process has (scripts/build-native.ts)
        if (m.path.startsWith(`./${LAYOUT.nativeDir}/`)) assert.deepEqual(elf.needed, [], `${arch} ${m.path}`)
        else assert.equal(elfLibc(elf), 'musl', `${arch} ${m.path} links ${elf.needed.join(', ')}`)
        t.diagnostic(`${arch}: ${m.path} ${m.data.length} bytes, machine ${elf.machine}, needs ${elf.needed.join(' ') || 'nothing'}`)
      }
      const musl = elves.filter(m => m.path.endsWith('/node.napi.musl.node'))
      assert.equal(musl.length, 1, arch)
      assert.deepEqual(parseElf(musl[0]?.data ?? new Uint8Array()).needed, ['libstdc++.so.6', 'libgcc_s.so.1', 'libc.so'], 'the control file\'s Depends cover these')
    }
  })

  it('behavior: no glibc build ships, by name or by linkage', () => {
    for (const [arch, p] of built) {
      assert.deepEqual(p.data.filter(m => /glibc|\.abi\d+\./.test(m.path)).map(m => m.path), [], arch)
      assert.deepEqual(p.data.filter(m => isElf(m.data) && elfLibc(parseElf(m.data)) === 'glibc').map(m => m.path), [], arch)
    }
  })

  it('behavior: the musl build is stripped of debug info; what the loader reads is kept', async (t) => {
    const p = built.get('aarch64_cortex-a53')
    const shipped = p?.natives[0]
    assert.ok(shipped !== undefined)
    const tgz = await readFile(new URL(tarballName('@lmdb/lmdb-linux-arm64', lmdbVersion(p)), CACHE))
    const original = readTar(gunzipSync(tgz)).find(m => m.path === 'package/node.napi.musl.node')?.data
    assert.ok(original !== undefined)
    const stripped = p?.data.find(m => m.path.endsWith('/node.napi.musl.node'))?.data ?? new Uint8Array()
    t.diagnostic(`${shipped.path}: ${original.length} → ${stripped.length} bytes`)
    assert.ok(stripped.length < original.length / 2)
    const [a, b] = [parseElf(original), parseElf(stripped)]
    assert.deepEqual({ ...b }, { ...a })
  })

  it('error: 32-bit ARM has no musl build in lmdb (3.5.6), and the build says so', async () => {
    await assert.rejects(buildFor('arm_cortex-a7_neon-vfpv4'), (err: unknown) =>
      err instanceof NoMuslBuildError && /lmdb-linux-arm@[\d.]+ has no musl N-API build/.test(err.message) && /node\.napi\.glibc\.node/.test(err.message))
  })

  it('behavior: the packaged tree runs `meshbox selftest` with the crypto addon (glibc lmdb swapped in on this host); LIBC=musl picks the musl build', async (t) => {
    if (process.getuid?.() !== 0) { t.skip('needs root for a private network namespace (unshare -n)'); return }
    const p = built.get('x86_64')
    assert.ok(p !== undefined)
    const root = join(tempDir('pkg-run'), 'root')
    await cp(p.stageRoot, root, { recursive: true })
    const prebuild = join(root, 'usr/lib/meshbox/node_modules/@lmdb/lmdb-linux-x64')
    const tgz = await readFile(new URL(tarballName('@lmdb/lmdb-linux-x64', lmdbVersion(p)), CACHE))
    const glibc = readTar(gunzipSync(tgz)).find(m => m.path === 'package/node.napi.glibc.node')
    assert.ok(glibc !== undefined)
    await writeFile(join(prebuild, 'node.napi.glibc.node'), glibc.data)
    const strip = await resolveStrip()
    if (strip !== null) await run(strip, ['--strip-all', join(prebuild, 'node.napi.glibc.node')])
    const bundle = join(root, 'usr/lib/meshbox/meshbox.mjs')
    const ok = await packagedSelftest(bundle, { LIBC: 'glibc' })
    assert.equal(ok.code, 0, ok.out)
    assert.match(ok.out, /^ok\s+signer recovery \(native here, native in a worker\)$/m, 'the addon loaded from usr/lib/meshbox/native/')
    assert.match(ok.out, /selftest passed/)
    const musl = await packagedSelftest(bundle, { LIBC: 'musl' })
    assert.notEqual(musl.code, 0)
    assert.match(musl.out, /libc\.so/, 'the musl build was loaded (and cannot run on glibc)')
  })
})
