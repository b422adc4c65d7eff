/**
 * An upstream that lies about one header, in front of a real anvil (test/helpers/rpc-proxy.ts),
 * next to an honest but slower source; all in one private namespace with the agents:
 *   - `rehash`: block 40 with gasUsed over gasLimit and a hash recomputed to match → the agent
 *     refuses it by the `gas-used` rule, logs it, demotes that source, and keeps syncing from
 *     the honest one up to anvil's head;
 *   - `field`: block 40 with an altered stateRoot under the original hash → refused because the
 *     hash does not match the fields, same outcome.
 * The liar answers faster, so it is the preferred source until it lies; anvil mines nothing on
 * its own here, so both report the same head. Root only.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AgentProcess } from '../helpers/agent-process.js'
import { startAnvil, type Anvil } from '../helpers/anvil.js'
import { AgentSet, availability, skipUnlessNetns } from '../helpers/live-agents.js'
import { createNetnsLab, type NetnsLab } from '../helpers/netns.js'
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy.js'

interface Row { url: string, healthy: boolean, demotedUntil: number | null, lastError: string | null, demotions: number }
interface ChainStatus { head: { number: number, hash: string } | null, lastFailure: { rule: string | null, number: number | null, message: string, source: string } | null, upstream: Row[], refused: number }

const LIE_AT = 40
const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0']

describe('chain sync against a lying upstream', { timeout: 120_000 }, () => {
  let lab: NetnsLab | undefined
  let anvil: Anvil
  let ns: string
  const proxies: RpcProxy[] = []
  const agents = new AgentSet()

  before(async () => {
    if (availability !== true) return
    lab = createNetnsLab()
    ns = await lab.addNamespace('chainliar')
    // No interval mining: both sources report the same head, so the faster liar ranks first
    // (a source one block behind would cost it more than its 150 ms of extra latency).
    anvil = await startAnvil({ lab, ns, blockTimeS: null })
    await anvil.mine(LIE_AT + 20)
  })

  after(async () => {
    await agents.stopAll()
    for (const p of proxies) await p.stop()
    await anvil?.stop()
    await lab?.cleanup()
  })

  const scenario = async (mode: 'rehash' | 'field'): Promise<{ agent: AgentProcess, liar: RpcProxy, honest: RpcProxy, st: ChainStatus }> => {
    const l = lab as NetnsLab
    const liar = await startRpcProxy({ lab: l, ns, target: anvil.url, block: LIE_AT, mode })
    const honest = await startRpcProxy({ lab: l, ns, target: anvil.url, mode: 'none', delayMs: 150 })
    proxies.push(liar, honest)
    const agent = await agents.start({ name: mode, netns: ns, args: [...LISTEN, '--chain', 'dev', '--chain-rpc', liar.url, '--chain-rpc', honest.url] })
    const target = await anvil.blockNumber()
    let st: ChainStatus | undefined
    await agent.until(async () => {
      st = (await agent.api<ChainStatus>('GET', '/api/v1/chain')).body
      return (st.head?.number ?? 0) >= Number(target)
    }, 30_000, `head ${target} (last: ${JSON.stringify(st)})`)
    return { agent, liar, honest, st: st as ChainStatus }
  }

  const checkOutcome = async (agent: AgentProcess, liar: RpcProxy, honest: RpcProxy, st: ChainStatus, rule: string, reason: RegExp): Promise<void> => {
    await liar.out.waitFor(e => e.event === 'lied', 1_000, 'the proxy lied')
    assert.equal(st.head?.hash, (await anvil.block(BigInt(st.head?.number ?? 0))).hash, 'the head is anvil\'s (from the honest source)')
    const refused = agent.logs.find(l => l.msg === 'Chain headers refused')
    assert.ok(refused !== undefined, 'the refusal is logged')
    assert.equal(refused.ctx?.rule, rule)
    assert.match(String(refused.ctx?.reason), reason)
    assert.equal(refused.ctx?.source, liar.url + '/')
    const demoted = agent.logs.find(l => l.msg === 'Upstream source demoted')
    assert.equal(demoted?.ctx?.source, liar.url + '/')
    assert.match(String(demoted?.ctx?.reason), reason)
    const [liarRow, honestRow] = st.upstream
    assert.equal(liarRow?.url, liar.url + '/')
    assert.equal(liarRow?.healthy, false)
    assert.ok((liarRow?.demotedUntil ?? 0) > Date.now() + 60_000, 'banned for chain.demoteMs (10 min)')
    assert.match(liarRow?.lastError ?? '', reason)
    assert.equal(honestRow?.healthy, true)
    assert.equal(honestRow?.demotions, 0)
    assert.equal(st.lastFailure?.rule, rule)
    assert.equal(st.lastFailure?.source, liar.url + '/')
    assert.ok(st.refused >= 1)
    assert.ok(!agent.logs.some(l => l.msg === 'Upstream source demoted' && l.ctx?.source === honest.url + '/'))
  }

  it('behavior: a self-consistent header that breaks a rule (gas-used) is refused and its source demoted; sync goes on from the honest one', async (t) => {
    if (skipUnlessNetns(t)) return
    const { agent, liar, honest, st } = await scenario('rehash')
    t.diagnostic(JSON.stringify(st.lastFailure))
    await checkOutcome(agent, liar, honest, st, 'gas-used', new RegExp(`header ${LIE_AT}: gasUsed \\d+ exceeds gasLimit`))
  })

  it('behavior: a header whose hash does not match its fields (stateRoot altered) is refused and its source demoted', async (t) => {
    if (skipUnlessNetns(t)) return
    const { agent, liar, honest, st } = await scenario('field')
    t.diagnostic(JSON.stringify(st.lastFailure))
    await checkOutcome(agent, liar, honest, st, 'hash', new RegExp(`block ${LIE_AT}: block object: hash: the source says 0x[0-9a-f]{64} but the fields hash to`))
  })
})
