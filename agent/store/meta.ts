/** Agent metadata kept in the store: how many times this box has started, and since when. */
import { Bucket, bucketKey } from './buckets.js'
import type { Store } from './store.js'

export interface StartRecord { starts: number, firstStartMs: number }

const KEY = bucketKey(Bucket.meta, 'starts')

function decode (bytes: Uint8Array | undefined): StartRecord | undefined {
  if (bytes === undefined) return undefined
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Partial<StartRecord>
    if (typeof v.starts === 'number' && typeof v.firstStartMs === 'number') return { starts: v.starts, firstStartMs: v.firstStartMs }
  } catch { /* a damaged record restarts the count */ }
  return undefined
}

export async function recordStart (store: Store, now = Date.now()): Promise<StartRecord> {
  const prev = decode(await store.get(KEY))
  const next: StartRecord = { starts: (prev?.starts ?? 0) + 1, firstStartMs: prev?.firstStartMs ?? now }
  await store.put(KEY, new TextEncoder().encode(JSON.stringify(next)))
  return next
}
