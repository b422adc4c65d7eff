/**
 * The light node's phone-facing half, built on a synced chain: verified state reads (with proof
 * bundles asked of the nearest uplink box over the mesh when this box has no upstream), the
 * transaction outbox, and the JSON-RPC method table. One component so agent.ts wires it in one
 * step; its parts start in order and stop in reverse like every other component.
 */
import type { Component } from '../component.js'
import { AgentError, ErrorCode, errorMessage } from '../errors.js'
import type { Logger } from '../log/logger.js'
import type { MessageService } from '../mesh/messages/index.js'
import { createMeshRequests } from '../mesh/messages/request.js'
import { RpcCode, RpcError, type RpcMethod } from '../services/rpc/jsonrpc.js'
import { rpcMethods, type RpcBackend, type Verified } from '../services/rpc/methods.js'
import type { Store } from '../store/store.js'
import { createTxOutbox, TxRejected, UPLINK_ROLE } from './outbox/index.js'
import { createStateReader, stateUpstreamFromPool, type ProofBundle, type ProofRequest, type StateAnswer } from './state/index.js'
import type { ChainView } from './sync/index.js'
import { checkAgainstState, decodeRawTransaction } from './tx.js'

export interface LightNodeComponents {
  chain: ChainView
  store: Store
  messages: MessageService
  /** The nearest reachable provider of a role, or undefined. */
  nearest: (role: string) => string | undefined
  logger: Logger
}

export interface LightNodeInit { confirmations: number, resendEveryBlocks: number, outboxCheckMs: number, meshRequestTimeoutMs: number }

/** Calls a box will make upstream for another box: none of them changes anything. */
const FORWARDABLE = ['eth_gasPrice', 'eth_estimateGas', 'eth_call', 'eth_getTransactionReceipt', 'eth_getTransactionByHash']

export interface LightNode extends Component { methods: () => ReadonlyMap<string, RpcMethod> }

/** Errors the phone should see as JSON-RPC errors with their message; anything else stays internal. */
function asRpcError (err: unknown): unknown {
  if (err instanceof RpcError) return err
  if (err instanceof TxRejected) return new RpcError(RpcCode.TX_REJECTED, err.message)
  if (err instanceof AgentError) {
    const code = err.code.startsWith('CHAIN_STATE') ? RpcCode.UNVERIFIABLE : err.code.startsWith('CHAIN_UPSTREAM') || err.code === 'TIMEOUT' ? RpcCode.NO_UPSTREAM : RpcCode.INTERNAL
    return new RpcError(code, err.message)
  }
  return err
}

