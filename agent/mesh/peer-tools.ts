/**
 * Technician tools on the mesh: look a peer up through the DHT, and ping a peer whether it is a
 * direct neighbour or only reachable through a relay (dialling it first if needed).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import { AgentError, ErrorCode, errorMessage } from '../errors.js'
import type { AbortOptions } from '../component.js'
import { bestLink } from './addresses.js'
import type { LinkKind } from './neighbour-table.js'

export interface FoundPeer { peerId: string, addresses: string[], connected: boolean }
export interface PingResult { peerId: string, rttMs: number, kind: LinkKind, via: string | null, dialled: boolean }

export function parsePeerId (text: string): PeerId {
  try {
    if (text.length > 128) throw new Error('too long')
    return peerIdFromString(text)
  } catch (err) {
    throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, `"${text.slice(0, 64)}" is not a peer id: ${errorMessage(err)}`, { data: { param: 'peerId' } })
  }
}

/**
 * Asks the mesh (DHT), not the local cache: a cached record can predate the peer's relay
 * reservation and lack the only addresses that reach it.
 */
export async function findPeer (node: Libp2p, peerId: PeerId, options: AbortOptions = {}): Promise<FoundPeer> {
  try {
    const found = await node.peerRouting.findPeer(peerId, { ...options, useCache: false })
    return {
      peerId: peerId.toString(),
      addresses: found.multiaddrs.map(a => a.toString()),
      connected: node.getConnections(peerId).length > 0
    }
  } catch (err) {
    if (options.signal?.aborted === true) throw new AgentError(ErrorCode.TIMEOUT, `looking up ${peerId.toString()} took too long`)
    throw new AgentError(ErrorCode.MESH_PEER_NOT_FOUND, `peer ${peerId.toString()} was not found in the mesh: ${errorMessage(err)}`, {
      data: { peerId: peerId.toString() },
      hints: ['check that the box is running and shares a segment with a box this one can reach']
    })
  }
}

function dialFailed (peerId: PeerId, err: unknown): AgentError {
  return new AgentError(ErrorCode.MESH_DIAL_FAILED, `cannot connect to ${peerId.toString()}: ${errorMessage(err)}`, { data: { peerId: peerId.toString() } })
}

export async function pingPeer (node: Libp2p<{ ping: Ping }>, peerId: PeerId, options: AbortOptions = {}): Promise<PingResult> {
  let dialled = false
  if (node.getConnections(peerId).length === 0) {
    const known = await node.peerStore.has(peerId) ? (await node.peerStore.get(peerId)).addresses.length > 0 : false
    if (!known) await findPeer(node, peerId, options)
    try {
      await node.dial(peerId, options)
    } catch (err) {
      if (!known) throw dialFailed(peerId, err)
      // The addresses we had may be stale (the peer moved, or got a relay slot since): ask again.
      await findPeer(node, peerId, options)
      try {
        await node.dial(peerId, options)
      } catch (err2) {
        throw dialFailed(peerId, err2)
      }
    }
    dialled = true
  }
  const started = performance.now()
  try {
    await node.services.ping.ping(peerId, options)
  } catch (err) {
    throw new AgentError(options.signal?.aborted === true ? ErrorCode.TIMEOUT : ErrorCode.MESH_DIAL_FAILED,
      `ping to ${peerId.toString()} failed: ${errorMessage(err)}`, { data: { peerId: peerId.toString() } })
  }
  const rttMs = Math.round((performance.now() - started) * 1000) / 1000
  const best = bestLink(node.getConnections(peerId))
  return { peerId: peerId.toString(), rttMs, kind: best?.kind ?? 'direct', via: best?.via ?? null, dialled }
}
