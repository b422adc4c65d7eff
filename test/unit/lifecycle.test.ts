/**
 * Lifecycle compliance: every component can be started twice, stopped twice, and stopped without
 * having been started; the whole agent too, and it can start again after a stop. Uses a real
 * libp2p node listening on 127.0.0.1 only, with mDNS discovery off (no traffic leaves loopback).
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createAgent } from '../../agent/agent.js'
import type { Component } from '../../agent/component.js'
import { buildConfig } from '../../agent/config/load.js'
import { loadProfile } from '../../agent/config/profile.js'
import { silentLogger } from '../../agent/log/logger.js'
import { loadOrCreateIdentity } from '../../agent/mesh/identity.js'
import { createNeighbourManager } from '../../agent/mesh/neighbours.js'
import { createMeshNode } from '../../agent/mesh/node.js'
import { createPerfService } from '../../agent/mesh/perf/index.js'
import { createLinkProbe } from '../../agent/mesh/probe/index.js'
import { createRelayLinks } from '../../agent/mesh/relay-links.js'
import { createRelaySupervisor } from '../../agent/mesh/relay-supervisor.js'
import { createRoutingService } from '../../agent/mesh/routing/index.js'
import { createForwardingService } from '../../agent/mesh/forwarding/index.js'
import { createBroadcast } from '../../agent/mesh/broadcast/index.js'
import { createServiceDirectory } from '../../agent/mesh/service-directory/index.js'
import { createChainSync, resolveChainSettings } from '../../agent/chain/sync/index.js'
import { createRecoverPool } from '../../agent/chain/seal/recover-pool.js'
import { createLmdbStore } from '../../agent/store/lmdb-store.js'
import { tempDir } from '../helpers/tmp.js'

const loopbackOnly = (dataDir: string) => buildConfig([new Map<string, unknown>([
  ['dataDir', dataDir],
  ['http.port', 0],
  ['mesh.listen', ['/ip4/127.0.0.1/tcp/0']],
  ['mesh.discovery.enabled', false]
])])

async function twice (component: Component): Promise<void> {
  await component.stop() // stop before start is harmless
  await component.start()
  await component.start()
  await component.stop()
  await component.stop()
  await component.start() // and it starts again after a stop
  await component.stop()
}

describe('component lifecycle', () => {
  it('behavior: mesh components tolerate double start/stop', async () => {
    const config = loopbackOnly(tempDir('life'))
    const { privateKey } = await loadOrCreateIdentity(config.dataDir, silentLogger)
    const node = await createMeshNode(config.mesh, privateKey)
    await node.start()
    try {
      const probe = createLinkProbe({ node, logger: silentLogger })
      const discovery = { onPeer: () => () => {}, interfaces: () => [] }
      const routing = createRoutingService({ node, neighbours: { list: () => [] }, logger: silentLogger }, config.mesh.routing)
      const broadcast = createBroadcast({ pubsub: node.services.pubsub, logger: silentLogger }, config.mesh.broadcast)
      const store = createLmdbStore({ logger: silentLogger }, { dataDir: join(config.dataDir, 'chain') })
      await store.start()
      const services = createServiceDirectory({ broadcast, routing, peerId: node.peerId.toString(), logger: silentLogger }, { roles: ['monitor'], announceIntervalMs: 1000, expireAfterMs: 3000, starts: 1 })
      // An upstream that refuses connections (the discard port on loopback): the sync loop runs and fails fast.
      const chainSettings = resolveChainSettings({ ...config.chain, preset: 'dev', rpc: ['http://127.0.0.1:9'] })
      const components: Component[] = [
        routing,
        broadcast,
        services,
        createRecoverPool({ logger: silentLogger }, { workers: 2 }),
        createChainSync({ store, broadcast, services, logger: silentLogger }, { ...chainSettings, maxMessageBytes: config.mesh.broadcast.maxMessageBytes }),
        createForwardingService({ node, routing, logger: silentLogger }, config.mesh.routing),
        createRelayLinks({ node, routing, logger: silentLogger }, { enabled: true, maxRelayedLinks: 2, checkIntervalMs: 1000, dialTimeoutMs: 1000 }),
        probe,
        createPerfService({ node, logger: silentLogger }),
        createNeighbourManager({ node, discovery, probe, logger: silentLogger }, { ...config.mesh.neighbours, dialTimeoutMs: 1000 }),
        createRelaySupervisor({ node, logger: silentLogger }, { enabled: true })
      ]
      for (const component of components) await twice(component)
      await store.stop()
    } finally {
      await node.stop()
    }
  })

  it('behavior: the agent starts twice, stops twice, and starts again with the same identity', async () => {
    const dataDir = join(tempDir('life'), 'data')
    const agent = createAgent({ logger: silentLogger }, { config: loopbackOnly(dataDir), profile: loadProfile('x86-64-lab') })
    await agent.stop()
    await agent.start()
    await agent.start()
    const first = agent.status()
    assert.equal(first.starts, 1)
    const health = await fetch(new URL('api/v1/health', agent.httpUrl()))
    assert.equal(health.status, 200)
    await agent.stop()
    await agent.stop()
    assert.equal(agent.httpUrl(), undefined)
    await agent.start()
    assert.equal(agent.status().peerId, first.peerId)
    assert.equal(agent.status().starts, 2)
    await agent.stop()
  })

  it('error: a start that fails half-way leaves nothing running', async () => {
    const dataDir = tempDir('life')
    const config = { ...loopbackOnly(dataDir), mesh: { ...loopbackOnly(dataDir).mesh, networkKeyFile: '/nonexistent/swarm.key' } }
    const agent = createAgent({ logger: silentLogger }, { config, profile: loadProfile('x86-64-lab') })
    await assert.rejects(agent.start(), /mesh network key/)
    assert.equal(agent.httpUrl(), undefined)
    // the store was closed again: a second agent can open the same directory
    const again = createAgent({ logger: silentLogger }, { config: loopbackOnly(dataDir), profile: loadProfile('x86-64-lab') })
    await again.start()
    await again.stop()
  })
})