export function createLightNode (c: LightNodeComponents, init: LightNodeInit): LightNode {
  const { chain } = c
  const log = c.logger
  const pool = chain.upstream
  const upstream = pool === undefined ? undefined : stateUpstreamFromPool(pool)
  const proofs = createMeshRequests({ messages: c.messages, logger: log }, { name: '/meshbox/state/1', timeoutMs: init.meshRequestTimeoutMs, ttlMs: init.meshRequestTimeoutMs, maxPending: 64 })
  const calls = createMeshRequests({ messages: c.messages, logger: log }, { name: '/meshbox/chain-call/1', timeoutMs: init.meshRequestTimeoutMs, ttlMs: init.meshRequestTimeoutMs, maxPending: 64 })
  const headers = {
    head: () => chain.head(),
    headerByNumber: async (n: bigint) => await chain.headerByNumber(n),
    headerByHash: async (h: string) => await chain.headerByHash(h)
  }
  const remote = async (request: ProofRequest, options: { signal?: AbortSignal }): Promise<ProofBundle> => {
    const uplink = c.nearest(UPLINK_ROLE)
    if (uplink === undefined) throw new AgentError(ErrorCode.CHAIN_STATE_UNAVAILABLE, 'no box with an uplink is known in the mesh')
    return await proofs.request(uplink, request, options.signal) as ProofBundle
  }
  const reader = createStateReader({ headers, ...(upstream !== undefined ? { upstream } : {}), store: c.store, logger: log }, { remote })
  const outbox = createTxOutbox({
    store: c.store,
    logger: log,
    decode: (raw) => decodeRawTransaction(raw, { chainId: chain.chainId }),
    checkState: async (tx, signal) => {
      try {
        const account = await reader.getAccount(tx.from, 'latest', { signal })
        return checkAgainstState(tx as Parameters<typeof checkAgainstState>[0], account.value)
      } catch (err) {
        // Unknown state is not a reason to refuse: the uplink box's node has the last word.
        log.debug('Transaction checked without state', { hash: tx.hash, error: errorMessage(err) })
        return undefined
      }
    },
    head: () => chain.head()?.number,
    verifiedHash: async (n) => (await chain.headerByNumber(n))?.hash,
    upstream: () => pool !== undefined && pool.hasHealthy() ? { call: async (m, p, o) => await pool.call(m, p, o) } : undefined,
    messages: c.messages,
    nearestUplink: () => c.nearest(UPLINK_ROLE)
  }, { confirmations: init.confirmations, resendEveryBlocks: init.resendEveryBlocks, checkIntervalMs: init.outboxCheckMs })

  const verified = <T, U>(a: StateAnswer<T>, pick: (v: T) => U): Verified<U> =>
    ({ value: pick(a.value), level: a.level, blockNumber: a.blockNumber, ...(a.ageMs !== undefined ? { ageMs: a.ageMs } : {}) })
  const guard = <A extends unknown[], R>(f: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try { return await f(...args) } catch (err) { throw asRpcError(err) }
  }
  /** Unverifiable calls go to our upstream, or else to the nearest uplink box's, over the mesh. */
  const forward = async (method: string, params: unknown[], signal: AbortSignal): Promise<unknown> => {
    if (pool !== undefined && pool.hasHealthy()) return (await pool.call(method, params, { signal })).result
    const uplink = c.nearest(UPLINK_ROLE)
    if (uplink === undefined) throw new RpcError(RpcCode.NO_UPSTREAM, `${method} needs an upstream node, and neither this box nor any box it can reach has one`)
    return await calls.request(uplink, { method, params }, signal)
  }
  const txAnswer = async (method: string, hash: string, signal: AbortSignal): Promise<{ result: unknown, meshbox?: Record<string, unknown> }> => {
    const r = await outbox.get(hash)
    if (r !== undefined && method === 'eth_getTransactionReceipt') {
      if (r.receipt === undefined) return { result: null, meshbox: { outbox: r.status } }
      const n = typeof r.receipt.blockNumber === 'string' ? BigInt(r.receipt.blockNumber) : -1n
      const inVerifiedBlock = (await chain.headerByNumber(n))?.hash === String(r.receipt.blockHash).toLowerCase()
      return { result: r.receipt, meshbox: { outbox: r.status, verified: inVerifiedBlock ? 'in-verified-block' : 'unverified' } }
    }
    if (r !== undefined && (pool === undefined || !pool.hasHealthy())) return { result: null, meshbox: { outbox: r.status } }
    return { result: await forward(method, [hash], signal), meshbox: { verified: 'unverified', forwarded: true } }
  }

  const backend: RpcBackend = {
    chainId: () => chain.chainId,
    head: () => chain.head(),
    headerByNumber: async (n) => await chain.headerByNumber(n),
    headerByHash: async (h) => await chain.headerByHash(h),
    syncStatus: () => chain.status(),
    balance: guard(async (a, tag, signal) => verified(await reader.getAccount(a, tag, { signal }), v => v.balance)),
    nonce: guard(async (a, tag, signal) => verified(await reader.getAccount(a, tag, { signal }), v => v.nonce)),
    code: guard(async (a, tag, signal) => verified(await reader.getCode(a, tag, { signal }), v => v as string)),
    storage: guard(async (a, slot, tag, signal) => verified(await reader.getStorageAt(a, slot, tag, { signal }), v => v as string)),
    forward: guard(forward),
    sendRawTransaction: guard(async (raw, signal) => await outbox.submit(raw, signal)),
    transactionReceipt: guard(async (h, signal) => await txAnswer('eth_getTransactionReceipt', h, signal)),
    transactionByHash: guard(async (h, signal) => await txAnswer('eth_getTransactionByHash', h, signal)),
    outbox: async () => (await outbox.list(100)).map(r => ({ ...r, raw: undefined, bytes: (r.raw.length - 2) / 2 }))
  }
  const methods = rpcMethods(backend)
  const parts: Component[] = [proofs, calls, outbox]
  let started: Component[] = []

  return {
    name: 'light-node',
    async start (options) {
      if (started.length > 0) return
      // A box with an upstream answers others' proof requests; the requester verifies the bundle itself.
      if (pool !== undefined) {
        proofs.serve(async (_src, body) => await reader.proofBundle(body as ProofRequest, { signal: AbortSignal.timeout(init.meshRequestTimeoutMs) }))
        calls.serve(async (_src, body) => {
          const { method, params } = (body ?? {}) as { method?: unknown, params?: unknown }
          if (typeof method !== 'string' || !FORWARDABLE.includes(method) || !Array.isArray(params) || params.length > 3) throw new Error('not a forwardable call')
          if (!pool.hasHealthy()) throw new Error('this box has lost its upstream')
          return (await pool.call(method, params, { signal: AbortSignal.timeout(init.meshRequestTimeoutMs) })).result
        })
      }
      for (const p of parts) { await p.start(options); started.push(p) }
    },
    async stop () {
      for (const p of started.reverse()) await p.stop()
      started = []
    },
    methods: () => methods
  }
}
