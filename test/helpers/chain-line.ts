/**
 * A line of three boxes for the chain tests over the mesh (netns/chain-mesh.test.ts,
 * netns/chain-phone.test.ts):
 *
 *   anvil ── n0 ─── n1 ─── n2      only n0 has `--chain-rpc` (anvil runs in n0's namespace)
 *
 * Every box gets the same checkpoint, anvil's block 1: the dev chain has no fixed genesis, and a
 * box without an upstream can only trust a checkpoint it is given.
 */
import type { AgentProcess } from './agent-process.js'
import { startAnvil, type Anvil } from './anvil.js'
import type { AgentSet } from './live-agents.js'
import type { NetnsLab } from './netns.js'
import { buildGraph, line, type Graph } from './topologies.js'

export interface ChainLineInit {
  /** Blocks anvil mines before the boxes start. */
  mine: number
  /** Each box's flags (n0's `--chain-rpc` is added here). */
  args: (node: string) => string[]
}

/** Builds the line, starts anvil and the three agents (recorded in `box` by node name). */
export async function startChainLine (c: { lab: NetnsLab, agents: AgentSet, box: Map<string, AgentProcess> }, init: ChainLineInit): Promise<{ graph: Graph, anvil: Anvil }> {
  const spec = line(3)
  const graph = await buildGraph(c.lab, spec.nodes, spec.edges)
  const anvil = await startAnvil({ lab: c.lab, ns: graph.ns('n0') })
  await anvil.mine(init.mine)
  const env = { MESHBOX_CHAIN_CHECKPOINT_NUMBER: '1', MESHBOX_CHAIN_CHECKPOINT_HASH: (await anvil.block(1n)).hash }
  await Promise.all(spec.nodes.map(async n => {
    const args = [...init.args(n), ...(n === 'n0' ? ['--chain-rpc', anvil.url] : [])]
    c.box.set(n, await c.agents.start({ name: n, netns: graph.ns(n), env, args }))
  }))
  return { graph, anvil }
}
