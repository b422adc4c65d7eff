/**
 * Length-prefixed JSON frames for our control protocols (routing, forwarding): a 4-byte
 * big-endian length, then that many bytes of UTF-8 JSON. The reader enforces a size bound and
 * a rate bound per stream, so a hostile neighbour costs little and is cut off with a log line.
 */
import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'

const HEADER_BYTES = 4
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function encodeFrame (value: unknown): Uint8Array {
  const body = encoder.encode(JSON.stringify(value))
  const frame = new Uint8Array(HEADER_BYTES + body.byteLength)
  new DataView(frame.buffer).setUint32(0, body.byteLength)
  frame.set(body, HEADER_BYTES)
  return frame
}

export interface FrameReaderInit {
  maxFrameBytes: number
  maxFramesPerSecond: number
  onFrame: (value: unknown) => void
  /** The stream must be reset: too big, too fast, or not JSON. */
  onViolation: (reason: string) => void
  now?: () => number
}

/** Feed it stream chunks; it calls onFrame for every complete, parsed frame. */
export function createFrameReader (init: FrameReaderInit): (chunk: Uint8Array | Uint8ArrayList) => void {
  const now = init.now ?? (() => performance.now())
  const buf = new Uint8ArrayList()
  let windowStart = now()
  let frames = 0
  let broken = false
  return (chunk) => {
    if (broken) return
    buf.append(chunk)
    while (buf.byteLength >= HEADER_BYTES) {
      const size = buf.getUint32(0)
      if (size > init.maxFrameBytes) {
        broken = true
        init.onViolation(`frame of ${size} bytes exceeds ${init.maxFrameBytes}`)
        return
      }
      if (buf.byteLength < HEADER_BYTES + size) return
      const body = buf.subarray(HEADER_BYTES, HEADER_BYTES + size)
      buf.consume(HEADER_BYTES + size)
      const t = now()
      if (t - windowStart >= 1000) { windowStart = t; frames = 0 }
      if (++frames > init.maxFramesPerSecond) {
        broken = true
        init.onViolation(`more than ${init.maxFramesPerSecond} frames per second`)
        return
      }
      let value: unknown
      try {
        value = JSON.parse(decoder.decode(body))
      } catch {
        broken = true
        init.onViolation('frame is not UTF-8 JSON')
        return
      }
      init.onFrame(value)
    }
  }
}

/** Reads frames from an inbound stream; a violation is reported, then the stream is reset. */
export function readFramedStream (stream: Stream, init: FrameReaderInit): void {
  const read = createFrameReader({
    ...init,
    onViolation: (reason) => {
      init.onViolation(reason)
      stream.abort(new Error(reason))
    }
  })
  stream.addEventListener('message', (evt) => { read(evt.data) })
}
