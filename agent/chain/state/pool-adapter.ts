/**
 * Adapts an upstream pool that can address one source at a time (`ranked` + `callOn`, as
 * chain/sync's UpstreamPool does) to the reader's `StateUpstream`, honouring `exclude` so that
 * after one source refuses eth_getProof or lies, the next one is really asked. Structural types
 * only: nothing here depends on the pool's implementation.
 *
 * @example
 *   const upstream = chain.upstream === undefined ? undefined : stateUpstreamFromPool(chain.upstream)
 *   const reader = createStateReader({ headers: chain, upstream, store, logger })
 */
import type { StateUpstream, UpstreamAnswer, UpstreamCallOptions } from './types.js'

export interface SourcePool<Ref extends { readonly url: string }> {
  /** Healthy sources, best first. */
  ranked: () => Ref[]
  callOn: (source: Ref, method: string, params: readonly unknown[], options?: { signal?: AbortSignal }) => Promise<{ result: unknown, source: Ref }>
  demote: (source: Ref, reason: string) => void
}

/** A JSON-RPC error answer: chain/sync's AgentError CHAIN_UPSTREAM_ERROR, or any error with a numeric `code`. */
export function isRefusal (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const e = err as { code?: unknown, data?: { rpcCode?: unknown } }
  return typeof e.code === 'number' || e.code === 'CHAIN_UPSTREAM_ERROR' || typeof e.data?.rpcCode === 'number'
}

function tagged (err: unknown, source: string): unknown {
  if (typeof err === 'object' && err !== null && !('source' in err)) Object.assign(err, { source })
  return err
}

export function stateUpstreamFromPool<Ref extends { readonly url: string }> (pool: SourcePool<Ref>): StateUpstream {
  const byLabel = new Map<string, Ref>()
  const candidates = (options?: UpstreamCallOptions): Ref[] => {
    const all = pool.ranked()
    for (const r of all) byLabel.set(r.url, r)
    const rest = all.filter(r => !(options?.exclude ?? []).includes(r.url))
    // All excluded: offer the best one again; the reader notices and stops.
    return rest.length > 0 ? rest : all.slice(0, 1)
  }
  const one = async (ref: Ref, method: string, params: unknown[], options?: UpstreamCallOptions): Promise<UpstreamAnswer> => {
    try {
      const { result } = await pool.callOn(ref, method, params, options?.signal !== undefined ? { signal: options.signal } : {})
      return { result, source: ref.url }
    } catch (err) {
      throw tagged(err, ref.url)
    }
  }
  return {
    async call (method, params, options) {
      let last: unknown = new Error('no healthy upstream source')
      for (const ref of candidates(options)) {
        try {
          return await one(ref, method, params, options)
        } catch (err) {
          if (options?.signal?.aborted === true || isRefusal(err)) throw err
          last = err // unreachable: the next source
        }
      }
      throw last
    },
    async callTwo (method, params, options) {
      const answers: UpstreamAnswer[] = []
      let last: unknown = new Error('no healthy upstream source')
      for (const ref of candidates(options)) {
        if (answers.length === 2) break
        try {
          answers.push(await one(ref, method, params, options))
        } catch (err) {
          if (options?.signal?.aborted === true) throw err
          last = err
        }
      }
      if (answers.length === 0) throw last
      return answers
    },
    demote (source, reason) {
      const ref = byLabel.get(source)
      if (ref !== undefined) pool.demote(ref, reason)
    }
  }
}
