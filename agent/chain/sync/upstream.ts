/**
 * The pool of upstream JSON-RPC sources (`chain.rpc`). It picks the best healthy source for each
 * call (sources.ts: latency EWMA + head delay), backs off from failing ones, admits a source only
 * after its chain id (and the sync's anchor check) proved right, and demotes a source that lied.
 * URLs appear in logs, views and errors only redacted (no userinfo, no query values).
 *
 * @example
 *   const pool = createUpstreamPool({ logger }, { urls: ['http://10.0.0.2:8545'], chainId: 20180430n })
 *   const { result, source } = await pool.call('eth_blockNumber', [], { signal })
 *   const [a, b] = await pool.callTwo('eth_getBalance', [addr, 'latest'])   // two distinct sources
 */
import { AgentError, ErrorCode, errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { postJsonRpc, type RpcOutcome, type RpcRequest } from './rpc-client.js'
import {
  DEFAULT_SOURCE_POLICY, demote, isHealthy, newSourceState, rankSources, recordFailure, recordHead, recordSuccess, redactUrl,
  type SourcePolicy, type SourceState
} from './sources.js'

/** A handle on one source; `url` is the redacted form. */
export interface SourceRef { readonly id: number, readonly url: string }

export interface SourceRow {
  url: string
  healthy: boolean
  /** Chain id (and anchor) checked on this connection: true, or null while not checked yet. */
  admitted: boolean | null
  latencyMs: number | null
  head: number | null
  headAgeMs: number | null
  failures: number
  calls: number
  errors: number
  demotions: number
  /** Unix ms until which the source is demoted (it lied), or null. */
  demotedUntil: number | null
  /** Unix ms until which the source backs off (it failed), or null. */
  backoffUntil: number | null
  lastError: string | null
}

export interface CallOptions { signal?: AbortSignal }
export interface CallResult<T = unknown> { result: T, source: SourceRef }

export interface UpstreamPool {
  /** `method` on the best healthy source; on a transport failure, the next one. */
  call: (method: string, params: readonly unknown[], options?: CallOptions) => Promise<CallResult>
  /** `method` on that source only. */
  callOn: (source: SourceRef, method: string, params: readonly unknown[], options?: CallOptions) => Promise<CallResult>
  /** `method` on two distinct healthy sources at once, for answers that need agreement. */
  callTwo: (method: string, params: readonly unknown[], options?: CallOptions) => Promise<[CallResult, CallResult]>
  /** One HTTP request carrying `requests` as a batch; one outcome per request, in order. */
  batchOn: (source: SourceRef, requests: readonly RpcRequest[], options?: CallOptions) => Promise<RpcOutcome[]>
  /** Healthy, admitted-or-unchecked sources, best first. */
  ranked: () => SourceRef[]
  sources: () => SourceRow[]
  hasHealthy: () => boolean
  /** Stops using `source` for `chain.demoteMs` because it lied; logged with the reason. */
  demote: (source: SourceRef, reason: string) => void
  /** Counts a failure that is not a lie (a fork we cannot follow): the source backs off. */
  backoff: (source: SourceRef, reason: string) => void
  /** The head the source last reported (probe), if any. */
  headOf: (source: SourceRef) => bigint | undefined
  /** Checks unchecked sources (chain id, anchor) and refreshes every healthy source's head. */
  probe: (options?: CallOptions) => Promise<void>
}

export interface UpstreamPoolComponents {
  logger: Logger
  now?: () => number
}

export interface UpstreamPoolInit {
  urls: readonly string[]
  chainId: bigint
  timeoutMs?: number
  maxResponseBytes?: number
  policy?: Partial<SourcePolicy>
  /**
   * Extra admission check on first contact (after the chain id): a reason to demote the source,
   * or undefined. Sync uses it to make sure the source's chain contains our anchor.
   */
  admit?: (source: SourceRef, options: CallOptions) => Promise<string | undefined>
}

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024

export function createUpstreamPool (c: UpstreamPoolComponents, init: UpstreamPoolInit): UpstreamPool {
  const now = c.now ?? Date.now
  const log = c.logger
  const policy: SourcePolicy = { ...DEFAULT_SOURCE_POLICY, ...init.policy }
  const urls = [...init.urls]
  const states = urls.map((u, i) => newSourceState(i, redactUrl(u)))
  const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const maxResponseBytes = init.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  const admitting = new Map<number, Promise<boolean>>()
  let nextId = 1

  const ref = (s: SourceState): SourceRef => ({ id: s.id, url: s.label })
  const stateOf = (source: SourceRef): SourceState => {
    const s = states[source.id]
    if (s === undefined) throw new AgentError(ErrorCode.INTERNAL, `no upstream source #${source.id}`)
    return s
  }

  const post = async (s: SourceState, requests: readonly RpcRequest[], batch: boolean, options: CallOptions): Promise<RpcOutcome[]> => {
    const firstId = nextId
    nextId += requests.length
    const started = performance.now()
    try {
      const outcomes = await postJsonRpc(urls[s.id] as string, requests, batch, { timeoutMs, maxResponseBytes, firstId, ...(options.signal !== undefined ? { signal: options.signal } : {}) }, s.label)
      const recovered = s.failures > 0
      recordSuccess(s, performance.now() - started, policy)
      if (recovered) log.info('Upstream source recovered', { source: s.label, latencyMs: Math.round(s.latencyMs ?? 0) })
      return outcomes
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      const waitMs = recordFailure(s, errorMessage(err), now(), policy)
      const ctx = { source: s.label, failures: s.failures, backoffMs: waitMs, reason: errorMessage(err) }
      if (s.failures === 1) log.warn('Upstream source failed', ctx)
      else log.debug('Upstream source failed', ctx)
      throw err
    }
  }

  const single = async (s: SourceState, method: string, params: readonly unknown[], options: CallOptions): Promise<unknown> => {
    const [outcome] = await post(s, [{ method, params }], false, options)
    if (outcome === undefined) throw new AgentError(ErrorCode.INTERNAL, 'no outcome for a single JSON-RPC call')
    if (!outcome.ok) {
      throw new AgentError(ErrorCode.CHAIN_UPSTREAM_ERROR, `upstream ${s.label}: ${method}: ${outcome.error.message} (JSON-RPC error ${outcome.error.code})`, {
        data: { source: s.label, rpcCode: outcome.error.code, rpcMessage: outcome.error.message }
      })
    }
    return outcome.result
  }

  const doDemote = (s: SourceState, reason: string): void => {
    demote(s, reason, now(), policy)
    log.warn('Upstream source demoted', { source: s.label, reason, forMs: policy.demoteMs, demotions: s.demotions })
  }

  /** First contact: the chain id must be ours, then the sync's own check. True when admitted. */
  const admit = async (s: SourceState, options: CallOptions): Promise<boolean> => {
    if (s.admitted === true) return true
    const running = admitting.get(s.id)
    if (running !== undefined) return await running
    const check = (async (): Promise<boolean> => {
      let chainId: unknown
      try {
        chainId = await single(s, 'eth_chainId', [], options)
      } catch (err) {
        if (options.signal?.aborted === true) throw err
        return false // failure recorded by post(), or a node without eth_chainId (logged below)
      }
      if (typeof chainId !== 'string' || !/^0x[0-9a-f]{1,16}$/i.test(chainId) || BigInt(chainId) !== init.chainId) {
        doDemote(s, `eth_chainId answered ${JSON.stringify(chainId)?.slice(0, 24) ?? '?'}, expected ${init.chainId} (0x${init.chainId.toString(16)}): another chain`)
        return false
      }
      const problem = init.admit === undefined ? undefined : await init.admit(ref(s), options)
      if (problem !== undefined) {
        doDemote(s, problem)
        return false
      }
      s.admitted = true
      log.info('Upstream source admitted', { source: s.label, chainId: init.chainId.toString() })
      return true
    })()
    admitting.set(s.id, check)
    try {
      return await check
    } finally {
      admitting.delete(s.id)
    }
  }

  const candidates = (): SourceState[] => rankSources(states, now())

  /** The first answer from sources taken off `queue` in order; an upstream's JSON-RPC error ends the search. */
  const firstAnswer = async (queue: SourceState[], method: string, params: readonly unknown[], options: CallOptions, why?: string): Promise<CallResult> => {
    let lastError: unknown
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      try {
        if (!await admit(s, options)) continue
        return { result: await single(s, method, params, options), source: ref(s) }
      } catch (err) {
        if (options.signal?.aborted === true) throw err
        if (err instanceof AgentError && err.code === ErrorCode.CHAIN_UPSTREAM_ERROR) throw err
        lastError = err
      }
    }
    throw noUpstream(states.length, lastError, why)
  }

  const pool: UpstreamPool = {
    async call (method, params, options = {}) {
      return await firstAnswer(candidates(), method, params, options)
    },
    async callOn (source, method, params, options = {}) {
      const s = stateOf(source)
      return { result: await single(s, method, params, options), source: ref(s) }
    },
    async callTwo (method, params, options = {}) {
      // Both draw from one queue, so the two answers always come from distinct sources.
      const queue = candidates()
      const why = 'two distinct healthy sources are needed for an answer by agreement'
      return await Promise.all([firstAnswer(queue, method, params, options, why), firstAnswer(queue, method, params, options, why)])
    },
    async batchOn (source, requests, options = {}) {
      return await post(stateOf(source), requests, true, options)
    },
    ranked: () => candidates().map(ref),
    sources: () => {
      const t = now()
      return states.map(s => ({
        url: s.label,
        healthy: isHealthy(s, t),
        admitted: s.admitted ?? null,
        latencyMs: s.latencyMs === undefined ? null : Math.round(s.latencyMs * 10) / 10,
        head: s.head === undefined ? null : Number(s.head),
        headAgeMs: s.headAtMs === undefined ? null : t - s.headAtMs,
        failures: s.failures,
        calls: s.calls,
        errors: s.errors,
        demotions: s.demotions,
        demotedUntil: s.demotedUntilMs > t ? s.demotedUntilMs : null,
        backoffUntil: s.backoffUntilMs > t ? s.backoffUntilMs : null,
        lastError: s.lastError ?? null
      }))
    },
    hasHealthy: () => states.some(s => isHealthy(s, now())),
    demote: (source, reason) => { doDemote(stateOf(source), reason) },
    backoff: (source, reason) => {
      const s = stateOf(source)
      const waitMs = recordFailure(s, reason, now(), policy)
      log.warn('Upstream source failed', { source: s.label, failures: s.failures, backoffMs: waitMs, reason })
    },
    headOf: (source) => stateOf(source).head,
    async probe (options = {}) {
      await Promise.all(states.filter(s => isHealthy(s, now())).map(async s => {
        try {
          if (!await admit(s, options)) return
          const head = await single(s, 'eth_blockNumber', [], options)
          if (typeof head !== 'string' || !/^0x[0-9a-f]{1,16}$/i.test(head)) {
            recordFailure(s, `eth_blockNumber answered ${JSON.stringify(head)?.slice(0, 24) ?? '?'}`, now(), policy)
            return
          }
          recordHead(s, BigInt(head), now())
        } catch (err) {
          if (options.signal?.aborted === true) throw err
          // post() recorded and logged a transport failure; a JSON-RPC error counts as one here.
          if (err instanceof AgentError && err.code === ErrorCode.CHAIN_UPSTREAM_ERROR) recordFailure(s, err.message, now(), policy)
        }
      }))
    }
  }
  return pool
}

function noUpstream (configured: number, lastError: unknown, why?: string): AgentError {
  const detail = configured === 0
    ? 'none is configured (chain.rpc, --chain-rpc)'
    : `none of the ${configured} configured answers now${lastError !== undefined ? ` (last error: ${errorMessage(lastError)})` : ''}`
  return new AgentError(ErrorCode.CHAIN_NO_UPSTREAM, `no healthy upstream source: ${detail}${why !== undefined ? `; ${why}` : ''}`, {
    hints: ['see `meshbox chain` for each source: failures back off up to a minute, a source that lied is demoted for chain.demoteMs']
  })
}
