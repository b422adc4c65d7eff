/**
 * Commands that talk to a running agent through its HTTP API: status, neighbours, find-peer,
 * ping. They print a short human form, or the raw JSON with --json.
 */
import { AgentError, ErrorCode, errorMessage } from '../errors.js'
import type { Config } from '../config/schema.js'

const CLIENT_TIMEOUT_MS = 30_000

export function apiBase (config: Config): string {
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host === '::' ? '::1' : config.http.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`
}

export async function callApi (base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(base + path, {
      method,
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {})
    })
  } catch (err) {
    throw new AgentError(ErrorCode.MESH_NOT_STARTED, `no agent answers at ${base}: ${errorMessage(err)}`, {
      hints: ['start one with `meshbox start`, or pass the same --config / --http-port the agent uses']
    })
  }
  const answer = await res.json().catch(() => undefined) as { error?: { code?: string, message?: string } } | undefined
  if (!res.ok) {
    const code = (answer?.error?.code ?? ErrorCode.INTERNAL) as ErrorCode
    throw new AgentError(Object.values(ErrorCode).includes(code) ? code : ErrorCode.INTERNAL, answer?.error?.message ?? `HTTP ${res.status}`)
  }
  return answer
}

function cell (v: unknown): string {
  return v === null || v === undefined ? '-' : String(v)
}

export function formatTable (rows: Array<Record<string, unknown>>, columns: string[]): string {
  const widths = columns.map(c => Math.max(c.length, ...rows.map(r => cell(r[c]).length)))
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(columns), ...rows.map(r => line(columns.map(c => cell(r[c]))))].join('\n')
}

export function formatStatus (s: Record<string, unknown>): string {
  return Object.entries(s).map(([k, v]) => `${k}: ${Array.isArray(v) ? (v.length === 0 ? '-' : '\n  ' + v.join('\n  ')) : cell(v)}`).join('\n')
}

export function formatNeighbours (list: Array<Record<string, unknown>>): string {
  if (list.length === 0) return 'no neighbours'
  return formatTable(list.map(n => ({ ...n, lastSeen: typeof n.lastSeenMs === 'number' ? `${Math.round((Date.now() - n.lastSeenMs) / 1000)}s ago` : '-' })),
    ['peerId', 'state', 'kind', 'interface', 'rttMs', 'lossPct', 'lastSeen'])
}

export function formatRoutes (rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return 'no routes'
  return formatTable(rows, ['destination', 'nextHop', 'metric', 'hops', 'seqno', 'ageMs'])
}

export function formatTraceroute (t: { peerId: string, reached: boolean, hops: Array<Record<string, unknown>> }): string {
  const lines = t.hops.map(h => `${String(h.hop).padStart(2)}  ${h.peerId === null ? '*' : String(h.peerId)}  ${h.rttMs === null ? '*' : `${String(h.rttMs)} ms`}`)
  return [`traceroute to ${t.peerId}`, ...lines, t.reached ? 'reached' : 'not reached'].join('\n')
}

export function formatServices (roles: Array<{ role: string, providers: Array<Record<string, unknown>>, nearest: { peerId: string } | null }>): string {
  if (roles.length === 0) return 'no roles announced'
  const rows = roles.flatMap(r => r.providers.map(p => ({
    role: r.role,
    nearest: r.nearest !== null && r.nearest.peerId === p.peerId ? '*' : '',
    provider: p.self === true ? `${String(p.peerId)} (this box)` : p.peerId,
    metric: p.reachable === true ? p.metric : 'no route',
    hops: p.hops,
    expiresIn: typeof p.expiresInMs === 'number' ? `${Math.round(p.expiresInMs / 1000)}s` : '-'
  })))
  return formatTable(rows, ['role', 'nearest', 'provider', 'metric', 'hops', 'expiresIn'])
}

export function formatSent (m: Record<string, unknown>): string {
  const how = m.status === 'delivered'
    ? `delivered${typeof m.rttMs === 'number' ? ` in ${m.rttMs} ms` : ''}`
    : `${cell(m.status)}: not acknowledged yet; the mesh keeps trying until its TTL (see \`meshbox messages ${cell(m.id)}\`)`
  return `message ${cell(m.id)} to ${cell(m.dst)}: ${how}`
}

export function formatInbox (rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return 'inbox empty'
  return formatTable(rows.map(r => ({
    ...r,
    received: typeof r.receivedAtMs === 'number' ? new Date(r.receivedAtMs).toISOString() : '-',
    content: typeof r.text === 'string' ? JSON.stringify(r.text.length > 60 ? r.text.slice(0, 60) + '…' : r.text) : `${cell(r.bytes)} bytes`
  })), ['received', 'src', 'protocol', 'hops', 'content'])
}

const ago = (ms: unknown): string => typeof ms === 'number' ? `${Math.round(ms / 1000)}s` : '-'

/** `meshbox chain`: the light chain node at a glance. */
export function formatChain (c: Record<string, unknown>): string {
  if (c.enabled !== true) return 'chain: off (chain.enabled is false)'
  const anchor = c.anchor as { number: number, hash: string | null, kind: string, known: boolean } | null
  const head = c.head as { number: number, hash: string, ageMs: number, verifiedAtMs: number, from: string } | null
  const verified = c.verified as { total: number, fromUpstream: number, fromMesh: number }
  const reorgs = c.reorgs as { count: number, last: { depth: number } | null }
  const failure = c.lastFailure as { atMs: number, code: string, rule: string | null, message: string, source: string } | null
  const mesh = c.mesh as Record<string, number>
  const upstream = c.upstream as Array<Record<string, unknown>>
  const lines = [
    `chain: ${String(c.preset)} (chain id ${String(c.chainId)}, seal engine ${String(c.engine)})`,
    `anchor: ${anchor === null ? '-' : `${anchor.number} ${anchor.hash ?? '(learned from the first upstream)'} (${anchor.kind}${anchor.known ? '' : ', header not fetched yet'})`}`,
    `head: ${head === null ? 'none verified yet' : `${head.number} ${head.hash}, block ${ago(head.ageMs)} old, verified from ${head.from} ${ago(Date.now() - head.verifiedAtMs)} ago`}`,
    `target: ${cell(c.target)}${c.syncing === true ? ' (syncing)' : head !== null ? ' (in sync)' : ''}`,
    `verified: ${verified.total} headers (upstream ${verified.fromUpstream}, mesh ${verified.fromMesh}); refused ${cell(c.refused)}; reorgs ${reorgs.count}${reorgs.last !== null ? ` (last depth ${reorgs.last.depth})` : ''}`,
    `uplink: ${c.uplink === true ? 'yes (announces chain-uplink)' : 'no'}`,
    `last failure: ${failure === null ? '-' : `${failure.rule ?? failure.code}: ${failure.message} (${failure.source}, ${ago(Date.now() - failure.atMs)} ago)`}`,
    `mesh: announced ${mesh.announced ?? 0}, answered ${mesh.answered ?? 0}, requested ${mesh.requested ?? 0}, received ${mesh.received ?? 0}, refused ${mesh.refused ?? 0}`,
    upstream.length === 0
      ? 'upstream: none (headers from the mesh only)'
      : 'upstream:\n' + formatTable(upstream.map(u => ({ ...u, demoted: typeof u.demotedUntil === 'number' ? `${ago(u.demotedUntil - Date.now())} more` : '-' })),
        ['url', 'healthy', 'latencyMs', 'head', 'failures', 'demoted', 'lastError']).split('\n').map(l => '  ' + l).join('\n')
  ]
  return lines.join('\n')
}
