// The subset of lmdb-js we use. lmdb 3.5.6 ships ESM typings that end in `export =`, which
// TypeScript rejects under NodeNext with skipLibCheck off (TS1203); tsconfig "paths" points
// the "lmdb" import here instead. Keep in step with node_modules/lmdb/index.d.ts.
declare module 'lmdb' {
  export interface RootDatabaseOptionsWithPath {
    path: string
    encoding?: 'msgpack' | 'json' | 'string' | 'binary' | 'ordered-binary'
    keyEncoding?: 'uint32' | 'binary' | 'ordered-binary'
    compression?: boolean
    noSubdir?: boolean
    commitDelay?: number
    noSync?: boolean
    mapSize?: number
  }
  export interface RangeOptions<K> { start?: K, end?: K, limit?: number, reverse?: boolean }
  export interface RootDatabase<V, K> {
    get: (key: K) => V | undefined
    put: (key: K, value: V) => Promise<boolean>
    remove: (key: K) => Promise<boolean>
    getRange: (options: RangeOptions<K>) => Iterable<{ key: K, value: V }>
    transaction: <T>(action: () => T) => Promise<T>
    getStats: () => Record<string, unknown>
    readonly flushed: Promise<boolean>
    close: () => Promise<void>
  }
  export function open<V, K> (options: RootDatabaseOptionsWithPath): RootDatabase<V, K>
}
