/**
 * Headers over the mesh, on the broadcast topic `/meshbox/headers/1` (format: mesh-wire.ts).
 *
 *   - A box with a healthy upstream announces every new verified head with the headers since
 *     its last announcement (at most 64; fewer if the topic bound says so).
 *   - Every box validates each message before gossipsub forwards it: size, strict decoding,
 *     consecutive numbers and parent links, our chain and network; and when it knows the parent,
 *     verifyChain on the headers it lacks (a header that fails is rejected, never forwarded).
 *   - The handler verifies again against the store, under the sync lock, and stores what passes:
 *     no trust in the sender, whoever signed the message.
 *   - A box that misses headers (it joined late, a message was lost, a branch forks) publishes a
 *     request [from, count]; a box that has them answers with `range` messages: a box with an
 *     upstream at once (from its store, or from upstream for pruned ones), any other after a
 *     random 200–800 ms unless someone answered first.
 */
import { bytesToHex } from '../bytes.js'
import type { Header } from '../header.js'
import { headerFromRpc } from '../header-rpc.js'
import { verifyChain } from '../verify/verify-chain.js'
import { errorMessage } from '../../errors.js'
import { Topic, type Broadcast, type BroadcastMessage, type ValidationResult } from '../../mesh/broadcast/index.js'
import type { SyncCore } from './core.js'
import { windowBottom } from './fork.js'
import { hashOf, type StoredHeader } from './header-store.js'
import { decodeMeshMessage, encodeMeshMessage, MAX_HEADERS_PER_MESSAGE, MAX_REQUEST_COUNT, packHeaders, type MeshMessage } from './mesh-wire.js'
import type { UpstreamPool } from './upstream.js'

export type MeshBroadcast = Pick<Broadcast, 'subscribe' | 'unsubscribe' | 'addValidator' | 'publish' | 'onNewSubscriber'>

export interface MeshSyncInit {
  /** The headers topic's bound (mesh.broadcast.maxMessageBytes). */
  maxMessageBytes: number
  /** How long a request may go unanswered before it counts as failed (default 3 s). */
  requestTimeoutMs?: number
  /** How often missing headers are looked for (default 1 s). */
  tickMs?: number
  /** A box with an upstream repeats its head when it has not announced for this long (default 30 s). */
  reannounceMs?: number
  random?: () => number
}

export interface MeshCounters {
  announced: number
  answered: number
  requested: number
  received: number
  refused: number
}

/** Repeated requests for the same start are answered at most this often. */
const ANSWER_GAP_MS = 2_000
const MAX_PENDING_ANSWERS = 4
const REQUEST_BACKOFF_MAX_MS = 30_000
/** A request goes unanswered at most this many times in a row before the gap is left to the next announcement. */
const MAX_REQUEST_FAILURES = 8
/** A neighbour that starts listening hears our head after this delay (others may join with it), at most once a second. */
const GREET_DELAY_MS = 250
const MIN_GREET_GAP_MS = 1_000

