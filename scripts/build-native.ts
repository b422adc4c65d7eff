/**
 * Builds native/crypto (Keccak-256 and secp256k1 signer recovery, a Node-API addon) for one CPU:
 * dist/native/meshbox-crypto-linux-<cpu>.node. libsecp256k1 itself comes from the C sources the
 * `secp256k1` npm package carries (a dev dependency; its own binding is never loaded).
 *
 * The file is linked with -nostdlib, so it records no libc and no symbol versions: malloc, free,
 * memcpy, memset, memcmp and abort bind at load time to the node process's own libc, glibc on a
 * dev box, musl on OpenWrt. One build per CPU therefore serves both; `checkImports` below refuses
 * a build that would need more than that.
 *
 * Compilers: the host's cc for its own CPU; Debian's cross gcc for the others
 * (gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf), which `make system-deps` installs for arm64.
 */
import { execFile } from 'node:child_process'
import { mkdir, readdir, stat } from 'node:fs/promises'
import { arch } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { nativeFileName } from '../agent/chain/native.js'
import type { NpmCpu } from './package/arch.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SRC = join(ROOT, 'native/crypto')
const SECP = join(ROOT, 'node_modules/secp256k1/src/secp256k1')
const NAPI_HEADERS = join(ROOT, 'node_modules/node-api-headers/include')

/** The CPUs we build for: the same names as npm's `cpu` (and OpenWrt's mapping in package/arch.ts). */
export type NativeCpu = NpmCpu

const CROSS: Record<NativeCpu, { compiler: string, debian: string }> = {
  x64: { compiler: 'x86_64-linux-gnu-gcc', debian: 'gcc-x86-64-linux-gnu' },
  arm64: { compiler: 'aarch64-linux-gnu-gcc', debian: 'gcc-aarch64-linux-gnu' },
  arm: { compiler: 'arm-linux-gnueabihf-gcc', debian: 'gcc-arm-linux-gnueabihf' }
}

/** libsecp256k1's configuration (its src/basic-config.h lists the switches). */
function secpDefines (cpu: NativeCpu): string[] {
  const common = [
    'ENABLE_MODULE_RECOVERY=1', 'USE_ENDOMORPHISM=1', 'USE_NUM_NONE=1', 'USE_FIELD_INV_BUILTIN=1',
    'USE_SCALAR_INV_BUILTIN=1', 'ECMULT_WINDOW_SIZE=15', 'ECMULT_GEN_PREC_BITS=4',
    // no stdio: addon.c defines the two default callbacks
    'USE_EXTERNAL_DEFAULT_CALLBACKS=1',
    // keeps libsecp256k1's own API out of the dynamic symbol table (-fvisibility=hidden)
    'SECP256K1_API='
  ]
  // 64-bit CPUs multiply 64×64→128 natively: 5×52-bit limbs, four times fewer products than 10×26.
  const wide = ['HAVE___INT128=1', 'USE_FIELD_5X52=1', 'USE_SCALAR_4X64=1']
  if (cpu === 'x64') return [...common, ...wide, 'USE_ASM_X86_64=1']
  if (cpu === 'arm64') return [...common, ...wide]
  return [...common, 'USE_FIELD_10X26=1', 'USE_SCALAR_8X32=1']
}

/** The only symbols the addon may take from outside: Node-API and these libc functions. */
export const LIBC_ALLOWED: ReadonlySet<string> = new Set(['malloc', 'calloc', 'free', 'memcpy', 'memmove', 'memset', 'memcmp', 'abort'])

/** The imported names that are neither Node-API nor allowed libc (a version suffix counts against). */
export const foreignImports = (names: readonly string[]): string[] =>
  names.filter(n => n.includes('@') || !(n.startsWith('napi_') || n.startsWith('node_api_') || LIBC_ALLOWED.has(n)))

export class NativeBuildError extends Error {
  constructor (message: string) { super(message); this.name = 'NativeBuildError' }
}

const hostCpu = (): NativeCpu | undefined => {
  const a = arch()
  return a === 'x64' || a === 'arm64' || a === 'arm' ? a : undefined
}

