/**
 * A peer that broadcasts badly on `/meshbox/services/1` (test/helpers/hostile-broadcast-runner.ts),
 * connected to agent `a`, which has one honest neighbour `b` (both on one private loopback):
 * every bad announcement is rejected by `a` with a log line naming the problem (one warning per
 * neighbour per minute, the rest at debug), none enters a directory or is forwarded to `b`, an
 * older sequence number is ignored, an RPC over gossipsub's frame bound is dropped, and both
 * agents keep answering. The one well-formed announcement reaches `b` through `a`.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { JsonLines } from '../helpers/json-lines.js'
import { AgentSet, availability, skipUnlessNetns, waitNeighbour } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

const RUNNER = fileURLToPath(new URL('../helpers/hostile-broadcast-runner.ts', import.meta.url))
const POLYFILL = fileURLToPath(new URL('../../agent/polyfills.ts', import.meta.url))
const FAKE = '12D3KooWRimXaHDsm139CahkuEp6LE3eYFp3CKGvBhKQWxvdWfWu'
const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0']

interface RoleRow { role: string, providers: Array<{ peerId: string, seq: number | null }> }
interface TopicRow { topic: string, peers: number, received: number, rejected: number, ignored: number }

describe('broadcast against a hostile peer', { timeout: 90_000 }, () => {
  let lab: NetnsLab | undefined
  const agents = new AgentSet()
  let a: AgentProcess
  let b: AgentProcess
  let hostile: JsonLines

  const services = async (x: AgentProcess): Promise<RoleRow[]> => (await x.api<RoleRow[]>('GET', '/api/v1/services')).body
  const topic = async (x: AgentProcess): Promise<TopicRow | undefined> => (await x.api<TopicRow[]>('GET', '/api/v1/broadcast')).body.find(r => r.topic === '/meshbox/services/1')

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    const ns = await lab.addNamespace('bhostile')
    await lab.loopbackMulticast(ns)
    ;[a, b] = await Promise.all([
      agents.start({ name: 'a', netns: ns, args: [...LISTEN, '--log-level', 'debug'] }),
      agents.start({ name: 'b', netns: ns, args: LISTEN })
    ])
    await waitNeighbour(a, b.peerId, n => n.state === 'up', 15_000, 'a sees b')
    await a.until(async () => ((await topic(a))?.peers ?? 0) >= 1, 15_000, 'b listens on the services topic')
    const status = (await a.api<{ addresses: string[] }>('GET', '/api/v1/status')).body
    const target = status.addresses.find(x => !x.includes('/p2p-circuit')) ?? ''
    hostile = new JsonLines(lab.spawn(ns, process.execPath, ['--import', 'tsx', '--import', POLYFILL, RUNNER, JSON.stringify({ target, fakeDest: FAKE })], { cwd: fileURLToPath(new URL('../..', import.meta.url)) }), 'hostile')
  })

  after(async () => {
    await hostile?.terminate(3_000).catch(() => undefined)
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: bad announcements are rejected and logged, poison nothing, and go no further', async (t) => {
    if (skipUnlessNetns(t)) return
    const started = await hostile.waitFor(e => e.event === 'started', 20_000, 'hostile node started')
    const subscribed = await hostile.waitFor(e => e.event === 'subscribed', 20_000, 'hostile subscribed')
    assert.ok(Number(subscribed.peers) >= 1, 'the agent listens on the topic')
    await hostile.waitFor(e => e.event === 'done', 30_000, 'hostile node done')
    const hostileId = String(started.peerId)

    const rejected = async (reason: RegExp): Promise<unknown> => await a.waitForLog(l => l.msg === 'Broadcast message rejected' && reason.test(String(l.ctx?.reason)) && l.ctx?.via === hostileId, 5_000, `rejection ${String(reason)}`)
    await rejected(/^announcement\.peerId is not the signer$/)
    await rejected(/^announcement is not UTF-8 JSON$/)
    await rejected(/^announcement has unknown field "evil"$/)
    await rejected(/^announcement\.roles: role "Uplink Gateway" must match/)
    await rejected(/^message of \d{4} bytes exceeds 2048$/)
    const lines = a.logs.filter(l => l.msg === 'Broadcast message rejected')
    assert.equal(lines.length, 5, JSON.stringify(lines))
    assert.equal(lines.filter(l => l.level === 'warn').length, 1, 'one warning per neighbour per minute; the rest at debug')
    t.diagnostic(`warning: ${JSON.stringify(lines.find(l => l.level === 'warn')?.ctx)}`)

    // The well-formed announcement stands, unchanged by the older one, and reached b through a.
    const expect = JSON.stringify([{ role: 'monitor', providers: [{ peerId: hostileId, seq: 5 }] }])
    const seen = (rows: RoleRow[]): string => JSON.stringify(rows.map(r => ({ role: r.role, providers: r.providers.map(p => ({ peerId: p.peerId, seq: p.seq })) })))
    for (const x of [a, b]) await x.until(async () => seen(await services(x)) === expect, 5_000, `${x.name} lists only the hostile's honest announcement`)
    assert.ok(a.logs.some(l => l.msg === 'Broadcast message ignored' && l.ctx?.reason === 'not newer than the last one seen'), 'the older seq was ignored')

    const [ta, tb] = [await topic(a), await topic(b)]
    t.diagnostic(`a: ${JSON.stringify(ta)}; b: ${JSON.stringify(tb)}`)
    assert.equal(ta?.rejected, 5)
    assert.equal(tb?.rejected, 0, 'a forwarded none of the bad ones')
    // The 600 KiB RPC broke gossipsub's frame bound: a dropped the hostile's stream, b is left.
    assert.equal(ta?.peers, 1, 'the hostile no longer counts as a listener on a')
    assert.equal(b.logs.filter(l => l.msg === 'Broadcast message rejected').length, 0)
    for (const x of [a, b]) {
      assert.equal((await x.api('GET', '/api/v1/health')).status, 200)
      assert.ok(x.running, `${x.name} is running`)
    }
  })
})
