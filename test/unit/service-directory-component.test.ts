/**
 * The service directory component on the real broadcast component over a stand-in gossipsub
 * (test/helpers/fake-pubsub.ts), with mocked timers: what it announces and when, and what it
 * believes from others.
 */
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { AgentError, ErrorCode } from '../../agent/errors.js'
import { createLogger } from '../../agent/log/logger.js'
import { createBroadcast, Topic } from '../../agent/mesh/broadcast/index.js'
import { createServiceDirectory } from '../../agent/mesh/service-directory/index.js'
import { decodeAnnouncement, encodeAnnouncement, sequenceStart, type Announcement } from '../../agent/mesh/service-directory/announcement.js'
import type { RouteLike } from '../../agent/mesh/service-directory/directory.js'
import { FakePubSub, newPeerId } from '../helpers/fake-pubsub.js'

const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve)) }

async function setup (t: TestContext, roles: string[], starts = 3) {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] })
  let clock = 1_000_000
  const lines: Array<{ level: string, msg: string, ctx?: Record<string, unknown> }> = []
  const logger = createLogger({ level: 'debug', write: l => { lines.push(JSON.parse(l) as { level: string, msg: string }) } })
  const pubsub = new FakePubSub()
  const self = await newPeerId()
  const routes: RouteLike[] = []
  const broadcast = createBroadcast({ pubsub: pubsub.asPubSub(), logger }, { maxMessageBytes: 65_536 })
  const services = createServiceDirectory({ broadcast, routing: { routes: () => routes }, peerId: self.toString(), logger, now: () => clock },
    { roles, announceIntervalMs: 10_000, expireAfterMs: 30_000, starts })
  await broadcast.start()
  await services.start()
  await flush()
  const sent = (): Announcement[] => pubsub.published.filter(p => p.topic === Topic.services).map(p => decodeAnnouncement(p.data) as Announcement)
  const advance = async (ms: number): Promise<void> => { clock += ms; t.mock.timers.tick(ms); await flush() }
  const hear = async (from: PeerId, a: Partial<Announcement>, via?: PeerId): Promise<unknown> =>
    await pubsub.deliver(Topic.services, from, encodeAnnouncement({ peerId: from.toString(), seq: 1, lifetimeMs: 20_000, roles: ['monitor'], ...a }), via)
  const stop = async (): Promise<void> => { await services.stop(); await broadcast.stop() }
  return { pubsub, self, routes, services, lines, sent, advance, hear, stop }
}

