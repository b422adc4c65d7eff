/**
 * The three ways the state reader gets a value it can vouch for, each recording what every
 * source did so a refusal can say exactly why:
 * - `proveFromUpstream`: eth_getProof, one source after another, checked against the verified
 *   header (a source whose proof does not verify is demoted and skipped);
 * - `agreeFromUpstream`: the same plain call to two sources, which must agree;
 * - `proveFromRemote`: a proof bundle from a box with an uplink, over the mesh.
 */
import { bytesToHex, equalBytes, keccak256, parseHex } from '../bytes.js'
import { errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { checkProofResponse, EMPTY_CODE_HASH, type ProvenState } from '../proof.js'
import { isRefusal } from './pool-adapter.js'
import { MAX_CODE_BYTES, proofRequest, verifyProofBundle, type ProofBundle, type ProofRequest } from './proof-bundle.js'
import type { StateUpstream, UpstreamAnswer, VerifiedHeaderRef } from './types.js'

export interface Attempt {
  source: string
  method: string
  /** `unreachable`: no answer; `refused`: a JSON-RPC error or no data; `lied`: an answer that failed its check; `single` / `disagree`: no agreement. */
  outcome: 'unreachable' | 'refused' | 'lied' | 'single' | 'disagree'
  detail: string
}

export interface ReadContext {
  logger: Logger
  signal?: AbortSignal
  attempts: Attempt[]
  /** Sources not to ask again during this read: they lied or could not prove. */
  excluded: Set<string>
  /** Sources that lied during this read: never counted towards agreement. */
  liars: Set<string>
  maxAttempts: number
}

export interface Target {
  address: string
  slots: readonly bigint[]
  block: VerifiedHeaderRef & { number: bigint }
  wantCode: boolean
}

export interface Proven { state: ProvenState, code?: Uint8Array, sources: string[] }

const blockHex = (t: Target): string => '0x' + t.block.number.toString(16)

function sourceOf (err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as { source?: unknown, data?: { source?: unknown } }
  const s = e.source ?? e.data?.source
  return typeof s === 'string' ? s : undefined
}

function thrown (ctx: ReadContext, method: string, err: unknown): string | undefined {
  if (ctx.signal?.aborted === true) throw err
  const source = sourceOf(err)
  const rpc = isRefusal(err)
  ctx.attempts.push({
    source: source ?? 'upstream',
    method,
    outcome: rpc ? 'refused' : 'unreachable',
    detail: `${source ?? 'the upstream'} ${rpc ? 'refused' : 'could not be reached for'} ${method}: ${errorMessage(err)}`
  })
  return source
}

function lied (up: StateUpstream, ctx: ReadContext, source: string, method: string, reason: string): void {
  ctx.logger.warn('Upstream answer rejected', { source, method, reason })
  up.demote?.(source, `${method}: ${reason}`)
  ctx.liars.add(source)
  ctx.excluded.add(source)
  ctx.attempts.push({ source, method, outcome: 'lied', detail: `${source} was demoted: its ${method} answer does not verify (${reason})` })
}

/** Asks upstream sources one after another until one proves; undefined when none did. */
export async function proveFromUpstream (up: StateUpstream, ctx: ReadContext, t: Target, knownCode?: Uint8Array): Promise<Proven | undefined> {
  const params = [t.address, t.slots.map(s => '0x' + s.toString(16).padStart(64, '0')), blockHex(t)]
  for (let i = 0; i < ctx.maxAttempts; i++) {
    let answer: UpstreamAnswer
    try {
      answer = await up.call('eth_getProof', params, { signal: ctx.signal, exclude: [...ctx.excluded] })
    } catch (err) {
      const source = thrown(ctx, 'eth_getProof', err)
      if (source === undefined || ctx.excluded.has(source)) return undefined
      ctx.excluded.add(source)
      continue
    }
    if (ctx.excluded.has(answer.source)) return undefined // the upstream has no other source to offer
    if (answer.result === null || answer.result === undefined) {
      ctx.excluded.add(answer.source)
      ctx.attempts.push({ source: answer.source, method: 'eth_getProof', outcome: 'refused', detail: `${answer.source} has no state for block ${t.block.number}` })
      continue
    }
    const checked = checkProofResponse(answer.result, t.block.header, t.address, t.slots)
    if (!checked.ok) {
      lied(up, ctx, answer.source, 'eth_getProof', `at block ${t.block.number}: ${checked.failure.message}`)
      continue
    }
    if (!t.wantCode) return { state: checked.value, sources: [answer.source] }
    const code = await codeFromUpstream(up, ctx, t, checked.value.codeHash, knownCode)
    if (code === undefined) return undefined
    return { state: checked.value, code: code.code, sources: [...new Set([answer.source, ...code.sources])] }
  }
  return undefined
}

/** Code whose keccak256 is `codeHash`, from the cache or from sources one after another. */
async function codeFromUpstream (up: StateUpstream, ctx: ReadContext, t: Target, codeHash: Uint8Array, known?: Uint8Array): Promise<{ code: Uint8Array, sources: string[] } | undefined> {
  if (equalBytes(codeHash, EMPTY_CODE_HASH)) return { code: new Uint8Array(0), sources: [] }
  if (known !== undefined && equalBytes(keccak256(known), codeHash)) return { code: known, sources: [] }
  const tried = new Set<string>()
  for (let i = 0; i < ctx.maxAttempts; i++) {
    let answer: UpstreamAnswer
    try {
      answer = await up.call('eth_getCode', [t.address, blockHex(t)], { signal: ctx.signal, exclude: [...ctx.liars, ...tried] })
    } catch (err) {
      const source = thrown(ctx, 'eth_getCode', err)
      if (source === undefined || tried.has(source)) return undefined
      tried.add(source)
      continue
    }
    if (tried.has(answer.source) || ctx.liars.has(answer.source)) return undefined
    tried.add(answer.source)
    const code = typeof answer.result === 'string' ? parseHex(answer.result) : undefined
    if (code === undefined || code.length > MAX_CODE_BYTES) {
      lied(up, ctx, answer.source, 'eth_getCode', `not hex code of at most ${MAX_CODE_BYTES} bytes`)
    } else if (!equalBytes(keccak256(code), codeHash)) {
      lied(up, ctx, answer.source, 'eth_getCode', `the code hashes to ${bytesToHex(keccak256(code))}, the proven codeHash at block ${t.block.number} is ${bytesToHex(codeHash)}`)
    } else {
      return { code, sources: [answer.source] }
    }
  }
  return undefined
}

/**
 * The same call to two independent sources; the value when both answer it well-formed and
 * equal. A malformed answer demotes its source; a disagreement demotes nobody (who lies is
 * unknown) and refuses.
 */
export async function agreeFromUpstream<T> (
  up: StateUpstream, ctx: ReadContext, method: string, params: unknown[], parse: (result: unknown) => T | undefined, same: (a: T, b: T) => boolean, show: (v: T) => string
): Promise<{ value: T, sources: string[] } | undefined> {
  let answers: UpstreamAnswer[]
  try {
    answers = await up.callTwo(method, params, { signal: ctx.signal, exclude: [...ctx.liars] })
  } catch (err) {
    thrown(ctx, method, err)
    return undefined
  }
  const good: Array<{ source: string, value: T }> = []
  for (const a of answers) {
    if (ctx.liars.has(a.source) || good.some(g => g.source === a.source)) continue
    const value = parse(a.result)
    if (value === undefined) lied(up, ctx, a.source, method, `malformed answer ${JSON.stringify(a.result)?.slice(0, 80) ?? 'undefined'}`)
    else good.push({ source: a.source, value })
  }
  const [first, second] = good
  if (first === undefined || second === undefined) {
    const who = first === undefined ? 'no source' : `only ${first.source}`
    ctx.attempts.push({ source: first?.source ?? 'upstream', method, outcome: 'single', detail: `${who} answered ${method}, and agreement needs two independent sources` })
    return undefined
  }
  if (!same(first.value, second.value)) {
    ctx.attempts.push({
      source: `${first.source},${second.source}`,
      method,
      outcome: 'disagree',
      detail: `${first.source} and ${second.source} disagree on ${method}: ${show(first.value)} vs ${show(second.value)}`
    })
    return undefined
  }
  return { value: first.value, sources: [first.source, second.source] }
}

/** A proof bundle from a box with an uplink, checked against our own header. */
export async function proveFromRemote (
  remote: (request: ProofRequest, options: { signal?: AbortSignal }) => Promise<ProofBundle>, ctx: ReadContext, t: Target
): Promise<Proven | undefined> {
  const request = proofRequest(t.address, t.slots, t.block.header, t.wantCode)
  let bundle: ProofBundle
  try {
    bundle = await remote(request, { signal: ctx.signal })
  } catch (err) {
    if (ctx.signal?.aborted === true) throw err
    ctx.attempts.push({ source: 'mesh', method: 'proof bundle', outcome: 'unreachable', detail: `no box with an uplink answered over the mesh: ${errorMessage(err)}` })
    return undefined
  }
  const source = `mesh:${typeof bundle?.source === 'string' ? bundle.source.slice(0, 80) : 'unknown'}`
  const checked = verifyProofBundle(bundle, t.block.header, request)
  if (!checked.ok) {
    ctx.logger.warn('Mesh proof bundle rejected', { source, reason: checked.failure.message })
    ctx.attempts.push({ source, method: 'proof bundle', outcome: 'lied', detail: `the proof bundle from ${source} does not verify (${checked.failure.message})` })
    return undefined
  }
  return { state: checked.value.state, ...(checked.value.code !== undefined ? { code: checked.value.code } : {}), sources: [source] }
}
