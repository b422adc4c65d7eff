/**
 * Simulated networks driven through the pure routing functions with adversarial message orders:
 * updates are delivered late, out of order, duplicated or dropped while links change cost, fail
 * and return. After every single delivery no next-hop chain may loop; once things calm down every
 * box must hold the shortest route to every box it can reach.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  advertisements, applyAdverts, createRoutingState, expire, nextHop, onSeqnoRequest, routeViews, setLinkCost,
  type Advert, type RoutingRules, type RoutingState, type UpdateResult
} from '../../agent/mesh/routing/route-table.js'
import { METRIC_INFINITY } from '../../agent/mesh/routing/seqno.js'

const rules: RoutingRules = { holdMs: 60_000, retractMs: 20_000, hysteresis: 0, fdGcMs: 10 * 60_000, requestRetryMs: 2_000 }

function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Msg = { kind: 'adv', from: string, to: string, adverts: Advert[] } | { kind: 'req', from: string, to: string, dest: string, seqno: number, hopCount: number }

class Sim {
  readonly states = new Map<string, RoutingState>()
  readonly cost = new Map<string, number>() // "a|b" → cost, symmetric
  readonly down = new Set<string>()
  queue: Msg[] = []
  /** Boxes with a triggered update pending: like the real service, changes are batched. */
  readonly dirty = new Set<string>()
  now = 0

  readonly names: string[]
  constructor (names: string[], edges: Array<[string, string, number]>) {
    this.names = names
    for (const n of names) this.states.set(n, createRoutingState(n))
    for (const [a, b, c] of edges) this.setCost(a, b, c)
  }

  key (a: string, b: string): string { return a < b ? `${a}|${b}` : `${b}|${a}` }
  neighbours (n: string): string[] { return this.names.filter(m => m !== n && this.cost.has(this.key(n, m)) && !this.down.has(this.key(n, m))) }
  st (n: string): RoutingState { return this.states.get(n) as RoutingState }

  react (n: string, r: UpdateResult): void {
    if (r.selfBumped || r.changes.length > 0 || r.refreshed.length > 0) this.dirty.add(n)
    for (const s of r.starving) for (const m of this.neighbours(n)) this.queue.push({ kind: 'req', from: n, to: m, dest: s.dest, seqno: s.seqno, hopCount: 8 })
  }

  setCost (a: string, b: string, c: number): void {
    this.cost.set(this.key(a, b), c)
    const live = !this.down.has(this.key(a, b))
    this.react(a, setLinkCost(this.st(a), b, live ? c : METRIC_INFINITY, this.now, rules))
    this.react(b, setLinkCost(this.st(b), a, live ? c : METRIC_INFINITY, this.now, rules))
  }

  fail (a: string, b: string): void { this.down.add(this.key(a, b)); this.setCost(a, b, this.cost.get(this.key(a, b)) ?? 256) }
  restore (a: string, b: string): void { this.down.delete(this.key(a, b)); this.setCost(a, b, this.cost.get(this.key(a, b)) ?? 256) }

  flush (): void {
    for (const n of this.dirty) this.announce(n)
    this.dirty.clear()
  }

  announce (n: string): void {
    for (const m of this.neighbours(n)) this.queue.push({ kind: 'adv', from: n, to: m, adverts: advertisements(this.st(n), m) })
  }

  deliver (i: number): void {
    const [msg] = this.queue.splice(i, 1)
    if (msg === undefined || this.down.has(this.key(msg.from, msg.to))) return
    const to = this.st(msg.to)
    if (msg.kind === 'adv') {
      this.react(msg.to, applyAdverts(to, msg.from, msg.adverts, this.now, rules))
      return
    }
    const action = onSeqnoRequest(to, msg.from, msg, this.now, rules)
    if (action.type === 'advertise') this.dirty.add(msg.to)
    else if (action.type === 'forward') this.queue.push({ ...msg, from: msg.to, to: action.to, hopCount: action.hopCount })
  }

  /** No next-hop chain loops, for any destination, from any box. */
  assertLoopFree (context: string): void {
    for (const dest of this.names) {
      for (const start of this.names) {
        const seen = new Set<string>()
        let at: string | undefined = start
        while (at !== undefined && at !== dest) {
          assert.ok(!seen.has(at), `loop towards ${dest} from ${start}: ${[...seen, at].join(' → ')} (${context})`)
          seen.add(at)
          at = nextHop(this.st(at), dest)
        }
      }
    }
  }

  /** Delivers everything in order, with periodic updates, until nothing moves. */
  settle (): void {
    for (let round = 0; round < 40; round++) {
      for (const n of this.names) this.announce(n)
      for (let batch = 0; batch < 50 && (this.queue.length > 0 || this.dirty.size > 0); batch++) {
        while (this.queue.length > 0) this.deliver(0)
        this.now += 20
        this.flush()
      }
      this.now += 1000
      for (const n of this.names) this.react(n, expire(this.st(n), this.now, rules))
    }
  }

  shortest (src: string): Map<string, number> {
    const dist = new Map([[src, 0]])
    const todo = new Set(this.names)
    while (todo.size > 0) {
      let u: string | undefined
      for (const n of todo) if (dist.has(n) && (u === undefined || (dist.get(n) ?? Infinity) < (dist.get(u) ?? Infinity))) u = n
      if (u === undefined) break
      todo.delete(u)
      for (const v of this.neighbours(u)) {
        const d = (dist.get(u) ?? 0) + (this.cost.get(this.key(u, v)) ?? 0)
        if (d < (dist.get(v) ?? Infinity)) dist.set(v, d)
      }
    }
    dist.delete(src)
    return dist
  }

  assertOptimal (): void {
    for (const n of this.names) {
      const want = this.shortest(n)
      const got = new Map(routeViews(this.st(n), this.now).map(r => [r.destination, r.metric]))
      const st = this.st(n)
      const detail = [...want.keys()].filter(d => got.get(d) !== want.get(d)).map(d => `${d}: fd=${JSON.stringify(st.fd.get(d))} sel=${JSON.stringify(st.selected.get(d))} entries=${JSON.stringify([...(st.entries.get(d)?.values() ?? [])].map(e => [e.neighbour, e.seqno, e.advMetric, e.metric]))} origin seqno=${this.st(d).seqno} all: ${this.names.map(m => `${m}->${JSON.stringify(this.st(m).selected.get(d))}/fd${JSON.stringify(this.st(m).fd.get(d))}`).join(' ')} queue=${this.queue.length}`).join('; ')
      assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...want].sort()), `routes at ${n}: ${detail}`)
    }
  }
}

