/**
 * One long-lived outbound stream per neighbour for a protocol, opened on first use and reopened
 * after it closes. Sends never wait for a slow neighbour: a full buffer drops the frame (the
 * periodic update or the sender's retry covers it) rather than stalling everyone else.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p, Stream } from '@libp2p/interface'
import { errorMessage } from '../errors.js'
import type { Logger } from '../log/logger.js'

export interface StreamPool {
  send: (peerId: string, frame: Uint8Array) => Promise<boolean>
  close: (peerId: string) => void
  closeAll: () => void
}

export interface StreamPoolInit { protocol: string, openTimeoutMs: number, maxOpenStreams?: number }

export function createStreamPool (c: { node: Libp2p, logger: Logger }, init: StreamPoolInit): StreamPool {
  const streams = new Map<string, Stream>()
  const opening = new Map<string, Promise<Stream | undefined>>()

  const open = async (peerId: string): Promise<Stream | undefined> => {
    try {
      const stream = await c.node.dialProtocol(peerIdFromString(peerId), init.protocol, {
        signal: AbortSignal.timeout(init.openTimeoutMs), runOnLimitedConnection: true
      })
      stream.addEventListener('close', () => { if (streams.get(peerId) === stream) streams.delete(peerId) })
      streams.set(peerId, stream)
      return stream
    } catch (err) {
      c.logger.debug('Stream open failed', { peerId, protocol: init.protocol, error: errorMessage(err) })
      return undefined
    }
  }

  return {
    async send (peerId, frame) {
      let stream = streams.get(peerId)
      if (stream === undefined || stream.status !== 'open') {
        let pending = opening.get(peerId)
        if (pending === undefined) {
          if (streams.size >= (init.maxOpenStreams ?? 256)) return false
          pending = open(peerId).finally(() => opening.delete(peerId))
          opening.set(peerId, pending)
        }
        stream = await pending
      }
      if (stream === undefined || stream.status !== 'open') return false
      try {
        return stream.send(frame)
      } catch {
        streams.delete(peerId)
        return false
      }
    },
    close (peerId) {
      const stream = streams.get(peerId)
      streams.delete(peerId)
      stream?.abort(new Error('neighbour gone'))
    },
    closeAll () {
      for (const stream of streams.values()) stream.abort(new Error('stopping'))
      streams.clear()
    }
  }
}
