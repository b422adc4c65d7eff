/**
 * The state reader: balances, nonces, code and storage at a block this box verified itself,
 * each answer labelled with how it was verified (README.md). Order of preference:
 *
 * 1. the value already verified for this very block (cache hit: its original level);
 * 2. `proof`: eth_getProof from the upstream sources, one after another;
 * 3. `agreement`: two sources giving the same value, when none could prove it;
 * 4. `proof` from a mesh bundle, when there is no upstream or it cannot be reached;
 * 5. `cache`: offline only (nothing could be reached), the last verified value with its block
 *    number and age, for `latest` only.
 *
 * Otherwise it refuses: CHAIN_STATE_UNVERIFIED when sources answered but could not be verified,
 * CHAIN_STATE_UNAVAILABLE when offline with nothing cached, CHAIN_HEADER_UNKNOWN for a block
 * this box has not verified.
 */
import { AgentError, ErrorCode } from '../../errors.js'
import { bytesToHex, parseHex } from '../bytes.js'
import { headerHash } from '../header.js'
import { createStateCache, type CacheEntry, type CacheKind, type CachedValue } from './cache.js'
import { MAX_CODE_BYTES } from './proof-bundle.js'
import { agreeFromUpstream, proveFromRemote, proveFromUpstream, type Attempt, type Proven, type ReadContext, type Target } from './sources.js'
import type {
  AccountState, BlockTag, Hex, ReadOptions, StateAnswer, StateReader, StateReaderComponents, StateReaderInit, VerifiedHeaderRef
} from './types.js'
import { createProofBundleServer } from './serve-bundle.js'

export const DEFAULT_MAX_PROOF_ATTEMPTS = 3
/** ~4,000 addresses and slots a neighbourhood's phones look at; each entry is a few hundred bytes. */
export const DEFAULT_CACHE_MAX_ENTRIES = 4096
/** Code dominates: 4 MiB holds ~170 maximal (24 KiB) contracts. */
export const DEFAULT_CACHE_MAX_BYTES = 4 * 1024 * 1024
/** An unchanged value's newer block is written to flash at most every 5 minutes (wear). */
export const DEFAULT_CACHE_PERSIST_INTERVAL_MS = 5 * 60_000

const QUANTITY = /^0x(?:0|[1-9a-fA-F][0-9a-fA-F]*)$/
const LATEST = new Set(['latest', 'pending', 'safe', 'finalized'])

type Block = VerifiedHeaderRef & { number: bigint, hash: Hex }

interface Got<T> { value: T, level: 'proof' | 'agreement', sources: string[] }

/** How one kind of read is done, verified and cached. */
interface Spec<T> {
  kind: CacheKind
  what: string
  address: Hex
  slot?: Hex
  slots: bigint[]
  wantCode: boolean
  fromProof: (p: Proven) => T
  agree: (ctx: ReadContext, blockHex: string) => Promise<{ value: T, sources: string[] } | undefined>
  encode: (v: T) => CachedValue
  decode: (v: CachedValue) => T
}

const quantity = (maxDigits: number) => (v: unknown): bigint | undefined =>
  typeof v === 'string' && QUANTITY.test(v) && v.length - 2 <= maxDigits ? BigInt(v) : undefined
const hex = (n: bigint): Hex => `0x${n.toString(16)}`
const word = (n: bigint): Hex => `0x${n.toString(16).padStart(64, '0')}`

function address (text: string): Hex {
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) throw new RangeError(`not a 20-byte hex address: ${text.slice(0, 50)}`)
  return text.toLowerCase() as Hex
}

