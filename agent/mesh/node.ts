/**
 * Builds the libp2p node: TCP, Noise, Yamux, identify, ping, kad-dht on our own protocol id,
 * gossipsub for broadcast topics (broadcast/) and circuit relay v2 (server and transport), with
 * the limits a mesh needs rather than libp2p's internet defaults (128 KiB / 2 min per relayed
 * connection, 15 reservations).
 */
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { identify, identifyPush } from '@libp2p/identify'
import { FaultTolerance, type PrivateKey } from '@libp2p/interface'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { Config } from '../config/schema.js'
import { gossipsubOptions } from './broadcast/gossipsub-options.js'

export type MeshConfig = Config['mesh']

/** Ping streams are short-lived but ping() does not await their close: allow a few in flight. */
const PING_MAX_OUTBOUND_STREAMS = 8
/** Longest delay a Node timer can hold; longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647

export function libp2pOptions (mesh: MeshConfig, privateKey: PrivateKey, networkKey?: Uint8Array) {
  const listen = mesh.listen.filter(a => mesh.relay.client || !a.endsWith('/p2p-circuit'))
  const unlimited = mesh.relay.dataLimitBytes === 0 && mesh.relay.durationLimitMs === 0
  return {
    privateKey,
    addresses: { listen, announce: mesh.announce },
    // A relay that is down at boot must not stop the agent from starting.
    transportManager: { faultTolerance: FaultTolerance.NO_FATAL },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(networkKey !== undefined ? { connectionProtector: preSharedKey({ psk: networkKey }) } : {}),
    connectionManager: { maxConnections: mesh.maxConnections, dialTimeout: mesh.dialTimeoutMs },
    services: {
      identify: identify(),
      // Pushes our new addresses (a relay reservation, an interface that came up) to every
      // neighbour at once; without it a relay never learns the circuit addresses of its clients.
      identifyPush: identifyPush(),
      ping: ping({ maxOutboundStreams: PING_MAX_OUTBOUND_STREAMS, runOnLimitedConnection: true }),
      dht: kadDHT({ protocol: mesh.dht.protocol, clientMode: false, peerInfoMapper: passthroughMapper }),
      pubsub: gossipsub(gossipsubOptions(mesh.broadcast)),
      ...(mesh.relay.server
        ? {
            relay: circuitRelayServer({
              reservations: unlimited
                ? { maxReservations: mesh.relay.maxReservations, reservationTtl: mesh.relay.reservationTtlMs, applyDefaultLimit: false }
                : {
                    maxReservations: mesh.relay.maxReservations,
                    reservationTtl: mesh.relay.reservationTtlMs,
                    applyDefaultLimit: true,
                    // Set both: libp2p falls back to 128 KiB / 2 min for the one left out.
                    defaultDataLimit: BigInt(mesh.relay.dataLimitBytes > 0 ? mesh.relay.dataLimitBytes : Number.MAX_SAFE_INTEGER),
                    defaultDurationLimit: mesh.relay.durationLimitMs > 0 ? mesh.relay.durationLimitMs : MAX_TIMER_MS
                  }
            })
          }
        : {})
    }
  }
}

export async function createMeshNode (mesh: MeshConfig, privateKey: PrivateKey, networkKey?: Uint8Array) {
  return await createLibp2p(libp2pOptions(mesh, privateKey, networkKey))
}

export type MeshNode = Awaited<ReturnType<typeof createMeshNode>>
