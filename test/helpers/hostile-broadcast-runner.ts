/**
 * A hostile peer for broadcast: a plain libp2p node with gossipsub that connects to an agent and
 * publishes on `/meshbox/services/1`, each message correctly signed with its own key: first one
 * well-formed announcement of its own (so the test sees the channel works), then an announcement
 * claiming another box's roles, non-JSON, an unknown field, a bad role name, an oversized one,
 * an older sequence number (a replay of the past), and last an RPC larger than the agent's
 * gossipsub frame bound. Prints JSON lines:
 *   {"event":"started","peerId":…} {"event":"subscribed"} {"event":"sent","what":…} {"event":"done"}
 * Argument: JSON {"target": "<agent multiaddr with /p2p/>", "fakeDest": "<peer id>"}.
 * Run inside a test namespace only, with `--import tsx --import ./agent/polyfills.ts`.
 */
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

const init = JSON.parse(process.argv[2] ?? '{}') as { target: string, fakeDest: string }
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const TOPIC = '/meshbox/services/1'

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, fallbackToFloodsub: false }) }
})
const self = node.peerId.toString()
print({ event: 'started', peerId: self })
const target = multiaddr(init.target)
await node.dial(target)
node.services.pubsub.subscribe(TOPIC)
for (let i = 0; i < 100 && node.services.pubsub.getSubscribers(TOPIC).length === 0; i++) await sleep(100)
print({ event: 'subscribed', peers: node.services.pubsub.getSubscribers(TOPIC).length })

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const announce = (fields: Record<string, unknown>): Uint8Array => text(JSON.stringify({ peerId: self, seq: 5, lifetimeMs: 60_000, roles: ['monitor'], ...fields }))
const send = async (what: string, data: Uint8Array): Promise<void> => {
  await node.services.pubsub.publish(TOPIC, data)
  print({ event: 'sent', what, bytes: data.byteLength })
  await sleep(300)
}

await send('good', announce({}))
await send('forged', announce({ peerId: init.fakeDest, seq: 1, roles: ['uplink-gateway'] }))
await send('not json', text('not json at all'))
await send('unknown field', announce({ seq: 6, evil: true }))
await send('bad role', announce({ seq: 7, roles: ['Uplink Gateway'] }))
await send('oversized', announce({ seq: 8, roles: ['monitor'], pad: 'x'.repeat(4000) }))
await send('older seq', announce({ seq: 3, roles: [] }))
await send('huge rpc', new Uint8Array(600 * 1024).fill(0x20))
await sleep(500)
print({ event: 'done' })

process.on('SIGTERM', () => {
  void (async () => { await node.stop(); process.exit(0) })()
})
