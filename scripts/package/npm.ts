/**
 * The runtime node_modules the bundle still loads (lmdb, kept external by scripts/build.ts, and
 * what it imports), taken from package-lock.json and fetched with `npm pack` into a cache. Each
 * tarball is checked against the lock's integrity hash, so the package holds exactly the bytes
 * the lock names, whatever the host's node_modules contains (a source build of lmdb there, say).
 */
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { mkdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { NpmCpu } from './arch.js'

const run = promisify(execFile)

export interface LockPackage { version: string, integrity?: string, dependencies?: Record<string, string>, optionalDependencies?: Record<string, string> }
export interface Lockfile { packages: Record<string, LockPackage> }

export interface RuntimePackage {
  name: string
  version: string
  integrity: string
  /** Where it goes, relative to the app dir: node_modules/<name> (or nested). */
  installPath: string
}

/** Needed only to compile lmdb from source (C++ headers); never loaded at run time. */
const BUILD_ONLY = new Set(['node-addon-api'])

/**
 * Walks `dependencies` from the roots; optional dependencies are skipped (msgpackr-extract: the
 * agent disables msgpackr's native unpacker) except lmdb's prebuild package for the target cpu.
 */
export function runtimeClosure (lock: Lockfile, roots: readonly string[], cpu: NpmCpu): RuntimePackage[] {
  const out = new Map<string, RuntimePackage>()
  const visit = (name: string, from: string): void => {
    if (BUILD_ONLY.has(name)) return
    // npm's resolution: the nearest node_modules up from the dependent wins.
    const nested = from === '' ? undefined : `${from}/node_modules/${name}`
    const installPath = nested !== undefined && lock.packages[nested] !== undefined ? nested : `node_modules/${name}`
    if (out.has(installPath)) return
    const entry = lock.packages[installPath]
    if (entry === undefined) throw new Error(`package-lock.json has no entry for ${name} (needed by ${from || 'the bundle'}); run npm install`)
    if (entry.integrity === undefined) throw new Error(`package-lock.json has no integrity for ${installPath}`)
    out.set(installPath, { name, version: entry.version, integrity: entry.integrity, installPath })
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(dep, installPath)
    const prebuild = `@lmdb/lmdb-linux-${cpu}`
    if (name === 'lmdb' && entry.optionalDependencies?.[prebuild] !== undefined) visit(prebuild, installPath)
  }
  for (const root of roots) visit(root, '')
  return [...out.values()].sort((a, b) => a.installPath < b.installPath ? -1 : 1)
}

export function integrityOf (bytes: Uint8Array): string {
  return 'sha512-' + createHash('sha512').update(bytes).digest('base64')
}

/** `@lmdb/lmdb-linux-arm64` 3.5.6 → lmdb-lmdb-linux-arm64-3.5.6.tgz, as npm pack names it. */
export function tarballName (name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`
}

/** The tarball from the cache, or from the registry through `npm pack` (then cached). */
export async function fetchTarball (pkg: RuntimePackage, cacheDir: string): Promise<Buffer> {
  const file = join(cacheDir, tarballName(pkg.name, pkg.version))
  const cached = await readFile(file).catch(() => undefined)
  if (cached !== undefined && integrityOf(cached) === pkg.integrity) return cached
  await mkdir(cacheDir, { recursive: true })
  // One temp dir per process: test files build packages in parallel.
  const tmp = join(cacheDir, `.tmp-${process.pid}`)
  await mkdir(tmp, { recursive: true })
  try {
    try {
      await run('npm', ['pack', '--silent', '--pack-destination', tmp, `${pkg.name}@${pkg.version}`], { cwd: tmp, timeout: 120_000 })
    } catch (err) {
      throw new Error(`npm pack ${pkg.name}@${pkg.version} failed (is the npm registry reachable?): ${(err as Error).message}`)
    }
    const bytes = await readFile(join(tmp, tarballName(pkg.name, pkg.version)))
    if (integrityOf(bytes) !== pkg.integrity) {
      throw new Error(`${pkg.name}@${pkg.version} from the registry does not match package-lock.json's integrity ${pkg.integrity}`)
    }
    await rename(join(tmp, tarballName(pkg.name, pkg.version)), file)
    return bytes
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}
