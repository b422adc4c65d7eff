/**
 * Request and answer over end-to-end messages: `<name>/req` carries `{rid, body}` to a box,
 * whose handler's result comes back as `<name>/res` `{rid, ok, body | error}`. Both legs are
 * ordinary messages (sealed, signed, custody hop by hop), so a box can ask one it has no
 * connection to. Answers are matched by `rid` and by the box asked; anything else is dropped.
 */
import { randomBytes } from 'node:crypto'
import type { Component } from '../../component.js'
import { AgentError, ErrorCode, errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import type { MessageService } from './index.js'

export interface MeshRequestInit {
  /** Protocol base, e.g. `/meshbox/state/1`: requests go on `<name>/req`, answers on `<name>/res`. */
  name: string
  timeoutMs: number
  /** Requests are worth little after the caller gave up: a short TTL keeps them out of queues. */
  ttlMs: number
  maxPending: number
}

export interface MeshRequests extends Component {
  request: (dst: string, body: unknown, signal?: AbortSignal) => Promise<unknown>
  serve: (handler: (src: string, body: unknown) => Promise<unknown>) => void
}

const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
const decode = (b: Uint8Array): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(b))
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined
  } catch { return undefined }
}

export function createMeshRequests (c: { messages: Pick<MessageService, 'enqueue' | 'handle' | 'unhandle'>, logger: Logger }, init: MeshRequestInit): MeshRequests {
  const pending = new Map<string, { dst: string, settle: (ok: boolean, body: unknown) => void }>()
  let serveWith: ((src: string, body: unknown) => Promise<unknown>) | undefined
  let started = false

  const onRequest = async ({ src, payload }: { src: string, payload: Uint8Array }): Promise<void> => {
    const m = decode(payload)
    if (typeof m?.rid !== 'string' || m.rid.length > 64 || serveWith === undefined) return
    let answer: Record<string, unknown>
    try {
      answer = { rid: m.rid, ok: true, body: await serveWith(src, m.body) }
    } catch (err) {
      answer = { rid: m.rid, ok: false, error: errorMessage(err).slice(0, 500) }
    }
    await c.messages.enqueue(src, `${init.name}/res`, encode(answer), { ttlMs: init.ttlMs })
  }

  const onAnswer = async ({ src, payload }: { src: string, payload: Uint8Array }): Promise<void> => {
    const m = decode(payload)
    const p = typeof m?.rid === 'string' ? pending.get(m.rid) : undefined
    if (p === undefined || p.dst !== src) { c.logger.debug('Mesh answer unmatched; dropped', { src, name: init.name }); return }
    p.settle(m?.ok === true, m?.ok === true ? m.body : m?.error)
  }

  return {
    name: `mesh-requests ${init.name}`,
    async start () {
      if (started) return
      started = true
      c.messages.handle(`${init.name}/req`, onRequest)
      c.messages.handle(`${init.name}/res`, onAnswer)
    },
    async stop () {
      if (!started) return
      started = false
      c.messages.unhandle(`${init.name}/req`)
      c.messages.unhandle(`${init.name}/res`)
      for (const p of [...pending.values()]) p.settle(false, 'stopping')
    },
    serve (handler) { serveWith = handler },
    async request (dst, body, signal) {
      if (pending.size >= init.maxPending) throw new AgentError(ErrorCode.TIMEOUT, `too many ${init.name} requests in flight`)
      const rid = randomBytes(12).toString('hex')
      const answer = new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => { settle(false, `no answer from ${dst} within ${init.timeoutMs} ms`) }, init.timeoutMs)
        const onAbort = (): void => { settle(false, 'aborted') }
        signal?.addEventListener('abort', onAbort, { once: true })
        const settle = (ok: boolean, b: unknown): void => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          pending.delete(rid)
          if (ok) resolve(b)
          else reject(new AgentError(ErrorCode.TIMEOUT, `${init.name}: ${String(b)}`))
        }
        pending.set(rid, { dst, settle })
      })
      try {
        await c.messages.enqueue(dst, `${init.name}/req`, encode({ rid, body }), { ttlMs: init.ttlMs })
      } catch (err) {
        pending.get(rid)?.settle(false, errorMessage(err))
      }
      return await answer
    }
  }
}
