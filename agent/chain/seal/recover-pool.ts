/**
 * Signer recovery on worker threads. Headers are independent to recover and recovery is ~70% of
 * verification, so a batch is split across workers (each with WASM libsecp256k1, noble as its
 * fallback) while the main thread hashes and checks the rules. See recover-worker.ts for why the
 * worker is an eval'd source string.
 *
 * Workers start on the first batch and stop after `idleStopMs` without one: each costs ~12 MB
 * of RSS (WASM in this thread ~5 MB more), which a box that is in sync (one header per 15 s,
 * recovered in-thread) should not pay.
 * Nothing here can crash the agent or give a wrong answer: a worker that dies has its jobs
 * recovered in this thread and is replaced (at most `maxRestarts` times a minute, then the pool
 * recovers in-thread only), and a worker without any backend makes the pool do the same.
 */
import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import { AgentError, ErrorCode } from '../../errors.js'
import type { Component } from '../../component.js'
import type { Logger } from '../../log/logger.js'
import type { Address } from '../bytes.js'
import type { RecoverSigner } from './recover.js'
import { createRecoverBackend, WASM_SECP_PACKAGE, type RecoverBackendName } from './recover-wasm.js'
import type { RecoverItem } from './recover-worker.js'
import { createWorkers, type WorkerSet } from './recover-workers.js'
import { resolveExternal } from '../../system/import-external.js'
import { nativeStatus } from '../native.js'

export { RecoverPoolBusyError, type RecoverItem } from './recover-worker.js'

export interface RecoverPoolInit {
  /** Worker threads; 0 keeps recovery in this thread. Default: defaultRecoverWorkers(). */
  workers?: number
  /** Items queued or in flight before recoverMany refuses more (RecoverPoolBusyError). */
  maxQueuedItems?: number
  idleStopMs?: number
  maxRestarts?: number
  /** Module specifiers the backends load; tests point them at missing modules. */
  wasmSpecifier?: string
  /** Use the native addon, here and in the workers, when it loads (default true). */
  native?: boolean
  nobleSpecifier?: string
  /** Test hook: each worker as it is spawned, so a test can terminate one mid-batch. */
  onWorker?: (worker: Worker) => void
}

export interface RecoverPoolStats {
  workers: number
  live: number
  /** This thread's backend. */
  backend: RecoverBackendName
  /** The workers' backend: undefined before one is ready, 'none' once recovery stays in this thread. */
  workerBackend: RecoverBackendName | 'none' | undefined
  jobs: number
  crashes: number
  inThread: number
}

export interface RecoverPool extends Component {
  /** In-thread recovery with the best backend loaded so far: what the seal engine calls. */
  readonly recover: RecoverSigner
  /** Worker threads this pool runs when busy (0: none). */
  readonly size: number
  /** Loads WASM for in-thread recovery (once); never rejects. */
  warm: () => Promise<RecoverBackendName>
  /**
   * Signers of `items`, in order, with recoverWithNoble's answers (undefined when malformed).
   * @throws AgentError ABORTED when `signal` aborts; RecoverPoolBusyError when the queue is full.
   */
  recoverMany: (items: readonly RecoverItem[], signal?: AbortSignal) => Promise<Array<Address | undefined>>
  stats: () => RecoverPoolStats
}

/**
 * Worker threads by default: one per core. On the 2-core dev VM two workers beat one even though
 * the main thread competes with them (test/bench/chain-verify.bench.ts); routers have 2–4 cores.
 */
export function defaultRecoverWorkers (): number {
  return Math.max(1, Math.min(4, availableParallelism()))
}

/** Resolves a package from the agent's own location to a URL a worker can import; undefined when absent. */
const resolveUrl = resolveExternal

export function createRecoverPool (c: { logger: Logger }, init: RecoverPoolInit = {}): RecoverPool {
  const log = c.logger
  const size = init.workers ?? defaultRecoverWorkers()
  const maxQueued = init.maxQueuedItems ?? 8192
  const backend = createRecoverBackend({ logger: log }, { ...(init.wasmSpecifier !== undefined ? { specifier: init.wasmSpecifier } : {}), ...(init.native === false ? { native: false } : {}) })
  const native = init.native === false ? undefined : nativeStatus()
  let workers: WorkerSet | undefined
  let started = false
  let inThread = 0

  const recoverHere = (items: readonly RecoverItem[]): Array<Address | undefined> => {
    inThread += items.length
    return items.map(item => backend.recover(item.digest, item.seal))
  }

  return {
    name: 'recover-pool',
    recover: backend.recover,
    size,
    warm: backend.load,
    async start () {
      if (started) return
      started = true
      if (size === 0) return
      workers = createWorkers({ logger: log, recoverHere }, {
        size,
        maxQueuedItems: maxQueued,
        idleStopMs: init.idleStopMs ?? 30_000,
        maxRestarts: init.maxRestarts ?? 5,
        ...(native?.loaded === true && native.file !== undefined ? { nativeFile: native.file } : {}),
        wasmUrl: resolveUrl(init.wasmSpecifier ?? WASM_SECP_PACKAGE),
        nobleUrl: resolveUrl(init.nobleSpecifier ?? '@noble/curves/secp256k1.js'),
        ...(init.onWorker !== undefined ? { onWorker: init.onWorker } : {})
      })
    },
    async stop () {
      if (!started) return
      started = false
      const set = workers
      workers = undefined
      await set?.close()
    },
    async recoverMany (items, signal) {
      if (signal?.aborted === true) throw new AgentError(ErrorCode.ABORTED, 'signer recovery was cancelled')
      void backend.load()
      const out: Array<Address | undefined> = new Array<Address | undefined>(items.length).fill(undefined)
      // The same checks recoverWithNoble makes first; only well-formed seals are worth a worker.
      const wanted: number[] = []
      items.forEach((item, i) => {
        const v = item.seal[64]
        if (item.digest.length === 32 && item.seal.length === 65 && (v === 0 || v === 1)) wanted.push(i)
      })
      const work = wanted.map(i => items[i] as RecoverItem)
      if (work.length === 0) return out
      const answers = workers === undefined || !workers.usable() ? recoverHere(work) : await workers.run(work, signal)
      wanted.forEach((at, k) => { out[at] = answers[k] })
      return out
    },
    stats: () => ({ workers: size, live: workers?.live() ?? 0, backend: backend.name(), workerBackend: workers?.backend(), jobs: workers?.jobs() ?? 0, crashes: workers?.crashes() ?? 0, inThread })
  }
}
