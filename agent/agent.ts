/**
 * The one place that knows every component: it builds them in dependency order (store, identity,
 * libp2p node, probe, neighbours, discovery, routing, broadcast, service directory, signer-recovery
 * pool, chain sync, forwarding, messages, relay supervisor, HTTP, memory watch), starts them in that
 * order and stops them in reverse. Starting or stopping twice is harmless.
 */
import type { PrivateKey } from '@libp2p/interface'
import type { AbortOptions, Component } from './component.js'
import type { HardwareProfile } from './config/profile.js'
import type { Config } from './config/schema.js'
import type { Logger } from './log/logger.js'
import { createMeshDiscovery, type MeshDiscovery } from './mesh/discovery/index.js'
import { loadOrCreateIdentity } from './mesh/identity.js'
import { readNetworkKey } from './mesh/network-key.js'
import { createNeighbourManager, type NeighbourManager } from './mesh/neighbours.js'
import { createMeshNode, type MeshNode } from './mesh/node.js'
import { findPeer, parsePeerId, pingPeer } from './mesh/peer-tools.js'
import { createLinkProbe } from './mesh/probe/index.js'
import { createPerfService, type PerfService } from './mesh/perf/index.js'
import { createRoutingService, type RoutingService } from './mesh/routing/index.js'
import { createBroadcast, type Broadcast } from './mesh/broadcast/index.js'
import { createServiceDirectory, type ServiceDirectory } from './mesh/service-directory/index.js'
import { createForwardingService, type ForwardingService } from './mesh/forwarding/index.js'
import { createMessageService, type MessageService } from './mesh/messages/index.js'
import { createChainSync, resolveChainSettings, type ChainSync } from './chain/sync/index.js'
import { createRecoverPool } from './chain/seal/recover-pool.js'
import type { RpcMethod } from './services/rpc/jsonrpc.js'
import { createLightNode } from './chain/light-node.js'
import { createRelayLinks } from './mesh/relay-links.js'
import { createRelaySupervisor, type RelaySupervisor } from './mesh/relay-supervisor.js'
import { createHttpApp } from './services/http/app.js'
import { apiRoutes, type AgentApi, type StatusView } from './services/http/routes.js'
import { createHttpServer, type HttpServer } from './services/http/server.js'
import { createMemoryWatch, type MemoryWatch } from './system/memory-watch.js'
import { createSystemFacts, type SystemFacts } from './system/facts.js'
import { isOnPath } from './system/openwrt.js'
import { runCommand, type CommandRunner } from './system/run-command.js'
import { createWifi, type WifiAdapter } from './system/wifi/index.js'
import { checkDataDirFilesystem } from './store/fs-check.js'
import { recordStart, type StartRecord } from './store/meta.js'
import { createLmdbStore } from './store/lmdb-store.js'
import type { Store } from './store/store.js'
import { VERSION } from './version.js'

export interface AgentComponents { logger: Logger }

/** Receipts count as final this many blocks deep; unmined transactions are re-sent this often. */
const LIGHT_NODE_TIMING = { confirmations: 3, resendEveryBlocks: 5, outboxCheckMs: 1_000, meshRequestTimeoutMs: 15_000 }
/** Background warm-ups start this long after ready, so the first requests are answered first. */
const WARM_AFTER_READY_MS = 1_000
export interface AgentInit {
  config: Config
  profile: HardwareProfile
  mountsFile?: string
  /** What main.ts found out about the machine (OpenWrt or not, release, board); echoed by /api/v1/system. */
  platform?: { openwrt: boolean, release: Record<string, string>, boardName?: string }
  /** Runs OS tools (ubus, iwinfo); the bounded runner by default. */
  run?: CommandRunner
}

export interface Agent {
  start: (options?: AbortOptions) => Promise<void>
  stop: () => Promise<void>
  status: () => StatusView
  httpUrl: () => string | undefined
}