export function createMeshSync (core: SyncCore, broadcast: MeshBroadcast, pool: UpstreamPool | undefined, init: MeshSyncInit) {
  const log = core.log
  const network = core.preset.name
  const chainId = core.preset.chainId
  const random = init.random ?? Math.random
  const requestTimeoutMs = init.requestTimeoutMs ?? 3_000
  const counters: MeshCounters = { announced: 0, answered: 0, requested: 0, received: 0, refused: 0 }
  const decoded = new WeakMap<Uint8Array, MeshMessage | string>()
  const answeredAt = new Map<bigint, number>()
  const rangeSeenAt = new Map<bigint, number>()
  let pendingAnswers = 0
  let lastAnnounced: StoredHeader | undefined
  let lastAnnouncedAtMs = 0
  let greetTimer: NodeJS.Timeout | undefined
  let lastGreetMs = 0
  let undoJoin: (() => void) | undefined
  let outstanding: { from: bigint, atMs: number } | undefined
  let requestFailures = 0
  let nextRequestAtMs = 0
  let backtrackFrom: bigint | undefined
  let timer: NodeJS.Timeout | undefined
  let undo: (() => void) | undefined
  let started = false

  const hasUpstream = (): boolean => pool?.hasHealthy() === true

  const decode = (data: Uint8Array): MeshMessage | string => {
    let m = decoded.get(data)
    if (m === undefined) {
      m = decodeMeshMessage(data)
      decoded.set(data, m)
    }
    return m
  }

  const publish = async (data: Uint8Array): Promise<void> => {
    try {
      await broadcast.publish(Topic.headers, data)
    } catch (err) {
      log.debug('Chain headers not published', { reason: errorMessage(err) })
    }
  }

  /** Canonical headers from `from`, at most `count`, from the store (and from upstream for pruned ones). */
  const canonicalRange = async (from: bigint, count: number): Promise<Header[]> => {
    const out: Header[] = []
    for (let n = from; n < from + BigInt(count); n++) {
      const s = await core.store.byNumber(n)
      if (s === undefined) break
      out.push(s.header)
    }
    if (out.length === count || pool === undefined || !pool.hasHealthy()) return out
    const head = core.store.head()
    const start = from + BigInt(out.length)
    if (head === undefined || start > head.number) return out
    // Pruned here: the rest from upstream. The requester verifies them anyway; we only pass on what links up.
    const left = BigInt(count - out.length)
    const upto = head.number - start + 1n < left ? Number(head.number - start + 1n) : Number(left)
    const requests = Array.from({ length: upto }, (_, i) => ({ method: 'eth_getBlockByNumber', params: ['0x' + (start + BigInt(i)).toString(16), false] }))
    const source = pool.ranked()[0]
    if (source === undefined) return out
    try {
      for (const o of await pool.batchOn(source, requests)) {
        if (!o.ok || o.result === null) break
        const h = headerFromRpc(o.result, { checkHash: true })
        const prev = out[out.length - 1]
        if (h.number !== from + BigInt(out.length) || (prev !== undefined && bytesToHex(h.parentHash) !== hashOf(prev))) break
        out.push(h)
      }
    } catch (err) {
      log.debug('Chain range from upstream failed', { from: Number(from), reason: errorMessage(err) })
    }
    return out
  }

  const answer = async (from: bigint, count: number): Promise<void> => {
    const headers = await canonicalRange(from, count)
    if (headers.length === 0) return
    const messages = packHeaders('range', chainId, network, headers, init.maxMessageBytes)
    for (const m of messages) await publish(m)
    counters.answered += messages.length
    log.debug('Chain headers sent on request', { from: Number(from), headers: headers.length, messages: messages.length })
  }

  const onRequest = (m: BroadcastMessage, from: bigint, count: number): void => {
    const t = core.now()
    if (pendingAnswers >= MAX_PENDING_ANSWERS || t - (answeredAt.get(from) ?? -Infinity) < ANSWER_GAP_MS) return
    const head = core.store.head()
    if (head === undefined || from > head.number) return
    if (answeredAt.size > 1024) answeredAt.clear()
    answeredAt.set(from, t)
    pendingAnswers++
    const delayMs = hasUpstream() ? Math.floor(random() * 50) : 200 + Math.floor(random() * 600)
    setTimeout(() => {
      const seen = rangeSeenAt.get(from)
      const skip = !started || (seen !== undefined && seen >= t)
      void (skip ? Promise.resolve() : answer(from, count))
        .catch(err => { log.debug('Chain request not answered', { from: Number(from), requester: m.from, reason: errorMessage(err) }) })
        .finally(() => { pendingAnswers-- })
    }, delayMs).unref()
  }

  /** Verdict before gossipsub forwards the message (see the file comment). */
  const validate = (m: BroadcastMessage): ValidationResult => {
    const msg = decode(m.data)
    if (typeof msg === 'string') return { verdict: 'reject', reason: `headers message: ${msg}` }
    if (msg.chainId !== chainId || msg.network !== network) return { verdict: 'ignore', reason: `another chain (${msg.network}, ${msg.chainId})` }
    if (msg.kind === 'request') return 'accept'
    const anchor = core.store.anchor()
    const last = msg.headers[msg.headers.length - 1] as Header
    if (anchor === undefined || last.number <= anchor.number) return 'accept' // cannot check here; relay for others
    let i = 0
    while (i < msg.headers.length && core.store.cached(hashOf(msg.headers[i] as Header)) !== undefined) i++
    if (i === msg.headers.length) return 'accept'
    const parentHash = i > 0 ? hashOf(msg.headers[i - 1] as Header) : bytesToHex((msg.headers[0] as Header).parentHash)
    const parent = core.store.cached(parentHash)
    if (parent === undefined) return 'accept' // the handler looks further (store, requests)
    // Validators are synchronous, so the pool cannot help here; WASM in this thread can, once loaded.
    void core.pool?.warm()
    const r = verifyChain(parent.header, msg.headers.slice(i), core.verifyContext())
    if (r.failure === undefined) return 'accept'
    if (r.failure.rule === 'future') return { verdict: 'ignore', reason: r.failure.message }
    counters.refused++
    return { verdict: 'reject', reason: `${r.failure.rule}: ${r.failure.message}` }
  }

  /** Something useful arrived: ask for the next part at once. */
  const progress = (): void => {
    backtrackFrom = undefined
    requestFailures = 0
    nextRequestAtMs = 0
    if (outstanding !== undefined && (core.store.head()?.number ?? -1n) >= outstanding.from) outstanding = undefined
  }

  /** Stores what a headers message adds, after verifying it against the store. */
  const onHeaders = async (m: BroadcastMessage, msg: MeshMessage & { kind: 'announce' | 'range' }): Promise<void> => {
    let headers = msg.headers
    const last = headers[headers.length - 1] as Header
    if (msg.kind === 'announce' && (core.target === undefined || last.number > core.target)) {
      core.noteTarget(last.number)
      // News of a higher head earns one more request after giving up (the back-off stays).
      if (requestFailures >= MAX_REQUEST_FAILURES) requestFailures = MAX_REQUEST_FAILURES - 1
    }
    if (msg.kind === 'range') rangeSeenAt.set((headers[0] as Header).number, core.now())
    if (rangeSeenAt.size > 1024) rangeSeenAt.clear()
    const rec = core.store.anchorRecord()
    if (rec === undefined) return
    if (core.store.anchor() === undefined) {
      const i = rec.hash === undefined ? -1 : headers.findIndex(h => hashOf(h) === rec.hash)
      if (i < 0) return
      await core.store.setAnchorHeader(headers[i] as Header)
      log.info('Chain anchor set', { number: Number(rec.number), hash: rec.hash, kind: rec.kind, source: `mesh:${m.from}` })
      core.anchorSet()
      progress()
      headers = headers.slice(i + 1)
    }
    const anchor = core.store.anchor() as StoredHeader
    // Below our window is history we verified already (and pruned): not a fork, nothing to do.
    const bottom = windowBottom(core.store.head()?.number ?? anchor.number, anchor.number, core.windowHeaders)
    headers = headers.filter(h => h.number > anchor.number && h.number >= bottom)
    let parent: StoredHeader | undefined
    while (headers.length > 0) {
      const known = await core.store.byHash(hashOf(headers[0] as Header))
      if (known === undefined) break
      parent = known
      headers = headers.slice(1)
    }
    if (headers.length === 0) return
    const first = headers[0] as Header
    parent ??= await core.store.byHash(bytesToHex(first.parentHash))
    const head = core.store.head() as StoredHeader
    if (parent === undefined) {
      if (first.number > head.number + 1n) return // a gap: the tick asks for it
      // A branch from a block we do not know: look further back, within the window.
      if (first.number - 1n <= bottom) {
        log.warn('Chain reorg refused', { candidate: Number(last.number), source: `mesh:${m.from}`, windowHeaders: core.windowHeaders })
        backtrackFrom = undefined
        return
      }
      const back = first.number - BigInt(MAX_HEADERS_PER_MESSAGE)
      backtrackFrom = back > bottom ? back : bottom + 1n
      return
    }
    const r = await core.accept(parent, headers, 'mesh', `mesh:${m.from}`)
    counters.received += r.verified
    if (r.failure !== undefined && r.failure.rule !== 'future') counters.refused++
    if (r.verified > 0) progress()
  }

  const onMessage = (m: BroadcastMessage): void => {
    const msg = decode(m.data)
    if (typeof msg === 'string' || msg.chainId !== chainId || msg.network !== network) return
    if (msg.kind === 'request') { onRequest(m, msg.from, msg.count); return }
    void core.exclusive(async () => { await onHeaders(m, msg) })
      .catch(err => { log.warn('Chain headers from the mesh failed', { from: m.from }, err) })
  }

  const request = async (from: bigint, count: number): Promise<void> => {
    outstanding = { from, atMs: core.now() }
    counters.requested++
    log.debug('Chain headers requested', { from: Number(from), count })
    await publish(encodeMeshMessage({ kind: 'request', chainId, network, from, count }))
  }

  /** Asks the mesh for what we lack, one request at a time, backing off while nobody answers. */
  const tick = (): void => {
    if (!started || hasUpstream()) return
    const t = core.now()
    if (outstanding !== undefined) {
      if (t - outstanding.atMs < requestTimeoutMs) return
      outstanding = undefined
      requestFailures++
      nextRequestAtMs = t + Math.min(REQUEST_BACKOFF_MAX_MS, 1_000 * 2 ** Math.min(requestFailures, 15))
    }
    if (t < nextRequestAtMs || requestFailures >= MAX_REQUEST_FAILURES) return
    const rec = core.store.anchorRecord()
    const target = core.target
    if (rec === undefined || target === undefined) return
    const head = core.store.head()
    if (head === undefined) {
      if (rec.hash !== undefined) void request(rec.number, MAX_HEADERS_PER_MESSAGE)
      return
    }
    if (backtrackFrom !== undefined) { void request(backtrackFrom, MAX_HEADERS_PER_MESSAGE); return }
    if (target > head.number) {
      const missing = target - head.number
      void request(head.number + 1n, Number(missing < BigInt(MAX_REQUEST_COUNT) ? missing : BigInt(MAX_REQUEST_COUNT)))
    }
  }

  return {
    counters: () => ({ ...counters }),
    validate,
    announce,
    start () {
      if (started) return
      started = true
      undo = broadcast.addValidator(Topic.headers, validate)
      undoJoin = broadcast.onNewSubscriber(Topic.headers, greet)
      broadcast.subscribe(Topic.headers, onMessage, { maxMessageBytes: init.maxMessageBytes })
      timer = setInterval(() => {
        tick()
        // gossipsub keeps nothing for late joiners: repeat the head now and then while the chain stalls.
        if (hasUpstream() && core.now() - lastAnnouncedAtMs >= (init.reannounceMs ?? 30_000)) void announce(true)
      }, init.tickMs ?? 1_000)
      timer.unref()
    },
    stop () {
      if (!started) return
      started = false
      clearInterval(timer)
      timer = undefined
      clearTimeout(greetTimer)
      greetTimer = undefined
      undoJoin?.()
      undoJoin = undefined
      broadcast.unsubscribe(Topic.headers, onMessage)
      undo?.()
      undo = undefined
    },
    /** Run the request logic now (after a gap was seen), as the timer would. */
    tick
  }

  /**
   * Announces our head with the headers since the last announcement (a box with an upstream, after
   * each round). `again`: repeat the head alone even if it was announced (late joiners).
   */
  async function announce (again = false): Promise<void> {
    const head = core.store.head()
    const anchor = core.store.anchor()
    if (!started || head === undefined || anchor === undefined) return
    if (again) {
      await publish(encodeMeshMessage({ kind: 'announce', chainId, network, headers: [head.header] }))
      counters.announced++
      lastAnnouncedAtMs = core.now()
      return
    }
    if (head.hash === lastAnnounced?.hash) return
    let from = head.number - BigInt(MAX_HEADERS_PER_MESSAGE) + 1n
    if (lastAnnounced !== undefined && lastAnnounced.number < head.number && await core.store.canonicalHash(lastAnnounced.number) === lastAnnounced.hash && lastAnnounced.number + 1n > from) {
      from = lastAnnounced.number + 1n
    }
    if (from <= anchor.number) from = anchor.number
    const headers: Header[] = []
    for (let n = from; n <= head.number; n++) {
      const s = await core.store.byNumber(n)
      if (s !== undefined) headers.push(s.header)
      else headers.length = 0 // pruned below: keep the consecutive run up to the head
    }
    const messages = packHeaders('announce', chainId, network, headers, init.maxMessageBytes)
    // Only the newest message matters to boxes in sync; others ask for what they miss.
    const newest = messages[messages.length - 1]
    if (newest === undefined) return
    await publish(newest)
    counters.announced++
    lastAnnounced = head
    lastAnnouncedAtMs = core.now()
  }

  /** A neighbour started listening: tell it our head (any box with one), so it learns how far to ask. */
  function greet (): void {
    if (!started || greetTimer !== undefined || core.store.head() === undefined) return
    const waitMs = Math.max(GREET_DELAY_MS, lastGreetMs + MIN_GREET_GAP_MS - core.now())
    greetTimer = setTimeout(() => {
      greetTimer = undefined
      lastGreetMs = core.now()
      void announce(true)
    }, waitMs)
    greetTimer.unref()
  }
}

export type MeshSync = ReturnType<typeof createMeshSync>
