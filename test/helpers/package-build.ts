/**
 * Builds OpenWrt packages for tests and benchmarks into temp dirs: one agent bundle per process
 * (esbuild, as scripts/build.ts makes it), npm tarballs from the shared .cache/npm, and a fixed
 * SOURCE_DATE_EPOCH so builds can be compared byte for byte.
 */
import { execFile } from 'node:child_process'
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { bundleAgent } from '../../scripts/build.js'
import { buildPackage, type PackageResult } from '../../scripts/package/build.js'
import { tarballName } from '../../scripts/package/npm.js'
import { readTar, type TarMember } from '../../scripts/package/tar.js'
import { tempDir } from './tmp.js'

export const EPOCH = 1_767_225_600 // 2026-01-01T00:00:00Z

let bundled: Promise<string> | undefined

export async function agentBundle (): Promise<string> {
  bundled ??= (async () => {
    const file = join(tempDir('pkg-bundle'), 'meshbox.mjs')
    await bundleAgent(file)
    return file
  })()
  return await bundled
}

export interface BuiltPackage extends PackageResult {
  ipk: Buffer
  outer: TarMember[]
  data: TarMember[]
  controlFiles: TarMember[]
}

/** `native` as PackageInit has it: unset follows NATIVE (the addon unless NATIVE=none). */
export async function buildFor (arch: string, opts: { epoch?: number, native?: boolean } = {}): Promise<BuiltPackage> {
  // Keep a host apk (if any) out of unit tests: the .apk path is only reported, never required.
  process.env.APK ??= '/nonexistent/apk'
  const result = await buildPackage({
    arch, outDir: tempDir(`pkg-${arch}`), bundle: await agentBundle(), sourceDateEpoch: opts.epoch ?? EPOCH,
    ...(opts.native === undefined ? {} : { native: opts.native })
  })
  const ipk = await readFile(result.ipkPath)
  const outer = readTar(gunzipSync(ipk))
  const member = (name: string): Uint8Array => {
    const m = outer.find(o => o.path === name)
    if (m === undefined) throw new Error(`${result.ipkPath} has no ${name}`)
    return m.data
  }
  return { ...result, ipk, outer, data: readTar(gunzipSync(member('./data.tar.gz'))), controlFiles: readTar(gunzipSync(member('./control.tar.gz'))) }
}

export function fileText (members: readonly TarMember[], path: string): string {
  const m = members.find(x => x.path === path)
  if (m === undefined) throw new Error(`no ${path} in the archive`)
  return Buffer.from(m.data).toString('utf8')
}

const NPM_CACHE = new URL('../../.cache/npm/', import.meta.url)

/**
 * A copy of a built package's tree that Node from npm (a glibc build) can run: lmdb's glibc
 * build for the same CPU and release is added beside the package's musl one, which a glibc
 * process cannot load. Everything else is the package's own. Returns the tree's root.
 */
export async function runnableTree (p: BuiltPackage, cpu: 'x64' | 'arm64'): Promise<string> {
  const root = join(tempDir(`pkg-run-${cpu}`), 'root')
  await cp(p.stageRoot, root, { recursive: true })
  const lmdb = p.packages.find(x => x.name === 'lmdb')?.version
  if (lmdb === undefined) throw new Error('the package carries no lmdb')
  const tgz = await readFile(new URL(tarballName(`@lmdb/lmdb-linux-${cpu}`, lmdb), NPM_CACHE))
  const glibc = readTar(gunzipSync(tgz)).find(m => m.path === 'package/node.napi.glibc.node')
  if (glibc === undefined) throw new Error(`@lmdb/lmdb-linux-${cpu}@${lmdb} has no glibc build`)
  await writeFile(join(root, `usr/lib/meshbox/node_modules/@lmdb/lmdb-linux-${cpu}/node.napi.glibc.node`), glibc.data)
  return root
}

/** This process's environment without MESHBOX_NATIVE(_DIR), so a packaged tree's own native/ decides. */
export function treeEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { MESHBOX_NATIVE: _off, MESHBOX_NATIVE_DIR: _dir, ...base } = process.env
  return { ...base, ...extra }
}

/**
 * `meshbox selftest` with this host's Node from a packaged tree's bundle, in a private network
 * namespace with only loopback (needs root).
 */
export async function packagedSelftest (bundle: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number, out: string }> {
  return await promisify(execFile)('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$1" selftest --data-dir "$2"',
    process.execPath, bundle, join(tempDir('pkg-selftest'), 'd')], { env: treeEnv(env), timeout: 60_000 })
    .then(r => ({ code: 0, out: r.stdout + r.stderr }), (e: { code: number, stdout: string, stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }))
}
