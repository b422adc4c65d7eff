/**
 * Arbitrary graphs of network namespaces for multi-hop tests, built on a NetnsLab.
 *
 * Every node is a namespace `<prefix>-<node>`; every edge k is its own segment: a bridge `mg<k>`
 * in the lab's switch namespace, the subnet 10.77.<100+k>.0/24 (the first node of the edge is .1,
 * the second .2) and an interface named `e<k>` in each of its two nodes, so both ends of a link
 * share one interface name. Each segment interface carries its own 224.0.0.0/4 route (metrics
 * 10, 20, … per node) so per-interface mDNS can send on it, and ip_forward is 0 everywhere: only
 * the agents can carry anything from one segment to the next. Nothing is made in the root
 * namespace, and the 10.77.100+ subnets never collide with topology.sh's 10.77.1/10.77.2.
 *
 * @example
 * const lab = createNetnsLab()
 * try {
 *   const spec = ring(6)
 *   const g = await buildGraph(lab, spec.nodes, spec.edges)
 *   await g.cutLink(['n1', 'n2']); …; await g.restoreLink(['n1', 'n2'])
 * } finally { await lab.cleanup() }
 */
import type { NetnsLab } from './netns.js'

export interface GraphSpec {
  nodes: string[]
  edges: Array<[string, string]>
}

export interface GraphEdge {
  /** Edge number; the interface is `e<index>` on both ends, the subnet 10.77.<100+index>.0/24. */
  readonly index: number
  readonly a: string
  readonly b: string
  readonly ifname: string
  readonly bridge: string
  readonly subnet: string
  readonly addressA: string
  readonly addressB: string
}

export interface GraphInterface {
  readonly ifname: string
  /** The node at the other end of this segment. */
  readonly peer: string
  readonly address: string
  /** Metric of this interface's 224.0.0.0/4 route. */
  readonly metric: number
  readonly edge: GraphEdge
}

export interface GraphNode {
  readonly name: string
  readonly ns: string
  readonly interfaces: GraphInterface[]
}

/** Node names: short enough that `<node>-e<k>` fits a 15-byte interface name in the switch. */
const NODE = /^[A-Za-z0-9_]{1,10}$/
const FIRST_OCTET = 100
const MAX_EDGES = 255 - FIRST_OCTET + 1

/** Next free edge number per lab, so two graphs in one lab never share a bridge or subnet. */
const nextEdge = new WeakMap<NetnsLab, number>()

export type EdgeRef = readonly [string, string] | GraphEdge

export class Graph {
  readonly lab: NetnsLab
  readonly nodes: ReadonlyMap<string, GraphNode>
  readonly edges: readonly GraphEdge[]
  private readonly cut = new Set<GraphEdge>()

  constructor (lab: NetnsLab, nodes: Map<string, GraphNode>, edges: GraphEdge[]) {
    this.lab = lab
    this.nodes = nodes
    this.edges = edges
  }

  node (name: string): GraphNode {
    const n = this.nodes.get(name)
    if (n === undefined) throw new Error(`no node ${name} in this graph`)
    return n
  }

  /** Full namespace name of a node. */
  ns (name: string): string {
    return this.node(name).ns
  }

  /** The edge between two nodes (either order). */
  edge (ref: EdgeRef): GraphEdge {
    if ('index' in ref) return ref
    const [x, y] = ref
    const e = this.edges.find(e => (e.a === x && e.b === y) || (e.a === y && e.b === x))
    if (e === undefined) throw new Error(`no edge ${x}—${y} in this graph`)
    return e
  }

  /** The interface of `node` that faces `other`. */
  ifaceBetween (node: string, other: string): string {
    return this.edge([node, other]).ifname
  }

  /** Adjacent nodes over links that are not cut. */
  neighboursOf (name: string): string[] {
    return this.node(name).interfaces.filter(i => !this.cut.has(i.edge)).map(i => i.peer)
  }

  isCut (ref: EdgeRef): boolean {
    return this.cut.has(this.edge(ref))
  }

  /** Hop counts from `from` to every node it can reach over links that are not cut (itself = 0). */
  hopCounts (from: string): Map<string, number> {
    const dist = new Map<string, number>([[from, 0]])
    const queue = [from]
    for (let i = 0; i < queue.length; i++) {
      const here = queue[i] as string
      for (const next of this.neighboursOf(here)) {
        if (dist.has(next)) continue
        dist.set(next, (dist.get(here) ?? 0) + 1)
        queue.push(next)
      }
    }
    return dist
  }

  /** Neighbours of `from` that lie on some shortest path to `to` (empty when unreachable). */
  shortestNextHops (from: string, to: string): string[] {
    const toDest = this.hopCounts(to)
    const d = toDest.get(from)
    if (d === undefined || d === 0) return []
    return this.neighboursOf(from).filter(n => toDest.get(n) === d - 1)
  }

  /**
   * Takes both ends of a segment down. Nothing is sent (no FIN, no RST): open TCP connections
   * across it just stop hearing from each other, as when a radio link fails.
   */
  async cutLink (ref: EdgeRef): Promise<void> {
    const e = this.edge(ref)
    this.cut.add(e)
    await Promise.all([e.a, e.b].map(async n => { await this.lab.exec(this.ns(n), 'ip', ['link', 'set', e.ifname, 'down']) }))
  }

