/**
 * A phone on a box with no uplink, two hops from the box that has one:
 *
 *   anvil ── n0 ─e0─ n1 ─e1─ n2 ── phone (ethers v6, in n2's namespace)
 *
 * n0 syncs headers from anvil (dev preset) and announces `chain-uplink`; n1 and n2 have no
 * upstream and follow through `/meshbox/headers/1`. The phone talks only to n2's `/rpc`:
 *   - chain id and block number come from n2's verified headers;
 *   - its balance equals anvil's at the same block, proven (Merkle proof fetched by n0 for n2
 *     over the mesh and checked by n2 against its own verified header);
 *   - a transfer signed on the phone goes into n2's outbox, travels to n0 as a message, is
 *     submitted and mined, and the receipt comes back to the phone through n2.
 * Root only; skipped otherwise.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { AgentProcess } from '../helpers/agent-process.js'
import type { Anvil } from '../helpers/anvil.js'
import { startChainLine } from '../helpers/chain-line.js'
import { AgentSet, availability, skipUnlessNetns } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'
import type { Graph } from '../helpers/topologies.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RUNNER = fileURLToPath(new URL('../helpers/phone-runner.ts', import.meta.url))
/** anvil's first dev account (a published test key, funded on every anvil). */
const PHONE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const PHONE_ADDRESS = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
const PAYEE = '0x000000000000000000000000000000000000dead'
const ARGS = ['--http-host', '127.0.0.1', '--chain', 'dev']

interface Step { step: string, [k: string]: unknown }
interface ChainStatus { head: { number: number, hash: string, from: string } | null, uplink: boolean }

describe('a phone on a box two hops from the uplink: verified reads and a transfer through the mesh', { timeout: 200_000 }, () => {
  let lab: NetnsLab | undefined
  let graph: Graph
  let anvil: Anvil | undefined
  const agents = new AgentSet()
  const box = new Map<string, AgentProcess>()
  let steps: Step[] = []

  const chainOf = async (a: AgentProcess): Promise<ChainStatus> => (await a.api<ChainStatus>('GET', '/api/v1/chain')).body

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    ;({ graph, anvil } = await startChainLine({ lab, agents, box }, { mine: 5, args: () => ARGS }))
  })

  after(async () => {
    await agents.stopAll()
    await anvil?.stop()
    await lab?.cleanup()
  })

  it('behavior: n2 follows anvil\'s chain through the mesh and knows n0 as the nearest uplink', async (t) => {
    if (skipUnlessNetns(t)) return
    const n0 = box.get('n0') as AgentProcess
    const n2 = box.get('n2') as AgentProcess
    await n0.until(async () => (await chainOf(n0)).uplink, 30_000, 'n0 announces chain-uplink')
    const target = Number(await (anvil as Anvil).blockNumber())
    await n2.until(async () => ((await chainOf(n2)).head?.number ?? -1) >= target, 40_000, `n2 reaches block ${target} through the mesh`)
    const head = (await chainOf(n2)).head
    assert.equal(head?.from, 'mesh')
    const block = await (anvil as Anvil).block(BigInt(head?.number ?? 0))
    assert.equal(head?.hash, block.hash, 'n2\'s verified head is anvil\'s block')
    await n2.until(async () => (await n2.api('GET', '/api/v1/services/chain-uplink/nearest')).status === 200, 40_000, 'n2 finds the uplink role')
    const nearest = (await n2.api<{ peerId: string }>('GET', '/api/v1/services/chain-uplink/nearest')).body
    assert.equal(nearest.peerId, n0.peerId)
  })

  it('behavior: the phone reads chain id, block number and a proven balance, and its transfer is mined', async (t) => {
    if (skipUnlessNetns(t)) return
    const n2 = box.get('n2') as AgentProcess
    const child = (lab as NetnsLab).spawn(graph.ns('n2'), process.execPath, ['--import', 'tsx', RUNNER, `${n2.httpUrl}rpc`, PHONE_KEY, PAYEE, '1000000000000000000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    let err = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { text += d })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d })
    await new Promise<void>(resolve => child.once('exit', () => { resolve() }))
    steps = text.trim().split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Step)
    const step = (name: string): Step => {
      const s = steps.find(x => x.step === name)
      assert.ok(s !== undefined, `the phone reached "${name}"; it said:\n${text}\n${err.slice(-2000)}\nn2 log tail:\n${n2.logs.slice(-15).map(l => JSON.stringify(l)).join('\n')}`)
      return s
    }
    assert.equal(step('network').chainId, '20180430')
    assert.ok(Number(step('blockNumber').n) > 0)
    const balance = step('balance')
    const raw = balance.raw as { result: string, meshbox: { verified: string, blockNumber: string } }
    assert.equal(raw.meshbox.verified, 'proof', `balance verified by proof: ${JSON.stringify(raw)}`)
    const atAnvil = await (anvil as Anvil).rpc<string>('eth_getBalance', [PHONE_ADDRESS, raw.meshbox.blockNumber])
    assert.equal(BigInt(raw.result), BigInt(atAnvil), 'the balance equals anvil\'s at the same block')
    const sent = step('sent')
    const receipt = step('receipt')
    assert.equal(receipt.status, 1)
    assert.equal(receipt.hash, sent.hash)
    const mined = await (anvil as Anvil).rpc<{ blockHash: string, from: string }>('eth_getTransactionReceipt', [sent.hash])
    assert.equal(mined.blockHash, receipt.blockHash, 'the receipt the phone got is anvil\'s')
    assert.equal(mined.from.toLowerCase(), PHONE_ADDRESS)
    t.diagnostic(`transfer ${String(sent.hash)} mined in block ${String(receipt.blockNumber)}, receipt back on the phone through n2`)
  })

  it('behavior: the outboxes tell the path: n2 forwarded it to n0, n0 submitted it for n2', async (t) => {
    if (skipUnlessNetns(t)) return
    const sent = steps.find(s => s.step === 'sent')
    if (sent === undefined) { assert.fail('no transaction was sent in the previous test'); return }
    const outbox = async (a: AgentProcess): Promise<Array<Record<string, unknown>>> =>
      ((await a.api<{ result: Array<Record<string, unknown>> }>('POST', '/rpc', { jsonrpc: '2.0', id: 1, method: 'meshbox_outbox', params: [] })).body).result
    const atN2 = (await outbox(box.get('n2') as AgentProcess)).find(r => r.hash === sent.hash)
    const atN0 = (await outbox(box.get('n0') as AgentProcess)).find(r => r.hash === sent.hash)
    assert.equal(atN2?.via, (box.get('n0') as AgentProcess).peerId)
    assert.equal(atN2?.origin, 'local')
    assert.equal(atN0?.origin, (box.get('n2') as AgentProcess).peerId)
    assert.ok(['mined', 'included'].includes(String(atN0?.status)), JSON.stringify(atN0))
  })
})
