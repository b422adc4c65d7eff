/**
 * Header sync for the light chain node: from upstream JSON-RPC sources (`chain.rpc`) and over
 * the mesh (`/meshbox/headers/1`), every header verified (../verify) from a trusted anchor and
 * kept in LMDB with a rolling window. Others read the chain through `ChainView`: the verified
 * head, headers by number or hash, a status for technicians, the upstream pool, head events.
 * Decisions are pure (sources.ts, fork.ts, mesh-wire.ts, settings.ts); the rest does the I/O.
 * Formats, store layout and source rules: README.md.
 *
 * @example
 *   const chain = createChainSync({ store, broadcast, services, logger }, { ...resolveChainSettings(config.chain), maxMessageBytes: 65536 })
 *   await chain.start()
 *   chain.onHead(({ head, reorg }) => log.info('head', { number: head.number, reorg }))
 *   const h = await chain.headerByNumber(12n)   // undefined when unknown or pruned
 */
import type { AbortOptions, Component } from '../../component.js'
import { sleep } from '../../component.js'
import type { Logger } from '../../log/logger.js'
import type { Store } from '../../store/store.js'
import type { RecoverPool } from '../seal/recover-pool.js'
import type { ChainPreset } from '../presets.js'
import { createSealEngine } from '../seal/engine.js'
import { SyncCore, type HeadListener, type SyncFailure, type VerifiedHead } from './core.js'
import { createHeaderStore, type AnchorRecord, type StoredHeader } from './header-store.js'
import { createMeshSync, type MeshBroadcast, type MeshCounters } from './mesh-sync.js'
import type { ChainSettings } from './settings.js'
import { createUpstreamPool, type SourceRow, type UpstreamPool } from './upstream.js'
import { createUpstreamSync, type RoundOutcome } from './upstream-sync.js'

export type { HeadChange, HeadListener, HeadSource, SyncFailure, VerifiedHead } from './core.js'
export type { StoredHeader } from './header-store.js'
export type { CallOptions, CallResult, SourceRef, SourceRow, UpstreamPool } from './upstream.js'
export { resolveChainSettings, type ChainSettings } from './settings.js'

/** The role a box with a healthy upstream announces, so the outbox finds the nearest one. */
export const UPLINK_ROLE = 'chain-uplink'

export interface ChainStatus {
  enabled: true
  preset: string
  chainId: number
  engine: string
  anchor: { number: number, hash: string | null, kind: AnchorRecord['kind'], known: boolean } | null
  head: { number: number, hash: string, timestamp: number, ageMs: number, verifiedAtMs: number, from: 'upstream' | 'mesh', td: string } | null
  /** The highest head heard of (upstream sources, mesh announcements). */
  target: number | null
  syncing: boolean
  verified: { total: number, fromUpstream: number, fromMesh: number }
  refused: number
  reorgs: { count: number, last: { atMs: number, depth: number, from: number, to: number } | null }
  crossCheck: { number: number, agreed: boolean, atMs: number, sources: string[] } | null
  lastFailure: SyncFailure | null
  window: { windowHeaders: number, sideBranches: number }
  upstream: SourceRow[]
  mesh: MeshCounters
  /** This box announces `chain-uplink` (it has a healthy upstream and a verified head). */
  uplink: boolean
}

/** What other parts of the agent (JSON-RPC, the outbox) read of the chain. */
export interface ChainView {
  readonly preset: ChainPreset
  readonly chainId: bigint
  /** The verified head, or undefined before the anchor header is known. */
  head: () => VerifiedHead | undefined
  /** A canonical header; undefined when unknown or pruned. */
  headerByNumber: (n: bigint) => Promise<StoredHeader | undefined>
  /** A header on any stored branch; undefined when unknown or pruned. */
  headerByHash: (hash: string) => Promise<StoredHeader | undefined>
  status: () => ChainStatus
  /** The upstream pool; undefined when `chain.rpc` is empty. */
  readonly upstream: UpstreamPool | undefined
  /** Called after every head change (one call per stored batch); returns an undo. */
  onHead: (listener: HeadListener) => () => void
}

export interface ChainSync extends ChainView, Component {}

export interface ChainSyncComponents {
  store: Store
  broadcast: MeshBroadcast
  /** The service directory, to announce `chain-uplink` while this box has a healthy upstream. */
  services?: { setRole: (role: string, on: boolean) => void }
  logger: Logger
  now?: () => number
  /** Signer recovery: its in-thread backend (WASM once loaded) and worker threads for batches. */
  recoverPool?: RecoverPool
}

