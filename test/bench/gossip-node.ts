/**
 * A bare libp2p node for measuring what broadcast alone costs on the wire: tcp, noise, yamux and
 * identify, plus (optionally) gossipsub built with the agent's own options
 * (agent/mesh/broadcast/gossipsub-options.ts), subscribed to `/meshbox/services/1` and, on
 * command, publishing a real service announcement every `everyMs`. No routing, probes, mDNS or
 * DHT, so the bytes on its links are gossipsub's (and TCP/noise/yamux's).
 * Run with `--import tsx --import ./agent/polyfills.ts`, inside a test namespace only.
 *
 * Usage: node … gossip-node.ts '{"listen":["/ip4/0.0.0.0/tcp/4001"],"gossip":true,"heartbeatIntervalMs":1000}'
 * stdout, JSON lines: {"event":"ready","peerId":…,"addrs":[…]}, {"event":"result","id":…,"ok":…,…}
 * stdin, JSON lines: {"id":1,"cmd":"dial","addr":"/ip4/…/p2p/…"}, {"id":2,"cmd":"announce","everyMs":30000},
 *                    {"id":3,"cmd":"stats"} → {"published","received","peers"}
 */
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createInterface } from 'node:readline'
import { gossipsubOptions } from '../../agent/mesh/broadcast/gossipsub-options.js'
import { Topic } from '../../agent/mesh/broadcast/topics.js'
import { encodeAnnouncement } from '../../agent/mesh/service-directory/announcement.js'

interface Init { listen?: string[], gossip?: boolean, heartbeatIntervalMs?: number }
interface Command { id?: number, cmd?: string, addr?: string, everyMs?: number }

const init = JSON.parse(process.argv[2] ?? '{}') as Init
const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }

const node = await createLibp2p({
  addresses: { listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ...(init.gossip === true ? { pubsub: gossipsub(gossipsubOptions({ maxMessageBytes: 65_536, heartbeatIntervalMs: init.heartbeatIntervalMs ?? 1_000 })) } : {})
  }
})
const pubsub = (node.services as { pubsub?: ReturnType<ReturnType<typeof gossipsub>> }).pubsub
let received = 0
let published = 0
let seq = 0
let timer: NodeJS.Timeout | undefined
pubsub?.addEventListener('message', () => { received++ })
pubsub?.subscribe(Topic.services)
print({ event: 'ready', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

const announce = async (): Promise<void> => {
  const data = encodeAnnouncement({ peerId: node.peerId.toString(), seq: 2 ** 32 + ++seq, lifetimeMs: 90_000, roles: ['monitor'] })
  await pubsub?.publish(Topic.services, data)
  published++
}

createInterface({ input: process.stdin }).on('line', (text) => {
  void (async () => {
    let c: Command = {}
    try {
      c = JSON.parse(text) as Command
      if (c.cmd === 'dial') {
        await node.dial(multiaddr(c.addr ?? ''))
        print({ event: 'result', id: c.id, ok: true })
      } else if (c.cmd === 'announce') {
        clearInterval(timer)
        timer = setInterval(() => { void announce() }, c.everyMs ?? 30_000)
        await announce()
        print({ event: 'result', id: c.id, ok: true })
      } else if (c.cmd === 'stats') {
        print({ event: 'result', id: c.id, ok: true, published, received, peers: pubsub?.getSubscribers(Topic.services).length ?? 0 })
      } else {
        print({ event: 'result', id: c.id, ok: false, error: `unknown command ${String(c.cmd)}` })
      }
    } catch (err) {
      print({ event: 'result', id: c.id, ok: false, error: err instanceof Error ? err.message : String(err) })
    }
  })()
})

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    clearInterval(timer)
    void (async () => { await node.stop(); process.exit(0) })()
  })
}
