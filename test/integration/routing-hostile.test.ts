/**
 * A neighbour that speaks the routing protocol badly: a malformed route rejects its whole update
 * (the well-formed fake route beside it is not learnt), oversized, non-JSON and flooding streams
 * are reset, each with one clear log line, and the agent keeps routing and answering.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { JsonLines } from '../helpers/json-lines.js'
import { AgentSet, availability, skipUnlessNetns } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

const RUNNER = fileURLToPath(new URL('../helpers/hostile-router-runner.ts', import.meta.url))
const POLYFILL = fileURLToPath(new URL('../../agent/polyfills.ts', import.meta.url))
const FAKE = '12D3KooWRimXaHDsm139CahkuEp6LE3eYFp3CKGvBhKQWxvdWfWu'

describe('routing protocol against a hostile neighbour', { timeout: 60_000 }, () => {
  let lab: NetnsLab | undefined
  const agents = new AgentSet()
  let agent: AgentProcess
  let hostile: JsonLines

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    const ns = await lab.addNamespace('hostile')
    await lab.loopbackMulticast(ns)
    agent = await agents.start({ name: 'agent', netns: ns, args: ['--listen', '/ip4/127.0.0.1/tcp/0'] })
    const status = (await agent.api<{ addresses: string[] }>('GET', '/api/v1/status')).body
    const target = status.addresses.find(a => !a.includes('/p2p-circuit')) ?? ''
    hostile = new JsonLines(lab.spawn(ns, process.execPath, ['--import', 'tsx', '--import', POLYFILL, RUNNER, JSON.stringify({ target, fakeDest: FAKE })], { cwd: fileURLToPath(new URL('../..', import.meta.url)) }), 'hostile')
  })

  after(async () => {
    await hostile?.terminate(3_000).catch(() => undefined)
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: bad routing input is rejected, logged, and poisons nothing', async (t) => {
    if (skipUnlessNetns(t)) return
    const started = await hostile.waitFor(e => e.event === 'started', 20_000, 'hostile node started')
    await hostile.waitFor(e => e.event === 'done', 30_000, 'hostile node done')
    const hostileId = String(started.peerId)
    const rejected = (reason: RegExp): Promise<unknown> => agent.waitForLog(l => l.msg === 'Route message rejected' && reason.test(String(l.ctx?.reason)) && l.ctx?.peerId === hostileId, 5_000, `rejection ${String(reason)}`)
    await rejected(/^route 1: destination is not a peer id$/)
    await rejected(/^frame of 10485760 bytes exceeds/)
    await rejected(/^frame is not UTF-8 JSON$/)
    await rejected(/^more than 40 frames per second$/)

    const routes = (await agent.api<Array<{ destination: string }>>('GET', '/api/v1/routes')).body
    assert.ok(routes.some(r => r.destination === hostileId), `the well-formed update was applied: ${JSON.stringify(routes)}`)
    assert.ok(!routes.some(r => r.destination === FAKE), 'the fake route beside the malformed one was not learnt')
    assert.equal((await agent.api('GET', '/api/v1/health')).status, 200)
    assert.ok(agent.running)
    // One warning per distinct problem, not one per frame.
    assert.equal(agent.logs.filter(l => l.msg === 'Route message rejected' && l.level === 'warn').length, 4)
  })
})