function randomGraph (rand: () => number, n: number): { names: string[], edges: Array<[string, string, number]> } {
  const names = Array.from({ length: n }, (_, i) => `n${i}`)
  const edges: Array<[string, string, number]> = []
  for (let i = 1; i < n; i++) edges.push([names[i] as string, names[Math.floor(rand() * i)] as string, 100 + Math.floor(rand() * 900)])
  for (let k = 0; k < n; k++) {
    const a = Math.floor(rand() * n)
    const b = Math.floor(rand() * n)
    if (a !== b && !edges.some(([x, y]) => (x === names[a] && y === names[b]) || (x === names[b] && y === names[a]))) edges.push([names[a] as string, names[b] as string, 100 + Math.floor(rand() * 900)])
  }
  return { names, edges }
}

describe('routing under adversarial message orders', () => {
  it('behavior: converges to shortest paths on a line and a ring', () => {
    const line = new Sim(['a', 'b', 'c', 'd', 'e', 'f'], [['a', 'b', 256], ['b', 'c', 256], ['c', 'd', 256], ['d', 'e', 256], ['e', 'f', 256]])
    line.settle()
    line.assertOptimal()
    assert.equal(routeViews(line.st('a'), line.now).find(r => r.destination === 'f')?.hops, 5)
    const ring = new Sim(['a', 'b', 'c', 'd', 'e', 'f'], [['a', 'b', 256], ['b', 'c', 256], ['c', 'd', 256], ['d', 'e', 256], ['e', 'f', 256], ['f', 'a', 256]])
    ring.settle()
    ring.assertOptimal()
    ring.fail('a', 'b')
    ring.settle()
    ring.assertOptimal()
    assert.equal(nextHop(ring.st('a'), 'b'), 'f', 'traffic takes the other way round')
  })

  for (const seed of Array.from({ length: 16 }, (_, i) => i + 1)) {
    it(`behavior: no loop at any instant, then optimal routes (seed ${seed})`, () => {
      const rand = prng(seed)
      const { names, edges } = randomGraph(rand, 6 + (seed % 5))
      const sim = new Sim(names, edges)
      const failed: Array<[string, string]> = []
      for (let step = 0; step < 3000; step++) {
        const r = rand()
        if (r < 0.25) {
          sim.announce(names[Math.floor(rand() * names.length)] as string)
        } else if (r < 0.35) {
          sim.flush()
        } else if (r < 0.85) {
          if (sim.queue.length > 0) {
            const i = Math.floor(rand() * sim.queue.length) // any message may overtake any other
            if (rand() < 0.1) sim.queue.splice(i, 1) // lost
            else if (rand() < 0.05) { const m = sim.queue[i]; if (m !== undefined) sim.queue.push(m); sim.deliver(i) } // duplicated
            else sim.deliver(i)
          }
        } else if (r < 0.93) {
          const [a, b] = edges[Math.floor(rand() * edges.length)] as [string, string, number]
          sim.setCost(a, b, 100 + Math.floor(rand() * 1900))
        } else if (r < 0.97) {
          const [a, b] = edges[Math.floor(rand() * edges.length)] as [string, string, number]
          sim.fail(a, b)
          failed.push([a, b])
        } else if (failed.length > 0) {
          const [a, b] = failed.splice(Math.floor(rand() * failed.length), 1)[0] as [string, string]
          sim.restore(a, b)
        }
        sim.now += 5
        if (step % 200 === 0) for (const n of names) sim.react(n, expire(sim.st(n), sim.now, rules))
        sim.assertLoopFree(`seed ${seed}, step ${step}`)
      }
      for (const [a, b] of failed) sim.restore(a, b)
      sim.settle()
      sim.assertLoopFree(`seed ${seed}, settled`)
      sim.assertOptimal()
    })
  }
})
