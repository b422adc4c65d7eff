/**
 * `make package ARCH=<OpenWrt package arch>`: builds dist/openwrt/meshbox-agent_<ver>_<arch>.ipk
 * for OpenWrt 24.10 without the SDK, stages the same tree in dist/openwrt/<arch>/root for the SDK
 * feed Makefile, and builds the 25.12 .apk where apk-tools v3 exists.
 *   node --import tsx scripts/package.ts --arch aarch64_cortex-a53 [--out dist/openwrt] [--bundle dist/meshbox.mjs]
 * Env: SOURCE_DATE_EPOCH (default: last commit time), STRIP (llvm-strip; "none" = unstripped), APK,
 * NATIVE=none (no crypto addon: no cross compiler needed, the agent recovers signers in WASM).
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { listProfiles } from '../agent/config/profile.js'
import { buildPackage, ROOT } from './package/build.js'

const USAGE = 'usage: node --import tsx scripts/package.ts --arch <pkg arch> [--out <dir>] [--bundle <file>]'

async function main (): Promise<number> {
  const { values } = parseArgs({ options: { arch: { type: 'string' }, out: { type: 'string' }, bundle: { type: 'string' } }, strict: true })
  if (values.arch === undefined || values.arch === '') {
    const arches = [...new Set(listProfiles().map(p => p.arch))].sort().join(', ')
    process.stderr.write(`${USAGE}\nARCH is the OpenWrt package architecture (opkg print-architecture); the profiles use: ${arches}\n`)
    return 64
  }
  const bundle = values.bundle ?? join(ROOT, 'dist/meshbox.mjs')
  if (!(await stat(bundle).then(s => s.isFile(), () => false))) {
    process.stderr.write(`no bundle at ${bundle}: run make build first\n`)
    return 1
  }
  const started = performance.now()
  const r = await buildPackage({ arch: values.arch, outDir: values.out ?? join(ROOT, 'dist/openwrt'), bundle })
  const native = r.natives.map(n => `${n.path} (${n.bytes} bytes, ${n.bytesUnstripped} before strip)`).join(', ')
  process.stdout.write([
    `${r.ipkPath}: ${r.ipkBytes} bytes, Installed-Size ${r.installedSize} (files ${r.dataFileBytes} bytes)`,
    `  version ${r.control.version}, depends ${r.control.depends.join(', ')}`,
    `  native: ${native}`,
    `  crypto addon: ${r.addon === null ? 'left out (NATIVE=none)' : `${r.addon.path} (${r.addon.bytes} bytes)`}`,
    `  node_modules: ${r.packages.map(p => `${p.name}@${p.version}`).join(', ')}`,
    `  staged tree for the SDK feed Makefile: ${r.stageRoot}`,
    'path' in r.apk ? `${r.apk.path}: ${r.apk.bytes} bytes` : r.apk.skipped,
    `  built in ${Math.round(performance.now() - started)} ms`
  ].join('\n') + '\n')
  return 0
}

main().then(code => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`package: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