export function createStateReader (components: StateReaderComponents, init: StateReaderInit = {}): StateReader {
  const { headers, upstream, logger } = components
  const now = components.now ?? Date.now
  const maxAttempts = init.maxProofAttempts ?? DEFAULT_MAX_PROOF_ATTEMPTS
  const cache = createStateCache(components.store, logger, {
    maxEntries: init.cacheMaxEntries ?? DEFAULT_CACHE_MAX_ENTRIES,
    maxBytes: init.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES,
    persistIntervalMs: init.cachePersistIntervalMs ?? DEFAULT_CACHE_PERSIST_INTERVAL_MS,
    now
  })

  const block = (ref: VerifiedHeaderRef | undefined): Block | undefined =>
    ref === undefined ? undefined : { ...ref, number: ref.header.number, hash: bytesToHex(headerHash(ref.header)) }

  /** The verified block a tag names; undefined only for `latest` before the first verified header. */
  async function resolve (tag: BlockTag): Promise<Block | undefined> {
    if (typeof tag === 'string' && LATEST.has(tag)) return block(headers.head())
    let found: Block | undefined
    let named: string
    if (tag === 'earliest') { named = 'earliest (0)'; found = block(await headers.headerByNumber(0n)) } else if (typeof tag === 'bigint') {
      named = String(tag); found = block(await headers.headerByNumber(tag))
    } else if (/^0x[0-9a-fA-F]{64}$/.test(tag)) {
      named = tag.toLowerCase()
      const head = block(headers.head())
      found = head?.hash === named ? head : block(await headers.headerByHash?.(named))
      if (found !== undefined && found.hash !== named) found = undefined
    } else if (QUANTITY.test(tag) && tag.length <= 18) {
      named = String(BigInt(tag)); found = block(await headers.headerByNumber(BigInt(tag)))
    } else {
      throw new RangeError(`not a block tag: ${tag.slice(0, 70)}`)
    }
    if (found === undefined) {
      throw new AgentError(ErrorCode.CHAIN_HEADER_UNKNOWN, `block ${named} is not among this box's verified headers; state is only answered at verified blocks`, {
        hints: ['ask for "latest" or a recent block number; see meshbox_syncStatus'], data: { block: named }
      })
    }
    return found
  }

  function answer<T> (value: T, level: StateAnswer<T>['level'], at: { blockNumber: bigint, blockHash: Hex, verifiedAtMs: number, sources: string[] }, ageMs?: number): StateAnswer<T> {
    return { value, level, blockNumber: at.blockNumber, blockHash: at.blockHash, verifiedAtMs: at.verifiedAtMs, ...(ageMs !== undefined ? { ageMs } : {}), sources: at.sources }
  }

  async function serve<T> (spec: Spec<T>, tag: BlockTag, options: ReadOptions): Promise<StateAnswer<T>> {
    const at = await resolve(tag)
    const cached = await cache.get(spec.kind, spec.address, spec.slot)
    if (at !== undefined && cached !== undefined && cached.blockHash === at.hash) {
      return answer(spec.decode(cached.value), cached.level, cached)
    }
    const ctx: ReadContext = { logger, ...(options.signal !== undefined ? { signal: options.signal } : {}), attempts: [], excluded: new Set(), liars: new Set(), maxAttempts }
    if (at !== undefined) {
      const got = await obtain(spec, at, ctx, cached)
      if (got !== undefined) {
        const verifiedAtMs = now()
        const entry: CacheEntry = {
          kind: spec.kind, address: spec.address, ...(spec.slot !== undefined ? { slot: spec.slot } : {}), value: spec.encode(got.value),
          level: got.level, blockNumber: at.number, blockHash: at.hash, verifiedAtMs, sources: got.sources
        }
        await cache.put(entry)
        return answer(got.value, got.level, { blockNumber: at.number, blockHash: at.hash, verifiedAtMs, sources: got.sources })
      }
    }
    const offline = ctx.attempts.every(a => a.outcome === 'unreachable')
    if (offline && cached !== undefined && (typeof tag === 'string' && LATEST.has(tag))) {
      const ageMs = Math.max(0, now() - cached.verifiedAtMs)
      logger.info('State answered from cache', { kind: spec.kind, address: spec.address, blockNumber: cached.blockNumber, ageMs })
      return answer(spec.decode(cached.value), 'cache', cached, ageMs)
    }
    throw refusal(spec, at, ctx.attempts, offline, cached)
  }

  async function obtain<T> (spec: Spec<T>, at: Block, ctx: ReadContext, cached: CacheEntry | undefined): Promise<Got<T> | undefined> {
    const target: Target = { address: spec.address, slots: spec.slots, block: at, wantCode: spec.wantCode }
    if (upstream !== undefined) {
      const known = spec.kind === 'code' && typeof cached?.value === 'string' ? parseHex(cached.value) : undefined
      const proven = await proveFromUpstream(upstream, ctx, target, known)
      if (proven !== undefined) return { value: spec.fromProof(proven), level: 'proof', sources: proven.sources }
      if (!ctx.attempts.every(a => a.outcome === 'unreachable')) {
        const agreed = await spec.agree(ctx, hex(at.number))
        if (agreed !== undefined) return { ...agreed, level: 'agreement' }
      }
    }
    if (init.remote !== undefined && ctx.attempts.every(a => a.outcome === 'unreachable')) {
      const proven = await proveFromRemote(init.remote, ctx, target)
      if (proven !== undefined) return { value: spec.fromProof(proven), level: 'proof', sources: proven.sources }
    }
    return undefined
  }

  function refusal<T> (spec: Spec<T>, at: Block | undefined, attempts: Attempt[], offline: boolean, cached: CacheEntry | undefined): AgentError {
    const reasons = [...new Set(attempts.map(a => a.detail))].join('; ')
    const where = at === undefined ? 'before any verified header' : `at block ${at.number}`
    const data = { address: spec.address, ...(at !== undefined ? { blockNumber: hex(at.number) } : {}), attempts }
    if (at === undefined && cached === undefined) {
      return new AgentError(ErrorCode.CHAIN_HEADER_UNKNOWN, `cannot answer ${spec.what}: this box has no verified header yet and no cached value`, { hints: ['see meshbox_syncStatus'], data })
    }
    if (offline) {
      const why = attempts.length === 0 ? 'no upstream is configured and no box with an uplink can be asked over the mesh' : reasons
      const cacheNote = cached === undefined ? 'no verified value is cached for it' : `the cached value is from block ${cached.blockNumber}, and only "latest" is answered from the cache`
      return new AgentError(ErrorCode.CHAIN_STATE_UNAVAILABLE, `cannot answer ${spec.what} ${where}: offline (${why}) and ${cacheNote}`, {
        hints: ['check the uplink and `chain.rpc`, or that a box announcing chain-uplink is reachable'], data
      })
    }
    return new AgentError(ErrorCode.CHAIN_STATE_UNVERIFIED, `cannot verify ${spec.what} ${where}: ${reasons}; not answering unverified`, {
      hints: ['add an upstream that serves eth_getProof, or a second independent upstream (--chain-rpc) so two sources can agree'], data
    })
  }

  // ---- the three reads ----

  function accountSpec (addr: Hex): Spec<AccountState> {
    return {
      kind: 'account', what: `the account ${addr}`, address: addr, slots: [], wantCode: false,
      fromProof: ({ state }) => ({
        address: addr, balance: state.balance, nonce: state.nonce, exists: state.exists,
        codeHash: bytesToHex(state.codeHash), storageRoot: bytesToHex(state.storageRoot)
      }),
      agree: async (ctx, blockHex) => {
        if (upstream === undefined) return undefined
        const show = (v: bigint): string => hex(v)
        const same = (a: bigint, b: bigint): boolean => a === b
        // In parallel, each with its own record so a refusal lists them in a stable order.
        const forBalance = { ...ctx, attempts: [] }
        const forNonce = { ...ctx, attempts: [] }
        const [balance, nonce] = await Promise.all([
          agreeFromUpstream(upstream, forBalance, 'eth_getBalance', [addr, blockHex], quantity(64), same, show),
          agreeFromUpstream(upstream, forNonce, 'eth_getTransactionCount', [addr, blockHex], quantity(16), same, show)
        ])
        ctx.attempts.push(...forBalance.attempts, ...forNonce.attempts)
        if (balance === undefined || nonce === undefined) return undefined
        return { value: { address: addr, balance: balance.value, nonce: nonce.value }, sources: [...new Set([...balance.sources, ...nonce.sources])] }
      },
      encode: v => ({
        balance: hex(v.balance), nonce: hex(v.nonce), ...(v.exists !== undefined ? { exists: v.exists } : {}),
        ...(v.codeHash !== undefined ? { codeHash: v.codeHash } : {}), ...(v.storageRoot !== undefined ? { storageRoot: v.storageRoot } : {})
      }),
      decode: v => {
        const o = v as Record<string, string | boolean>
        return {
          address: addr, balance: BigInt(o.balance as string), nonce: BigInt(o.nonce as string),
          ...(typeof o.exists === 'boolean' ? { exists: o.exists } : {}),
          ...(typeof o.codeHash === 'string' ? { codeHash: o.codeHash as Hex } : {}),
          ...(typeof o.storageRoot === 'string' ? { storageRoot: o.storageRoot as Hex } : {})
        }
      }
    }
  }

  function storageSpec (addr: Hex, slot: bigint): Spec<Hex> {
    if (slot < 0n || slot >= 1n << 256n) throw new RangeError('a storage slot is a uint256')
    const slotWord = word(slot)
    return {
      kind: 'storage', what: `storage slot ${hex(slot)} of ${addr}`, address: addr, slot: slotWord, slots: [slot], wantCode: false,
      fromProof: ({ state }) => word(state.storage[0]?.value ?? 0n),
      agree: async (ctx, blockHex) => {
        if (upstream === undefined) return undefined
        const parse = (r: unknown): Hex | undefined => {
          const bytes = typeof r === 'string' ? parseHex(r) : undefined
          return bytes === undefined || bytes.length > 32 ? undefined : word(BigInt(bytes.length === 0 ? 0 : bytesToHex(bytes)))
        }
        return await agreeFromUpstream(upstream, ctx, 'eth_getStorageAt', [addr, slotWord, blockHex], parse, (a, b) => a === b, v => v)
      },
      encode: v => v,
      decode: v => v as Hex
    }
  }

  function codeSpec (addr: Hex): Spec<Hex> {
    return {
      kind: 'code', what: `the code of ${addr}`, address: addr, slots: [], wantCode: true,
      fromProof: ({ code }) => bytesToHex(code ?? new Uint8Array(0)),
      agree: async (ctx, blockHex) => {
        if (upstream === undefined) return undefined
        const parse = (r: unknown): Hex | undefined => {
          const bytes = typeof r === 'string' ? parseHex(r) : undefined
          return bytes === undefined || bytes.length > MAX_CODE_BYTES ? undefined : bytesToHex(bytes)
        }
        const short = (v: Hex): string => `${(v.length - 2) / 2} bytes ${v.slice(0, 18)}…`
        return await agreeFromUpstream(upstream, ctx, 'eth_getCode', [addr, blockHex], parse, (a, b) => a === b, short)
      },
      encode: v => v,
      decode: v => v as Hex
    }
  }

  const serveBundle = createProofBundleServer({ headers, ...(upstream !== undefined ? { upstream } : {}), logger, maxAttempts })

  return {
    getAccount: async (addr, tag = 'latest', options = {}) => await serve(accountSpec(address(addr)), tag, options),
    getStorageAt: async (addr, slot, tag = 'latest', options = {}) => await serve(storageSpec(address(addr), slot), tag, options),
    getCode: async (addr, tag = 'latest', options = {}) => await serve(codeSpec(address(addr)), tag, options),
    proofBundle: serveBundle
  }
}
