/**
 * Imports a package the bundle leaves outside (lmdb, with its native file). The shipped entry
 * (agent/boot.ts) runs the agent from V8's code cache, and on Node 20 functions restored from
 * that cache lose the loader behind import() ("A dynamic import callback was not specified").
 * So the entry lends its own import() under a well-known symbol; under tsx and in tests there is
 * none and the plain import() is used.
 */
export const IMPORT_EXTERNAL = Symbol.for('meshbox.importExternal')

type Importer = (specifier: string) => Promise<unknown>

export async function importExternal (specifier: string): Promise<unknown> {
  const lent = (globalThis as { [IMPORT_EXTERNAL]?: Importer })[IMPORT_EXTERNAL]
  return lent !== undefined ? await lent(specifier) : await import(specifier)
}
