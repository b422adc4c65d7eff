/**
 * A stock js-libp2p node for interop tests: tcp, noise, yamux, identify, ping and plain
 * @libp2p/mdns with a short query interval, nothing of ours. It dials and pings every peer mDNS
 * shows it (retrying once a second until a ping answers) and prints JSON lines:
 *   {"event":"started","peerId":…,"addrs":[…]}
 *   {"event":"peer","peerId":…,"multiaddrs":[…]}            every mDNS sighting
 *   {"event":"identify","peerId":…,"protocols":[…],"agentVersion":…}
 *   {"event":"ping","peerId":…,"rttMs":…}  /  {"event":"ping-error","peerId":…,"error":…}
 * Argument: optional JSON {"listen":[…],"intervalMs":n}. Run it with
 * `--import tsx --import ./agent/polyfills.ts`, inside a test namespace only.
 */
import { identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { PeerId } from '@libp2p/interface'

interface RunnerInit { listen?: string[], intervalMs?: number }

const init = JSON.parse(process.argv[2] ?? '{}') as RunnerInit
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }
const message = (err: unknown): string => err instanceof Error ? `${err.name}: ${err.message}` : String(err)

const node = await createLibp2p({
  addresses: { listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping({ maxOutboundStreams: 4 }),
    mdns: mdns({ interval: init.intervalMs ?? 1000 })
  }
})

const pinging = new Set<string>()
let stopping = false

const pingUntilAnswered = async (peer: PeerId): Promise<void> => {
  const id = peer.toString()
  if (pinging.has(id)) return
  pinging.add(id)
  for (let attempt = 1; attempt <= 30 && !stopping; attempt++) {
    try {
      const rttMs = await node.services.ping.ping(peer, { signal: AbortSignal.timeout(5000) })
      print({ event: 'ping', peerId: id, rttMs, attempt })
      return
    } catch (err) {
      print({ event: 'ping-error', peerId: id, attempt, error: message(err) })
    }
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
}

node.services.mdns.addEventListener('peer', (evt) => {
  const { id, multiaddrs } = evt.detail
  print({ event: 'peer', peerId: id.toString(), multiaddrs: multiaddrs.map(String) })
  // Stock discovery only fills the peer store; dialling is the application's job.
  void node.peerStore.merge(id, { multiaddrs }).then(async () => { await pingUntilAnswered(id) })
})
node.addEventListener('peer:identify', (evt) => {
  print({ event: 'identify', peerId: evt.detail.peerId.toString(), protocols: evt.detail.protocols, agentVersion: evt.detail.agentVersion })
})
await node.start()
print({ event: 'started', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

const shutdown = (): void => {
  stopping = true
  void Promise.resolve(node.stop()).then(() => { print({ event: 'stopped' }); process.exit(0) })
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
