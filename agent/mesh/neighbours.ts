/**
 * Keeps the neighbour table true: dials what discovery finds (one connection per pair: the lower
 * peer id dials at once, the other only if nothing arrived after a grace period), takes in every
 * other connection (relayed links from relay-links.ts, DHT queries), probes every live link for
 * RTT and loss, marks silent neighbours lost, and redials lost ones with backoff (which also
 * brings relayed links back once their relay returns).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Component } from '../component.js'
import { errorMessage } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { addressesOnSubnet, bestLink, connectionFacts, interfaceForAddress } from './addresses.js'
import { redundantConnections } from './connection-policy.js'
import type { LinkProbe } from './probe/index.js'
import {
  createNeighbourTable, markLost, neighbourView, observeLink, recordProbe, sweep,
  type Neighbour, type TableChange, type TableRules
} from './neighbour-table.js'

export type NeighbourView = ReturnType<typeof neighbourView>

export interface DiscoverySource {
  onPeer: (listener: (peer: { peerId: string, multiaddrs: Multiaddr[], interfaceName: string }) => void) => () => void
  interfaces: () => Array<{ name: string, cidr: string }>
}

export interface NeighbourManagerComponents {
  node: Libp2p<{ ping: Ping }>
  discovery: DiscoverySource
  probe: Pick<LinkProbe, 'measure' | 'forget'>
  logger: Logger
  now?: () => number
}

export interface NeighbourManagerInit extends TableRules {
  probeIntervalMs: number
  probeTimeoutMs: number
  dialTimeoutMs: number
  /** How long the higher peer id waits for the lower one to dial before dialling itself. */
  dialGraceMs?: number
  redialMaxMs?: number
}

export interface NeighbourManager extends Component {
  list: () => NeighbourView[]
  get: (peerId: string) => NeighbourView | undefined
  upCount: () => number
}

const SWEEP_INTERVAL_MS = 500
const DEFAULT_DIAL_GRACE_MS = 2_000
const DEFAULT_REDIAL_MAX_MS = 8_000
const DEDUPE_DELAY_MS = 1_500
const FAILED_DIAL_BACKOFF_MS = 2_000
const MAX_SIGHTINGS = 1_024
const MAX_FAILED_DIAL_BACKOFF_MS = 60_000

