/**
 * Upstream source selection, as pure functions over plain records (upstream.ts does the I/O).
 *
 * Rules (README.md, "Source selection"):
 *   - a source is *healthy* when it is neither backing off nor demoted and its chain id did not
 *     prove wrong;
 *   - healthy sources are ranked by score = smoothed latency (EWMA) + head delay, where each block
 *     a source lags behind the highest head seen costs `HEAD_DELAY_COST_MS`; a source not measured
 *     yet scores 0, so every source gets tried;
 *   - each failure (timeout, HTTP error, malformed or oversized answer) doubles a back-off, from
 *     `backoffMinMs` up to `backoffMaxMs`; a success clears it;
 *   - a source that lies (a header that fails verification, a hash that does not match its
 *     fields, a wrong chain id, a chain without our anchor) is demoted: unused for `demoteMs`.
 */

export interface SourcePolicy {
  /** First wait after a failure; doubles per consecutive failure. */
  backoffMinMs: number
  backoffMaxMs: number
  /** How long a source that lied stays unused. */
  demoteMs: number
  /** Weight of a new latency sample in the EWMA. */
  latencySmoothing: number
}

export const DEFAULT_SOURCE_POLICY: SourcePolicy = {
  backoffMinMs: 1_000,
  backoffMaxMs: 60_000,
  demoteMs: 10 * 60_000,
  latencySmoothing: 0.3
}

/**
 * A block of head delay weighs like this much latency: one block behind is worse than a slow
 * answer, since every answer about "latest" from that source is a block old.
 */
export const HEAD_DELAY_COST_MS = 1_000

export interface SourceState {
  /** Position in `chain.rpc`; stable, used for ties and as the handle. */
  readonly id: number
  /** The URL for logs and views: no userinfo, no query values. */
  readonly label: string
  latencyMs: number | undefined
  head: bigint | undefined
  headAtMs: number | undefined
  /** Consecutive failures (reset by a success). */
  failures: number
  backoffUntilMs: number
  demotedUntilMs: number
  demotions: number
  lastError: string | undefined
  /** undefined until checked with eth_chainId (and the anchor) on first contact. */
  admitted: boolean | undefined
  calls: number
  errors: number
}

export function newSourceState (id: number, label: string): SourceState {
  return {
    id, label, latencyMs: undefined, head: undefined, headAtMs: undefined, failures: 0, backoffUntilMs: 0,
    demotedUntilMs: 0, demotions: 0, lastError: undefined, admitted: undefined, calls: 0, errors: 0
  }
}

export function isHealthy (s: SourceState, nowMs: number): boolean {
  return s.admitted !== false && s.demotedUntilMs <= nowMs && s.backoffUntilMs <= nowMs
}

export function recordSuccess (s: SourceState, latencyMs: number, policy: SourcePolicy): void {
  s.calls++
  s.failures = 0
  s.backoffUntilMs = 0
  s.latencyMs = s.latencyMs === undefined ? latencyMs : s.latencyMs + policy.latencySmoothing * (latencyMs - s.latencyMs)
}

/** Returns the back-off applied, in ms. */
export function recordFailure (s: SourceState, error: string, nowMs: number, policy: SourcePolicy): number {
  s.calls++
  s.errors++
  s.failures++
  s.lastError = error
  const waitMs = Math.min(policy.backoffMaxMs, policy.backoffMinMs * 2 ** Math.min(s.failures - 1, 30))
  s.backoffUntilMs = nowMs + waitMs
  return waitMs
}

export function demote (s: SourceState, reason: string, nowMs: number, policy: SourcePolicy): void {
  s.demotions++
  s.lastError = reason
  s.demotedUntilMs = nowMs + policy.demoteMs
  // Ask again after the ban: the operator may have fixed it, and a lie must be proven afresh.
  s.admitted = undefined
}

export function recordHead (s: SourceState, head: bigint, nowMs: number): void {
  s.head = head
  s.headAtMs = nowMs
}

/** Lower is better. */
export function score (s: SourceState, bestHead: bigint | undefined): number {
  const lag = bestHead !== undefined && s.head !== undefined && bestHead > s.head ? Number(bestHead - s.head) : 0
  return (s.latencyMs ?? 0) + lag * HEAD_DELAY_COST_MS
}

/** Healthy sources, best first (ties: lower id). */
export function rankSources (states: readonly SourceState[], nowMs: number): SourceState[] {
  const healthy = states.filter(s => isHealthy(s, nowMs))
  let bestHead: bigint | undefined
  for (const s of healthy) if (s.head !== undefined && (bestHead === undefined || s.head > bestHead)) bestHead = s.head
  return healthy
    .map(s => ({ s, score: score(s, bestHead) }))
    .sort((a, b) => a.score - b.score || a.s.id - b.s.id)
    .map(x => x.s)
}

/** When the next source comes out of back-off or demotion (undefined: one is healthy now, or none will be). */
export function nextHealthyAtMs (states: readonly SourceState[], nowMs: number): number | undefined {
  if (states.some(s => isHealthy(s, nowMs))) return undefined
  const times = states.filter(s => s.admitted !== false).map(s => Math.max(s.backoffUntilMs, s.demotedUntilMs))
  return times.length === 0 ? undefined : Math.min(...times)
}

/**
 * The URL as it may appear in logs, views and errors: userinfo removed, query values hidden
 * (API keys often travel there). A key in the path (some hosted nodes do that) cannot be told
 * apart from a path and is kept.
 */
export function redactUrl (raw: string): string {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return '<invalid url>'
  }
  u.username = ''
  u.password = ''
  const keys = [...u.searchParams.keys()]
  u.search = ''
  u.hash = ''
  return u.toString() + (keys.length > 0 ? '?' + keys.map(k => `${k}=…`).join('&') : '')
}

/** What is wrong with one upstream URL, or undefined. Never echoes credentials. */
export function checkRpcUrl (raw: string): string | undefined {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return `${JSON.stringify(raw.replace(/\/\/[^/@]*@/, '//…@').slice(0, 60))} is not a URL (example: http://10.0.0.2:8545)`
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${JSON.stringify(redactUrl(raw))} must be an http:// or https:// URL`
  if (u.hostname === '') return `${JSON.stringify(redactUrl(raw))} has no host`
  if (u.hash !== '') return `${JSON.stringify(redactUrl(raw))} must not carry a #fragment`
  return undefined
}

/** Config check for `chain.rpc`: every entry a distinct http(s) URL. */
export function checkRpcUrls (value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be a list of http(s) URLs'
  const seen = new Set<string>()
  for (const v of value) {
    if (typeof v !== 'string') return 'must be a list of http(s) URLs'
    const problem = checkRpcUrl(v)
    if (problem !== undefined) return problem
    if (seen.has(v)) return `${JSON.stringify(redactUrl(v))} is listed twice`
    seen.add(v)
  }
  return undefined
}
