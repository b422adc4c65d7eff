/**
 * The one typed configuration schema. Every key has a default here, a unit in its name, and one
 * line of documentation; env names are derived from the path (`http.port` → MESHBOX_HTTP_PORT).
 * The file, environment, profile and CLI layers are all validated against FIELDS.
 */
import type { LogLevel } from '../log/logger.js'

export const CONFIG_VERSION = 1

export interface Config {
  version: number
  dataDir: string
  /** Hardware profile id, or 'auto': the board's profile on OpenWrt (`ubus call system board`), x86-64-lab elsewhere. */
  profile: string
  /** Start even when the chosen profile is marked unsupported (the reason is still logged). */
  allowUnsupported: boolean
  log: { level: LogLevel }
  http: { host: string, port: number, maxBodyBytes: number, requestTimeoutMs: number }
  mesh: {
    listen: string[]
    announce: string[]
    /** Path to a libp2p private-network key file; empty means an open mesh. */
    networkKeyFile: string
    dialTimeoutMs: number
    maxConnections: number
    dht: { protocol: string }
    broadcast: {
      /** Largest message on any broadcast topic (gossipsub data field). */
      maxMessageBytes: number
      heartbeatIntervalMs: number
    }
    discovery: {
      enabled: boolean
      serviceTag: string
      port: number
      queryIntervalMs: number
      interfacePollMs: number
      interfaces: string[]
      excludeInterfaces: string[]
    }
    relay: {
      server: boolean
      client: boolean
      maxReservations: number
      reservationTtlMs: number
      /** Bytes per relayed connection, both directions; 0 = unlimited. */
      dataLimitBytes: number
      /** Lifetime of a relayed connection; 0 = unlimited. */
      durationLimitMs: number
      /** Relayed links this box keeps to boxes two hops away. */
      maxRelayedLinks: number
    }
    routing: {
      updateIntervalMs: number
      linkCheckMs: number
      linkSilenceMs: number
      triggeredDelayMs: number
      hysteresis: number
      logSize: number
      probeTimeoutMs: number
      maxTraceHops: number
    }
    messages: {
      maxPayloadBytes: number
      defaultTtlMs: number
      maxTtlMs: number
      clockSkewMs: number
      maxStoredBytes: number
      maxStoredMessages: number
      maxBytesPerSource: number
      maxBytesPerDestination: number
      maxInboxMessages: number
      ackTimeoutMs: number
      retryMinMs: number
      retryMaxMs: number
      scanIntervalMs: number
      windowPerNeighbour: number
    }
    neighbours: {
      probeIntervalMs: number
      probeTimeoutMs: number
      lostAfterMs: number
      forgetAfterMs: number
      rttSmoothing: number
      lossWindow: number
    }
  }
  memory: { maxRssBytes: number }
  /** The light chain node (chain/sync): which chain, where headers come from, what is kept. */
  chain: {
    enabled: boolean
    /** 'mainnet' | 'testnet' | 'dev' (chain/presets.ts). */
    preset: string
    /** Upstream JSON-RPC URLs (http/https); empty = headers come from the mesh only. */
    rpc: string[]
    /** The trust anchor; hash '' = the preset's genesis (dev: the first upstream's block `number`, at least 1). */
    checkpoint: { number: number, hash: string }
    /** Recent headers kept in full; reorgs deeper than this are refused. */
    windowHeaders: number
    /** Upstream poll period; 0 = the preset's block period (15 s Spectrum, 1 s dev). */
    pollIntervalMs: number
    /** Headers per batched upstream request. */
    batchSize: number
    requestTimeoutMs: number
    maxResponseBytes: number
    /** How long an upstream that lied stays unused. */
    demoteMs: number
    /** Tribe fork numbers; -1 = the preset's own. */
    chief100Block: number
    sip002Block: number
    /** Worker threads recovering header signers during catch-up; 0 = none, -1 = one per core (at most 4). */
    verifyWorkers: number
  }
  services: {
    /** Roles this box announces to the mesh ("uplink-gateway", "monitor"). */
    roles: string[]
    announceIntervalMs: number
    /** Lifetime sent with our announcements: others drop them when not refreshed within it. */
    expireAfterMs: number
  }
}

