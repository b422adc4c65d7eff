/**
 * Watches the relay client. In discovery mode libp2p reserves a slot on neighbouring relays by
 * itself, but a reservation that silently went missing (js-libp2p #3601 for static relays) would
 * leave relayed peers unreachable. When relays are connected yet we hold no reservation for a
 * grace period, reconnect to one relay so identify runs again and the client re-reserves.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Component } from '../component.js'
import { errorMessage } from '../errors.js'
import type { Logger } from '../log/logger.js'

export const RELAY_HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'

export interface RelaySupervisorComponents { node: Libp2p, logger: Logger, now?: () => number }
export interface RelaySupervisorInit {
  enabled: boolean
  checkIntervalMs?: number
  missingGraceMs?: number
  nudgeEveryMs?: number
}

export interface RelaySupervisor extends Component {
  /** Peer ids of the relays we hold a reservation on. */
  reservations: () => string[]
}

/** Relay peer ids that appear in our own /p2p-circuit addresses. */
export function reservedRelays (addrs: string[]): string[] {
  const out = new Set<string>()
  for (const a of addrs) {
    const m = /\/p2p\/([^/]+)\/p2p-circuit/.exec(a)
    if (m?.[1] !== undefined) out.add(m[1])
  }
  return [...out]
}

export function createRelaySupervisor (c: RelaySupervisorComponents, init: RelaySupervisorInit): RelaySupervisor {
  const now = c.now ?? Date.now
  const lastNudge = new Map<string, number>()
  let timer: NodeJS.Timeout | undefined
  let missingSince: number | undefined

  const connectedRelays = async (): Promise<PeerId[]> => {
    const peers = new Map(c.node.getConnections().filter(x => !x.remoteAddr.toString().includes('/p2p-circuit')).map(x => [x.remotePeer.toString(), x.remotePeer]))
    const relays: PeerId[] = []
    for (const peer of peers.values()) {
      try {
        if ((await c.node.peerStore.get(peer)).protocols.includes(RELAY_HOP_PROTOCOL)) relays.push(peer)
      } catch { /* not in the peer store yet */ }
    }
    return relays
  }

  const check = async (): Promise<void> => {
    if (reservedRelays(c.node.getMultiaddrs().map(a => a.toString())).length > 0) {
      missingSince = undefined
      return
    }
    const relays = await connectedRelays()
    if (relays.length === 0) {
      missingSince = undefined
      return
    }
    missingSince ??= now()
    if (now() - missingSince < (init.missingGraceMs ?? 10_000)) return
    const relay = relays.find(r => now() - (lastNudge.get(r.toString()) ?? 0) > (init.nudgeEveryMs ?? 30_000))
    if (relay === undefined) return
    lastNudge.set(relay.toString(), now())
    c.logger.warn('Relay reservation missing; reconnecting', { relay: relay.toString(), missingMs: now() - missingSince })
    try {
      await c.node.hangUp(relay)
      await c.node.dial(relay, { signal: AbortSignal.timeout(5_000) })
    } catch (err) {
      c.logger.warn('Relay reconnect failed', { relay: relay.toString(), error: errorMessage(err) })
    }
  }

  return {
    name: 'relay-supervisor',
    async start () {
      if (!init.enabled || timer !== undefined) return
      timer = setInterval(() => { void check().catch(err => { c.logger.warn('Relay check failed', {}, err) }) }, init.checkIntervalMs ?? 5_000)
    },
    async stop () {
      clearInterval(timer)
      timer = undefined
    },
    reservations: () => reservedRelays(c.node.getMultiaddrs().map(a => a.toString()))
  }
}
