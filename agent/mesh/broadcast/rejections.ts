/**
 * One warning per neighbour per window, so a neighbour that keeps handing us bad messages costs
 * one log line a minute, not one per message; the rejections in between go to debug and are
 * counted in the next warning. Keyed by the neighbour rather than the signer: honest boxes
 * validate before they forward, so bad messages come from the box that sends them to us, and a
 * flood signed by a thousand fresh keys still costs one line.
 */
import type { LogContext, Logger } from '../../log/logger.js'

export interface RejectionLogInit {
  windowMs: number
  /** Neighbours remembered; past this the memory starts over. */
  maxKeys: number
  now?: () => number
}

export type RejectionLog = (message: string, neighbour: string, ctx: LogContext) => void

export function createRejectionLog (log: Logger, init: RejectionLogInit): RejectionLog {
  const now = init.now ?? Date.now
  const seen = new Map<string, { atMs: number, suppressed: number }>()
  return (message, neighbour, ctx) => {
    const t = now()
    const last = seen.get(neighbour)
    if (last !== undefined && t - last.atMs < init.windowMs) {
      last.suppressed++
      log.debug(message, ctx)
      return
    }
    if (last === undefined && seen.size >= init.maxKeys) seen.clear()
    seen.set(neighbour, { atMs: t, suppressed: 0 })
    log.warn(message, { ...ctx, ...(last !== undefined && last.suppressed > 0 ? { suppressedSinceLast: last.suppressed } : {}) })
  }
}
