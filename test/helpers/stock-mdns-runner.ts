/**
 * A stock js-libp2p node (tcp + noise + yamux + @libp2p/mdns) for interop tests, inside a test
 * namespace. Prints JSON lines: {"event":"started","peerId":…,"addrs":[…]} and
 * {"event":"peer","peerId":…,"multiaddrs":[…]} for every mDNS sighting.
 * Never run it in the root network namespace.
 */
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'

const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }

const node = await createLibp2p({
  addresses: { listen: ['/ip4/0.0.0.0/tcp/4001'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { mdns: mdns() }
})
node.services.mdns.addEventListener('peer', (evt) => {
  print({ event: 'peer', peerId: evt.detail.id.toString(), multiaddrs: evt.detail.multiaddrs.map(String) })
})
await node.start()
print({ event: 'started', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

const shutdown = (): void => { void Promise.resolve(node.stop()).then(() => { print({ event: 'stopped' }); process.exit(0) }) }
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
