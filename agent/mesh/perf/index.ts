/**
 * Throughput meter `/meshbox/perf/1.0.0` (like batman-adv's `batctl tp`): the client sends N
 * bytes, the server counts them and answers with the count; the client times the exchange.
 * Works over direct and relayed links. Wire format: README.md beside this file.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { AgentError, ErrorCode, errorMessage } from '../../errors.js'
import type { AbortOptions, Component } from '../../component.js'
import type { Logger } from '../../log/logger.js'
import { bestLink } from '../addresses.js'
import type { LinkKind } from '../neighbour-table.js'

export const PERF_PROTOCOL = '/meshbox/perf/1.0.0'
export const MAX_PERF_BYTES = 1024 * 1024 * 1024
const CHUNK_BYTES = 64 * 1024
const MAX_STREAMS = 2

export interface PerfResult { peerId: string, bytes: number, durationMs: number, mbPerS: number, kind: LinkKind, via: string | null }

export interface PerfService extends Component {
  measure: (peer: PeerId, bytes: number, options: AbortOptions) => Promise<PerfResult>
}

function u64 (n: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n))
  return b
}

async function serve (stream: Stream, logger: Logger, remote: string): Promise<void> {
  let count = 0
  try {
    for await (const chunk of stream) {
      count += chunk.byteLength
      if (count > MAX_PERF_BYTES) throw new Error(`more than ${MAX_PERF_BYTES} bytes`)
    }
    stream.send(u64(count))
    await stream.close()
  } catch (err) {
    logger.warn('Throughput test stream failed', { peerId: remote, bytes: count, error: errorMessage(err) })
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

export function createPerfService (c: { node: Libp2p, logger: Logger }): PerfService {
  let started = false
  return {
    name: 'perf',
    async start () {
      if (started) return
      started = true
      await c.node.handle(PERF_PROTOCOL, (stream, conn) => { void serve(stream, c.logger, conn.remotePeer.toString()) },
        { maxInboundStreams: MAX_STREAMS, maxOutboundStreams: MAX_STREAMS, runOnLimitedConnection: true })
    },
    async stop () {
      if (!started) return
      started = false
      await c.node.unhandle(PERF_PROTOCOL)
    },
    async measure (peer, bytes, options) {
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_PERF_BYTES) {
        throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, `bytes must be an integer from 1 to ${MAX_PERF_BYTES}`, { data: { param: 'bytes' } })
      }
      const started = performance.now()
      let stream: Stream
      try {
        stream = await c.node.dialProtocol(peer, PERF_PROTOCOL, { ...options, runOnLimitedConnection: true })
      } catch (err) {
        throw new AgentError(ErrorCode.MESH_DIAL_FAILED, `cannot open a throughput test to ${peer.toString()}: ${errorMessage(err)}`)
      }
      try {
        const chunk = new Uint8Array(CHUNK_BYTES)
        for (let sent = 0; sent < bytes; sent += CHUNK_BYTES) {
          if (!stream.send(chunk.subarray(0, Math.min(CHUNK_BYTES, bytes - sent)))) await stream.onDrain(options)
        }
        await stream.close(options)
        let answer = new Uint8Array(0)
        for await (const part of stream) answer = Uint8Array.from([...answer, ...part.subarray()])
        if (answer.byteLength !== 8) throw new Error(`answer of ${answer.byteLength} bytes, expected 8`)
        const counted = Number(new DataView(answer.buffer).getBigUint64(0))
        if (counted !== bytes) throw new Error(`peer counted ${counted} bytes of ${bytes}`)
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        throw new AgentError(options.signal?.aborted === true ? ErrorCode.TIMEOUT : ErrorCode.MESH_DIAL_FAILED, `throughput test to ${peer.toString()} failed: ${errorMessage(err)}`)
      }
      const durationMs = performance.now() - started
      const best = bestLink(c.node.getConnections(peer))
      return {
        peerId: peer.toString(), bytes, durationMs: Math.round(durationMs * 10) / 10,
        mbPerS: Math.round((bytes / 1e6) / (durationMs / 1000) * 10) / 10,
        kind: best?.kind ?? 'direct', via: best?.via ?? null
      }
    }
  }
}
