/**
 * End-to-end messages with store-and-forward on a line of six boxes (test/helpers/topologies.ts):
 *
 *   n0 ─e0─ n1 ─e1─ n2 ─e2─ n3 ─e3─ n4 ─e4─ n5
 *
 * Each box reaches only its line neighbours, so n0 reaches n5 only through four agents.
 *   - a message n0→n5 is delivered (inbox of n5: text, source, 5 hops) and its receipt comes back;
 *   - partition: e3 is cut; messages sent right away travel up to n3 and wait there (n3 holds
 *     custody), messages sent once the route is gone wait at n0;
 *   - n3's store holds their ids but none of their text (nor does any other box on the way);
 *   - n3 is killed (SIGKILL) and restarted on the same data: it still holds every one;
 *   - the link comes back: every message reaches n5 exactly once, and n0 learns each was delivered.
 * Root only; skipped otherwise. Bounds are generous; nothing is timed for speed.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { AgentSet, availability, runCli, skipUnlessNetns, sleep } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'
import { routesOf, waitForRoutes } from '../helpers/routes.js'
import { buildGraph, line, type Graph } from '../helpers/topologies.js'

const N = 6
const ARGS = ['--http-host', '127.0.0.1']
/** Retries stay short so the heal is seen within seconds. */
const ENV = { MESHBOX_MESH_MESSAGES_RETRY_MAX_MS: '2000', MESHBOX_MESH_MESSAGES_ACK_TIMEOUT_MS: '3000' }

interface Sent { id: string, status: string, held: boolean, dst: string }
interface InboxRow { id: string, src: string, protocol: string, text: string | null, hops: number }
interface Summary { held: { messages: number, receipts: number }, inbox: number, counters: Record<string, number> }