async function compilerFor (cpu: NativeCpu): Promise<string> {
  const candidates = hostCpu() === cpu ? [process.env.CC ?? 'cc', CROSS[cpu].compiler] : [CROSS[cpu].compiler]
  for (const c of candidates) {
    try {
      await run(c, ['--version'])
      return c
    } catch {}
  }
  throw new NativeBuildError(`no C compiler for ${cpu}: install Debian's ${CROSS[cpu].debian} (make system-deps does for arm64), or set NATIVE=none to package without the native addon (signer recovery then runs in WASM, ~6× slower)`)
}

async function newestMtimeMs (dirs: string[]): Promise<number> {
  let newest = 0
  for (const dir of dirs) {
    for (const name of await readdir(dir)) {
      if (/\.(c|h)$/.test(name)) newest = Math.max(newest, (await stat(join(dir, name))).mtimeMs)
    }
  }
  return newest
}

/** Reads the dynamic symbols the file needs with `nm -D`; throws if one is neither Node-API nor allowed libc. */
async function checkImports (file: string): Promise<void> {
  const nm = process.env.NM ?? 'nm'
  const { stdout } = await run(nm, ['-D', '--undefined-only', file])
  const names = stdout.split('\n').map(l => l.trim().split(/\s+/).at(-1) ?? '').filter(n => n !== '' && n !== 'U')
  const foreign = foreignImports(names)
  if (foreign.length > 0) {
    throw new NativeBuildError(`${file} imports ${foreign.join(', ')}: it must load under glibc and musl alike (see scripts/build-native.ts)`)
  }
}

export interface NativeBuild { cpu: NativeCpu, file: string, bytes: number, built: boolean }

/** Builds (or keeps, when newer than every source) dist/native/<name> for `cpu`. */
export async function buildNative (cpu: NativeCpu, outDir = join(ROOT, 'dist/native')): Promise<NativeBuild> {
  const file = join(outDir, nativeFileName(cpu))
  const existing = await stat(file).catch(() => undefined)
  // this script counts as a source: its flags are part of the build
  const sourcesMs = Math.max(await newestMtimeMs([SRC, join(SECP, 'src'), join(SECP, 'include')]), (await stat(fileURLToPath(import.meta.url))).mtimeMs)
  if (existing !== undefined && existing.mtimeMs >= sourcesMs) return { cpu, file, bytes: existing.size, built: false }
  await stat(join(SECP, 'src/secp256k1.c')).catch(() => {
    throw new NativeBuildError(`libsecp256k1 sources not found under ${SECP}: run npm install (the secp256k1 dev dependency carries them)`)
  })
  const cc = await compilerFor(cpu)
  await mkdir(dirname(file), { recursive: true })
  const args = [
    '-O2', '-std=gnu99', '-fPIC', '-shared', '-nostdlib', '-fvisibility=hidden', '-fno-stack-protector',
    '-U_FORTIFY_SOURCE', '-D_FORTIFY_SOURCE=0', '-Wall', '-Wno-unused-function',
    '-Wl,-z,noexecstack', '-Wl,--as-needed', '-s',
    ...secpDefines(cpu).map(d => `-D${d}`),
    `-I${NAPI_HEADERS}`, `-I${SECP}`, `-I${join(SECP, 'src')}`,
    '-o', file,
    join(SRC, 'addon.c'), join(SRC, 'keccak.c'), join(SECP, 'src/secp256k1.c'),
    // static helpers the compiler may call (none today on 64-bit; armv7 may need 64-bit shifts)
    '-lgcc'
  ]
  try {
    await run(cc, args, { timeout: 300_000 })
  } catch (err) {
    throw new NativeBuildError(`${cc} failed building ${nativeFileName(cpu)}: ${(err as { stderr?: string }).stderr ?? String(err)}`)
  }
  await checkImports(file)
  return { cpu, file, bytes: (await stat(file)).size, built: true }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cpus = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : [hostCpu() ?? 'x64']) as NativeCpu[]
  for (const cpu of cpus) {
    const b = await buildNative(cpu)
    console.log(JSON.stringify({ msg: 'Native addon built', ...b }))
  }
}
