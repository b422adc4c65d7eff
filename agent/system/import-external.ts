/**
 * Imports and resolves packages the bundle leaves outside (lmdb with its native file,
 * tiny-secp256k1 with its WASM file). The shipped entry (agent/boot.ts) runs the agent as
 * CommonJS from V8's code cache, where two things break on Node 20: functions restored from the
 * cache lose the loader behind import() ("A dynamic import callback was not specified"), and
 * import.meta is empty. So the entry lends its own import() and import.meta.resolve under
 * well-known symbols; under tsx and in tests there is none and ours are used.
 */
export const IMPORT_EXTERNAL = Symbol.for('meshbox.importExternal')
export const RESOLVE_EXTERNAL = Symbol.for('meshbox.resolveExternal')

type Importer = (specifier: string) => Promise<unknown>
type Resolver = (specifier: string) => string
type Lent = { [IMPORT_EXTERNAL]?: Importer, [RESOLVE_EXTERNAL]?: Resolver }

export async function importExternal (specifier: string): Promise<unknown> {
  const lent = (globalThis as Lent)[IMPORT_EXTERNAL]
  return lent !== undefined ? await lent(specifier) : await import(specifier)
}

/** The file URL `specifier` resolves to from the agent's own location; undefined when absent. */
export function resolveExternal (specifier: string): string | undefined {
  const lent = (globalThis as Lent)[RESOLVE_EXTERNAL]
  try {
    return lent !== undefined ? lent(specifier) : import.meta.resolve(specifier)
  } catch {
    return undefined
  }
}
