/**
 * Runs one meshbox discovery instance (inside a test namespace) and prints JSON lines on stdout:
 *   {"event":"started","t":…,"peerId":…}
 *   {"event":"interfaces","t":…,"interfaces":["seg1",…]}      whenever the open set changes
 *   {"event":"peer","t":…,"peerId":…,"interfaceName":…,"sourceAddress":…,"multiaddrs":[…]}
 *       first sighting, and again whenever the (interface, addresses) of a peer change
 *   {"event":"stopped","t":…}                                   after SIGTERM; then the process ends by itself
 * getAddresses is faked as /ip4/<every IPv4 here>/tcp/4001/p2p/<id> plus a relay address, as
 * libp2p's getMultiaddrs() would report a node listening on 0.0.0.0.
 * Usage: node --import tsx --import ./agent/polyfills.ts test/helpers/discovery-runner.ts '{"queryIntervalMs":5000}'
 * Never run it in the root network namespace.
 */
import { networkInterfaces } from 'node:os'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createLogger } from '../../agent/log/logger.js'
import { createMeshDiscovery } from '../../agent/mesh/discovery/index.js'
import type { MeshDiscoveryInit } from '../../agent/mesh/discovery/index.js'

const init = JSON.parse(process.argv[2] ?? '{}') as MeshDiscoveryInit
const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const id = peerId.toString()
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }

const getAddresses = () => {
  const ips = Object.values(networkInterfaces()).flatMap(infos => infos ?? []).filter(i => i.family === 'IPv4').map(i => i.address)
  return [
    ...ips.map(ip => multiaddr(`/ip4/${ip}/tcp/4001/p2p/${id}`)),
    multiaddr(`/ip4/10.77.1.9/tcp/4001/p2p/${id}/p2p-circuit/p2p/${id}`)
  ]
}

const logger = createLogger({ level: 'debug', module: 'runner', write: line => { process.stderr.write(line + '\n') } })
const discovery = createMeshDiscovery({ peerId, getAddresses, logger }, init)
const seen = new Map<string, string>()
discovery.onPeer(p => {
  const addrs = p.multiaddrs.map(String)
  const key = `${p.peerId}@${p.interfaceName}`
  const value = addrs.join(' ')
  if (seen.get(key) === value) return
  seen.set(key, value)
  print({ event: 'peer', peerId: p.peerId, interfaceName: p.interfaceName, sourceAddress: p.sourceAddress, multiaddrs: addrs })
})

await discovery.start()
await discovery.start() // idempotent: must not open a second socket per interface
print({ event: 'started', peerId: id })
let open = ''
const watch = setInterval(() => {
  const now = discovery.interfaces().map(i => i.name).join(',')
  if (now !== open) { open = now; print({ event: 'interfaces', interfaces: now === '' ? [] : now.split(',') }) }
}, 20)

// No process.exit(): after stop() the process must end by itself (no socket or timer left).
const shutdown = (): void => {
  clearInterval(watch)
  void discovery.stop().then(async () => { await discovery.stop(); print({ event: 'stopped' }) })
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