describe('messages on a line of six boxes: 5-hop delivery, custody through a partition and a restart', { timeout: 240_000 }, () => {
  let lab: NetnsLab | undefined
  let graph: Graph
  const agents = new AgentSet()
  const box = new Map<string, AgentProcess>()
  const nodeOf = new Map<string, string>()
  const names = line(N).nodes
  const at = (i: number): AgentProcess => box.get(`n${i}`) as AgentProcess
  const label = (peerId: string): string => nodeOf.get(peerId) ?? peerId
  const run = randomBytes(4).toString('hex')
  /** text of every message sent during the partition, by id */
  const partitioned = new Map<string, string>()

  const send = async (from: AgentProcess, to: AgentProcess, text: string, waitMs: number): Promise<{ status: number, body: Sent }> =>
    await from.api<Sent>('POST', '/api/v1/messages', { peerId: to.peerId, text, waitMs }, waitMs + 15_000)
  const summary = async (a: AgentProcess): Promise<Summary> => (await a.api<Summary>('GET', '/api/v1/messages')).body
  const inbox = async (a: AgentProcess): Promise<InboxRow[]> => (await a.api<InboxRow[]>('GET', '/api/v1/messages/inbox?limit=10000')).body

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    const spec = line(N)
    graph = await buildGraph(lab, spec.nodes, spec.edges)
    const started = await Promise.all(names.map(async n => await agents.start({ name: n, netns: graph.ns(n), args: ARGS, env: ENV })))
    started.forEach((a, i) => { box.set(names[i] as string, a); nodeOf.set(a.peerId, names[i] as string) })
    await waitForRoutes({ graph, names, label, since: Date.now(), boundMs: 40_000, what: 'convergence', agentOf: n => box.get(n) as AgentProcess })
  })

  after(async () => {
    await agents.stopAll()
    await lab?.cleanup()
  })

  it('behavior: a message from n0 reaches n5 over 5 hops and n0 gets its receipt', async (t) => {
    if (skipUnlessNetns(t)) return
    const text = `hello n5 from n0 ${run}`
    const res = await send(at(0), at(5), text, 20_000)
    assert.equal(res.status, 200, `delivered within the wait: ${JSON.stringify(res.body)}`)
    assert.equal(res.body.status, 'delivered')
    const got = (await inbox(at(5))).filter(r => r.id === res.body.id)
    assert.equal(got.length, 1, 'exactly one copy in n5\'s inbox')
    assert.equal(got[0]?.text, text)
    assert.equal(got[0]?.src, at(0).peerId)
    assert.equal(got[0]?.protocol, '/meshbox/note/1')
    assert.equal(got[0]?.hops, 5)
    const later = await at(0).api<Sent>('GET', `/api/v1/messages/${res.body.id}`)
    assert.equal(later.body.status, 'delivered')
    assert.equal(later.body.held, false, 'n0 no longer holds it')
    t.diagnostic(`first message delivered and acknowledged over ${got[0]?.hops} hops`)
  })

  it('behavior: the CLI sends a note n0→n5 and shows it in n5\'s inbox and in n0\'s messages', async (t) => {
    if (skipUnlessNetns(t)) return
    const cli = async (i: number, args: string[]): Promise<string> => {
      const r = await runCli([...args, '--http-port', new URL(at(i).httpUrl).port], { netns: graph.ns(`n${i}`), timeoutMs: 30_000 })
      assert.equal(r.code, 0, `meshbox ${args.join(' ')} exits 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
      return r.stdout
    }
    const text = `cli note ${run}`
    const out = await cli(0, ['send', at(5).peerId, text, '--wait-ms', '9000'])
    const m = /^message ([0-9a-f]{32}) to (\S+): delivered in [\d.]+ ms$/m.exec(out)
    assert.ok(m !== null, `send says delivered:\n${out}`)
    assert.equal(m[2], at(5).peerId)
    const inboxText = await cli(5, ['inbox'])
    assert.ok(inboxText.includes(JSON.stringify(text)) && inboxText.includes(at(0).peerId), `n5's inbox shows the note from n0:\n${inboxText}`)
    const status = JSON.parse(await cli(0, ['messages', m[1] as string, '--json'])) as Sent
    assert.equal(status.status, 'delivered')
    const queued = await cli(0, ['send', at(5).peerId, `queued only ${run}`, '--wait-ms', '0'])
    assert.match(queued, /: queued: not acknowledged yet/)
  })

  it('behavior: during a partition messages wait where the path broke (n3) or at the source (n0)', async (t) => {
    if (skipUnlessNetns(t)) return
    await graph.cutLink(['n3', 'n4'])
    // Right after the cut the routes still point across it (the link is silent, not yet gone):
    // these travel to n3 and wait there.
    const early = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const text = `early ${i} ${run} ${randomBytes(6).toString('hex')}`
      const r = await send(at(0), at(5), text, 0)
      assert.equal(r.status, 202, JSON.stringify(r.body))
      partitioned.set(r.body.id, text)
      return r.body.id
    }))
    await at(3).until(async () => (await summary(at(3))).held.messages >= early.length, 20_000, `n3 holds the ${early.length} early messages`)
    // Once n0 has no route to n5 any more, new messages stay with n0.
    await at(0).until(async () => !(await routesOf(at(0))).some(r => r.destination === at(5).peerId), 30_000, 'n0 loses its route to n5')
    for (let i = 0; i < 6; i++) {
      const text = `late ${i} ${run} ${randomBytes(6).toString('hex')}`
      const r = await send(at(0), at(5), text, 0)
      assert.equal(r.status, 202, JSON.stringify(r.body))
      partitioned.set(r.body.id, text)
    }
    await sleep(1_000)
    const held = await Promise.all([0, 1, 2, 3, 4].map(async i => (await summary(at(i))).held.messages))
    t.diagnostic(`messages held by n0…n4 during the partition: ${held.join(', ')}`)
    assert.equal(held.reduce((a, b) => a + b, 0), partitioned.size, 'every undelivered message is held by exactly one box')
    assert.ok((held[3] ?? 0) >= early.length, 'n3 holds the early ones')
    assert.equal(held[0], partitioned.size - early.length, 'n0 holds the late ones')
    assert.equal((await inbox(at(5))).filter(r => partitioned.has(r.id)).length, 0, 'nothing crossed the cut')
  })

  it('security: the boxes carrying them store ids but no readable text', async (t) => {
    if (skipUnlessNetns(t)) return
    // Any encoding a careless box might keep the payload in.
    const forms = (text: string): string[] => [text, Buffer.from(text).toString('base64'), Buffer.from(text).toString('base64url'), Buffer.from(text).toString('hex')]
    for (const i of [1, 2, 3]) {
      const file = (await readFile(join(at(i).dataDir, 'store.mdb'))).toString('latin1')
      for (const text of partitioned.values()) {
        for (const form of forms(text)) assert.ok(!file.includes(form), `n${i}'s store contains "${text}" as ${form}`)
      }
      if (i === 3) {
        const ids = [...partitioned.keys()].filter(id => file.includes(id))
        assert.ok(ids.length >= 8, `n3's store holds the early ids (found ${ids.length})`)
      }
    }
    // The same search does find what the destination keeps (so it would find a leak): the first message sits in n5's inbox.
    const n5 = (await readFile(join(at(5).dataDir, 'store.mdb'))).toString('latin1')
    assert.ok(forms(`hello n5 from n0 ${run}`).some(f => n5.includes(f)), 'the search finds the delivered text in n5\'s store')
    t.diagnostic('n1…n3 stores hold no text of any message they carried, in any common encoding')
  })

  it('durability: n3 killed with SIGKILL and restarted still holds every message it had', async (t) => {
    if (skipUnlessNetns(t)) return
    const before = (await summary(at(3))).held.messages
    const old = at(3)
    await old.kill()
    const again = await agents.start({ name: 'n3', netns: graph.ns('n3'), dataDir: old.dataDir, args: ARGS, env: ENV })
    assert.equal(again.peerId, old.peerId, 'same identity')
    box.set('n3', again)
    const after = (await summary(again)).held.messages
    assert.equal(after, before, 'held messages after the restart')
    t.diagnostic(`n3 held ${before} before and ${after} after kill -9 and restart`)
  })

  it('behavior: when the link comes back every message reaches n5 exactly once and n0 learns so', async (t) => {
    if (skipUnlessNetns(t)) return
    const healedAt = Date.now()
    await graph.restoreLink(['n3', 'n4'])
    await at(5).until(async () => (await inbox(at(5))).filter(r => partitioned.has(r.id)).length >= partitioned.size, 60_000, `n5 has all ${partitioned.size} partitioned messages`)
    const deliveredMs = Date.now() - healedAt
    const rows = (await inbox(at(5))).filter(r => partitioned.has(r.id))
    assert.equal(rows.length, partitioned.size, 'no duplicates')
    assert.equal(new Set(rows.map(r => r.id)).size, partitioned.size)
    for (const r of rows) {
      assert.equal(r.text, partitioned.get(r.id), `text of ${r.id}`)
      assert.equal(r.src, at(0).peerId)
    }
    await at(0).until(async () => {
      const statuses = await Promise.all([...partitioned.keys()].map(async id => (await at(0).api<Sent>('GET', `/api/v1/messages/${id}`)).body.status))
      return statuses.every(s => s === 'delivered')
    }, 60_000, 'n0 sees every partitioned message delivered')
    // Nothing is left anywhere, and a few more seconds bring no second copy.
    await sleep(3_000)
    assert.equal((await inbox(at(5))).filter(r => partitioned.has(r.id)).length, partitioned.size, 'still exactly once')
    const held = await Promise.all(names.map(async (_, i) => (await summary(at(i))).held))
    assert.deepEqual(held.map(h => h.messages), [0, 0, 0, 0, 0, 0], `nothing held: ${JSON.stringify(held)}`)
    t.diagnostic(`all ${partitioned.size} delivered ${deliveredMs} ms after the heal, each once; receipts back at n0`)
  })
})