/** Everything in ChainSettings but the worker count, which agent.ts gives the recovery pool. */
export interface ChainSyncInit extends Omit<ChainSettings, 'verifyWorkers'> {
  /** The headers topic bound (mesh.broadcast.maxMessageBytes). */
  maxMessageBytes: number
  meshTickMs?: number
  meshRequestTimeoutMs?: number
}

const hashPattern = /^0x[0-9a-fA-F]{64}$/

export function createChainSync (c: ChainSyncComponents, init: ChainSyncInit): ChainSync {
  const log = c.logger
  const now = c.now ?? Date.now
  const preset = init.preset
  const headerStore = createHeaderStore({ store: c.store, logger: log }, { windowHeaders: init.windowHeaders, engine: preset.engine })
  const recoverPool = c.recoverPool
  const engine = createSealEngine(preset.engine, recoverPool !== undefined ? { recover: recoverPool.recover } : {})
  const core = new SyncCore({ preset, engine, store: headerStore, logger: log, windowHeaders: init.windowHeaders, now, ...(recoverPool !== undefined ? { pool: recoverPool } : {}) })
  let anchorConflict: string | undefined

  const pool: UpstreamPool | undefined = init.rpc.length === 0
    ? undefined
    : createUpstreamPool({ logger: log.child('upstream'), now }, {
      urls: init.rpc,
      chainId: preset.chainId,
      timeoutMs: init.requestTimeoutMs,
      maxResponseBytes: init.maxResponseBytes,
      policy: { demoteMs: init.demoteMs },
      // A source must serve our anchor at its number (when it has that block at all).
      admit: async (source, options) => {
        const rec = headerStore.anchorRecord()
        if (rec?.hash === undefined || pool === undefined) return undefined
        const { result } = await pool.callOn(source, 'eth_getBlockByNumber', ['0x' + rec.number.toString(16), false], options)
        const hash = (result as { hash?: unknown } | null)?.hash
        if (result === null || typeof hash !== 'string' || hash.toLowerCase() === rec.hash) return undefined
        if (rec.kind === 'first-upstream') { anchorConflict = hash.toLowerCase(); return undefined }
        return `its block ${rec.number} is ${hash.slice(0, 66)}, not our anchor ${rec.hash}: another chain, or a fork before our checkpoint`
      }
    })
  const upstream = pool === undefined ? undefined : createUpstreamSync(core, pool, { batchSize: init.batchSize, onAnchorConflict: (hash) => { anchorConflict = hash } })
  const mesh = createMeshSync(core, c.broadcast, pool, {
    maxMessageBytes: init.maxMessageBytes,
    ...(init.meshTickMs !== undefined ? { tickMs: init.meshTickMs } : {}),
    ...(init.meshRequestTimeoutMs !== undefined ? { requestTimeoutMs: init.meshRequestTimeoutMs } : {})
  })

  let started = false
  let controller: AbortController | undefined
  let loop: Promise<void> | undefined
  let uplink = false
  let lastOutcome: RoundOutcome | undefined

  const wantedAnchor = (): AnchorRecord => {
    const a = init.anchor
    return {
      preset: preset.name,
      chainId: preset.chainId.toString(),
      number: a.number,
      hash: a.kind === 'first-upstream' ? undefined : a.hash,
      kind: a.kind
    }
  }

  /** Keeps the stored chain when it still fits the configuration; moves or resets the anchor otherwise. */
  const reconcileAnchor = async (): Promise<void> => {
    const want = wantedAnchor()
    const have = headerStore.anchorRecord()
    let reason: string | undefined
    if (have === undefined) reason = 'first start'
    else if (have.preset !== want.preset || have.chainId !== want.chainId) reason = `preset changed from ${have.preset} to ${want.preset}`
    else if (want.kind === 'first-upstream') {
      if (have.kind !== 'first-upstream' || have.number !== want.number) reason = 'anchor changed to the first upstream\'s block'
    } else if (have.hash !== want.hash || have.number !== want.number) {
      if (want.hash !== undefined && want.number > have.number && await headerStore.canonicalHash(want.number) === want.hash) {
        await headerStore.moveAnchor({ ...want, hash: want.hash })
        log.info('Chain anchor moved', { number: Number(want.number), hash: want.hash, from: Number(have.number) })
        return
      }
      reason = 'checkpoint changed'
    }
    if (reason === undefined) return
    if (have !== undefined) log.warn('Chain store reset', { reason, preset: preset.name, anchor: Number(want.number) })
    await headerStore.reset(want)
  }

  const setUplink = (on: boolean): void => {
    if (on === uplink) return
    uplink = on
    c.services?.setRole(UPLINK_ROLE, on)
    log.info(on ? 'Chain uplink available' : 'Chain uplink lost', { role: UPLINK_ROLE, upstreams: pool?.sources().filter(s => s.healthy).length ?? 0 })
  }

  const run = async (signal: AbortSignal): Promise<void> => {
    if (upstream === undefined || pool === undefined) return
    let wasBehind = true
    let progressed = false
    while (!signal.aborted) {
      progressed = false
      const startedAt = now()
      try {
        if (anchorConflict !== undefined) {
          const stored = headerStore.anchorRecord()
          log.warn('Chain store reset', { reason: `the upstream's block ${stored?.number ?? '?'} is ${anchorConflict}, not the anchor learned before (${stored?.hash ?? '?'}): the dev chain was restarted` })
          anchorConflict = undefined
          core.target = undefined
          await core.exclusive(async () => { await headerStore.reset(wantedAnchor()) })
        }
        const before = headerStore.head()?.hash
        lastOutcome = await upstream.round(signal)
        const head = headerStore.head()
        progressed = head !== undefined && head.hash !== before
        setUplink(pool.hasHealthy() && head !== undefined)
        if (lastOutcome === 'synced' && wasBehind && head !== undefined) {
          log.info('Chain synced', { number: Number(head.number), hash: head.hash, verified: core.counters.fromUpstream + core.counters.fromMesh })
        }
        wasBehind = lastOutcome !== 'synced'
        await mesh.announce()
      } catch (err) {
        if (signal.aborted) return
        log.warn('Chain sync round failed', {}, err)
      }
      // Still behind after progress: go on at once; otherwise wait for the next poll.
      const waitMs = lastOutcome === 'behind' && progressed ? 0 : Math.max(0, init.pollIntervalMs - (now() - startedAt))
      try { await sleep(waitMs, signal) } catch { return }
    }
  }

  const status = (): ChainStatus => {
    const t = now()
    const rec = headerStore.anchorRecord()
    const anchor = headerStore.anchor()
    const head = core.head()
    const target = core.target === undefined || (head !== undefined && head.number > core.target) ? head?.number : core.target
    return {
      enabled: true,
      preset: preset.name,
      chainId: Number(preset.chainId),
      engine: preset.engine,
      anchor: rec === undefined ? null : { number: Number(rec.number), hash: rec.hash ?? null, kind: rec.kind, known: anchor !== undefined },
      head: head === undefined
        ? null
        : { number: Number(head.number), hash: head.hash, timestamp: Number(head.header.timestamp), ageMs: t - Number(head.header.timestamp) * 1000, verifiedAtMs: head.verifiedAtMs, from: head.from, td: head.td.toString() },
      target: target === undefined ? null : Number(target),
      syncing: head === undefined ? (pool?.hasHealthy() ?? false) : target !== undefined && target > head.number,
      verified: { total: core.counters.fromUpstream + core.counters.fromMesh, fromUpstream: core.counters.fromUpstream, fromMesh: core.counters.fromMesh },
      refused: core.counters.refused,
      reorgs: { count: core.counters.reorgs, last: core.lastReorg ?? null },
      crossCheck: upstream?.crossCheck() ?? null,
      lastFailure: core.lastFailure ?? null,
      window: { windowHeaders: init.windowHeaders, sideBranches: headerStore.sideCount() },
      upstream: pool?.sources() ?? [],
      mesh: mesh.counters(),
      uplink
    }
  }

  return {
    name: 'chain-sync',
    preset,
    chainId: preset.chainId,
    upstream: pool,
    async start (_options: AbortOptions = {}) {
      if (started) return
      await headerStore.open()
      await reconcileAnchor()
      started = true
      mesh.start()
      controller = new AbortController()
      const signal = controller.signal
      loop = run(signal).catch(err => { if (!signal.aborted) log.error('Chain sync stopped', {}, err) })
      const head = headerStore.head()
      log.info('Chain sync started', {
        preset: preset.name,
        chainId: preset.chainId.toString(),
        anchor: Number(init.anchor.number),
        head: head === undefined ? null : Number(head.number),
        upstreams: pool?.sources().map(s => s.url) ?? [],
        pollIntervalMs: init.pollIntervalMs
      })
    },
    async stop () {
      if (!started) return
      started = false
      controller?.abort()
      await loop
      loop = undefined
      mesh.stop()
      // Let a mesh batch in flight finish before the store closes.
      await core.exclusive(async () => {})
      uplink = false
    },
    head: () => core.head(),
    headerByNumber: async (n) => n < 0n ? undefined : await headerStore.byNumber(n),
    headerByHash: async (hash) => hashPattern.test(hash) ? await headerStore.byHash(hash.toLowerCase() as `0x${string}`) : undefined,
    status,
    onHead: (listener) => core.onHead(listener)
  }
}
