/**
 * A bare js-libp2p node for benchmarks: the agent's transports and services with stock settings
 * and nothing of ours (no store, no HTTP, no discovery module, no neighbour manager):
 * tcp, noise, yamux, identify, ping, kad-dht (clientMode false, passthrough mapper, our DHT
 * protocol id), circuit relay v2 transport and (optionally) server with `applyDefaultLimit:false`,
 * and optionally stock `@libp2p/mdns` (10 s interval). It also serves the agent's perf wire format
 * (agent/mesh/perf/README.md) under its own protocol id so the same 50 MB test can run on it.
 *
 * The benches bundle this file with esbuild exactly like scripts/build.ts bundles the agent and run
 * it with plain `node`, inside a test network namespace only (never the root one).
 *
 * Usage: node bare-node.mjs '{"listen":["/ip4/127.0.0.1/tcp/0"],"mdns":true,"relayServer":true}'
 * stdout, JSON lines:
 *   {"event":"ready","t":…,"peerId":…,"addrs":[…]}          after node.start()
 *   {"event":"peer","t":…,"peerId":…,"multiaddrs":[…]}       every stock mDNS sighting (mdns:true)
 *   {"event":"result","t":…,"id":…,"ok":true|false,…}        answer to a stdin command
 *   {"event":"stopped","t":…}                                after SIGTERM/SIGINT
 * stdin, JSON lines (commands):
 *   {"id":1,"cmd":"dial","addr":"/ip4/…/p2p/…"}              → {"ok":true,"ms":…,"limited":bool,"remoteAddr":…}
 *   {"id":2,"cmd":"perf","peerId":"12D3…","bytes":50000000,"chunkBytes":65536}
 *                                                              → {"ok":true,"bytes":…,"durationMs":…,"mbPerS":…}
 */
import '../../agent/polyfills.js'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createInterface } from 'node:readline'
import type { Libp2p, Stream } from '@libp2p/interface'

export const BARE_PERF_PROTOCOL = '/bench/perf/1.0.0'

export interface BareNodeInit {
  listen?: string[]
  mdns?: boolean
  relayServer?: boolean
  dhtProtocol?: string
}

interface Command { id?: number, cmd?: string, addr?: string, peerId?: string, bytes?: number, chunkBytes?: number }

const init = JSON.parse(process.argv[2] ?? '{}') as BareNodeInit
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }
const message = (err: unknown): string => err instanceof Error ? err.message : String(err)

function u64 (n: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n))
  return b
}

const node = await createLibp2p({
  addresses: { listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp(), circuitRelayTransport()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping(),
    dht: kadDHT({ protocol: init.dhtProtocol ?? '/meshbox/kad/1.0.0', clientMode: false, peerInfoMapper: passthroughMapper }),
    ...(init.relayServer === true ? { relay: circuitRelayServer({ reservations: { applyDefaultLimit: false, maxReservations: 128 } }) } : {}),
    ...(init.mdns === true ? { mdns: mdns() } : {})
  }
})

if (init.mdns === true) {
  const m = (node.services as Record<string, unknown>).mdns as EventTarget | undefined
  m?.addEventListener('peer', (evt) => {
    const detail = (evt as CustomEvent<{ id: { toString: () => string }, multiaddrs: unknown[] }>).detail
    print({ event: 'peer', peerId: detail.id.toString(), multiaddrs: detail.multiaddrs.map(String) })
  })
}

/** Server side of the perf wire format: count until the writer closes, answer the count as u64. */
async function serve (stream: Stream): Promise<void> {
  let count = 0
  try {
    for await (const chunk of stream) count += chunk.byteLength
    stream.send(u64(count))
    await stream.close()
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

await node.handle(BARE_PERF_PROTOCOL, (stream) => { void serve(stream) }, { runOnLimitedConnection: true })

/** Client side: open a stream, write `bytes` in `chunkBytes` pieces, close, read the 8-byte count. */
async function perf (n: Libp2p, peer: string, bytes: number, chunkBytes: number): Promise<Record<string, unknown>> {
  const started = performance.now()
  const stream = await n.dialProtocol(peerIdFromString(peer), BARE_PERF_PROTOCOL, { runOnLimitedConnection: true })
  const chunk = new Uint8Array(chunkBytes)
  for (let sent = 0; sent < bytes; sent += chunkBytes) {
    if (!stream.send(chunk.subarray(0, Math.min(chunkBytes, bytes - sent)))) await stream.onDrain()
  }
  await stream.close()
  const parts: Uint8Array[] = []
  for await (const part of stream) parts.push(part.subarray())
  const answer = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0))
  let off = 0
  for (const p of parts) { answer.set(p, off); off += p.byteLength }
  if (answer.byteLength !== 8) throw new Error(`answer of ${answer.byteLength} bytes, expected 8`)
  const counted = Number(new DataView(answer.buffer).getBigUint64(0))
  if (counted !== bytes) throw new Error(`peer counted ${counted} of ${bytes} bytes`)
  const durationMs = performance.now() - started
  const conn = n.getConnections(peerIdFromString(peer))[0]
  return { bytes, chunkBytes, durationMs: Math.round(durationMs * 10) / 10, mbPerS: Math.round(bytes / 1e6 / (durationMs / 1000) * 10) / 10, remoteAddr: conn?.remoteAddr.toString() ?? null }
}

async function run (c: Command): Promise<Record<string, unknown>> {
  switch (c.cmd) {
    case 'dial': {
      const started = performance.now()
      const conn = await node.dial(multiaddr(String(c.addr)), { force: true })
      return { ms: Math.round((performance.now() - started) * 10) / 10, limited: conn.limits !== undefined, remoteAddr: conn.remoteAddr.toString() }
    }
    case 'perf':
      return await perf(node, String(c.peerId), Number(c.bytes ?? 10_000_000), Number(c.chunkBytes ?? 64 * 1024))
    default:
      throw new Error(`unknown command ${String(c.cmd)}`)
  }
}

await node.start()
print({ event: 'ready', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

let stopping = false
const shutdown = (): void => {
  if (stopping) return
  stopping = true
  void Promise.resolve(node.stop()).finally(() => { print({ event: 'stopped' }); process.exit(0) })
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  let c: Command
  try { c = JSON.parse(line) as Command } catch { print({ event: 'result', ok: false, error: 'not JSON' }); return }
  run(c).then(r => { print({ event: 'result', id: c.id, ok: true, ...r }) }, (err: unknown) => { print({ event: 'result', id: c.id, ok: false, error: message(err) }) })
})
