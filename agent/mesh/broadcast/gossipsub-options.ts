/**
 * How gossipsub is set up for a mesh of routers rather than for the public internet. The mesh
 * degree stays at gossipsub's defaults (D 6, Dlo 4, Dhi 12): a box in a line or grid has fewer
 * neighbours than Dlo, so every neighbour subscribed to a topic is in its mesh and every
 * message crosses every link once, hop after hop. Bounds are in README.md.
 */
import { StrictSign, type GossipsubOpts } from '@libp2p/gossipsub'
import type { Config } from '../../config/schema.js'
import { TOPICS } from './topics.js'

/** Room for the protobuf envelope (signature, key, seqno, topic) and piggybacked control messages. */
const RPC_OVERHEAD_BYTES = 256 * 1024
/** An IWANT answer can carry several full messages in one RPC; a few is what our topics see. */
const MESSAGES_PER_RPC = 4
const MAX_OUTBOUND_BUFFER_BYTES = 4 * 1024 * 1024

export function gossipsubOptions (b: Config['mesh']['broadcast']): Partial<GossipsubOpts> {
  return {
    // Every message carries its origin's libp2p key and signature; unsigned ones are dropped.
    globalSignaturePolicy: StrictSign,
    // Only the topics in our registry: peers cannot make us keep state for any other.
    allowedTopics: [...TOPICS],
    maxTopicBytesPerPeer: 16 * 1024,
    // A box alone (or before its neighbours subscribe) must still be able to publish.
    allowPublishToZeroTopicPeers: true,
    // A relayed link may be all that joins two parts of the mesh.
    runOnLimitedConnection: true,
    fallbackToFloodsub: false,
    heartbeatInterval: b.heartbeatIntervalMs,
    maxInboundDataLength: MESSAGES_PER_RPC * b.maxMessageBytes + RPC_OVERHEAD_BYTES,
    maxOutboundBufferSize: MAX_OUTBOUND_BUFFER_BYTES,
    maxInboundStreams: 4,
    maxOutboundStreams: 4,
    decodeRpcLimits: {
      maxSubscriptions: 64,
      maxMessages: 256,
      maxIhaveMessageIDs: 5_000,
      maxIwantMessageIDs: 5_000,
      maxIdontwantMessageIDs: 512,
      maxControlMessages: 64,
      maxPeerInfos: 16
    },
    // Every relayed link shows the relay's address, so "many peers on one IP" means nothing here.
    scoreParams: { IPColocationFactorWeight: 0 }
  }
}
