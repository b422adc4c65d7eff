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
import { bytesToHex, headerHash, type Header } from '../../agent/chain/index.js'
import { decodeMeshMessage, encodeMeshMessage } from '../../agent/chain/sync/mesh-wire.js'
import { print, sleep, startGossipPeer } from './gossip-peer.js'

const TOPIC = '/meshbox/headers/1'
const init = JSON.parse(process.argv[2] ?? '{}') as { target: string }
const { pubsub, send, finish } = await startGossipPeer(init.target, TOPIC)

const heard = await new Promise<{ chainId: bigint, network: string, head: Header }>(resolve => {
  pubsub.addEventListener('message', (evt) => {
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
const forged = child({ gasUsed: heard.head.gasLimit + 1n })
await send('forged', encodeMeshMessage({ kind: 'announce', chainId: heard.chainId, network: heard.network, headers: [forged] }), { hash: bytesToHex(headerHash(forged)) })
const early = child({ timestamp: heard.head.timestamp })
await send('early', encodeMeshMessage({ kind: 'announce', chainId: heard.chainId, network: heard.network, headers: [early] }), { hash: bytesToHex(headerHash(early)) })
await send('junk', new TextEncoder().encode('these are not headers'))
await finish()
