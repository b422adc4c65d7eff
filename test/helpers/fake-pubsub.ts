/**
 * A stand-in for the gossipsub service with the surface broadcast/ uses: it keeps the topic
 * validators gossipsub would run, records subscriptions and publishes, and `deliver()` plays a
 * signed message arriving from a neighbour the way gossipsub does (validator first; delivered
 * only when accepted and subscribed). Signatures are gossipsub's job and not modelled here.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PubSub } from '../../agent/mesh/broadcast/index.js'

export async function newPeerId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

export class FakePubSub extends EventTarget {
  readonly topicValidators = new Map<string, (peer: PeerId, msg: Message) => TopicValidatorResult | Promise<TopicValidatorResult>>()
  readonly subscriptions = new Set<string>()
  readonly published: Array<{ topic: string, data: Uint8Array }> = []
  subscribers: PeerId[] = []
  private seq = 0n

  subscribe (topic: string): void { this.subscriptions.add(topic) }
  unsubscribe (topic: string): void { this.subscriptions.delete(topic) }
  getSubscribers (): PeerId[] { return this.subscribers }

  async publish (topic: string, data?: Uint8Array): Promise<{ recipients: PeerId[] }> {
    this.published.push({ topic, data: data ?? new Uint8Array() })
    return { recipients: this.subscribers }
  }

  /** What gossipsub would decide for a message signed by `from` and passed on by `via`. */
  async deliver (topic: string, from: PeerId, data: Uint8Array, via: PeerId = from): Promise<TopicValidatorResult | 'not allowed'> {
    const msg: Message = { type: 'signed', from, topic, data, sequenceNumber: ++this.seq, signature: new Uint8Array(64), key: from.publicKey as NonNullable<PeerId['publicKey']> }
    const validator = this.topicValidators.get(topic)
    if (validator === undefined) return 'not allowed'
    const result = await validator(via, msg)
    if (result === TopicValidatorResult.Accept && this.subscriptions.has(topic)) {
      this.dispatchEvent(new CustomEvent('gossipsub:message', { detail: { propagationSource: via, msgId: String(this.seq), msg } }))
    }
    return result
  }

  /** A neighbour starts listening on `topic`. */
  joins (peer: PeerId, topic: string): void {
    this.dispatchEvent(new CustomEvent('subscription-change', { detail: { peerId: peer, subscriptions: [{ topic, subscribe: true }] } }))
  }

  asPubSub (): PubSub {
    return this as unknown as PubSub
  }
}
