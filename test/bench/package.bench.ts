/**
 * OpenWrt package size per architecture (bar: .ipk ≤ 8 MB), next to what other mesh daemons
 * cost on a router: yggdrasil's binary (2.8 MB) and cjdns installed (6.6–8.6 MiB), figures from
 * the packaging issue. No root, no network beyond the npm registry (tarballs cached in .cache/npm).
 *
 * One line per arch: .ipk bytes, Installed-Size (the unpacked data tar, as opkg reports it), the
 * sum of the files, lmdb's native file before and after stripping, the crypto addon's bytes, and
 * the build time (npm cache warm: one build runs first, uncounted). 32-bit ARM gets a `skipped`
 * line while lmdb ships no musl build for it. Two more lines for aarch64_cortex-a53: what
 * stripping lmdb's file saves, and what the addon costs in the .ipk (NATIVE=none beside it).
 */
import { loadavg } from 'node:os'
import { NoMuslBuildError } from '../../scripts/package/node-modules.js'
import { buildPackage } from '../../scripts/package/build.js'
import { agentBundle, EPOCH } from '../helpers/package-build.js'
import { tempDir } from '../helpers/tmp.js'
import { emit, note, round } from './lib.js'

const BENCH = 'package'
const ARCHES = ['aarch64_cortex-a53', 'aarch64_generic', 'x86_64', 'arm_cortex-a7_neon-vfpv4']
const BAR_IPK_BYTES = 8_000_000
const COMPARE = { yggdrasilBinaryBytes: 2_800_000, cjdnsInstalledMiB: [6.6, 8.6] }
const MiB = 1024 * 1024

process.env.APK ??= '/nonexistent/apk'
const bundle = await agentBundle()
const build = async (arch: string, opts: { strip?: null, native?: false } = {}): Promise<Awaited<ReturnType<typeof buildPackage>>> =>
  await buildPackage({ arch, outDir: tempDir(`bench-pkg-${arch}`), bundle, sourceDateEpoch: EPOCH, ...opts })

note('warm-up build (fills .cache/npm)')
await build('x86_64')
for (const arch of ARCHES) {
  const t0 = performance.now()
  try {
    const r = await build(arch)
    const native = r.natives[0]
    emit({
      bench: BENCH,
      arch,
      version: r.control.version,
      ipkBytes: r.ipkBytes,
      installedSizeField: r.installedSize,
      installedBytes: r.dataFileBytes,
      installedMiB: round(r.dataFileBytes / MiB, 2),
      nativeBytes: native?.bytes ?? null,
      nativeBytesUnstripped: native?.bytesUnstripped ?? null,
      addonPath: r.addon?.path ?? null,
      addonBytes: r.addon?.bytes ?? null,
      buildMs: Math.round(performance.now() - t0),
      compare: COMPARE,
      bar: '.ipk <= 8 MB',
      meetsBar: r.ipkBytes <= BAR_IPK_BYTES,
      load1: round(loadavg()[0] ?? 0, 2)
    })
  } catch (err) {
    if (!(err instanceof NoMuslBuildError)) throw err
    emit({ bench: BENCH, arch, skipped: err.message })
  }
}

const unstripped = await build('aarch64_cortex-a53', { strip: null })
emit({ bench: BENCH, arch: 'aarch64_cortex-a53', variant: 'unstripped', ipkBytes: unstripped.ipkBytes, installedBytes: unstripped.dataFileBytes, installedMiB: round(unstripped.dataFileBytes / MiB, 2), note: 'lmdb\'s musl build as published (with debug info); make package strips it' })

const withAddon = await build('aarch64_cortex-a53')
const noAddon = await build('aarch64_cortex-a53', { native: false })
emit({
  bench: BENCH,
  arch: 'aarch64_cortex-a53',
  variant: 'NATIVE=none',
  ipkBytes: noAddon.ipkBytes,
  installedBytes: noAddon.dataFileBytes,
  addonBytes: withAddon.addon?.bytes ?? null,
  addonIpkBytes: withAddon.ipkBytes - noAddon.ipkBytes,
  note: 'without the crypto addon; signer recovery then runs in WASM (tiny-secp256k1)'
})
