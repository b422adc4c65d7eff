/**
 * Mesh-wide broadcast topics over gossipsub (the libp2p service built in ../node.ts). Components
 * subscribe to a topic from the registry (topics.ts) with a handler, add validators, and publish;
 * every message is signed by its origin's libp2p key, checked against the topic's size bound and
 * every validator before it is delivered here or forwarded to anyone, and counted per topic.
 * A box relays exactly the topics it subscribes to. Topics and bounds: README.md.
 *
 * @example
 * const broadcast = createBroadcast({ pubsub: node.services.pubsub, logger }, { maxMessageBytes: 65536 })
 * await broadcast.start()
 * broadcast.addValidator(Topic.txs, (m) => looksLikeTx(m.data) ? 'accept' : 'reject')
 * broadcast.subscribe(Topic.txs, (m) => { queue(m.from, m.data) })
 * await broadcast.publish(Topic.txs, bytes)
 */
import type { GossipSub, GossipSubEvents, Message } from '@libp2p/gossipsub'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { throwIfAborted, type AbortOptions, type Component } from '../../component.js'
import { AgentError, ErrorCode } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { createRejectionLog } from './rejections.js'
import { isKnownTopic, TOPICS, type TopicName } from './topics.js'

export { Topic, type TopicName } from './topics.js'

export interface BroadcastMessage {
  topic: TopicName
  /** Origin peer id: the signer, checked by gossipsub. */
  from: string
  /** The neighbour that passed it on (the origin itself one hop away). */
  via: string
  data: Uint8Array
}

export type Verdict = 'accept' | 'ignore' | 'reject'
/** `ignore`: drop quietly (stale, a duplicate in meaning); `reject`: invalid, logged, never forwarded. */
export type ValidationResult = Verdict | { verdict: 'ignore' | 'reject', reason: string }
export type Validator = (msg: BroadcastMessage) => ValidationResult
export type MessageHandler = (msg: BroadcastMessage) => void

export interface TopicCounters { published: number, received: number, rejected: number, ignored: number }
export interface TopicView extends TopicCounters {
  topic: TopicName
  subscribed: boolean
  maxMessageBytes: number
  /** Neighbours subscribed to the topic. */
  peers: number
}

export type PubSub = Pick<GossipSub, 'subscribe' | 'unsubscribe' | 'publish' | 'topicValidators' | 'getSubscribers' | 'addEventListener' | 'removeEventListener'>

export interface BroadcastComponents { pubsub: PubSub, logger: Logger }
export interface BroadcastInit {
  /** Ceiling for any topic; a subscriber may declare a lower one for its topic. */
  maxMessageBytes: number
}

export interface Broadcast extends Component {
  subscribe: (topic: TopicName, handler: MessageHandler, options?: { maxMessageBytes?: number }) => void
  unsubscribe: (topic: TopicName, handler: MessageHandler) => void
  /** Runs `validator` on every message of `topic` before delivery and forwarding; returns an undo. */
  addValidator: (topic: TopicName, validator: Validator) => () => void
  publish: (topic: TopicName, data: Uint8Array, options?: AbortOptions) => Promise<{ recipients: number }>
  /** Calls `cb` with the peer id of each neighbour that starts listening on `topic`; returns an undo. */
  onNewSubscriber: (topic: TopicName, cb: (peerId: string) => void) => () => void
  topics: () => TopicView[]
}

const WARN_WINDOW_MS = 60_000
const WARN_MAX_KEYS = 1_000

