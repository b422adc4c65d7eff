/**
 * Header sync from a real node: anvil (test/helpers/anvil.ts: chain id 20180430, Byzantium
 * headers, one block a second) and an agent started with `--chain dev --chain-rpc <anvil>`, both
 * in one private namespace on 127.0.0.1:
 *   - the agent verifies anvil's chain from the first block it trusts, and its head hash equals
 *     anvil's block hash at that number; after `anvil_mine` 500 it catches up;
 *   - `GET /api/v1/chain` shows the verified counts and the upstream row, `/api/v1/chain/headers/:id`
 *     serves verified headers, `meshbox chain` prints the same;
 *   - a reorg (evm_snapshot, mine, evm_revert, mine a longer branch) is followed: `Chain reorg`
 *     with its depth, and the head is anvil's again;
 *   - after a restart the stored chain is kept.
 * Root only; skipped otherwise.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { startAnvil, type Anvil } from '../helpers/anvil.js'
import { AgentSet, availability, runCli, skipUnlessNetns } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'

interface ChainStatus {
  preset: string
  chainId: number
  anchor: { number: number, hash: string, kind: string, known: boolean }
  head: { number: number, hash: string, from: string, ageMs: number } | null
  syncing: boolean
  verified: { total: number, fromUpstream: number, fromMesh: number }
  reorgs: { count: number, last: { depth: number } | null }
  lastFailure: unknown
  upstream: Array<{ url: string, healthy: boolean, admitted: boolean | null, latencyMs: number | null, head: number | null, failures: number, demotedUntil: number | null }>
  uplink: boolean
}

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0']

describe('chain sync from anvil', { timeout: 120_000 }, () => {
  let lab: NetnsLab | undefined
  let anvil: Anvil
  let agent: AgentProcess
  let ns: string
  const agents = new AgentSet()
  const chainOf = async (a: AgentProcess = agent): Promise<ChainStatus> => (await a.api<ChainStatus>('GET', '/api/v1/chain')).body
  const reaches = async (n: bigint, a: AgentProcess = agent, timeoutMs = 20_000): Promise<ChainStatus> => {
    let last: ChainStatus | undefined
    await a.until(async () => { last = await chainOf(a); return (last.head?.number ?? -1) >= Number(n) }, timeoutMs, `head ${n} (last: ${JSON.stringify(last?.head)})`)
    return last as ChainStatus
  }
  const sameAsAnvil = async (st: ChainStatus): Promise<void> => {
    const h = st.head
    assert.ok(h !== null)
    assert.equal(h.hash, (await anvil.block(BigInt(h.number))).hash, `head ${h.number} is anvil's block`)
  }

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    ns = await lab.addNamespace('chainsync')
    anvil = await startAnvil({ lab, ns })
    agent = await agents.start({ name: 'a', netns: ns, args: [...LISTEN, '--chain', 'dev', '--chain-rpc', anvil.url] })
  })

  after(async () => {
    await agents.stopAll()
    await anvil?.stop()
    await lab?.cleanup()
  })

  it('behavior: syncs to anvil\'s head and catches up after anvil_mine 500', async (t) => {
    if (skipUnlessNetns(t)) return
    const first = await reaches(await anvil.blockNumber())
    await sameAsAnvil(first)
    assert.equal(first.anchor.kind, 'first-upstream')
    assert.equal(first.anchor.number, 1)
    assert.equal(first.anchor.hash, (await anvil.block(1n)).hash)
    const t0 = Date.now()
    await anvil.mine(500)
    const target = await anvil.blockNumber()
    const st = await reaches(target)
    t.diagnostic(`caught up ${Number(target) - first.head!.number} blocks in ${Date.now() - t0} ms`)
    await sameAsAnvil(st)
    assert.ok(agent.logs.some(l => l.msg === 'Chain anchor taken from upstream'))
    assert.equal(agent.logs.filter(l => l.level === 'warn' && l.module?.startsWith('chain') === true && l.msg !== 'Chain anchor taken from upstream').length, 0,
      JSON.stringify(agent.logs.filter(l => l.level === 'warn')))
  })

  it('behavior: the status shows verified counts and the upstream row; verified headers are served', async (t) => {
    if (skipUnlessNetns(t)) return
    const st = await chainOf()
    t.diagnostic(JSON.stringify({ head: st.head, verified: st.verified, upstream: st.upstream }))
    assert.equal(st.preset, 'dev')
    assert.equal(st.chainId, 20180430)
    assert.ok(st.verified.fromUpstream >= 500)
    assert.equal(st.verified.fromMesh, 0)
    assert.equal(st.head?.from, 'upstream')
    assert.equal(st.uplink, true)
    assert.equal(st.upstream.length, 1)
    const row = st.upstream[0]
    assert.equal(row?.url, anvil.url + '/')
    assert.equal(row?.healthy, true)
    assert.equal(row?.admitted, true)
    assert.equal(row?.failures, 0)
    assert.equal(row?.demotedUntil, null)
    assert.ok(typeof row?.latencyMs === 'number' && typeof row.head === 'number')

    const n = BigInt(st.head?.number ?? 0) - 10n
    const byNumber = await agent.api<{ number: number, hash: string, canonical: boolean, header: { hash: string, stateRoot: string } }>('GET', `/api/v1/chain/headers/${n}`)
    const expected = await anvil.block(n)
    assert.equal(byNumber.status, 200)
    assert.deepEqual([byNumber.body.hash, byNumber.body.canonical, byNumber.body.header.stateRoot], [expected.hash, true, expected.stateRoot])
    const byHash = await agent.api<{ number: number }>('GET', `/api/v1/chain/headers/${expected.hash}`)
    assert.equal(byHash.body.number, Number(n))
    assert.equal((await agent.api('GET', '/api/v1/chain/headers/nope')).status, 400)
    const unknown = await agent.api<{ error: { code: string } }>('GET', '/api/v1/chain/headers/99999999')
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'CHAIN_HEADER_UNKNOWN'])

    const port = new URL(agent.httpUrl).port
    const cli = await runCli(['chain', '--http-port', port], { netns: ns })
    assert.equal(cli.code, 0, cli.stderr)
    assert.match(cli.stdout, /^chain: dev \(chain id 20180430, seal engine none\)/)
    assert.match(cli.stdout, /head: \d+ 0x[0-9a-f]{64}, block \d+s old, verified from upstream/)
    assert.match(cli.stdout, /uplink: yes/)
    assert.ok(cli.stdout.includes(anvil.url + '/'))
  })

  it('behavior: a reorg on anvil (snapshot, revert, a longer branch) is followed and logged with its depth', async (t) => {
    if (skipUnlessNetns(t)) return
    const base = await anvil.blockNumber()
    const snap = await anvil.snapshot()
    await anvil.mine(3)
    const oldTip = await anvil.blockNumber()
    const oldHash = (await anvil.block(oldTip)).hash
    await reaches(oldTip)
    assert.equal(await anvil.revert(snap), true)
    // Same parent, same timestamp, no transactions: anvil would rebuild the very same blocks.
    const parent = await anvil.block('latest')
    await anvil.rpc('evm_setNextBlockTimestamp', ['0x' + (BigInt(parent.timestamp) + 5n).toString(16)])
    await anvil.mine(12)
    const target = await anvil.blockNumber()
    assert.notEqual((await anvil.block(oldTip)).hash, oldHash, 'anvil is on another branch now')
    const st = await reaches(target)
    await sameAsAnvil(st)
    const reorg = await agent.waitForLog(l => l.msg === 'Chain reorg', 10_000, 'Chain reorg')
    t.diagnostic(JSON.stringify(reorg.ctx))
    assert.ok(Number(reorg.ctx?.depth) >= Number(oldTip - base), `depth ${String(reorg.ctx?.depth)}`)
    assert.ok(Number(reorg.ctx?.ancestor) >= Number(base) - 1 && Number(reorg.ctx?.ancestor) <= Number(base) + 1)
    assert.equal(reorg.ctx?.oldHash !== undefined, true)
    assert.ok(st.reorgs.count >= 1)
    assert.ok(agent.logs.some(l => l.msg === 'Chain fork found'))
    const upstream = (await chainOf()).upstream[0]
    assert.equal(upstream?.demotedUntil, null, 'a reorg is not a lie')
  })

  it('behavior: the chain is kept across a restart', async (t) => {
    if (skipUnlessNetns(t)) return
    const before = await chainOf()
    await agent.stop()
    agent = await agents.start({ name: 'a2', netns: ns, dataDir: agent.dataDir, args: [...LISTEN, '--chain', 'dev', '--chain-rpc', anvil.url] })
    const started = await agent.waitForLog(l => l.msg === 'Chain sync started', 5_000, 'Chain sync started')
    assert.ok(Number(started.ctx?.head) >= (before.head?.number ?? Infinity), 'the stored head is loaded')
    const st = await reaches(await anvil.blockNumber())
    await sameAsAnvil(st)
    assert.equal(st.anchor.hash, before.anchor.hash, 'the anchor learned on the first start is kept')
    assert.ok(!agent.logs.some(l => l.msg === 'Chain store reset'))
  })
})
