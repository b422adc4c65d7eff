/**
 * Per-interface mDNS discovery, wire-compatible with stock js/go/rust libp2p mDNS.
 *
 * Stock @libp2p/mdns opens one socket and lets the kernel pick one outgoing interface, so a router
 * on two segments is invisible on the second one. Here every usable interface gets its own socket,
 * answers only with the addresses reachable on that segment, and tags every sighting with the
 * interface it arrived on. See README.md for the wire format.
 *
 * @example
 * const discovery = createMeshDiscovery({ peerId: node.peerId, getAddresses: () => node.getMultiaddrs(), logger })
 * discovery.onPeer(p => { void node.peerStore.merge(peerIdFromString(p.peerId), { multiaddrs: p.multiaddrs }) })
 * await discovery.start()
 */
import { networkInterfaces } from 'node:os'
import { throwIfAborted } from '../../component.js'
import { ownerInterface, selectAnnounceAddresses } from './addresses.js'
import {
  DEFAULT_ANSWER_TTL_S, DEFAULT_INTERFACE_POLL_MS, DEFAULT_MDNS_PORT, DEFAULT_QUERY_INTERVAL_MS, DEFAULT_SERVICE_TAG
} from './constants.js'
import { diffInterfaces, readInterfaceFlags, usableInterfaces } from './interfaces.js'
import { buildQuery, buildResponse, createPeerName, isServiceQuery, parseResponse } from './records.js'
import { openInterfaceSocket } from './socket.js'
import type { InterfaceSocket } from './socket.js'
import type { DiscoveredPeer, DiscoveryInterface, MeshDiscoveryComponents, MeshDiscoveryInit } from './types.js'
import type { AbortOptions, Component } from '../../component.js'
import type { Packet } from 'dns-packet'
import type { RemoteInfo } from 'node:dgram'

export type { DiscoveredPeer, DiscoveryInterface, MeshDiscoveryComponents, MeshDiscoveryInit } from './types.js'

export interface MeshDiscovery extends Component {
  /** Subscribe to sightings (every sighting, not only new peers: the agent uses them as liveness hints). Returns unsubscribe. */
  onPeer: (listener: (peer: DiscoveredPeer) => void) => () => void
  /** Interfaces with an open socket right now. */
  interfaces: () => DiscoveryInterface[]
  /** Send a query now on every interface (used after start and by tests). */
  queryNow: () => void
}

