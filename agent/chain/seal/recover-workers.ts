/**
 * The worker threads behind recover-pool.ts: spawning on demand, a bounded FIFO of jobs, at most
 * two jobs in flight per worker (so a worker never waits for the main thread between jobs), idle
 * stop, and the crash path: a worker that exits unasked has its jobs recovered in this thread.
 */
import { Worker } from 'node:worker_threads'
import { AgentError, ErrorCode } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { packJob, RecoverPoolBusyError, unpackAnswers, WORKER_SOURCE, type Answers, type RecoverItem, type WorkerData, type WorkerReply } from './recover-worker.js'

export interface WorkerSetInit extends WorkerData {
  size: number
  maxQueuedItems: number
  idleStopMs: number
  maxRestarts: number
  onWorker?: (worker: Worker) => void
}

export interface WorkerSet {
  /** False once closed, or after workers proved unable to recover (no backend, repeated exits). */
  usable: () => boolean
  run: (items: readonly RecoverItem[], signal?: AbortSignal) => Promise<Answers>
  close: () => Promise<void>
  live: () => number
  jobs: () => number
  crashes: () => number
  /** What the workers recover with: set by the first ready worker; 'none' once given up on. */
  backend: () => 'native' | 'wasm' | 'noble' | 'none' | undefined
}

interface Job { readonly id: number, readonly items: readonly RecoverItem[], resolve: (a: Answers) => void, reject: (e: unknown) => void, abandoned: boolean }
interface Slot { readonly worker: Worker, ready: boolean, retiring: boolean, readonly inFlight: Map<number, Job> }

const MAX_IN_FLIGHT = 2
/** Below this a job costs more in messaging than it saves (a recovery is 0.08–0.55 ms, a round trip ~0.1 ms). */
const MIN_JOB_ITEMS = 8
const RESTART_WINDOW_MS = 60_000

