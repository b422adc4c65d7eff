/**
 * The common part of the hostile gossipsub runners (hostile-broadcast-runner.ts,
 * hostile-headers-runner.ts): a plain libp2p node with gossipsub that dials the agent under test,
 * joins one topic and reports what it does as JSON lines on stdout ({"event":"started"},
 * {"event":"subscribed"}, {"event":"sent"}, {"event":"done"}); SIGTERM stops it. Each message it
 * publishes is correctly signed with its own key, so only the content can be wrong.
 */
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

export const print = (line: Record<string, unknown>): void => { process.stdout.write(JSON.stringify({ ...line, t: Date.now() }) + '\n') }
export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export interface GossipPeer {
  pubsub: GossipSub
  /** This node's peer id. */
  self: string
  /** Publishes on the topic, prints a "sent" line (with `extra`), then leaves the agent 300 ms. */
  send: (what: string, data: Uint8Array, extra?: Record<string, unknown>) => Promise<void>
  /** Waits for the last messages to be handled and prints "done". */
  finish: () => Promise<void>
}

/** Starts the node, dials `target` (a multiaddr with /p2p/), subscribes to `topic` and waits for the agent there (10 s at most). */
export async function startGossipPeer (target: string, topic: string): Promise<GossipPeer> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, fallbackToFloodsub: false }) }
  })
  process.on('SIGTERM', () => {
    void (async () => { await node.stop(); process.exit(0) })()
  })
  const self = node.peerId.toString()
  const pubsub = node.services.pubsub
  print({ event: 'started', peerId: self })
  await node.dial(multiaddr(target))
  pubsub.subscribe(topic)
  for (let i = 0; i < 100 && pubsub.getSubscribers(topic).length === 0; i++) await sleep(100)
  print({ event: 'subscribed', peers: pubsub.getSubscribers(topic).length })
  return {
    pubsub,
    self,
    async send (what, data, extra = {}) {
      await pubsub.publish(topic, data)
      print({ event: 'sent', what, bytes: data.byteLength, ...extra })
      await sleep(300)
    },
    async finish () {
      await sleep(500)
      print({ event: 'done' })
    }
  }
}
