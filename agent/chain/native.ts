/**
 * The native crypto addon (native/crypto: Keccak-256 and libsecp256k1 signer recovery), built
 * per CPU by scripts/build-native.ts into dist/native/. It is what makes header verification fast
 * enough (a recovery ~0.08 ms against ~0.55 ms in WASM and ~3 ms in pure JS, a header hash
 * ~7 µs against ~40 µs), so it is loaded wherever it can be and never required: without it
 * (another CPU, MESHBOX_NATIVE=off, a damaged file) keccak falls back to @noble/hashes and
 * recovery to WASM, with the same answers.
 *
 * Loading is synchronous (process.dlopen) and cheap (~0.3 ms); the signature tables (~1 MB) are
 * built by the addon on the first recovery, not here.
 */
import { existsSync } from 'node:fs'
import { arch } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface NativeCrypto {
  /** Writes Keccak-256(data) to out[0..32). */
  keccak256: (data: Uint8Array, out: Uint8Array) => void
  /** Writes the signer's 20-byte address to out; false when the seal recovers no key. v ∈ 0..3. */
  recoverAddress: (digest: Uint8Array, seal: Uint8Array, out: Uint8Array) => boolean
  /** Writes the 65-byte uncompressed public key to out; false when the seal recovers no key. */
  recoverPublicKey: (digest: Uint8Array, seal: Uint8Array, out: Uint8Array) => boolean
}

export interface NativeStatus {
  loaded: boolean
  /** The file loaded, or the one that failed to load. */
  file?: string
  /** Why it is not loaded. */
  reason?: string
}

export const nativeFileName = (cpu: string = arch()): string => `meshbox-crypto-linux-${cpu}.node`

/**
 * Where the addon may be, first match wins: MESHBOX_NATIVE_DIR; native/ beside the running
 * bundle (dist/meshbox-main.cjs, or an ES bundle in dist/); dist/native/ of the checkout when
 * running from source under tsx.
 */
export function nativeCandidates (env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = []
  if (env.MESHBOX_NATIVE_DIR !== undefined && env.MESHBOX_NATIVE_DIR !== '') dirs.push(env.MESHBOX_NATIVE_DIR)
  if (typeof __dirname === 'string') dirs.push(join(__dirname, 'native'))
  const url = import.meta.url as string | undefined
  if (typeof url === 'string' && url.startsWith('file:')) {
    const here = dirname(fileURLToPath(url))
    dirs.push(join(here, 'native'), join(here, '..', '..', 'dist', 'native'))
  }
  return dirs.map(d => join(d, nativeFileName()))
}

const REQUIRED = ['keccak256', 'recoverAddress', 'recoverPublicKey'] as const

/** dlopens `file` and checks its exports; throws with the reason otherwise. */
export function openNative (file: string): NativeCrypto {
  const mod: { exports: Record<string, unknown> } = { exports: {} }
  process.dlopen(mod, file)
  for (const name of REQUIRED) {
    if (typeof mod.exports[name] !== 'function') throw new TypeError(`${file} exports no ${name} function (an older build?)`)
  }
  return mod.exports as unknown as NativeCrypto
}

let loaded: NativeCrypto | null | undefined
let status: NativeStatus = { loaded: false, reason: 'not tried yet' }

/** The addon, loaded on first call (once per thread); undefined when it is off, absent or broken. */
export function loadNativeCrypto (): NativeCrypto | undefined {
  if (loaded !== undefined) return loaded ?? undefined
  loaded = null
  if (process.env.MESHBOX_NATIVE === 'off') {
    status = { loaded: false, reason: 'MESHBOX_NATIVE=off' }
    return undefined
  }
  const file = nativeCandidates().find(f => existsSync(f))
  if (file === undefined) {
    status = { loaded: false, reason: `no ${nativeFileName()} beside the agent (scripts/build-native.ts builds it)` }
    return undefined
  }
  try {
    loaded = openNative(file)
    status = { loaded: true, file }
  } catch (err) {
    status = { loaded: false, file, reason: err instanceof Error ? err.message : String(err) }
  }
  return loaded ?? undefined
}

export const nativeStatus = (): NativeStatus => {
  loadNativeCrypto()
  return { ...status }
}
