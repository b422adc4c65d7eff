/**
 * Builds OpenWrt packages for tests and benchmarks into temp dirs: one agent bundle per process
 * (esbuild, as scripts/build.ts makes it), npm tarballs from the shared .cache/npm, and a fixed
 * SOURCE_DATE_EPOCH so builds can be compared byte for byte.
 */
import { gunzipSync } from 'node:zlib'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { bundle } from '../../scripts/build.js'
import { buildPackage, type PackageResult } from '../../scripts/package/build.js'
import { readTar, type TarMember } from '../../scripts/package/tar.js'
import { tempDir } from './tmp.js'

export const EPOCH = 1_767_225_600 // 2026-01-01T00:00:00Z

let bundled: Promise<string> | undefined

export async function agentBundle (): Promise<string> {
  bundled ??= (async () => {
    const file = join(tempDir('pkg-bundle'), 'meshbox.mjs')
    await bundle({ entry: 'agent/main.ts', outfile: file })
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

export async function buildFor (arch: string, opts: { epoch?: number } = {}): Promise<BuiltPackage> {
  // Keep a host apk (if any) out of unit tests: the .apk path is only reported, never required.
  process.env.APK ??= '/nonexistent/apk'
  const result = await buildPackage({ arch, outDir: tempDir(`pkg-${arch}`), bundle: await agentBundle(), sourceDateEpoch: opts.epoch ?? EPOCH })
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
