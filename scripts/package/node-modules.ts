/**
 * Unpacks the runtime packages into <app>/node_modules, keeping only what runs: no type
 * declarations, docs, C sources or CommonJS builds (the bundle imports lmdb as ESM, and each of
 * these packages' `import` export points outside dist/), and of lmdb's prebuilds only the musl
 * N-API build for the target. That file is stripped of debug info like OpenWrt's own packages.
 */
import { execFile } from 'node:child_process'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import type { TargetArch } from './arch.js'
import { elfLibc, parseElf, type ElfInfo } from './elf.js'
import { fetchTarball, runtimeClosure, type Lockfile, type RuntimePackage } from './npm.js'
import { readTar } from './tar.js'

const run = promisify(execFile)

/** The one build that loads on OpenWrt: N-API (any Node major), linked against musl. */
export const MUSL_NAPI_BUILD = 'node.napi.musl.node'

// Hidden paths too: one published tarball carries an editor's .idea/ and a whole .claude/ worktree.
const DROP_EVERYWHERE = [/\.d\.[cm]?ts$/, /\.map$/, /(^|\/)(README|CHANGELOG|SECURITY|HISTORY|benchmark)[^/]*\.md$/i,
  /(^|\/)rollup\.config\.js$/, /^(test|tests|benchmark|assets)\//, /(^|\/)\./]

const DROP_BY_PACKAGE: Readonly<Record<string, RegExp[]>> = {
  lmdb: [/^(dependencies|src|bin|dist)\//, /^binding\.gyp$/, /^util\/.*\.cjs$/],
  msgpackr: [/^dist\//, /^test-worker\.js$/],
  'ordered-binary': [/^dist\//],
  'weak-lru-cache': [/^dist\//],
  '@harperfast/extended-iterable': [/^dist\//],
  'node-gyp-build-optional-packages': [/^(bin|build-test)\.js$/]
}

export function keepFile (pkg: string, rel: string): boolean {
  if (rel.endsWith('.node')) return rel === MUSL_NAPI_BUILD
  if ([...DROP_EVERYWHERE, ...(DROP_BY_PACKAGE[pkg] ?? [])].some(re => re.test(rel))) return false
  return true
}

export class NoMuslBuildError extends Error {
  constructor (pkg: RuntimePackage, target: TargetArch, files: string[]) {
    super(`${pkg.name}@${pkg.version} has no musl N-API build (${MUSL_NAPI_BUILD}) for ${target.pkgArch}; it ships only ` +
      `${files.filter(f => f.endsWith('.node')).join(', ') || 'no .node files'}. OpenWrt needs a musl build: cross-compile lmdb with the ` +
      'OpenWrt SDK toolchain (see openwrt/README.md) or choose another store backend for this board.')
    this.name = 'NoMuslBuildError'
  }
}

export interface NativeFile { path: string, bytesUnstripped: number, bytes: number, elf: ElfInfo }

export interface InstallInit {
  appDir: string
  lock: Lockfile
  roots: readonly string[]
  target: TargetArch
  cacheDir: string
  /** Path of llvm-strip (or another strip that knows every target); null ships files as fetched. */
  strip: string | null
}

export async function installRuntimeModules (init: InstallInit): Promise<{ packages: RuntimePackage[], natives: NativeFile[] }> {
  const packages = runtimeClosure(init.lock, init.roots, init.target.npmCpu)
  const natives: NativeFile[] = []
  for (const pkg of packages) {
    const members = readTar(gunzipSync(await fetchTarball(pkg, init.cacheDir))).filter(m => m.type === 'file')
    // npm tarballs put everything under one top folder, "package/" in practice.
    const files = members.map(m => ({ rel: m.path.split('/').slice(1).join('/'), member: m }))
    const isPrebuild = pkg.name.startsWith('@lmdb/lmdb-linux-')
    if (isPrebuild && !files.some(f => f.rel === MUSL_NAPI_BUILD)) throw new NoMuslBuildError(pkg, init.target, files.map(f => f.rel))
    for (const { rel, member } of files) {
      if (!keepFile(pkg.name, rel)) continue
      const dest = join(init.appDir, pkg.installPath, rel)
      await mkdir(dirname(dest), { recursive: true })
      await writeFile(dest, member.data)
      await chmod(dest, (member.mode & 0o111) !== 0 ? 0o755 : 0o644)
      if (rel.endsWith('.node')) natives.push(await checkNative(dest, join(pkg.installPath, rel), member.data.length, init))
    }
  }
  return { packages, natives }
}

async function checkNative (file: string, rel: string, bytesUnstripped: number, init: InstallInit): Promise<NativeFile> {
  if (init.strip !== null) await run(init.strip, ['--strip-all', file], { timeout: 60_000 })
  const bytes = await readFile(file)
  const elf = parseElf(bytes)
  const { target } = init
  if (elf.machine !== target.elfMachine || elf.elf64 !== target.elf64) {
    throw new Error(`${rel}: ELF machine ${elf.machine} (${elf.elf64 ? '64' : '32'}-bit), expected ${target.elfMachine} for ${target.pkgArch}`)
  }
  if (elfLibc(elf) !== 'musl') throw new Error(`${rel}: not linked against musl (needs ${elf.needed.join(', ')})`)
  return { path: rel, bytesUnstripped, bytes: bytes.length, elf }
}
