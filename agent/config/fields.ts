import { multiaddr } from '@multiformats/multiaddr'
import { LOG_LEVELS } from '../log/logger.js'
import { checkRoles } from '../mesh/service-directory/roles.js'
import { checkRpcUrls } from '../chain/sync/sources.js'
import type { Field } from './schema.js'

const MAX_INT = Number.MAX_SAFE_INTEGER

function checkMultiaddrs (value: unknown): string | undefined {
  for (const s of value as string[]) {
    try {
      multiaddr(s)
    } catch {
      return `"${s}" is not a multiaddr (example: /ip4/0.0.0.0/tcp/4001)`
    }
  }
  return undefined
}

function checkHash (value: unknown): string | undefined {
  return value === '' || /^0x[0-9a-fA-F]{64}$/.test(value as string) ? undefined : 'empty, or a block hash: 0x followed by 64 hex digits'
}

function checkProtocolId (value: unknown): string | undefined {
  return /^\/[a-z0-9._/-]+$/i.test(value as string) ? undefined : 'must look like /name/1.0.0'
}

/** Every configurable key. Unknown keys anywhere are an error. */
export const FIELDS: readonly Field[] = [
  { path: 'version', type: 'int', min: 1, max: 1, doc: 'configuration format version' },
  { path: 'dataDir', type: 'string', doc: 'directory for the store and identity (never on JFFS2)' },
  { path: 'profile', type: 'string', check: v => /^[a-z0-9][a-z0-9-]{0,39}$/.test(v as string) ? undefined : '"auto" or a profile id (lower-case letters, digits, dashes)', doc: 'hardware profile id (hardware-profiles/<id>.json); auto = detect the board on OpenWrt, x86-64-lab elsewhere' },
  { path: 'allowUnsupported', type: 'bool', doc: 'start even on a board whose profile is marked unsupported (the reason is still logged)' },
  { path: 'log.level', type: 'string', allowed: LOG_LEVELS, doc: 'least severe level printed' },
  { path: 'http.host', type: 'string', doc: 'address the HTTP API binds to' },
  { path: 'http.port', type: 'int', min: 0, max: 65535, doc: 'HTTP port (0 = any free port)' },
  { path: 'http.maxBodyBytes', type: 'int', min: 1024, max: 16 * 1024 * 1024, doc: 'largest request body accepted' },
  { path: 'http.requestTimeoutMs', type: 'int', min: 100, max: 600_000, doc: 'time allowed for one request' },
  { path: 'mesh.listen', type: 'string[]', check: checkMultiaddrs, doc: 'libp2p listen multiaddrs' },
  { path: 'mesh.announce', type: 'string[]', check: checkMultiaddrs, doc: 'extra multiaddrs to announce' },
  { path: 'mesh.networkKeyFile', type: 'string', doc: 'private mesh key file (libp2p pnet); empty = open mesh' },
  { path: 'mesh.dialTimeoutMs', type: 'int', min: 100, max: 120_000, doc: 'time allowed for one dial' },
  { path: 'mesh.maxConnections', type: 'int', min: 4, max: 10_000, doc: 'connection manager ceiling' },
  { path: 'mesh.dht.protocol', type: 'string', check: checkProtocolId, doc: 'kad-dht protocol id (keeps our DHT apart)' },
  { path: 'mesh.broadcast.maxMessageBytes', type: 'int', min: 1024, max: 1024 * 1024, doc: 'largest message on any broadcast topic' },
  { path: 'mesh.broadcast.heartbeatIntervalMs', type: 'int', min: 200, max: 60_000, doc: 'gossipsub heartbeat (mesh upkeep, gossip about recent messages)' },
  { path: 'mesh.discovery.enabled', type: 'bool', doc: 'find neighbours with mDNS on every usable interface' },
  { path: 'mesh.discovery.serviceTag', type: 'string', doc: 'mDNS service name (stock libp2p: _p2p._udp.local)' },
  { path: 'mesh.discovery.port', type: 'int', min: 1, max: 65535, doc: 'mDNS UDP port' },
  { path: 'mesh.discovery.queryIntervalMs', type: 'int', min: 250, max: 600_000, doc: 'mDNS query period' },
  { path: 'mesh.discovery.interfacePollMs', type: 'int', min: 250, max: 600_000, doc: 'how often interfaces are re-read' },
  { path: 'mesh.discovery.interfaces', type: 'string[]', doc: 'interfaces to discover on; empty = every usable one' },
  { path: 'mesh.discovery.excludeInterfaces', type: 'string[]', doc: 'interfaces never used for discovery' },
  { path: 'mesh.relay.server', type: 'bool', doc: 'relay connections for neighbours that cannot reach each other' },
  { path: 'mesh.relay.client', type: 'bool', doc: 'reserve slots on neighbouring relays (listen on /p2p-circuit)' },
  { path: 'mesh.relay.maxReservations', type: 'int', min: 1, max: 10_000, doc: 'relay slots this box offers' },
  { path: 'mesh.relay.reservationTtlMs', type: 'int', min: 10_000, max: 7 * 86_400_000, doc: 'life of one reservation' },
  { path: 'mesh.relay.dataLimitBytes', type: 'int', min: 0, max: MAX_INT, doc: 'bytes per relayed connection; 0 = unlimited' },
  { path: 'mesh.relay.durationLimitMs', type: 'int', min: 0, max: 2_147_483_647, doc: 'life of a relayed connection; 0 = unlimited' },
  { path: 'mesh.routing.updateIntervalMs', type: 'int', min: 500, max: 600_000, doc: 'periodic full route update to every neighbour' },
  { path: 'mesh.routing.linkCheckMs', type: 'int', min: 100, max: 60_000, doc: 'how often link costs are re-read' },
  { path: 'mesh.routing.linkSilenceMs', type: 'int', min: 500, max: 600_000, doc: 'a link silent this long carries no routes' },
  { path: 'mesh.routing.triggeredDelayMs', type: 'int', min: 0, max: 10_000, doc: 'batching delay of triggered updates' },
  { path: 'mesh.routing.hysteresis', type: 'number', min: 0, max: 1, doc: 'a new next hop must be better by this fraction' },
  { path: 'mesh.routing.logSize', type: 'int', min: 1, max: 100_000, doc: 'route changes kept for the technician page' },
  { path: 'mesh.routing.probeTimeoutMs', type: 'int', min: 100, max: 60_000, doc: 'mesh-ping / traceroute wait per probe' },
  { path: 'mesh.routing.maxTraceHops', type: 'int', min: 1, max: 64, doc: 'traceroute gives up after this many hops' },
  { path: 'mesh.relay.maxRelayedLinks', type: 'int', min: 0, max: 256, doc: 'relayed links kept to boxes two hops away (0 = none)' },
  { path: 'mesh.messages.maxPayloadBytes', type: 'int', min: 1, max: 256 * 1024, doc: 'largest message payload one box sends or carries' },
  { path: 'mesh.messages.defaultTtlMs', type: 'int', min: 1_000, max: 30 * 86_400_000, doc: 'how long the mesh keeps trying to deliver a message, unless the sender says' },
  { path: 'mesh.messages.maxTtlMs', type: 'int', min: 1_000, max: 30 * 86_400_000, doc: 'longest TTL a message may ask for' },
  { path: 'mesh.messages.clockSkewMs', type: 'int', min: 0, max: 86_400_000, doc: 'clock disagreement tolerated between boxes before an old message counts as a replay' },
  { path: 'mesh.messages.maxStoredBytes', type: 'int', min: 64 * 1024, max: MAX_INT, doc: 'bytes of messages this box holds in custody at most' },
  { path: 'mesh.messages.maxStoredMessages', type: 'int', min: 1, max: 1_000_000, doc: 'messages (receipts included) this box holds in custody at most' },
  { path: 'mesh.messages.maxBytesPerSource', type: 'int', min: 1024, max: MAX_INT, doc: 'bytes held for any one source box' },
  { path: 'mesh.messages.maxBytesPerDestination', type: 'int', min: 1024, max: MAX_INT, doc: 'bytes held waiting for any one destination box' },
  { path: 'mesh.messages.maxInboxMessages', type: 'int', min: 1, max: 1_000_000, doc: 'delivered messages no handler has taken yet, at most' },
  { path: 'mesh.messages.ackTimeoutMs', type: 'int', min: 100, max: 120_000, doc: 'wait for the next hop to take custody before trying again' },
  { path: 'mesh.messages.retryMinMs', type: 'int', min: 10, max: 600_000, doc: 'first wait after a refused or unanswered offer (doubles each time)' },
  { path: 'mesh.messages.retryMaxMs', type: 'int', min: 10, max: 3_600_000, doc: 'longest wait between offers of one message' },
  { path: 'mesh.messages.scanIntervalMs', type: 'int', min: 50, max: 60_000, doc: 'how often held messages are checked for a new route' },
  { path: 'mesh.messages.windowPerNeighbour', type: 'int', min: 1, max: 1024, doc: 'offers awaiting custody per neighbour at once' },
  { path: 'mesh.neighbours.probeIntervalMs', type: 'int', min: 100, max: 600_000, doc: 'RTT/loss probe period' },
  { path: 'mesh.neighbours.probeTimeoutMs', type: 'int', min: 50, max: 60_000, doc: 'a probe slower than this counts as lost' },
  { path: 'mesh.neighbours.lostAfterMs', type: 'int', min: 500, max: 600_000, doc: 'silence after which a neighbour is lost' },
  { path: 'mesh.neighbours.forgetAfterMs', type: 'int', min: 1_000, max: 30 * 86_400_000, doc: 'lost neighbours are dropped after this' },
  { path: 'mesh.neighbours.rttSmoothing', type: 'number', min: 0.01, max: 1, doc: 'EWMA weight of a new RTT sample' },
  { path: 'mesh.neighbours.lossWindow', type: 'int', min: 1, max: 1000, doc: 'probes the loss percentage is computed over' },
  { path: 'chain.enabled', type: 'bool', doc: 'run the light chain node (header sync from upstream and mesh)' },
  { path: 'chain.preset', type: 'string', allowed: ['mainnet', 'testnet', 'dev'], doc: 'chain: Spectrum mainnet (20180430), testnet (2022) or dev (a local anvil node)' },
  { path: 'chain.rpc', type: 'string[]', check: checkRpcUrls, show: v => Array.isArray(v) ? v.map(u => typeof u === 'string' ? u.replace(/\/\/[^/@]*@/, '//…@') : u) : v, doc: 'upstream JSON-RPC URLs (http/https); empty = headers from the mesh only' },
  { path: 'chain.checkpoint.number', type: 'int', min: 0, max: MAX_INT, doc: 'trust anchor block number (0 with an empty hash = the preset\'s genesis)' },
  { path: 'chain.checkpoint.hash', type: 'string', check: checkHash, doc: 'trust anchor block hash (0x + 64 hex); empty = the preset\'s genesis' },
  { path: 'chain.windowHeaders', type: 'int', min: 64, max: 1_000_000, doc: 'recent headers kept in full; deeper reorgs are refused' },
  { path: 'chain.pollIntervalMs', type: 'int', min: 0, max: 3_600_000, check: v => v === 0 || (v as number) >= 100 ? undefined : '0 (the preset\'s block period) or from 100 to 3600000', doc: 'upstream poll period; 0 = the preset\'s block period' },
  { path: 'chain.batchSize', type: 'int', min: 1, max: 1000, doc: 'headers per batched upstream request' },
  { path: 'chain.requestTimeoutMs', type: 'int', min: 100, max: 120_000, doc: 'time allowed for one upstream request' },
  { path: 'chain.maxResponseBytes', type: 'int', min: 64 * 1024, max: 256 * 1024 * 1024, doc: 'largest upstream answer read (bigger ones are cut off)' },
  { path: 'chain.demoteMs', type: 'int', min: 1_000, max: 7 * 86_400_000, doc: 'how long an upstream that lied stays unused' },
  { path: 'chain.chief100Block', type: 'int', min: -1, max: MAX_INT, doc: 'Tribe Chief100Block fork number; -1 = the preset\'s' },
  { path: 'chain.sip002Block', type: 'int', min: -1, max: MAX_INT, doc: 'Tribe SIP002 fork number; -1 = the preset\'s' },
  { path: 'chain.verifyWorkers', type: 'int', min: -1, max: 16, doc: 'worker threads recovering header signers while catching up; 0 = none (all in the main thread), -1 = one per core, at most 4' },
  { path: 'memory.maxRssBytes', type: 'int', min: 16 * 1024 * 1024, max: MAX_INT, doc: 'memory budget from the profile' },
  { path: 'services.roles', type: 'string[]', check: checkRoles, doc: 'roles this box announces ("uplink-gateway", "monitor"); at most 16' },
  { path: 'services.announceIntervalMs', type: 'int', min: 1_000, max: 3_600_000, doc: 'how often this box re-announces its roles' },
  { path: 'services.expireAfterMs', type: 'int', min: 2_000, max: 3_600_000, doc: 'lifetime of our announcements: others drop them when not refreshed within it' }
]

export const FIELD_BY_PATH: ReadonlyMap<string, Field> = new Map(FIELDS.map(f => [f.path, f]))

/** `mesh.dialTimeoutMs` → `MESHBOX_MESH_DIAL_TIMEOUT_MS`. */
export function envName (path: string): string {
  return 'MESHBOX_' + path.split('.').map(p => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2')).join('_').toUpperCase()
}
