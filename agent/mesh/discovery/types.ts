/**
 * Public types of the discovery module, kept apart so the pure helpers (records, addresses,
 * interfaces) can use them without importing the component.
 */
import type { Logger } from '../../log/logger.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface DiscoveredPeer {
  /** The remote peer id (base58 string). */
  peerId: string
  /** Announced addresses WITHOUT the trailing /p2p/<id>. */
  multiaddrs: Multiaddr[]
  /** Our interface the answer arrived on, e.g. 'seg1' or 'lo'. */
  interfaceName: string
  /** IP the packet came from. */
  sourceAddress: string
}

export interface DiscoveryInterface {
  name: string
  /** Our IPv4 address on it (the first one when there are several). */
  address: string
  /** The subnet in network form, e.g. '10.77.1.0/24'. */
  cidr: string
  family: 'IPv4'
}

export interface MeshDiscoveryComponents {
  peerId: PeerId
  /** The node's current addresses (libp2p's node.getMultiaddrs(): already expanded per interface IP, with /p2p/<id>). */
  getAddresses: () => Multiaddr[]
  logger: Logger
}

export interface MeshDiscoveryInit {
  /** Default '_p2p._udp.local' (stock compatible). */
  serviceTag?: string
  /** Default 5000; we also query + announce at once on start and whenever an interface appears. */
  queryIntervalMs?: number
  /** Default 2000; follow interfaces that come and go. */
  interfacePollMs?: number
  /** Allow-list of interface names; empty/undefined = every usable one. */
  interfaces?: string[]
  excludeInterfaces?: string[]
  /** Default 5353. */
  port?: number
  /** Default 120. */
  answerTtlS?: number
}