export type FieldType = 'string' | 'int' | 'number' | 'bool' | 'string[]'

export interface Field {
  path: string
  type: FieldType
  doc: string
  min?: number
  max?: number
  allowed?: readonly string[]
  /** Extra check on a typed value: returns what is wrong, or undefined. */
  check?: (value: unknown) => string | undefined
  /** How a value appears in error messages (URLs without their credentials). */
  show?: (value: unknown) => unknown
}

export const DEFAULTS: Config = {
  version: CONFIG_VERSION,
  dataDir: './.meshbox-data',
  profile: 'auto',
  allowUnsupported: false,
  log: { level: 'info' },
  http: { host: '127.0.0.1', port: 8080, maxBodyBytes: 128 * 1024, requestTimeoutMs: 10_000 },
  mesh: {
    listen: ['/ip4/0.0.0.0/tcp/4001', '/p2p-circuit'],
    announce: [],
    networkKeyFile: '',
    dialTimeoutMs: 5_000,
    maxConnections: 200,
    dht: { protocol: '/meshbox/kad/1.0.0' },
    // 64 KiB fits a header batch or a few transactions; a mesh link is slow, so bigger is a stream's job.
    broadcast: { maxMessageBytes: 64 * 1024, heartbeatIntervalMs: 1_000 },
    discovery: {
      enabled: true,
      serviceTag: '_p2p._udp.local',
      port: 5353,
      queryIntervalMs: 5_000,
      interfacePollMs: 2_000,
      interfaces: [],
      excludeInterfaces: []
    },
    relay: {
      server: true,
      client: true,
      maxReservations: 64,
      reservationTtlMs: 2 * 60 * 60 * 1000,
      dataLimitBytes: 0,
      durationLimitMs: 0,
      maxRelayedLinks: 0
    },
    routing: {
      updateIntervalMs: 4_000,
      linkCheckMs: 500,
      linkSilenceMs: 3_000,
      triggeredDelayMs: 50,
      hysteresis: 0.1,
      logSize: 256,
      probeTimeoutMs: 3_000,
      maxTraceHops: 16
    },
    messages: {
      maxPayloadBytes: 64 * 1024,
      defaultTtlMs: 24 * 60 * 60 * 1000,
      maxTtlMs: 7 * 24 * 60 * 60 * 1000,
      clockSkewMs: 10 * 60 * 1000,
      maxStoredBytes: 16 * 1024 * 1024,
      maxStoredMessages: 10_000,
      maxBytesPerSource: 2 * 1024 * 1024,
      maxBytesPerDestination: 4 * 1024 * 1024,
      maxInboxMessages: 1_000,
      ackTimeoutMs: 5_000,
      retryMinMs: 500,
      retryMaxMs: 15_000,
      scanIntervalMs: 1_000,
      windowPerNeighbour: 32
    },
    neighbours: {
      probeIntervalMs: 1_000,
      probeTimeoutMs: 1_500,
      lostAfterMs: 6_000,
      forgetAfterMs: 10 * 60 * 1000,
      rttSmoothing: 0.25,
      lossWindow: 20
    }
  },
  memory: { maxRssBytes: 256 * 1024 * 1024 },
  chain: {
    enabled: true,
    preset: 'mainnet',
    rpc: [],
    checkpoint: { number: 0, hash: '' },
    // ~1.5 MB of Spectrum headers; Spectrum recommends 17 confirmations, so reorgs stay far shallower.
    windowHeaders: 2048,
    pollIntervalMs: 0,
    batchSize: 100,
    requestTimeoutMs: 10_000,
    // 100 full blocks with transactions fit; a node that sends more is cut off, not buffered.
    maxResponseBytes: 8 * 1024 * 1024,
    demoteMs: 10 * 60 * 1000,
    chief100Block: -1,
    sip002Block: -1,
    verifyWorkers: -1
  },
  services: { roles: [], announceIntervalMs: 30_000, expireAfterMs: 90_000 }
}
