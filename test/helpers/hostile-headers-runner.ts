/**
 * A hostile peer for `/meshbox/headers/1`: a plain libp2p node with gossipsub that connects to an
 * agent, waits for a genuine header announcement, then publishes (each message correctly signed
 * with its own key):
 *   - `forged`: a child of the announced head with gasUsed above gasLimit, hashed consistently;
 *   - `early`: a child with its parent's timestamp (the dev chain needs strictly later);
 *   - `junk`: bytes that are not RLP.
 * Prints JSON lines: {"event":"started","peerId"} {"event":"subscribed"} {"event":"heard","number"}
 * {"event":"sent","what","hash"} {"event":"done"}.
 * Argument: JSON {"target": "<agent multiaddr with /p2p/>"}.
 * Run inside a test namespace only, with `--import tsx --import ./agent/polyfills.ts`.
 */
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { bytesToHex, headerHash, type Header } from '../../agent/chain/index.js'
import { decodeMeshMessage, encodeMeshMessage } from '../../agent/chain/sync/mesh-wire.js'

const init = JSON.parse(process.argv[2] ?? '{}') as { target: string }
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const TOPIC = '/meshbox/headers/1'

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, fallbackToFloodsub: false }) }
})
print({ event: 'started', peerId: node.peerId.toString() })
await node.dial(multiaddr(init.target))
node.services.pubsub.subscribe(TOPIC)
for (let i = 0; i < 100 && node.services.pubsub.getSubscribers(TOPIC).length === 0; i++) await sleep(100)
print({ event: 'subscribed', peers: node.services.pubsub.getSubscribers(TOPIC).length })

const heard = await new Promise<{ chainId: bigint, network: string, head: Header }>(resolve => {
  node.services.pubsub.addEventListener('message', (evt) => {
    if (evt.detail.topic !== TOPIC) return
    const m = decodeMeshMessage(evt.detail.data)
    if (typeof m === 'string' || m.kind !== 'announce') return
    resolve({ chainId: m.chainId, network: m.network, head: m.headers[m.headers.length - 1] as Header })
  })
})
print({ event: 'heard', number: Number(heard.head.number) })
// Let the agent finish storing what it just announced to us, so it can check our children of it.
await sleep(1_000)

const child = (patch: Partial<Header>): Header => ({
  ...heard.head,
  number: heard.head.number + 1n,
  parentHash: headerHash(heard.head),
  timestamp: heard.head.timestamp + 1n,
  gasUsed: 0n,
  ...patch
})
const send = async (what: string, data: Uint8Array, hash?: string): Promise<void> => {
  await node.services.pubsub.publish(TOPIC, data)
  print({ event: 'sent', what, bytes: data.byteLength, ...(hash !== undefined ? { hash } : {}) })
  await sleep(300)
}
const forged = child({ gasUsed: heard.head.gasLimit + 1n })
await send('forged', encodeMeshMessage({ kind: 'announce', chainId: heard.chainId, network: heard.network, headers: [forged] }), bytesToHex(headerHash(forged)))
const early = child({ timestamp: heard.head.timestamp })
await send('early', encodeMeshMessage({ kind: 'announce', chainId: heard.chainId, network: heard.network, headers: [early] }), bytesToHex(headerHash(early)))
await send('junk', new TextEncoder().encode('these are not headers'))
await sleep(500)
print({ event: 'done' })

process.on('SIGTERM', () => {
  void (async () => { await node.stop(); process.exit(0) })()
})
