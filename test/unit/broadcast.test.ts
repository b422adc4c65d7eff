import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { createBroadcast, Topic, type BroadcastMessage } from '../../agent/mesh/broadcast/index.js'
import { gossipsubOptions } from '../../agent/mesh/broadcast/gossipsub-options.js'
import { isKnownTopic, TOPICS } from '../../agent/mesh/broadcast/topics.js'
import { createLogger } from '../../agent/log/logger.js'
import { FakePubSub, newPeerId } from '../helpers/fake-pubsub.js'

function setup (maxMessageBytes = 1024) {
  const lines: Array<{ level: string, msg: string, ctx?: Record<string, unknown> }> = []
  const logger = createLogger({ level: 'debug', write: l => { lines.push(JSON.parse(l) as { level: string, msg: string }) } })
  const pubsub = new FakePubSub()
  const broadcast = createBroadcast({ pubsub: pubsub.asPubSub(), logger }, { maxMessageBytes })
  const got: BroadcastMessage[] = []
  const warnings = (): Array<Record<string, unknown> | undefined> => lines.filter(l => l.level === 'warn' && l.msg === 'Broadcast message rejected').map(l => l.ctx)
  return { lines, pubsub, broadcast, got, warnings, handler: (m: BroadcastMessage) => { got.push(m) } }
}
const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(7)
const counters = (b: ReturnType<typeof setup>['broadcast'], topic: string) => b.topics().find(t => t.topic === topic)