describe('service directory component', () => {
  it('default: announces at start and every interval, with growing sequence numbers and our lifetime', async (t) => {
    const s = await setup(t, ['uplink-gateway'], 3)
    assert.equal(s.sent().length, 1)
    assert.deepEqual(s.sent()[0], { peerId: s.self.toString(), seq: sequenceStart(3) + 1, lifetimeMs: 30_000, roles: ['uplink-gateway'] })
    await s.advance(10_000)
    await s.advance(10_000)
    assert.deepEqual(s.sent().map(a => a.seq - sequenceStart(3)), [1, 2, 3])
    await s.stop()
    await s.advance(30_000)
    assert.equal(s.sent().length, 3, 'nothing after stop')
  })

  it('behavior: a neighbour that starts listening hears us soon, once for a burst of joins', async (t) => {
    const s = await setup(t, ['monitor'])
    await s.advance(5_000)
    const [p, q, r] = [await newPeerId(), await newPeerId(), await newPeerId()]
    s.pubsub.joins(p, Topic.services)
    s.pubsub.joins(q, Topic.services)
    await s.advance(100)
    assert.equal(s.sent().length, 1, 'waits a moment for others joining with it')
    await s.advance(200)
    assert.equal(s.sent().length, 2)
    s.pubsub.joins(r, Topic.services)
    await s.advance(300)
    assert.equal(s.sent().length, 2, 'at most one triggered announcement a second')
    await s.advance(800)
    assert.equal(s.sent().length, 3)
    s.pubsub.joins(p, Topic.services)
    await s.advance(1_000)
    assert.equal(s.sent().length, 3, 'a flapping link gets one greeting per announce interval')
    await s.advance(3_000)
    assert.equal(s.sent().length, 4, 'the periodic one at 10 s')
    await s.advance(5_000)
    s.pubsub.joins(p, Topic.services)
    await s.advance(300)
    assert.equal(s.sent().length, 5, 'a greeting again once an interval has passed since the last one')
    await s.stop()
  })

  it('behavior: a box without roles withdraws once at start (and for newcomers) but never repeats', async (t) => {
    const s = await setup(t, [])
    assert.deepEqual(s.sent().map(a => a.roles), [[]])
    await s.advance(60_000)
    assert.equal(s.sent().length, 1)
    s.pubsub.joins(await newPeerId(), Topic.services)
    await s.advance(1_000)
    assert.equal(s.sent().length, 2)
    await s.stop()
  })

  it('behavior: announcements from others build the directory; nearest follows the route metric', async (t) => {
    const s = await setup(t, ['monitor'])
    const [a, b] = [await newPeerId(), await newPeerId()]
    assert.equal(await s.hear(a, { roles: ['uplink-gateway'] }), TopicValidatorResult.Accept)
    assert.equal(await s.hear(b, { roles: ['uplink-gateway', 'monitor'] }), TopicValidatorResult.Accept)
    assert.throws(() => s.services.nearest('uplink-gateway'), (e: unknown) => e instanceof AgentError && e.code === ErrorCode.SERVICE_NOT_FOUND && /2 known, none with a route/.test(e.message))
    s.routes.push({ destination: a.toString(), nextHop: 'x', metric: 900, hops: 3 }, { destination: b.toString(), nextHop: 'y', metric: 400, hops: 2 })
    assert.equal(s.services.nearest('uplink-gateway').peerId, b.toString())
    assert.equal(s.services.nearest('monitor').peerId, s.self.toString(), 'this box itself, metric 0')
    assert.deepEqual(s.services.list().map(r => [r.role, r.providers.length]), [['monitor', 2], ['uplink-gateway', 2]])
    assert.ok(s.lines.some(l => l.msg === 'Service provider changed' && l.ctx?.peerId === a.toString() && l.ctx?.change === 'added'))
    await s.stop()
  })

  it('behavior: replays and older sequence numbers are ignored (not forwarded), newer ones applied', async (t) => {
    const s = await setup(t, [])
    const a = await newPeerId()
    assert.equal(await s.hear(a, { seq: 10, roles: ['monitor'] }), TopicValidatorResult.Accept)
    assert.equal(await s.hear(a, { seq: 10, roles: ['uplink-gateway'] }), TopicValidatorResult.Ignore)
    assert.equal(await s.hear(a, { seq: 9, roles: [] }), TopicValidatorResult.Ignore)
    assert.deepEqual(s.services.list().map(r => r.role), ['monitor'])
    assert.equal(await s.hear(a, { seq: 11, roles: ['uplink-gateway'] }), TopicValidatorResult.Accept)
    assert.deepEqual(s.services.list().map(r => r.role), ['uplink-gateway'])
    assert.equal(await s.hear(s.self, { seq: 99 }), TopicValidatorResult.Ignore, 'our own announcement coming back')
    await s.stop()
  })

  it('behavior: an entry not refreshed within its lifetime expires, with a log line', async (t) => {
    const s = await setup(t, [])
    const a = await newPeerId()
    await s.hear(a, { lifetimeMs: 20_000 })
    await s.advance(19_000)
    assert.equal(s.services.list().length, 1)
    await s.advance(2_000)
    assert.equal(s.services.list().length, 0)
    assert.ok(s.lines.some(l => l.msg === 'Service provider expired' && l.ctx?.peerId === a.toString()))
    await s.stop()
  })

  it('error: an announcement for another box, or malformed, is rejected with a warning and believed by nobody', async (t) => {
    const s = await setup(t, [])
    const [hostile, victim] = [await newPeerId(), await newPeerId()]
    const forged = encodeAnnouncement({ peerId: victim.toString(), seq: 1, lifetimeMs: 20_000, roles: ['uplink-gateway'] })
    assert.equal(await s.pubsub.deliver(Topic.services, hostile, forged), TopicValidatorResult.Reject)
    assert.equal(await s.pubsub.deliver(Topic.services, hostile, new TextEncoder().encode('{"peerId": 5}'), victim), TopicValidatorResult.Reject)
    assert.equal(await s.pubsub.deliver(Topic.services, hostile, new Uint8Array(3000).fill(32)), TopicValidatorResult.Reject)
    assert.deepEqual(s.services.list(), [])
    const warned = s.lines.filter(l => l.level === 'warn' && l.msg === 'Broadcast message rejected').map(l => l.ctx?.reason)
    assert.deepEqual(warned, ['announcement.peerId is not the signer', 'announcement.peerId is not a peer id'], 'one warning per neighbour: the oversized one from the same neighbour went to debug')
    assert.throws(() => s.services.nearest('Not A Role'), (e: unknown) => e instanceof AgentError && e.code === ErrorCode.HTTP_PARAM_INVALID)
    await s.stop()
  })
})