export function createAgent (c: AgentComponents, init: AgentInit): Agent {
  const { config, profile } = init
  const log = c.logger
  const startedAtMs = Date.now()
  let started: Component[] = []
  let node: MeshNode | undefined
  let neighbours: NeighbourManager | undefined
  let relays: RelaySupervisor | undefined
  let http: HttpServer | undefined
  let store: Store | undefined
  let perf: PerfService | undefined
  let memory: MemoryWatch | undefined
  let routing: RoutingService | undefined
  let broadcast: Broadcast | undefined
  let services: ServiceDirectory | undefined
  let forwarding: ForwardingService | undefined
  let messages: MessageService | undefined
  let chain: ChainSync | undefined
  let rpcMethods: ReadonlyMap<string, RpcMethod> = new Map()
  let privateKey: PrivateKey | undefined
  let starts: StartRecord | undefined
  let systemFacts: SystemFacts | undefined
  let warmTimer: NodeJS.Timeout | undefined
  let wifi: WifiAdapter | undefined

  const live = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('agent not started')
    return x
  }

  const status = (): StatusView => {
    const n = live(node)
    return {
      peerId: n.peerId.toString(),
      version: VERSION,
      uptimeS: Math.round((Date.now() - startedAtMs) / 1000),
      profile: profile.id,
      addresses: n.getMultiaddrs().map(a => a.toString()),
      neighbours: neighbours?.upCount() ?? 0,
      routes: routing?.routes().length ?? 0,
      rssBytes: process.memoryUsage.rss(),
      maxRssBytes: config.memory.maxRssBytes,
      memoryOverBudget: memory?.overBudget() ?? false,
      connections: n.getConnections().length,
      relayReservations: relays?.reservations() ?? [],
      meshPrivate: config.mesh.networkKeyFile !== '',
      starts: starts?.starts ?? 0,
      storeBytes: store?.sizeBytes() ?? 0
    }
  }

  const api: AgentApi = {
    status,
    neighbours: () => neighbours?.list() ?? [],
    findPeer: async (id, options) => await findPeer(live(node), parsePeerId(id), options),
    pingPeer: async (id, options) => await pingPeer(live(node), parsePeerId(id), options),
    throughput: async (id, bytes, options) => await live(perf).measure(parsePeerId(id), bytes, options),
    routes: () => routing?.routes() ?? [],
    routeLog: () => routing?.log() ?? [],
    services: () => services?.list() ?? [],
    nearestService: (role) => live(services).nearest(role),
    broadcastTopics: () => broadcast?.topics() ?? [],
    meshPing: async (id, options) => await live(forwarding).ping(parsePeerId(id).toString(), options),
    traceroute: async (id, options) => await live(forwarding).traceroute(parsePeerId(id).toString(), options),
    messages: () => live(messages),
    rpcMethods: () => rpcMethods,
    system: async () => await live(systemFacts).get(),
    wifi: () => live(wifi),
    chain: () => chain,
    logger: log.child('rpc')
  }

  const startOne = async (component: Component, options: AbortOptions): Promise<void> => {
    await component.start(options)
    started.push(component)
  }

  return {
    async start (options = {}) {
      if (started.length > 0) return
      try {
        store = createLmdbStore({ logger: log.child('store') }, { dataDir: config.dataDir, ...(init.mountsFile !== undefined ? { mountsFile: init.mountsFile } : {}) })
        // Refuse a JFFS2 data directory before anything (the identity file included) is written there.
        await checkDataDirFilesystem(config.dataDir, init.mountsFile)
        // Loading LMDB and bringing up libp2p share nothing, so they overlap; both are recorded as
        // started in dependency order (store, then libp2p), whichever finishes first.
        const storeComponent = store
        const [storeUp, nodeUp] = await Promise.allSettled([
          storeComponent.start(options),
          (async () => {
            const identity = await loadOrCreateIdentity(config.dataDir, log.child('identity'))
            privateKey = identity.privateKey
            const networkKey = config.mesh.networkKeyFile !== '' ? await readNetworkKey(config.mesh.networkKeyFile) : undefined
            const meshNode = await createMeshNode(config.mesh, identity.privateKey, networkKey)
            await meshNode.start()
            return meshNode
          })()
        ])
        if (storeUp.status === 'fulfilled') started.push(storeComponent)
        if (nodeUp.status === 'fulfilled') {
          const meshNode = nodeUp.value
          node = meshNode
          started.push({ name: 'libp2p', start: async () => { await meshNode.start() }, stop: async () => { await meshNode.stop() } })
        }
        if (storeUp.status === 'rejected') throw storeUp.reason
        if (nodeUp.status === 'rejected') throw nodeUp.reason
        const meshNode = live(node)
        starts = await recordStart(storeComponent)
        const discovery: MeshDiscovery = createMeshDiscovery({ peerId: meshNode.peerId, getAddresses: () => meshNode.getMultiaddrs(), logger: log }, config.mesh.discovery)
        perf = createPerfService({ node: meshNode, logger: log.child('perf') })
        await startOne(perf, options)
        const probe = createLinkProbe({ node: meshNode, logger: log.child('probe') })
        await startOne(probe, options)
        neighbours = createNeighbourManager({ node: meshNode, discovery, probe, logger: log.child('neighbours') }, {
          ...config.mesh.neighbours,
          dialTimeoutMs: config.mesh.dialTimeoutMs
        })
        // Neighbours subscribe before discovery starts so the first sightings are not missed.
        await startOne(neighbours, options)
        if (config.mesh.discovery.enabled) await startOne(discovery, options)
        routing = createRoutingService({ node: meshNode, neighbours, logger: log.child('routing') }, config.mesh.routing)
        await startOne(routing, options)
        broadcast = createBroadcast({ pubsub: meshNode.services.pubsub, logger: log.child('broadcast') }, config.mesh.broadcast)
        await startOne(broadcast, options)
        services = createServiceDirectory({ broadcast, routing, peerId: meshNode.peerId.toString(), logger: log.child('services') }, {
          ...config.services, starts: starts.starts
        })
        await startOne(services, options)
        if (config.chain.enabled) {
          const chainSettings = resolveChainSettings(config.chain)
          // Spawns nothing yet: workers start with the first batch to catch up on, WASM with the first header.
          const recoverPool = createRecoverPool({ logger: log.child('chain') }, { workers: chainSettings.verifyWorkers })
          await startOne(recoverPool, options)
          chain = createChainSync({ store: storeComponent, broadcast, services, recoverPool, logger: log.child('chain') }, {
            ...chainSettings, maxMessageBytes: config.mesh.broadcast.maxMessageBytes
          })
          await startOne(chain, options)
        }
        forwarding = createForwardingService({ node: meshNode, routing, logger: log.child('forwarding') }, config.mesh.routing)
        await startOne(forwarding, options)
        messages = createMessageService({ node: meshNode, store: storeComponent, privateKey: live(privateKey), routing, logger: log.child('messages') }, config.mesh.messages)
        await startOne(messages, options)
        if (chain !== undefined) {
          const directory = services
          const lightNode = createLightNode({
            chain, store: storeComponent, messages, logger: log.child('chain'),
            nearest: (role) => { try { return directory.nearest(role).peerId } catch { return undefined } }
          }, LIGHT_NODE_TIMING)
          await startOne(lightNode, options)
          rpcMethods = lightNode.methods()
        }
        await startOne(createRelayLinks({ node: meshNode, routing, logger: log.child('relay') }, {
          enabled: config.mesh.relay.client, maxRelayedLinks: config.mesh.relay.maxRelayedLinks, checkIntervalMs: 2_000, dialTimeoutMs: config.mesh.dialTimeoutMs
        }), options)
        relays = createRelaySupervisor({ node: meshNode, logger: log.child('relay') }, { enabled: config.mesh.relay.client })
        await startOne(relays, options)
        const platform = init.platform ?? { openwrt: false, release: {} }
        systemFacts = createSystemFacts({}, { dataDir: config.dataDir, platform: { ...platform, profile: profile.id } })
        wifi = createWifi({ run: init.run ?? runCommand }, { openwrt: platform.openwrt, nmcliOnPath: await isOnPath('nmcli', process.env.PATH ?? '') })
        const handler = createHttpApp({ logger: log.child('http') }, { routes: apiRoutes(api), maxBodyBytes: config.http.maxBodyBytes, requestTimeoutMs: config.http.requestTimeoutMs })
        http = createHttpServer({ logger: log.child('http'), handler }, config.http)
        await startOne(http, options)
        memory = createMemoryWatch({ logger: log.child('memory') }, { maxRssBytes: config.memory.maxRssBytes })
        await startOne(memory, options)
      } catch (err) {
        await this.stop()
        throw err
      }
      log.info('Agent ready', {
        peerId: live(node).peerId.toString(),
        version: VERSION,
        profile: profile.id,
        addresses: live(node).getMultiaddrs().map(a => a.toString()),
        statusPage: this.httpUrl(),
        sinceProcessStartMs: Math.round(performance.now())
      })
      // Work that need not delay readiness: loading systeminformation for the first /system request.
      warmTimer = setTimeout(() => { void systemFacts?.warm().catch(() => undefined) }, WARM_AFTER_READY_MS)
      warmTimer.unref()
    },
    async stop () {
      clearTimeout(warmTimer)
      const toStop = started.reverse()
      started = []
      for (const component of toStop) {
        try {
          await component.stop()
        } catch (err) {
          log.error('Component failed to stop', { component: component.name }, err)
        }
      }
    },
    status,
    httpUrl () {
      const a = http?.address()
      if (a === undefined) return undefined
      const host = a.host.includes(':') ? `[${a.host}]` : a.host
      return `http://${host}:${a.port}/`
    }
  }
}