export function createMeshDiscovery (components: MeshDiscoveryComponents, init: MeshDiscoveryInit = {}): MeshDiscovery {
  const serviceTag = init.serviceTag ?? DEFAULT_SERVICE_TAG
  const port = init.port ?? DEFAULT_MDNS_PORT
  const ttlS = init.answerTtlS ?? DEFAULT_ANSWER_TTL_S
  const filter = { interfaces: init.interfaces, excludeInterfaces: init.excludeInterfaces }
  const log = components.logger.child('discovery')
  const ownId = components.peerId.toString()
  const peerName = createPeerName()
  const sockets = new Map<string, InterfaceSocket>()
  const listeners = new Set<(peer: DiscoveredPeer) => void>()
  const warned = new Set<string>()
  let timers: Array<ReturnType<typeof setInterval>> = []
  let started = false

  /** Repeating problems (a busy port, a hostile neighbour) are logged at warn once, then at debug. */
  const warnOnce = (key: string, msg: string, ctx: Record<string, unknown>, err?: unknown): void => {
    if (warned.has(key)) { log.debug(msg, ctx); return }
    warned.add(key)
    log.warn(msg, ctx, err)
  }

  const openInterfaces = (): DiscoveryInterface[] => [...sockets.values()].map(s => s.iface)

  const announce = (sock: InterfaceSocket): void => {
    let addrs
    try {
      addrs = components.getAddresses()
    } catch (err) {
      warnOnce('getAddresses', 'Could not read our addresses for mDNS', {}, err)
      return
    }
    const { addresses, skipped } = selectAnnounceAddresses(addrs, sock.iface, ownId)
    if (skipped.length > 0) warnOnce(`skipped:${sock.iface.name}`, 'Some addresses do not fit in an mDNS answer', { interface: sock.iface.name, skipped })
    const response = buildResponse({ serviceTag, peerName, addresses, ttlS, hostAddress: sock.iface.address })
    if (response === undefined) { log.debug('No address to announce on interface', { interface: sock.iface.name }); return }
    sock.sendResponse(response)
  }

  const emit = (peer: DiscoveredPeer): void => {
    for (const listener of listeners) {
      try {
        listener(peer)
      } catch (err) {
        log.warn('Discovery listener threw', { peer: peer.peerId }, err)
      }
    }
  }

  const onPacket = (sock: InterfaceSocket, packet: Packet, rinfo: RemoteInfo): void => {
    // Every socket hears every segment (IP_MULTICAST_ALL): handle only packets from our own subnet.
    if (ownerInterface(rinfo.address, openInterfaces())?.name !== sock.iface.name) return
    if (packet.type === 'query') {
      if (isServiceQuery(packet, serviceTag)) announce(sock)
      return
    }
    const result = parseResponse(packet, serviceTag)
    const ctx = { interface: sock.iface.name, source: rinfo.address }
    if (!result.ok) { warnOnce(`reject:${result.reason}`, 'Ignored an oversized mDNS response', { ...ctx, reason: result.reason }); return }
    if (result.invalidAddresses > 0) warnOnce('invalid-multiaddr', 'Ignored unparsable addresses in an mDNS response', { ...ctx, count: result.invalidAddresses })
    for (const peer of result.peers) {
      if (peer.peerId === ownId) continue
      emit({ peerId: peer.peerId, multiaddrs: peer.multiaddrs, interfaceName: sock.iface.name, sourceAddress: rinfo.address })
    }
  }

  const closeSocket = async (name: string): Promise<void> => {
    const sock = sockets.get(name)
    if (sock === undefined) return
    sockets.delete(name)
    await sock.close()
  }

  const openSocket = (iface: DiscoveryInterface): void => {
    const ctx = { interface: iface.name, address: iface.address, cidr: iface.cidr }
    const sock: InterfaceSocket = openInterfaceSocket(iface, port, {
      onReady: () => {
        for (const key of warned) if (key.startsWith(`socket:${iface.name}:`)) warned.delete(key)
        log.info('mDNS socket open on interface', ctx)
        sock.sendQuery(buildQuery(serviceTag))
        announce(sock)
      },
      onPacket: (packet, rinfo) => {
        try {
          onPacket(sock, packet, rinfo)
        } catch (err) {
          warnOnce('handler', 'mDNS packet handler failed', { interface: iface.name }, err)
        }
      },
      onFatal: (err) => {
        warnOnce(`socket:${iface.name}:${err.code ?? err.message}`, 'mDNS socket failed on interface; retrying on next poll', { ...ctx, code: err.code, syscall: err.syscall }, err)
        if (sockets.get(iface.name) === sock) void closeSocket(iface.name)
      },
      onWarning: (err, what) => {
        const key = what === 'decode' ? 'decode' : `${what}:${iface.name}:${err.code ?? err.message}`
        warnOnce(key, 'mDNS socket problem on interface', { ...ctx, what, code: err.code }, err)
      }
    })
    sockets.set(iface.name, sock)
  }

  const poll = (): void => {
    let next: DiscoveryInterface[]
    try {
      next = usableInterfaces(networkInterfaces(), name => readInterfaceFlags(name), filter)
    } catch (err) {
      warnOnce('poll', 'Could not list network interfaces', {}, err)
      return
    }
    const { added, removed } = diffInterfaces(openInterfaces(), next)
    for (const iface of removed) {
      log.info('Interface gone; closing its mDNS socket', { interface: iface.name, address: iface.address })
      void closeSocket(iface.name)
    }
    for (const iface of added) openSocket(iface)
  }

  const queryNow = (): void => {
    for (const sock of sockets.values()) if (sock.isReady()) sock.sendQuery(buildQuery(serviceTag))
  }

  return {
    name: 'mesh-discovery',
    async start (options?: AbortOptions) {
      throwIfAborted(options?.signal)
      if (started) return
      started = true
      poll()
      timers = [setInterval(poll, init.interfacePollMs ?? DEFAULT_INTERFACE_POLL_MS), setInterval(queryNow, init.queryIntervalMs ?? DEFAULT_QUERY_INTERVAL_MS)]
      log.info('Discovery started', { serviceTag, port, peerName })
    },
    async stop () {
      if (!started) return
      started = false
      for (const t of timers) clearInterval(t)
      timers = []
      await Promise.all([...sockets.keys()].map(closeSocket))
      log.info('Discovery stopped')
    },
    onPeer (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    interfaces: () => [...sockets.values()].filter(s => s.isReady()).map(s => ({ ...s.iface })),
    queryNow
  }
}
