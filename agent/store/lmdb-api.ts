/**
 * The subset of lmdb-js we use, and how it is loaded. lmdb 3.5.6 ships ESM typings ending in
 * `export =`, which TypeScript rejects under NodeNext with skipLibCheck off (TS1203), so the
 * module is imported by a name TypeScript does not resolve and typed here instead. Keep in step
 * with node_modules/lmdb/index.d.ts.
 */
import { importExternal } from '../system/import-external.js'

export interface LmdbOpenOptions {
  path: string
  encoding?: 'msgpack' | 'json' | 'string' | 'binary' | 'ordered-binary'
  keyEncoding?: 'uint32' | 'binary' | 'ordered-binary'
  compression?: boolean
  noSubdir?: boolean
  commitDelay?: number
  noSync?: boolean
  mapSize?: number
}

export interface LmdbRangeOptions { start?: Buffer, end?: Buffer, limit?: number, reverse?: boolean }

export interface LmdbDatabase {
  get: (key: Buffer) => Buffer | undefined
  put: (key: Buffer, value: Buffer) => Promise<boolean>
  remove: (key: Buffer) => Promise<boolean>
  getRange: (options: LmdbRangeOptions) => Iterable<{ key: Buffer, value: Buffer }>
  transaction: <T>(action: () => T) => Promise<T>
  getStats: () => Record<string, unknown>
  readonly flushed: Promise<boolean>
  close: () => Promise<void>
}

interface LmdbModule { open: (options: LmdbOpenOptions) => LmdbDatabase }

const MODULE_NAME: string = 'lmdb'

export async function openLmdb (options: LmdbOpenOptions): Promise<LmdbDatabase> {
  // We store raw bytes only, so msgpackr's native unpacker is never used: skip loading it.
  process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED ??= 'true'
  const mod = await importExternal(MODULE_NAME) as LmdbModule
  return mod.open(options)
}
