/**
 * A hostile neighbour for end-to-end messages: plain libp2p nodes (TCP, Noise, Yamux, like the
 * agent) that connect to an agent and speak `/meshbox/msg/1.0.0` badly. The main node, with its
 * own Ed25519 identity, offers on one stream and prints every ack:
 *   forged (valid shape, signature not the claimed source's), sealed (a real message for the
 *   agent), replay (the very same frame again), respelt (the same signature spelt differently in
 *   base64url), twin + twin respelt (a new message in both spellings, in one write), corrupted (ciphertext bit flipped, re-signed by us so the signature holds),
 *   hop-limit (64 transfers already), bad shape (an offer whose envelope has no id).
 * Then three fresh nodes (fresh identities, so each earns its own warning in the agent's log)
 * each open a stream and send one of: a non-JSON frame, a frame header over the agent's bound,
 * a flood of frames beyond the agent's rate bound; each prints whether its stream was reset.
 * Prints JSON lines: {"event":"started","peerId"} {"event":"ack","what",…} {"event":"reset","what",…} {"event":"done"}
 * Argument: JSON {"target": "<agent multiaddr with /p2p/>", "agentId", "maxFrameBytes", "maxFramesPerSecond"}.
 * Run inside a test namespace only, with `--import tsx --import ./agent/polyfills.ts`.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Stream } from '@libp2p/interface'
import { createFrameReader, encodeFrame } from '../../agent/mesh/framing.js'
import { sealMessage, type Envelope } from '../../agent/mesh/messages/envelope.js'
import { ownKeys } from '../../agent/mesh/messages/keys.js'
import { MSG_PROTOCOL } from '../../agent/mesh/messages/transfer.js'
import { flipCtBit, newBox, resign } from './message-forge.js'

const init = JSON.parse(process.argv[2] ?? '{}') as { target: string, agentId: string, maxFrameBytes: number, maxFramesPerSecond: number }
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const target = multiaddr(init.target)
const nodes: Libp2p[] = []

async function startNode (): Promise<Libp2p> {
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() }
  })
  nodes.push(node)
  await node.dial(target)
  return node
}

/** Resolves with how the stream ended, or 'still open' after `ms`. */
async function ending (stream: Stream, ms: number): Promise<Record<string, unknown>> {
  return await new Promise(resolve => {
    const timer = setTimeout(() => { resolve({ ended: false, status: stream.status }) }, ms)
    stream.addEventListener('close', (evt) => {
      clearTimeout(timer)
      resolve({ ended: true, status: stream.status, error: evt.error?.name, local: evt.local })
    }, { once: true })
  })
}

process.on('SIGTERM', () => {
  void (async () => { await Promise.all(nodes.map(async n => { await n.stop() })); process.exit(0) })()
})

// ---- The main node: offers on one stream, every ack printed.
const privateKey = await generateKeyPair('Ed25519')
const main = await createLibp2p({
  privateKey,
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping() }
})
nodes.push(main)
const self = main.peerId.toString()
const keys = ownKeys(self, privateKey)
print({ event: 'started', peerId: self })
await main.dial(target)
print({ event: 'connected' })

const stream = await main.dialProtocol(target, MSG_PROTOCOL)
const waiting = new Map<number, (ack: Record<string, unknown>) => void>()
const read = createFrameReader({
  maxFrameBytes: 4096,
  maxFramesPerSecond: 100_000,
  onFrame: (v) => {
    const f = v as Record<string, unknown>
    if (f?.t === 'ack' && typeof f.n === 'number') waiting.get(f.n)?.(f)
  },
  onViolation: (reason) => { print({ event: 'error', what: 'ack stream', reason }) }
})
stream.addEventListener('message', (evt) => { read(evt.data) })