export function createBroadcast (c: BroadcastComponents, init: BroadcastInit): Broadcast {
  const log = c.logger
  const warn = createRejectionLog(log, { windowMs: WARN_WINDOW_MS, maxKeys: WARN_MAX_KEYS })
  const handlers = new Map<TopicName, Set<MessageHandler>>()
  const limits = new Map<TopicName, number>()
  const validators = new Map<TopicName, Validator[]>()
  const joiners = new Map<TopicName, Set<(peerId: string) => void>>()
  const counters = new Map<TopicName, TopicCounters>(TOPICS.map(t => [t, { published: 0, received: 0, rejected: 0, ignored: 0 }]))
  const joined = new Set<TopicName>()
  let started = false

  const known = (topic: string): TopicName => {
    if (!isKnownTopic(topic)) throw new AgentError(ErrorCode.INTERNAL, `broadcast topic ${topic.slice(0, 80)} is not in mesh/broadcast/topics.ts`)
    return topic
  }
  const count = (topic: TopicName): TopicCounters => counters.get(topic) as TopicCounters
  const maxBytes = (topic: TopicName): number => Math.min(init.maxMessageBytes, limits.get(topic) ?? Infinity)

  const join = (topic: TopicName): void => {
    if (!started || joined.has(topic)) return
    c.pubsub.subscribe(topic)
    joined.add(topic)
  }
  const leave = (topic: TopicName): void => {
    if (!joined.delete(topic)) return
    try { c.pubsub.unsubscribe(topic) } catch { /* gossipsub already stopped with the node */ }
  }

  const verdictOf = (topic: TopicName, msg: BroadcastMessage): { verdict: Verdict, reason?: string } => {
    if (!handlers.has(topic)) return { verdict: 'ignore', reason: 'not subscribed here' }
    if (msg.data.byteLength > maxBytes(topic)) return { verdict: 'reject', reason: `message of ${msg.data.byteLength} bytes exceeds ${maxBytes(topic)}` }
    for (const v of validators.get(topic) ?? []) {
      let r: ValidationResult
      try {
        r = v(msg)
      } catch (err) {
        // Our own bug must not count against the peer: drop without forwarding.
        log.error('Broadcast validator failed', { topic, from: msg.from }, err)
        return { verdict: 'ignore', reason: 'validator failed' }
      }
      if (typeof r === 'object') return r
      if (r !== 'accept') return { verdict: r }
    }
    return { verdict: 'accept' }
  }

  const validate = (topic: TopicName) => (via: PeerId, msg: Message): TopicValidatorResult => {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    const m: BroadcastMessage = { topic, from: msg.from.toString(), via: via.toString(), data: msg.data }
    const { verdict, reason } = verdictOf(topic, m)
    if (verdict === 'accept') return TopicValidatorResult.Accept
    if (verdict === 'reject') {
      count(topic).rejected++
      warn('Broadcast message rejected', m.via, { topic, from: m.from, via: m.via, bytes: m.data.byteLength, reason: reason ?? 'rejected by validator' })
      return TopicValidatorResult.Reject
    }
    count(topic).ignored++
    log.debug('Broadcast message ignored', { topic, from: m.from, via: m.via, reason })
    return TopicValidatorResult.Ignore
  }

  const onMessage = (evt: GossipSubEvents['gossipsub:message']): void => {
    const { msg, propagationSource } = evt.detail
    if (msg.type !== 'signed' || !isKnownTopic(msg.topic)) return
    const m: BroadcastMessage = { topic: msg.topic, from: msg.from.toString(), via: propagationSource.toString(), data: msg.data }
    count(m.topic).received++
    for (const h of handlers.get(m.topic) ?? []) {
      try { h(m) } catch (err) { log.error('Broadcast handler failed', { topic: m.topic, from: m.from }, err) }
    }
  }

  const onSubscriptionChange = (evt: GossipSubEvents['subscription-change']): void => {
    for (const s of evt.detail.subscriptions) {
      if (!s.subscribe || !isKnownTopic(s.topic)) continue
      for (const cb of joiners.get(s.topic) ?? []) cb(evt.detail.peerId.toString())
    }
  }

  return {
    name: 'broadcast',
    async start () {
      if (started) return
      started = true
      for (const t of TOPICS) c.pubsub.topicValidators.set(t, validate(t))
      c.pubsub.addEventListener('gossipsub:message', onMessage)
      c.pubsub.addEventListener('subscription-change', onSubscriptionChange)
      for (const t of handlers.keys()) join(t)
    },
    async stop () {
      if (!started) return
      started = false
      for (const t of [...joined]) leave(t)
      c.pubsub.removeEventListener('gossipsub:message', onMessage)
      c.pubsub.removeEventListener('subscription-change', onSubscriptionChange)
      for (const t of TOPICS) c.pubsub.topicValidators.delete(t)
    },
    subscribe (topic, handler, options = {}) {
      const t = known(topic)
      if (options.maxMessageBytes !== undefined) limits.set(t, Math.min(options.maxMessageBytes, limits.get(t) ?? Infinity))
      const set = handlers.get(t) ?? new Set()
      set.add(handler)
      handlers.set(t, set)
      join(t)
    },
    unsubscribe (topic, handler) {
      const set = handlers.get(topic)
      if (set === undefined) return
      set.delete(handler)
      if (set.size > 0) return
      handlers.delete(topic)
      leave(topic)
    },
    addValidator (topic, validator) {
      const t = known(topic)
      validators.set(t, [...(validators.get(t) ?? []), validator])
      return () => { validators.set(t, (validators.get(t) ?? []).filter(v => v !== validator)) }
    },
    async publish (topic, data, options = {}) {
      const t = known(topic)
      throwIfAborted(options.signal)
      if (!started) throw new AgentError(ErrorCode.INTERNAL, 'broadcast is not started')
      if (data.byteLength > maxBytes(t)) {
        throw new AgentError(ErrorCode.INTERNAL, `broadcast on ${t}: ${data.byteLength} bytes exceed the topic's ${maxBytes(t)}`, { data: { topic: t } })
      }
      const { recipients } = await c.pubsub.publish(t, data)
      count(t).published++
      return { recipients: recipients.length }
    },
    onNewSubscriber (topic, cb) {
      const t = known(topic)
      const set = joiners.get(t) ?? new Set()
      set.add(cb)
      joiners.set(t, set)
      return () => { set.delete(cb) }
    },
    topics: () => TOPICS.map(t => ({
      topic: t,
      subscribed: joined.has(t),
      maxMessageBytes: maxBytes(t),
      peers: started ? c.pubsub.getSubscribers(t).length : 0,
      ...count(t)
    }))
  }
}