describe('broadcast topics', () => {
  it('default: the registry holds /meshbox/<name>/<version> topics and gossipsub allows exactly those', () => {
    assert.deepEqual([...TOPICS].sort(), ['/meshbox/headers/1', '/meshbox/services/1', '/meshbox/txs/1'])
    assert.ok(TOPICS.every(isKnownTopic))
    assert.equal(isKnownTopic('/meshbox/other/1'), false)
    assert.equal(isKnownTopic('/meshbox/Headers/1'), false)
    const opts = gossipsubOptions({ maxMessageBytes: 65_536, heartbeatIntervalMs: 1_000 })
    assert.deepEqual(opts.allowedTopics, [...TOPICS])
    assert.equal(opts.globalSignaturePolicy, 'StrictSign')
    assert.equal(opts.runOnLimitedConnection, true)
    assert.equal(opts.allowPublishToZeroTopicPeers, true)
    assert.ok((opts.maxInboundDataLength ?? Infinity) < 1024 * 1024, 'an inbound RPC is bounded well under the 4 MB default')
  })

  it('behavior: a subscription joins gossipsub only while started, and validators exist only while started', async () => {
    const { pubsub, broadcast, handler } = setup()
    broadcast.subscribe(Topic.txs, handler)
    assert.equal(pubsub.subscriptions.size, 0)
    await broadcast.start()
    await broadcast.start()
    assert.deepEqual([...pubsub.subscriptions], [Topic.txs])
    assert.deepEqual([...pubsub.topicValidators.keys()].sort(), [...TOPICS].sort())
    await broadcast.stop()
    await broadcast.stop()
    assert.equal(pubsub.subscriptions.size, 0)
    assert.equal(pubsub.topicValidators.size, 0)
    await broadcast.start()
    assert.deepEqual([...pubsub.subscriptions], [Topic.txs], 'subscribed again after a restart')
    broadcast.unsubscribe(Topic.txs, handler)
    assert.equal(pubsub.subscriptions.size, 0, 'the last handler gone: no longer relayed')
  })

  it('behavior: an accepted message reaches every handler with origin, neighbour and data, and is counted', async () => {
    const { pubsub, broadcast, got, handler } = setup()
    const other: BroadcastMessage[] = []
    broadcast.subscribe(Topic.txs, handler)
    broadcast.subscribe(Topic.txs, m => { other.push(m) })
    await broadcast.start()
    const [origin, via] = [await newPeerId(), await newPeerId()]
    assert.equal(await pubsub.deliver(Topic.txs, origin, bytes(10), via), TopicValidatorResult.Accept)
    assert.equal(got.length, 1)
    assert.equal(other.length, 1)
    assert.equal(got[0]?.from, origin.toString())
    assert.equal(got[0]?.via, via.toString())
    assert.equal(got[0]?.topic, Topic.txs)
    assert.deepEqual(got[0]?.data, bytes(10))
    assert.deepEqual(counters(broadcast, Topic.txs), { topic: Topic.txs, subscribed: true, maxMessageBytes: 1024, peers: 0, published: 0, received: 1, rejected: 0, ignored: 0 })
  })

  it('behavior: messages on a topic nobody here subscribed to are ignored, not forwarded', async () => {
    const { pubsub, broadcast } = setup()
    await broadcast.start()
    assert.equal(await pubsub.deliver(Topic.headers, await newPeerId(), bytes(5)), TopicValidatorResult.Ignore)
    assert.equal(await pubsub.deliver('/meshbox/unknown/1', await newPeerId(), bytes(5)), 'not allowed')
    assert.equal(counters(broadcast, Topic.headers)?.ignored, 1)
  })

  it('behavior: validators run in order; ignore drops quietly, reject is counted and warned once per neighbour', async () => {
    const { pubsub, broadcast, got, handler, warnings, lines } = setup()
    broadcast.subscribe(Topic.txs, handler)
    const undo = broadcast.addValidator(Topic.txs, m => m.data[0] === 1 ? 'ignore' : 'accept')
    broadcast.addValidator(Topic.txs, m => m.data[0] === 2 ? { verdict: 'reject', reason: 'not a transaction' } : 'accept')
    await broadcast.start()
    const [p, q] = [await newPeerId(), await newPeerId()]
    assert.equal(await pubsub.deliver(Topic.txs, p, Uint8Array.of(1)), TopicValidatorResult.Ignore)
    assert.equal(await pubsub.deliver(Topic.txs, p, Uint8Array.of(2)), TopicValidatorResult.Reject)
    assert.equal(await pubsub.deliver(Topic.txs, p, Uint8Array.of(2)), TopicValidatorResult.Reject)
    assert.equal(await pubsub.deliver(Topic.txs, q, Uint8Array.of(2)), TopicValidatorResult.Reject)
    assert.equal(got.length, 0)
    assert.deepEqual(warnings().map(w => [w?.from, w?.reason]), [[p.toString(), 'not a transaction'], [q.toString(), 'not a transaction']])
    assert.equal(lines.filter(l => l.level === 'debug' && l.msg === 'Broadcast message rejected').length, 1, 'the repeat went to debug')
    assert.deepEqual([counters(broadcast, Topic.txs)?.ignored, counters(broadcast, Topic.txs)?.rejected], [1, 3])
    undo()
    assert.equal(await pubsub.deliver(Topic.txs, p, Uint8Array.of(1)), TopicValidatorResult.Accept, 'the removed validator no longer runs')
  })

  it('error: a message over the topic bound is rejected before any validator; one warning per neighbour per minute', async () => {
    const { pubsub, broadcast, got, handler, warnings } = setup(1024)
    let validatorRuns = 0
    broadcast.subscribe(Topic.services, handler, { maxMessageBytes: 100 })
    broadcast.addValidator(Topic.services, () => { validatorRuns++; return 'accept' })
    await broadcast.start()
    const p = await newPeerId()
    assert.equal(await pubsub.deliver(Topic.services, p, bytes(100)), TopicValidatorResult.Accept)
    assert.equal(await pubsub.deliver(Topic.services, p, bytes(101)), TopicValidatorResult.Reject)
    assert.equal(await pubsub.deliver(Topic.services, p, bytes(5000)), TopicValidatorResult.Reject)
    assert.equal(validatorRuns, 1)
    assert.equal(got.length, 1)
    assert.deepEqual(warnings().map(w => [w?.reason, w?.bytes]), [['message of 101 bytes exceeds 100', 101]])
    // A thousand fresh signing keys through one neighbour still cost one line.
    const via = await newPeerId()
    for (let i = 0; i < 5; i++) await pubsub.deliver(Topic.services, await newPeerId(), bytes(200), via)
    assert.equal(warnings().length, 2)
    assert.equal(warnings()[1]?.via, via.toString())
    assert.equal(counters(broadcast, Topic.services)?.maxMessageBytes, 100)
  })

  it('error: a validator that throws drops the message without blaming the peer', async () => {
    const { pubsub, broadcast, lines, handler, got } = setup()
    broadcast.subscribe(Topic.txs, handler)
    broadcast.addValidator(Topic.txs, () => { throw new Error('bug') })
    await broadcast.start()
    assert.equal(await pubsub.deliver(Topic.txs, await newPeerId(), bytes(3)), TopicValidatorResult.Ignore)
    assert.equal(got.length, 0)
    assert.ok(lines.some(l => l.level === 'error' && l.msg === 'Broadcast validator failed'))
  })

  it('behavior: publish goes to gossipsub and is counted; a new subscriber is reported', async () => {
    const { pubsub, broadcast } = setup()
    const joined: string[] = []
    const undo = broadcast.onNewSubscriber(Topic.txs, id => { joined.push(id) })
    await broadcast.start()
    const p = await newPeerId()
    pubsub.subscribers = [p]
    assert.deepEqual(await broadcast.publish(Topic.txs, bytes(4)), { recipients: 1 })
    assert.deepEqual(pubsub.published.map(x => x.topic), [Topic.txs])
    assert.equal(counters(broadcast, Topic.txs)?.published, 1)
    assert.equal(counters(broadcast, Topic.txs)?.peers, 1)
    pubsub.joins(p, Topic.txs)
    pubsub.joins(p, Topic.headers)
    undo()
    pubsub.joins(p, Topic.txs)
    assert.deepEqual(joined, [p.toString()])
  })

  it('error: publishing on an unknown topic, over the bound, or before start throws', async () => {
    const { broadcast } = setup(1024)
    await assert.rejects(broadcast.publish(Topic.txs, bytes(1)), /not started/)
    await broadcast.start()
    // @ts-expect-error: not a registry topic
    await assert.rejects(broadcast.publish('/meshbox/nope/1', bytes(1)), /not in mesh\/broadcast\/topics\.ts/)
    await assert.rejects(broadcast.publish(Topic.txs, bytes(1025)), /1025 bytes exceed the topic's 1024/)
    await assert.rejects(broadcast.publish(Topic.txs, bytes(1), { signal: AbortSignal.abort() }))
  })
})
