/**
 * The key-value contract every part of the agent persists through. Writes resolve only once
 * they are durable; `batch` is atomic. Keys always start with a bucket byte from buckets.ts.
 */
import type { Component } from '../component.js'

export type BatchOp =
  | { type: 'put', key: Uint8Array, value: Uint8Array }
  | { type: 'delete', key: Uint8Array }

export interface RangeOptions {
  /** Stop after this many entries. */
  limit?: number
}

export interface Store extends Component {
  get: (key: Uint8Array) => Promise<Uint8Array | undefined>
  /** Resolves when the value is on disk. */
  put: (key: Uint8Array, value: Uint8Array) => Promise<void>
  delete: (key: Uint8Array) => Promise<void>
  /** Every entry whose key starts with `prefix`, in key order. */
  range: (prefix: Uint8Array, options?: RangeOptions) => AsyncIterable<[Uint8Array, Uint8Array]>
  /** Applies every operation or none; resolves when durable. */
  batch: (ops: BatchOp[]) => Promise<void>
  /** Bytes used on disk, for status and diagnostics. */
  sizeBytes: () => number
}
