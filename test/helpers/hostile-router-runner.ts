/**
 * A hostile neighbour for the routing protocol: a plain libp2p node that connects to an agent and
 * speaks `/meshbox/route/1.0.0` badly. It first sends one well-formed update (so the test can see
 * the channel works), then a mixed update whose second route is malformed, an oversized frame, a
 * non-JSON frame and a flood of frames, each on its own stream. Prints JSON lines:
 *   {"event":"started","peerId":…}  {"event":"connected"}  {"event":"sent","what":…}  {"event":"done"}
 * Argument: JSON {"target": "<agent multiaddr with /p2p/>", "fakeDest": "<peer id>"}.
 * Run inside a test namespace only, with `--import tsx --import ./agent/polyfills.ts`.
 */
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { encodeFrame } from '../../agent/mesh/framing.js'

const init = JSON.parse(process.argv[2] ?? '{}') as { target: string, fakeDest: string }
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const PROTOCOL = '/meshbox/route/1.0.0'

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping() }
})
const self = node.peerId.toString()
print({ event: 'started', peerId: self })
const target = multiaddr(init.target)
await node.dial(target)
print({ event: 'connected' })
// Let the agent take us in as a neighbour and measure the link before we talk routing.
await sleep(3_000)

const stream = async (): ReturnType<typeof node.dialProtocol> => await node.dialProtocol(target, PROTOCOL)
const update = (routes: unknown[]): Uint8Array => encodeFrame({ type: 'update', routes })

const good = await stream()
good.send(update([{ d: self, s: 7, m: 0, h: 0 }]))
print({ event: 'sent', what: 'good update' })
await sleep(500)
good.send(update([{ d: init.fakeDest, s: 1, m: 0, h: 0 }, { d: 'not-a-peer-id', s: 1, m: 0, h: 0 }]))
print({ event: 'sent', what: 'mixed update' })
await sleep(500)

const big = await stream()
const header = new Uint8Array(4)
new DataView(header.buffer).setUint32(0, 10 * 1024 * 1024)
big.send(header)
print({ event: 'sent', what: 'oversized frame header' })
await sleep(500)

const junk = await stream()
junk.send(Uint8Array.of(0, 0, 0, 3, 0xde, 0xad, 0xbe))
print({ event: 'sent', what: 'non-JSON frame' })
await sleep(500)

const flood = await stream()
for (let i = 0; i < 200; i++) flood.send(update([{ d: self, s: 7, m: 0, h: 0 }]))
print({ event: 'sent', what: 'flood' })
await sleep(1_000)

// Keep the connection (and our good route) alive while the test looks at the agent.
good.send(update([{ d: self, s: 7, m: 0, h: 0 }]))
print({ event: 'done' })
const keepAlive = setInterval(() => { good.send(update([{ d: self, s: 7, m: 0, h: 0 }])) }, 2_000)
process.on('SIGTERM', () => {
  clearInterval(keepAlive)
  void (async () => { await node.stop(); process.exit(0) })()
})