let next = 1
/** Sends `frame` (an offer numbered `n`; empty: sent by the caller) and prints the ack. */
async function send (what: string, frame: Uint8Array, n: number): Promise<void> {
  const ack = new Promise<Record<string, unknown>>((resolve) => {
    const timer = setTimeout(() => { resolve({ result: 'no ack within 10 s' }) }, 10_000)
    waiting.set(n, (f) => { clearTimeout(timer); waiting.delete(n); resolve(f) })
  })
  if (frame.byteLength > 0) stream.send(frame)
  const f = await ack
  print({ event: 'ack', what, n, id: f.id, result: f.result, reason: f.reason })
}
const offerFrame = (env: unknown, n: number, hops = 0, ttlLeftMs = 3_600_000): Uint8Array => encodeFrame({ t: 'offer', n, hops, ttlLeftMs, env })
const sealForAgent = (payload: string): Envelope =>
  sealMessage(keys, { dst: init.agentId, protocol: '/meshbox/note/1', payload: new TextEncoder().encode(payload), ttlMs: 3_600_000, createdMs: Date.now() })

const stranger = await newBox()
const forged = resign({ ...sealForAgent('not really from the stranger'), src: stranger.id }, keys.signing)
let n = next++
await send('forged', offerFrame(forged, n), n)

const good = sealForAgent('hello from a hostile box')
print({ event: 'sealed', id: good.id })
n = next++
const goodFrame = offerFrame(good, n)
await send('sealed', goodFrame, n)
await send('replay', goodFrame, n)

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const respelt = { ...good, sig: good.sig.slice(0, -1) + (alphabet[alphabet.indexOf(good.sig.at(-1) ?? 'A') ^ 1] ?? 'A') }
n = next++
await send('respelt', offerFrame(respelt, n), n)

// Two spellings of one signature in one write: they race inside the agent, yet deliver once.
const twin = sealForAgent('twins, delivered once')
print({ event: 'sealed', what: 'twin', id: twin.id })
const twinRespelt = { ...twin, sig: twin.sig.slice(0, -1) + (alphabet[alphabet.indexOf(twin.sig.at(-1) ?? 'A') ^ 1] ?? 'A') }
const [n1, n2] = [next++, next++]
const acks = Promise.all([send('twin', new Uint8Array(0), n1), send('twin respelt', new Uint8Array(0), n2)])
const pair = new Uint8Array([...offerFrame(twin, n1), ...offerFrame(twinRespelt, n2)])
stream.send(pair)
await acks

const corrupted = resign(flipCtBit(sealForAgent('this will not decrypt')), keys.signing)
print({ event: 'sealed', what: 'corrupted', id: corrupted.id })
n = next++
await send('corrupted', offerFrame(corrupted, n), n)

n = next++
await send('hop-limit', offerFrame(sealForAgent('far travelled'), n, 64), n)

n = next++
await send('bad shape', offerFrame({ ...sealForAgent('no id'), id: undefined }, n), n)

// ---- Streams the agent must reset, each from a fresh identity.
async function attack (what: string, data: Uint8Array): Promise<void> {
  const node = await startNode()
  const s = await node.dialProtocol(target, MSG_PROTOCOL)
  s.addEventListener('message', () => { /* acks of the flood: not needed */ })
  const end = ending(s, 10_000)
  s.send(data)
  print({ event: 'reset', what, peerId: node.peerId.toString(), bytes: data.byteLength, ...await end })
}

await attack('non-JSON', Uint8Array.of(0, 0, 0, 3, 0xde, 0xad, 0xbe))

const header = new Uint8Array(4)
new DataView(header.buffer).setUint32(0, init.maxFrameBytes + 1)
await attack('oversized', header)

// Small frames that are not offers, all in one write, well inside one second. (Validly signed
// duplicates would be answered without a warning, but each costs the agent a signature check,
// and on a slow CPU it cannot check that many in a second: the bound is never reached.)
const frames = init.maxFramesPerSecond + 500
const one = encodeFrame({ t: 'hello' })
const flood = new Uint8Array(one.byteLength * frames)
for (let i = 0; i < frames; i++) flood.set(one, i * one.byteLength)
await attack('flood', flood)

print({ event: 'done' })
// Stay connected while the test looks at the agent; SIGTERM ends us.
await sleep(600_000)