export function createWorkers (c: { logger: Logger, recoverHere: (items: readonly RecoverItem[]) => Answers }, init: WorkerSetInit): WorkerSet {
  const log = c.logger
  const slots = new Set<Slot>()
  const queue: Job[] = []
  let pending = 0
  let nextId = 1
  let closed = false
  let broken: string | undefined
  let restarts: number[] = []
  let idleTimer: NodeJS.Timeout | undefined
  let done = 0
  let exits = 0
  let backend: 'native' | 'wasm' | 'noble' | undefined

  const finish = (job: Job, answers: Answers): void => {
    pending -= job.items.length
    done++
    if (!job.abandoned) job.resolve(answers)
    if (pending === 0 && !closed) {
      clearTimeout(idleTimer)
      idleTimer = setTimeout(() => { if (pending === 0) { for (const s of slots) retire(s); log.debug('Signer recovery workers stopped while idle', { idleStopMs: init.idleStopMs }) } }, init.idleStopMs).unref()
    }
  }

  const answerHere = (job: Job): void => { finish(job, job.abandoned ? [] : c.recoverHere(job.items)) }

  const retire = (slot: Slot): void => {
    slot.retiring = true
    for (const job of slot.inFlight.values()) answerHere(job)
    slot.inFlight.clear()
    void slot.worker.terminate()
  }

  const giveUp = (reason: string): void => {
    if (broken !== undefined) return
    broken = reason
    log.warn('Signer recovery stays in this thread', { reason })
    for (const s of slots) retire(s)
    dispatch()
  }

  const onReply = (slot: Slot, m: WorkerReply): void => {
    if (m.type === 'unavailable') { giveUp(`a worker loads no backend: ${m.reason}`); return }
    if (m.type === 'ready') {
      slot.ready = true
      backend = m.backend
      log.debug('Signer recovery worker ready', { backend: m.backend, workers: slots.size })
    }
    const job = m.type === 'done' ? slot.inFlight.get(m.id) : undefined
    if (m.type === 'done' && job !== undefined) {
      slot.inFlight.delete(m.id)
      finish(job, unpackAnswers(job.items.length, m.pubs, m.ok))
    }
    dispatch()
  }

  const onExit = (slot: Slot, code: number, error: unknown): void => {
    slots.delete(slot)
    if (slot.retiring) { dispatch(); return }
    exits++
    log.warn('Signer recovery worker exited', { code, jobs: slot.inFlight.size }, error)
    // Its jobs get their answers here; a wrong or missing answer is never an option.
    for (const job of slot.inFlight.values()) answerHere(job)
    const now = Date.now()
    restarts = [...restarts.filter(t => now - t < RESTART_WINDOW_MS), now]
    if (restarts.length > init.maxRestarts) giveUp(`workers exited ${restarts.length} times within a minute`)
    else dispatch()
  }

  const spawn = (): void => {
    const data: WorkerData = {
      ...(init.nativeFile !== undefined ? { nativeFile: init.nativeFile } : {}),
      ...(init.wasmUrl !== undefined ? { wasmUrl: init.wasmUrl } : {}),
      ...(init.nobleUrl !== undefined ? { nobleUrl: init.nobleUrl } : {})
    }
    // No execArgv: the tsx loader of a test run is not needed by the plain-JS body; 32 MB heap is plenty.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: data, name: 'meshbox-recover', resourceLimits: { maxOldGenerationSizeMb: 32 } })
    const slot: Slot = { worker, ready: false, retiring: false, inFlight: new Map() }
    let error: unknown
    worker.on('message', (m: WorkerReply) => { onReply(slot, m) })
    worker.on('error', (err) => { error = err })
    worker.on('exit', (code) => { onExit(slot, code, error) })
    slots.add(slot)
    init.onWorker?.(worker)
  }

  function dispatch (): void {
    if (closed) return
    if (broken !== undefined) {
      for (const job of queue.splice(0)) answerHere(job)
      return
    }
    let active = 0
    for (const s of slots) if (!s.retiring) active++
    for (; queue.length > 0 && active < init.size; active++) spawn()
    while (queue.length > 0) {
      let best: Slot | undefined
      for (const s of slots) if (s.ready && !s.retiring && s.inFlight.size < MAX_IN_FLIGHT && (best === undefined || s.inFlight.size < best.inFlight.size)) best = s
      if (best === undefined) return
      const job = queue.shift() as Job
      const input = packJob(job.items)
      best.inFlight.set(job.id, job)
      best.worker.postMessage({ type: 'job', id: job.id, n: job.items.length, input }, [input.buffer])
    }
  }

  return {
    usable: () => !closed && broken === undefined,
    async run (items, signal) {
      if (pending + items.length > init.maxQueuedItems) throw new RecoverPoolBusyError(pending, init.maxQueuedItems)
      const per = Math.max(MIN_JOB_ITEMS, Math.ceil(items.length / init.size))
      const jobs: Job[] = []
      const answers: Array<Promise<Answers>> = []
      for (let at = 0; at < items.length; at += per) {
        answers.push(new Promise<Answers>((resolve, reject) => { jobs.push({ id: nextId++, items: items.slice(at, at + per), resolve, reject, abandoned: false }) }))
      }
      const onAbort = (): void => {
        for (const job of jobs) {
          const i = queue.indexOf(job)
          if (i >= 0) { queue.splice(i, 1); pending -= job.items.length }
          job.abandoned = true
          job.reject(new AgentError(ErrorCode.ABORTED, 'signer recovery was cancelled'))
        }
      }
      if (jobs.length === 0) return []
      signal?.addEventListener('abort', onAbort, { once: true })
      clearTimeout(idleTimer)
      for (const job of jobs) { queue.push(job); pending += job.items.length }
      dispatch()
      try {
        return (await Promise.all(answers)).flat()
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    },
    async close () {
      closed = true
      clearTimeout(idleTimer)
      for (const job of queue.splice(0)) job.reject(new AgentError(ErrorCode.ABORTED, 'signer recovery pool stopped'))
      const exiting = [...slots].map(async s => { s.retiring = true; for (const job of s.inFlight.values()) job.reject(new AgentError(ErrorCode.ABORTED, 'signer recovery pool stopped')); await s.worker.terminate() })
      await Promise.all(exiting)
      slots.clear()
    },
    live: () => slots.size,
    jobs: () => done,
    crashes: () => exits,
    backend: () => broken !== undefined ? 'none' : backend
  }
}
