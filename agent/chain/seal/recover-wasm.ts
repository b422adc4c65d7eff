/**
 * Signer recovery with libsecp256k1 compiled to WebAssembly (`tiny-secp256k1`): ~0.55 ms per seal
 * on the 2-core dev VM against ~3 ms for pure-JS @noble/curves and ~0.08 ms for the native addon
 * (recover-native.ts). The addon comes first when it loads; WASM covers a CPU it was not built
 * for, and noble covers a box without either. createRecoverBackend below picks among the three.
 *
 * Bundling: tiny-secp256k1 reads `secp256k1.wasm` with readFileSync relative to its own module
 * URL, so esbuild cannot inline it. scripts/build.ts therefore marks it external and it ships in
 * `node_modules` beside `dist/meshbox.mjs`, like lmdb; the dynamic import below resolves it from
 * there, and the recovery workers (recover-pool.ts) resolve the same file by URL.
 */
import { addressOfPublicKey, type Address } from '../bytes.js'
import type { Logger } from '../../log/logger.js'
import { recoverWithNoble, type RecoverSigner } from './recover.js'
import { importExternal } from '../../system/import-external.js'
import { loadNativeCrypto } from '../native.js'
import { recoverWithNative } from './recover-native.js'

/** The part of tiny-secp256k1's API we use. */
export interface Secp256k1Wasm {
  recover: (hash: Uint8Array, signature: Uint8Array, recoveryId: 0 | 1 | 2 | 3, compressed?: boolean) => Uint8Array | null
}

export type RecoverBackendName = 'native' | 'wasm' | 'noble'

/** The package the WASM backend loads, by name: resolved from the agent's own location. */
export const WASM_SECP_PACKAGE = 'tiny-secp256k1'

/**
 * The same contract as recoverWithNoble: v ∈ {0, 1} only, high s accepted (geth's Ecrecover does),
 * undefined for anything malformed. tiny-secp256k1 itself refuses r or s of 0 or ≥ n and an r
 * that is no curve x-coordinate, by throwing; that is folded into undefined here.
 */
export function recoverWithWasm (secp: Secp256k1Wasm): RecoverSigner {
  return (digest, seal) => {
    if (digest.length !== 32 || seal.length !== 65) return undefined
    const v = seal[64]
    if (v !== 0 && v !== 1) return undefined
    try {
      const pub = secp.recover(digest, seal.subarray(0, 64), v, false)
      return pub === null ? undefined : addressOfPublicKey(pub)
    } catch {
      return undefined
    }
  }
}

/** Imports tiny-secp256k1 (compiling its WASM module) and checks it has `recover`; throws otherwise. */
export async function importWasmSecp (specifier: string = WASM_SECP_PACKAGE): Promise<Secp256k1Wasm> {
  const mod: unknown = await importExternal(specifier)
  const recover = (mod as { recover?: unknown }).recover
  if (typeof recover !== 'function') throw new TypeError(`${specifier} has no recover function`)
  return mod as Secp256k1Wasm
}

export interface RecoverBackend {
  /** Recovers with the best backend loaded so far: native at once when the addon is there, else noble until `load()` finished with WASM. */
  readonly recover: RecoverSigner
  /** Which backend `recover` uses now. */
  name: () => RecoverBackendName
  /** Loads WASM once (later calls share the first); resolves with the backend in use, never rejects. */
  load: () => Promise<RecoverBackendName>
}

export interface RecoverBackendInit {
  /** Module to import instead of tiny-secp256k1 (tests use a missing one to see the fallback). */
  specifier?: string
  /** Use the native addon when it loads (default true; tests turn it off to exercise WASM). */
  native?: boolean
}

/**
 * A recovery function that can be handed to a seal engine at once and gets faster once WASM is
 * loaded. Loading is explicit and lazy: compiling the 1.2 MB module costs ~25 ms and ~10 MB of
 * RSS, which an idle box with nothing to verify should not pay.
 */
export function createRecoverBackend (c: { logger: Logger }, init: RecoverBackendInit = {}): RecoverBackend {
  const native = init.native === false ? undefined : loadNativeCrypto()
  let current: RecoverSigner = native !== undefined ? recoverWithNative(native) : recoverWithNoble
  let name: RecoverBackendName = native !== undefined ? 'native' : 'noble'
  // Nothing to load when the addon is there: it is already the fastest.
  let loading: Promise<RecoverBackendName> | undefined = native !== undefined ? Promise.resolve(name) : undefined
  const recover: RecoverSigner = (digest, seal): Address | undefined => current(digest, seal)
  return {
    recover,
    name: () => name,
    load: async () => {
      loading ??= importWasmSecp(init.specifier).then(secp => {
        current = recoverWithWasm(secp)
        name = 'wasm'
        c.logger.debug('Signer recovery uses WASM', { package: init.specifier ?? WASM_SECP_PACKAGE })
        return name
      }, (err: unknown) => {
        c.logger.warn('Signer recovery falls back to pure JS', { package: init.specifier ?? WASM_SECP_PACKAGE, reason: err instanceof Error ? err.message : String(err) })
        return name
      })
      return await loading
    }
  }
}