export function createNeighbourManager (c: NeighbourManagerComponents, init: NeighbourManagerInit): NeighbourManager {
  const log = c.logger
  const now = c.now ?? Date.now
  const table = createNeighbourTable()
  const self = c.node.peerId.toString()
  const sightings = new Map<string, { interfaceName: string, atMs: number }>()
  const dialing = new Set<string>()
  const probing = new Set<string>()
  const redial = new Map<string, { atMs: number, backoffMs: number }>()
  const graceTimers = new Map<string, NodeJS.Timeout>()
  const dedupeTimers = new Map<string, NodeJS.Timeout>()
  const failures = new Map<string, { count: number, retryAtMs: number }>()
  let controller: AbortController | undefined
  let timers: NodeJS.Timeout[] = []
  let unsubscribe: (() => void) | undefined

  const report = (change: TableChange | undefined): void => {
    if (change === undefined) return
    switch (change.type) {
      case 'added': log.info('Neighbour added', summary(change.neighbour)); break
      case 'up': log.info('Neighbour up', summary(change.neighbour)); break
      case 'lost':
        log.info('Neighbour lost', { ...summary(change.neighbour), silentMs: change.silentMs })
        c.probe.forget(change.neighbour.peerId)
        redial.set(change.neighbour.peerId, { atMs: now() + 1_000, backoffMs: 1_000 })
        break
      case 'forgotten':
        log.info('Neighbour forgotten', { peerId: change.peerId })
        redial.delete(change.peerId)
        failures.delete(change.peerId)
        break
    }
  }

  const connectionsOf = (peerId: string): Connection[] =>
    c.node.getConnections(peerIdFromString(peerId)).filter(conn => conn.status === 'open')

  const refreshLink = (peerId: string): void => {
    const conns = connectionsOf(peerId)
    if (conns.length === 0) return
    const best = bestLink(conns)
    if (best === undefined) return
    const sighting = sightings.get(peerId)
    report(observeLink(table, {
      peerId,
      addresses: conns.map(conn => conn.remoteAddr.toString()),
      interface: best.kind === 'direct' ? (best.ip !== null ? interfaceForAddress(best.ip) : null) ?? sighting?.interfaceName ?? null : null,
      kind: best.kind,
      via: best.kind === 'relayed' ? best.via : null
    }, now()))
    redial.delete(peerId)
  }

  const dial = async (peerId: string, reason: string): Promise<boolean> => {
    if (dialing.has(peerId) || controller === undefined) return false
    dialing.add(peerId)
    try {
      const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(init.dialTimeoutMs)])
      await c.node.dial(peerIdFromString(peerId), { signal })
      failures.delete(peerId)
      return true
    } catch (err) {
      // A box of another mesh (other network key) or a broken one is heard every few seconds:
      // back off instead of redoing a handshake on every mDNS answer.
      const count = (failures.get(peerId)?.count ?? 0) + 1
      const backoffMs = Math.min(FAILED_DIAL_BACKOFF_MS * 2 ** (count - 1), MAX_FAILED_DIAL_BACKOFF_MS)
      failures.set(peerId, { count, retryAtMs: now() + backoffMs })
      log.debug('Dial failed', { peerId, reason, failures: count, retryInMs: backoffMs, error: errorMessage(err) })
      return false
    } finally {
      dialing.delete(peerId)
    }
  }

  /** One connection per pair: the lower id dials now, the higher one only after a grace period. */
  const dialPolitely = (peerId: string, reason: string): void => {
    if (connectionsOf(peerId).length > 0 || graceTimers.has(peerId)) return
    if ((failures.get(peerId)?.retryAtMs ?? 0) > now()) return
    if (self < peerId) {
      void dial(peerId, reason)
      return
    }
    graceTimers.set(peerId, setTimeout(() => {
      graceTimers.delete(peerId)
      if (connectionsOf(peerId).length === 0) void dial(peerId, reason)
    }, init.dialGraceMs ?? DEFAULT_DIAL_GRACE_MS))
  }

  const onSighting = (peer: { peerId: string, multiaddrs: Multiaddr[], interfaceName: string }): void => {
    if (peer.peerId === self) return
    sightings.delete(peer.peerId) // re-insert: the map stays ordered oldest sighting first
    sightings.set(peer.peerId, { interfaceName: peer.interfaceName, atMs: now() })
    // A hostile segment can announce endless peer ids: keep the newest sightings only.
    for (const oldest of sightings.keys()) {
      if (sightings.size <= MAX_SIGHTINGS) break
      sightings.delete(oldest)
    }
    // Stock peers announce loopback and other segments too: keep what this segment can reach.
    const cidr = c.discovery.interfaces().find(i => i.name === peer.interfaceName)?.cidr
    const reachable = addressesOnSubnet(peer.multiaddrs, cidr)
    if (reachable.length === 0) return
    c.node.peerStore.merge(peerIdFromString(peer.peerId), { multiaddrs: reachable })
      .then(() => { dialPolitely(peer.peerId, 'mdns') })
      .catch(err => { log.warn('Peer store update failed', { peerId: peer.peerId }, err) })
  }

  /** Closes duplicate connections once in-flight streams on them have had a moment to finish. */
  const dedupe = (peerId: string): void => {
    if (dedupeTimers.has(peerId)) return
    dedupeTimers.set(peerId, setTimeout(() => {
      dedupeTimers.delete(peerId)
      const conns = connectionsOf(peerId)
      const extra = new Set(redundantConnections(self, peerId, conns.map(conn => ({
        id: conn.id, direction: conn.direction, relayed: connectionFacts(conn).kind === 'relayed', openedAtMs: conn.timeline.open
      }))))
      for (const conn of conns) {
        if (!extra.has(conn.id)) continue
        log.debug('Closing duplicate connection', { peerId, remoteAddr: conn.remoteAddr.toString(), direction: conn.direction })
        void conn.close().catch(err => { conn.abort(err instanceof Error ? err : new Error(String(err))) })
      }
    }, DEDUPE_DELAY_MS))
  }

  const onOpen = (evt: CustomEvent<Connection>): void => {
    const peerId = evt.detail.remotePeer.toString()
    refreshLink(peerId)
    if (connectionsOf(peerId).length > 1) dedupe(peerId)
  }

  const onClose = (evt: CustomEvent<Connection>): void => {
    const peerId = evt.detail.remotePeer.toString()
    if (!table.has(peerId)) return
    if (connectionsOf(peerId).length > 0) {
      refreshLink(peerId)
      return
    }
    // Try once straight away: a relay that restarted or a flapped link comes back without waiting.
    void dial(peerId, 'closed').then(ok => {
      if (!ok && connectionsOf(peerId).length === 0) report(markLost(table, peerId, now()))
    })
  }

  const probe = async (n: Neighbour): Promise<void> => {
    if (probing.has(n.peerId) || controller === undefined || connectionsOf(n.peerId).length === 0) return
    probing.add(n.peerId)
    let rtt: number | null = null
    try {
      const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(init.probeTimeoutMs)])
      rtt = await c.probe.measure(peerIdFromString(n.peerId), { signal })
    } catch {
      rtt = null
    } finally {
      probing.delete(n.peerId)
    }
    if (controller !== undefined) report(recordProbe(table, n.peerId, rtt, now(), init))
  }

  const tick = (): void => {
    for (const change of sweep(table, now(), init)) report(change)
    const t = now()
    for (const [peerId, seen] of sightings) if (t - seen.atMs > init.forgetAfterMs) sightings.delete(peerId)
    for (const [peerId, f] of failures) if (t - f.retryAtMs > init.forgetAfterMs) failures.delete(peerId)
    for (const [peerId, r] of redial) {
      if (r.atMs > t || dialing.has(peerId)) continue
      r.backoffMs = Math.min(r.backoffMs * 2, init.redialMaxMs ?? DEFAULT_REDIAL_MAX_MS)
      r.atMs = t + r.backoffMs
      void dial(peerId, 'lost')
    }
  }

  return {
    name: 'neighbours',
    async start () {
      if (controller !== undefined) return
      controller = new AbortController()
      unsubscribe = c.discovery.onPeer(onSighting)
      c.node.addEventListener('connection:open', onOpen)
      c.node.addEventListener('connection:close', onClose)
      timers = [
        setInterval(() => { for (const n of table.values()) void probe(n) }, init.probeIntervalMs),
        setInterval(tick, SWEEP_INTERVAL_MS)
      ]
      for (const conn of c.node.getConnections()) refreshLink(conn.remotePeer.toString())
    },
    async stop () {
      if (controller === undefined) return
      controller.abort()
      controller = undefined
      unsubscribe?.()
      c.node.removeEventListener('connection:open', onOpen)
      c.node.removeEventListener('connection:close', onClose)
      for (const t of timers) clearInterval(t)
      for (const t of [...graceTimers.values(), ...dedupeTimers.values()]) clearTimeout(t)
      timers = []
      graceTimers.clear()
      dedupeTimers.clear()
    },
    list: () => [...table.values()].map(neighbourView),
    get: (peerId) => {
      const n = table.get(peerId)
      return n === undefined ? undefined : neighbourView(n)
    },
    upCount: () => [...table.values()].filter(n => n.state === 'up').length
  }
}

function summary (n: Neighbour): Record<string, unknown> {
  return { peerId: n.peerId, kind: n.kind, interface: n.interface, via: n.via }
}