  /** Brings both ends up again and restores their multicast routes (link down removed them). */
  async restoreLink (ref: EdgeRef): Promise<void> {
    const e = this.edge(ref)
    await Promise.all([e.a, e.b].map(async n => {
      const iface = this.node(n).interfaces.find(i => i.edge === e)
      if (iface === undefined) throw new Error(`node ${n} has no interface on edge ${e.index}`)
      const ns = this.ns(n)
      await this.lab.exec(ns, 'ip', ['link', 'set', e.ifname, 'up'])
      await this.lab.exec(ns, 'ip', ['route', 'replace', '224.0.0.0/4', 'dev', e.ifname, 'metric', String(iface.metric)])
    }))
    this.cut.delete(e)
  }

  /** `ip -br addr` and `ip route` of every node, for failure messages. */
  async describe (): Promise<string> {
    const parts: string[] = []
    for (const n of this.nodes.values()) {
      const addr = await this.lab.exec(n.ns, 'ip', ['-br', 'addr']).catch((err: unknown) => ({ stdout: String(err) }))
      const route = await this.lab.exec(n.ns, 'ip', ['route', 'show', 'table', 'all', 'type', 'unicast']).catch((err: unknown) => ({ stdout: String(err) }))
      const mcast = await this.lab.exec(n.ns, 'ip', ['route', 'show', '224.0.0.0/4']).catch((err: unknown) => ({ stdout: String(err) }))
      parts.push(`## ${n.name} (${n.ns})\n${addr.stdout}${route.stdout}${mcast.stdout}`)
    }
    return parts.join('\n')
  }
}

/**
 * Creates one namespace per node and one segment per edge (see the file comment). Fails on
 * unknown nodes, self-loops, duplicate edges and more than 156 edges per lab.
 */
export async function buildGraph (lab: NetnsLab, nodes: string[], edges: Array<[string, string]>): Promise<Graph> {
  const names = new Set<string>()
  for (const n of nodes) {
    if (!NODE.test(n) || n === 'sw') throw new Error(`bad node name ${JSON.stringify(n)} (1-10 of [A-Za-z0-9_], not "sw")`)
    if (names.has(n)) throw new Error(`node ${n} listed twice`)
    names.add(n)
  }
  const seen = new Set<string>()
  for (const [x, y] of edges) {
    if (!names.has(x) || !names.has(y)) throw new Error(`edge ${x}—${y} names an unknown node`)
    if (x === y) throw new Error(`edge ${x}—${y} is a loop`)
    const key = [x, y].sort().join('\u0000')
    if (seen.has(key)) throw new Error(`edge ${x}—${y} listed twice`)
    seen.add(key)
  }
  const first = nextEdge.get(lab) ?? 0
  if (first + edges.length > MAX_EDGES) throw new Error(`at most ${MAX_EDGES} edges per lab (10.77.${FIRST_OCTET}-255.0/24)`)
  nextEdge.set(lab, first + edges.length)

  const graphEdges: GraphEdge[] = edges.map(([a, b], i) => {
    const index = first + i
    const octet = FIRST_OCTET + index
    return { index, a, b, ifname: `e${index}`, bridge: `mg${index}`, subnet: `10.77.${octet}.0/24`, addressA: `10.77.${octet}.1`, addressB: `10.77.${octet}.2` }
  })
  const graphNodes = new Map<string, GraphNode>()
  const nsNames = await Promise.all(nodes.map(async n => await lab.addNamespace(n)))
  nodes.forEach((n, i) => { graphNodes.set(n, { name: n, ns: nsNames[i] as string, interfaces: [] }) })

  // Interfaces (and so multicast route metrics) are numbered per node in edge order.
  for (const e of graphEdges) {
    for (const [self, peer, address] of [[e.a, e.b, e.addressA], [e.b, e.a, e.addressB]] as const) {
      const node = graphNodes.get(self) as GraphNode
      node.interfaces.push({ ifname: e.ifname, peer, address, metric: 10 * (node.interfaces.length + 1), edge: e })
    }
  }

  // Bridges one at a time (the first one creates the switch namespace), then the veths.
  for (const e of graphEdges) await lab.addBridge(e.bridge)
  await Promise.all([...graphNodes.values()].map(async node => {
    for (const i of node.interfaces) await lab.connect(node.ns, i.ifname, i.edge.bridge, `${i.address}/24`, i.metric)
    await lab.exec(node.ns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0'])
    const { stdout } = await lab.exec(node.ns, 'sysctl', ['-n', 'net.ipv4.ip_forward'])
    if (stdout.trim() !== '0') throw new Error(`ip_forward is still ${stdout.trim()} in ${node.ns}`)
  }))
  return new Graph(lab, graphNodes, graphEdges)
}

/** n0—n1—…—n(n-1). */
export function line (n: number): GraphSpec {
  if (!Number.isInteger(n) || n < 2) throw new Error('a line needs at least 2 nodes')
  const nodes = Array.from({ length: n }, (_, i) => `n${i}`)
  return { nodes, edges: nodes.slice(1).map((b, i) => [nodes[i] as string, b]) }
}

/** The line n0…n(n-1) closed by n(n-1)—n0. */
export function ring (n: number): GraphSpec {
  if (!Number.isInteger(n) || n < 3) throw new Error('a ring needs at least 3 nodes')
  const spec = line(n)
  spec.edges.push([`n${n - 1}`, 'n0'])
  return spec
}

/** Nodes n<r>_<c>; each is linked to its right and lower neighbour. */
export function grid (rows: number, cols: number): GraphSpec {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || rows * cols < 2) throw new Error('a grid needs at least 2 nodes')
  const name = (r: number, c: number): string => `n${r}_${c}`
  const nodes: string[] = []
  const edges: Array<[string, string]> = []
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      nodes.push(name(r, c))
      if (c + 1 < cols) edges.push([name(r, c), name(r, c + 1)])
      if (r + 1 < rows) edges.push([name(r, c), name(r + 1, c)])
    }
  }
  return { nodes, edges }
}
