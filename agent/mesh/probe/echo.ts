/**
 * Responder side of the probe protocol: echo every complete 8-byte frame. A peer that buffers
 * more than a few frames or probes faster than any sane prober gets its stream reset.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import type { Logger } from '../../log/logger.js'

export const FRAME_BYTES = 8
const MAX_BUFFERED_BYTES = 8 * FRAME_BYTES
const MAX_FRAMES_PER_SECOND = 50

export function createEchoHandler (logger: Logger) {
  return (stream: Stream, connection: Connection): void => {
    const rx = new Uint8ArrayList()
    let windowStart = performance.now()
    let framesInWindow = 0
    stream.addEventListener('message', (evt) => {
      rx.append(evt.data)
      if (rx.byteLength > MAX_BUFFERED_BYTES) {
        logger.warn('Probe stream reset: too much unanswered data', { peerId: connection.remotePeer.toString(), bytes: rx.byteLength })
        stream.abort(new Error('probe frames too large'))
        return
      }
      while (rx.byteLength >= FRAME_BYTES) {
        const now = performance.now()
        if (now - windowStart > 1000) { windowStart = now; framesInWindow = 0 }
        if (++framesInWindow > MAX_FRAMES_PER_SECOND) {
          logger.warn('Probe stream reset: probing too fast', { peerId: connection.remotePeer.toString(), perSecond: MAX_FRAMES_PER_SECOND })
          stream.abort(new Error('probing too fast'))
          return
        }
        stream.send(rx.subarray(0, FRAME_BYTES))
        rx.consume(FRAME_BYTES)
      }
    })
  }
}
