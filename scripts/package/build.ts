/**
 * Builds the OpenWrt package for one architecture without the SDK: stage the tree with the crypto
 * addon built for the target CPU, check its native files, write the .ipk and, where apk-tools v3
 * is installed, the .apk for 25.12.
 */
import { execFile } from 'node:child_process'
import { access, constants, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { listProfiles } from '../../agent/config/profile.js'
import { EXTERNAL } from '../build.js'
import { buildApk, type ApkResult } from './apk.js'
import { targetArch } from './arch.js'
import { buildIpk, ipkFileName, type Control } from './ipk.js'
import type { NativeFile } from './node-modules.js'
import type { Lockfile, RuntimePackage } from './npm.js'
import { readTree, stageTree, type StagedAddon } from './stage.js'
import { buildNative } from '../build-native.js'

const run = promisify(execFile)
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const PKG_DIR = join(ROOT, 'openwrt/meshbox-agent')

export interface PackageInit {
  arch: string
  /** .ipk goes here; the staged tree to <outDir>/<arch>/root (what the SDK Makefile installs). */
  outDir: string
  bundle: string
  cacheDir?: string
  /** A strip that knows every target (llvm-strip); null ships lmdb's file unstripped. */
  strip?: string | null
  sourceDateEpoch?: number
  /** Ship the native crypto addon (default: unless NATIVE=none). */
  native?: boolean
}

export interface PackageResult {
  control: Control
  ipkPath: string
  ipkBytes: number
  installedSize: number
  dataFileBytes: number
  stageRoot: string
  natives: NativeFile[]
  packages: RuntimePackage[]
  /** The native crypto addon as staged; null when left out (NATIVE=none). */
  addon: StagedAddon | null
  apk: ApkResult
}

/** SOURCE_DATE_EPOCH, else the last commit's time: the same checkout gives the same bytes. */
export async function sourceDateEpoch (): Promise<number> {
  const env = process.env.SOURCE_DATE_EPOCH
  if (env !== undefined && env !== '') {
    if (!/^\d+$/.test(env)) throw new Error(`SOURCE_DATE_EPOCH must be seconds since 1970, got "${env}"`)
    return Number(env)
  }
  try {
    const { stdout } = await run('git', ['log', '-1', '--format=%ct'], { cwd: ROOT })
    return Number(stdout.trim())
  } catch {
    throw new Error('no SOURCE_DATE_EPOCH and no git history to take the time from: set SOURCE_DATE_EPOCH')
  }
}

export async function findOnPath (name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const file = join(dir, name)
    if (await access(file, constants.X_OK).then(() => true, () => false)) return file
  }
  return null
}

/** STRIP=<path> or llvm-strip from PATH; STRIP=none ships unstripped. */
export async function resolveStrip (): Promise<string | null> {
  const env = process.env.STRIP
  if (env === 'none') return null
  if (env !== undefined && env !== '') return env
  const found = await findOnPath('llvm-strip')
  if (found === null) throw new Error('llvm-strip not found: install Debian\'s llvm (make system-deps does), or set STRIP=none to ship lmdb unstripped (2.5 MB more on flash)')
  return found
}

async function control (arch: string, epoch: number): Promise<Control> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string, license: string, description: string }
  // The release counter lives in the SDK Makefile, so both builds carry the same version.
  const release = /^PKG_RELEASE:=(\d+)$/m.exec(await readFile(join(PKG_DIR, 'Makefile'), 'utf8'))?.[1]
  if (release === undefined) throw new Error('openwrt/meshbox-agent/Makefile has no PKG_RELEASE:=<n>')
  return {
    package: 'meshbox-agent',
    version: `${pkg.version}-r${release}`,
    // OpenWrt names ABI-versioned libraries with the ABI: libstdcpp6 (libstdc++.so.6), libgcc1
    // (libgcc_s.so.1), which lmdb's musl build needs beside libc.so.
    depends: ['libc', 'node', 'libstdcpp6', 'libgcc1'],
    license: pkg.license,
    section: 'net',
    maintainer: 'MeshBox developers',
    architecture: arch,
    sourceDateEpoch: epoch,
    description: pkg.description
  }
}

export async function buildPackage (init: PackageInit): Promise<PackageResult> {
  const target = targetArch(init.arch)
  const epoch = init.sourceDateEpoch ?? await sourceDateEpoch()
  const stageRoot = join(init.outDir, init.arch, 'root')
  await rm(stageRoot, { recursive: true, force: true })
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile
  const withAddon = init.native ?? process.env.NATIVE !== 'none'
  const staged = await stageTree({
    root: stageRoot,
    bundle: init.bundle,
    filesDir: join(PKG_DIR, 'files'),
    profiles: listProfiles(),
    target,
    lock,
    roots: EXTERNAL,
    cacheDir: init.cacheDir ?? join(ROOT, '.cache/npm'),
    strip: init.strip === undefined ? await resolveStrip() : init.strip,
    addon: withAddon ? async () => (await buildNative(target.npmCpu)).file : null
  })
  const { natives, packages } = staged
  const c = await control(init.arch, epoch)
  const parts = buildIpk({
    control: c,
    data: await readTree(stageRoot),
    postinst: await readFile(join(PKG_DIR, 'control/postinst'), 'utf8'),
    prerm: await readFile(join(PKG_DIR, 'control/prerm'), 'utf8')
  })
  await mkdir(init.outDir, { recursive: true })
  const ipkPath = join(init.outDir, ipkFileName(c))
  await writeFile(ipkPath, parts.ipk)
  const apk = await buildApk({ control: c, stageRoot, outDir: join(init.outDir, init.arch) })
  return { control: c, ipkPath, ipkBytes: parts.ipk.length, installedSize: parts.installedSize, dataFileBytes: parts.dataFileBytes, stageRoot, natives, packages, addon: staged.addon, apk }
}
