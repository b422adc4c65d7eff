/**
 * Storage quotas for messages held in custody. One source or one unreachable destination must
 * not be able to fill a box's flash: each gets a share, and the whole store has a ceiling.
 * Receipts are tiny and are what lets sources stop retrying, so they only count towards the
 * overall ceiling. Pure bookkeeping; the queue calls it before every write.
 */

export interface QuotaLimits {
  maxStoredBytes: number
  maxStoredMessages: number
  maxBytesPerSource: number
  maxBytesPerDestination: number
}

export interface Held { src: string, dst: string, bytes: number, receipt: boolean }

interface Tally { bytes: number, count: number }

export interface Usage {
  total: Tally
  bySource: Map<string, Tally>
  byDestination: Map<string, Tally>
}

export const emptyUsage = (): Usage => ({ total: { bytes: 0, count: 0 }, bySource: new Map(), byDestination: new Map() })

/** Why `h` may not be stored now, or undefined when it fits. */
export function quotaRefusal (u: Usage, h: Held, limits: QuotaLimits): string | undefined {
  if (u.total.count + 1 > limits.maxStoredMessages) return `this box already holds ${u.total.count} messages (limit ${limits.maxStoredMessages})`
  if (u.total.bytes + h.bytes > limits.maxStoredBytes) return `this box's message store is full (${u.total.bytes} of ${limits.maxStoredBytes} bytes)`
  if (h.receipt) return undefined
  const fromSrc = u.bySource.get(h.src)?.bytes ?? 0
  if (fromSrc + h.bytes > limits.maxBytesPerSource) return `source ${h.src} already has ${fromSrc} bytes stored here (limit ${limits.maxBytesPerSource})`
  const toDst = u.byDestination.get(h.dst)?.bytes ?? 0
  if (toDst + h.bytes > limits.maxBytesPerDestination) return `destination ${h.dst} already has ${toDst} bytes waiting here (limit ${limits.maxBytesPerDestination})`
  return undefined
}

const adjust = (m: Map<string, Tally>, key: string, bytes: number, count: number): void => {
  const t = m.get(key) ?? { bytes: 0, count: 0 }
  t.bytes += bytes
  t.count += count
  if (t.count <= 0) m.delete(key)
  else m.set(key, t)
}

export function addUsage (u: Usage, h: Held): void {
  u.total.bytes += h.bytes
  u.total.count += 1
  if (h.receipt) return
  adjust(u.bySource, h.src, h.bytes, 1)
  adjust(u.byDestination, h.dst, h.bytes, 1)
}

export function removeUsage (u: Usage, h: Held): void {
  u.total.bytes -= h.bytes
  u.total.count -= 1
  if (h.receipt) return
  adjust(u.bySource, h.src, -h.bytes, -1)
  adjust(u.byDestination, h.dst, -h.bytes, -1)
}
