/**
 * Headers over the mesh on a line of three boxes (test/helpers/topologies.ts):
 *
 *   anvil ── n0 ─── n1 ─── n2        n0: --chain-rpc (anvil in n0's namespace); n1, n2: no upstream
 *
 * All three run `--chain dev` with the same checkpoint (anvil's block 1). n0 syncs from anvil and
 * announces each new head on `/meshbox/headers/1`; n1 and n2 have no upstream: they ask the mesh
 * for what they miss (the anchor, 150 earlier headers) and then follow the announcements, each
 * verifying every header itself. Then:
 *   - all three reach the same verified head, equal to anvil's;
 *   - n0 announces `chain-uplink` and n2 finds it as the nearest provider, two hops away;
 *   - a hostile libp2p peer attached to n2 publishes a forged header (gasUsed over the limit), a
 *     header too early and junk: n2 rejects each with the rule in the reason, and no box stores
 *     the forged header.
 * Root only; skipped otherwise.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import type { Anvil } from '../helpers/anvil.js'
import { startChainLine } from '../helpers/chain-line.js'
import { JsonLines } from '../helpers/json-lines.js'
import { AgentSet, availability, skipUnlessNetns } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'
import type { Graph } from '../helpers/topologies.js'

const RUNNER = fileURLToPath(new URL('../helpers/hostile-headers-runner.ts', import.meta.url))
const POLYFILL = fileURLToPath(new URL('../../agent/polyfills.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface ChainStatus {
  head: { number: number, hash: string, from: string } | null
  verified: { total: number, fromUpstream: number, fromMesh: number }
  upstream: unknown[]
  uplink: boolean
  mesh: { announced: number, answered: number, requested: number, received: number, refused: number }
}

describe('line of three boxes: headers over the mesh', { timeout: 150_000 }, () => {
  let lab: NetnsLab | undefined
  let graph: Graph
  let anvil: Anvil
  const agents = new AgentSet()
  const box = new Map<string, AgentProcess>()
  const at = (n: string): AgentProcess => box.get(n) as AgentProcess
  const chainOf = async (a: AgentProcess): Promise<ChainStatus> => (await a.api<ChainStatus>('GET', '/api/v1/chain')).body

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    // n2 at debug level: after the first rejection from a neighbour, the rest of that minute's are debug lines.
    ;({ graph, anvil } = await startChainLine({ lab, agents, box }, { mine: 150, args: n => ['--chain', 'dev', ...(n === 'n2' ? ['--log-level', 'debug'] : [])] }))
  })

  after(async () => {
    await agents.stopAll()
    await anvil?.stop()
    await lab?.cleanup()
  })

  it('behavior: n1 and n2, without upstream, reach the same verified head as n0 through the mesh', async (t) => {
    if (skipUnlessNetns(t)) return
    const t0 = Date.now()
    const target = await anvil.blockNumber() + 3n
    for (const n of ['n0', 'n1', 'n2']) {
      let last: ChainStatus | undefined
      await at(n).until(async () => { last = await chainOf(at(n)); return (last.head?.number ?? 0) >= Number(target) }, 45_000, `${n} reaches ${target} (last: ${JSON.stringify(last)})`)
    }
    t.diagnostic(`all three past block ${target} ${Date.now() - t0} ms after the agents were ready`)
    // Compare one block every box holds (heads move on every second).
    const n = target
    const want = (await anvil.block(n)).hash
    for (const name of ['n0', 'n1', 'n2']) {
      const h = await at(name).api<{ hash: string }>('GET', `/api/v1/chain/headers/${n}`)
      assert.equal(h.body.hash, want, `${name}'s block ${n} is anvil's`)
    }
    const [s0, s1, s2] = await Promise.all(['n0', 'n1', 'n2'].map(async x => await chainOf(at(x))))
    t.diagnostic(JSON.stringify({ n0: s0?.mesh, n1: [s1?.verified, s1?.mesh], n2: [s2?.verified, s2?.mesh] }))
    assert.ok((s0?.verified.fromUpstream ?? 0) >= 150 && s0?.uplink === true && (s0?.mesh.announced ?? 0) > 0)
    for (const s of [s1, s2]) {
      assert.ok(s !== undefined)
      assert.equal(s.upstream.length, 0)
      assert.equal(s.verified.fromUpstream, 0)
      assert.ok(s.verified.fromMesh >= 150, `${s.verified.fromMesh} headers verified from the mesh`)
      assert.equal(s.head?.from, 'mesh')
      assert.equal(s.uplink, false)
    }
    assert.ok((s1?.mesh.requested ?? 0) + (s2?.mesh.requested ?? 0) > 0, 'the late headers were asked for')
  })

  it('behavior: n0 announces chain-uplink and n2 finds it two hops away', async (t) => {
    if (skipUnlessNetns(t)) return
    let last: unknown
    await at('n2').until(async () => {
      const r = await at('n2').api<{ peerId: string, hops: number }>('GET', '/api/v1/services/chain-uplink/nearest')
      last = r.body
      return r.status === 200 && r.body.peerId === at('n0').peerId && r.body.hops === 2
    }, 30_000, `n2 finds n0 as chain-uplink (last: ${JSON.stringify(last)})`)
  })

  it('error: a hostile peer\'s forged header, early header and junk are rejected by n2 and stored nowhere', async (t) => {
    if (skipUnlessNetns(t)) return
    const n2 = at('n2')
    // In sync first, so n2 knows the parent of what the hostile peer forges.
    const synced = await anvil.blockNumber()
    await n2.until(async () => ((await chainOf(n2)).head?.number ?? 0) >= Number(synced), 45_000, `n2 reaches ${synced}`)
    const target = `/ip4/127.0.0.1/tcp/4001/p2p/${n2.peerId}`
    const hostile = new JsonLines(graph.lab.spawn(graph.ns('n2'), process.execPath, ['--import', 'tsx', '--import', POLYFILL, RUNNER, JSON.stringify({ target })], { cwd: ROOT }), 'hostile')
    try {
      const started = await hostile.waitFor(e => e.event === 'started', 20_000, 'hostile started')
      await hostile.waitFor(e => e.event === 'done', 40_000, 'hostile done')
      const hostileId = String(started.peerId)
      const forged = hostile.events.find(e => e.event === 'sent' && e.what === 'forged')
      const rejected = async (reason: RegExp): Promise<void> => {
        await n2.waitForLog(l => l.msg === 'Broadcast message rejected' && l.ctx?.via === hostileId && reason.test(String(l.ctx?.reason)), 5_000, `rejection ${String(reason)}`)
      }
      await rejected(/^gas-used: header \d+: gasUsed \d+ exceeds gasLimit/)
      await rejected(/^timestamp: header \d+: timestamp \d+ is 0 s after the parent's/)
      await rejected(/^headers message: not RLP/)
      for (const name of ['n0', 'n1', 'n2']) {
        const r = await at(name).api<{ error: { code: string } }>('GET', `/api/v1/chain/headers/${String(forged?.hash)}`)
        assert.equal(r.status, 404, `${name} never stored the forged header`)
      }
      const s2 = await chainOf(n2)
      t.diagnostic(`n2 mesh counters: ${JSON.stringify(s2.mesh)}`)
      assert.ok(s2.mesh.refused >= 2)
      // n2 keeps following the real chain.
      const next = await anvil.blockNumber() + 2n
      await n2.until(async () => ((await chainOf(n2)).head?.number ?? 0) >= Number(next), 20_000, `n2 reaches ${next}`)
    } finally {
      await hostile.terminate(3_000).catch(() => undefined)
    }
  })
})
