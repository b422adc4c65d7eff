/**
 * Relayed links to boxes two hops away. The routing table already reaches them through the box
 * in the middle; a libp2p circuit through that box additionally lets libp2p protocols (DHT,
 * throughput tests, later payments) talk to them end to end. Only the lower peer id of a pair
 * dials, the other after a grace period, and the links are capped: they cost the relay memory.
 * Routing prices them above the direct links they span, so they never carry routes those offer.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Component } from '../component.js'
import { errorMessage } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { connectionFacts } from './addresses.js'

export interface RelayLinksComponents {
  node: Libp2p
  routing: { routes: () => Array<{ destination: string, nextHop: string, hops: number }> }
  logger: Logger
  now?: () => number
}

export interface RelayLinksInit {
  enabled: boolean
  maxRelayedLinks: number
  checkIntervalMs: number
  dialTimeoutMs: number
}

const GRACE_CHECKS = 2
const RETRY_AFTER_MS = 30_000

export function createRelayLinks (c: RelayLinksComponents, init: RelayLinksInit): Component {
  const now = c.now ?? Date.now
  const self = c.node.peerId.toString()
  const waited = new Map<string, number>()
  const failedAt = new Map<string, number>()
  const dialing = new Set<string>()
  let timer: NodeJS.Timeout | undefined

  const check = (): void => {
    const relayedPeers = new Set(c.node.getConnections().filter(conn => connectionFacts(conn).kind === 'relayed').map(conn => conn.remotePeer.toString()))
    for (const r of c.routing.routes()) {
      if (r.hops !== 2 || relayedPeers.size + dialing.size >= init.maxRelayedLinks) continue
      const dest = r.destination
      if (dialing.has(dest) || c.node.getConnections(peerIdFromString(dest)).length > 0) { waited.delete(dest); continue }
      if (now() - (failedAt.get(dest) ?? -Infinity) < RETRY_AFTER_MS) continue
      const turns = (waited.get(dest) ?? 0) + 1
      waited.set(dest, turns)
      if (self > dest && turns <= GRACE_CHECKS) continue // the other end dials first
      dialing.add(dest)
      const addr = multiaddr(`/p2p/${r.nextHop}/p2p-circuit/p2p/${dest}`)
      void c.node.dial(addr, { signal: AbortSignal.timeout(init.dialTimeoutMs) })
        .then(() => { failedAt.delete(dest); waited.delete(dest) })
        .catch((err: unknown) => {
          failedAt.set(dest, now())
          c.logger.debug('Relayed link failed', { peerId: dest, relay: r.nextHop, error: errorMessage(err) })
        })
        .finally(() => { dialing.delete(dest) })
    }
  }

  return {
    name: 'relay-links',
    async start () {
      if (!init.enabled || timer !== undefined) return
      timer = setInterval(check, init.checkIntervalMs)
    },
    async stop () {
      clearInterval(timer)
      timer = undefined
    }
  }
}
