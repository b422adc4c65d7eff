/**
 * Account and storage proofs as `eth_getProof` returns them (EIP-1186), checked against a
 * verified header's stateRoot. The state trie maps keccak256(address) to
 * RLP([nonce, balance, storageRoot, codeHash]); an account's storage trie maps
 * keccak256(pad32(slot)) to RLP(value), and never stores zero.
 *
 * `verifyAccountProof` / `verifyStorageProof` throw on a proof that proves nothing;
 * `checkProofResponse` takes a whole JSON answer and returns a failure naming the field that
 * lies instead, because a lying upstream is an expected event (the caller demotes it).
 *
 * @example
 *   const checked = checkProofResponse(await rpc('eth_getProof', [addr, [], blockHex]), header, addr, [])
 *   if (!checked.ok) demote(source, checked.failure.message)
 *   else console.log(checked.value.balance)
 */
import { bytesToBigint, bytesToHex, equalBytes, isZero, keccak256, parseHex, ZERO_HASH, type Address } from './bytes.js'
import { ChainErrorCode, ChainInputError } from './errors.js'
import { UINT256_MAX, UINT64_MAX, type Header } from './header.js'
import { decodeRlp } from './rlp.js'
import { EMPTY_TRIE_ROOT, MAX_PROOF_NODES, MAX_TRIE_NODE_BYTES, verifyTrieProof } from './trie-proof.js'

export { EMPTY_TRIE_ROOT } from './trie-proof.js'

/** keccak256 of empty code: the codeHash of every account without code. */
export const EMPTY_CODE_HASH = keccak256(new Uint8Array(0))
/** Slots one eth_getProof answer may carry; more would be a request we never make. */
export const MAX_PROOF_SLOTS = 64

export interface ProvenAccount {
  nonce: bigint
  balance: bigint
  storageRoot: Uint8Array
  codeHash: Uint8Array
}

export interface ProvenSlot {
  slot: bigint
  value: bigint
}

/** What one eth_getProof answer proves at one block. */
export interface ProvenState extends ProvenAccount {
  address: Address
  /** false when the proof shows the account absent (nonce, balance 0, no code, no storage). */
  exists: boolean
  storage: ProvenSlot[]
}

export interface ProofFailure {
  /** The JSON field at fault: `balance`, `accountProof[2]`, `storageProof[0].value`… */
  field: string
  /** `malformed`: not a valid answer; `proof`: the proof proves nothing; `mismatch`: a claimed value differs from the proven one. */
  kind: 'malformed' | 'proof' | 'mismatch'
  message: string
}

export type ProofCheck<T> = { ok: true, value: T } | { ok: false, failure: ProofFailure }

function fail (field: string, message: string): never {
  throw new ChainInputError(ChainErrorCode.PROOF_INVALID, `${field}: ${message}`, field)
}

function addressBytes (address: Uint8Array | string): Uint8Array {
  const bytes = typeof address === 'string' ? parseHex(address) : address
  if (bytes === undefined || bytes.length !== 20) fail('address', 'expected 20 bytes')
  return bytes
}

/** The 32-byte big-endian form of a slot number (or the slot bytes themselves). */
export function slotBytes (slot: bigint | Uint8Array): Uint8Array {
  if (slot instanceof Uint8Array) {
    if (slot.length !== 32) fail('slot', `expected 32 bytes, got ${slot.length}`)
    return slot
  }
  if (slot < 0n || slot > UINT256_MAX) fail('slot', 'out of the uint256 range')
  const out = new Uint8Array(32)
  let v = slot
  for (let i = 31; i >= 0 && v > 0n; i--) { out[i] = Number(v & 0xffn); v >>= 8n }
  return out
}

function canonicalInt (bytes: Uint8Array, max: bigint, field: string): bigint {
  if (bytes.length > 0 && bytes[0] === 0) fail(field, 'integer with a leading zero byte')
  const value = bytesToBigint(bytes)
  if (value > max) fail(field, 'integer out of range')
  return value
}

/**
 * Proves the account at `address` against `stateRoot`. Returns null for a valid exclusion proof
 * (the account does not exist: nonce 0, balance 0, no code, no storage).
 * @throws ChainInputError (CHAIN_PROOF_INVALID) naming the bad node or account field.
 */
export function verifyAccountProof (stateRoot: Uint8Array, address: Uint8Array | string, accountProof: readonly Uint8Array[]): ProvenAccount | null {
  const leaf = verifyTrieProof(stateRoot, keccak256(addressBytes(address)), accountProof, 'accountProof')
  if (leaf === null) return null
  let account
  try {
    account = decodeRlp(leaf, { maxBytes: MAX_TRIE_NODE_BYTES, maxDepth: 2 })
  } catch (err) {
    fail('account', `malformed account RLP: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (account instanceof Uint8Array) fail('account', 'the leaf holds a byte string, not an account list')
  if (account.length !== 4) fail('account', `the leaf holds an RLP list of ${account.length} items, expected 4 (nonce, balance, storageRoot, codeHash)`)
  const [nonce, balance, storageRoot, codeHash] = account
  if (!(nonce instanceof Uint8Array) || !(balance instanceof Uint8Array) || !(storageRoot instanceof Uint8Array) || !(codeHash instanceof Uint8Array)) {
    fail('account', 'an account field is a list')
  }
  if (storageRoot.length !== 32) fail('account.storageRoot', `${storageRoot.length} bytes, expected 32`)
  if (codeHash.length !== 32) fail('account.codeHash', `${codeHash.length} bytes, expected 32`)
  return {
    nonce: canonicalInt(nonce, UINT64_MAX, 'account.nonce'),
    balance: canonicalInt(balance, UINT256_MAX, 'account.balance'),
    storageRoot: storageRoot.slice(),
    codeHash: codeHash.slice()
  }
}

/**
 * Proves the value of `slot` against an account's `storageRoot`; 0 when the proof shows the
 * slot empty (the trie never stores zero).
 * @throws ChainInputError (CHAIN_PROOF_INVALID) naming the bad node or value.
 */
export function verifyStorageProof (storageRoot: Uint8Array, slot: bigint | Uint8Array, proof: readonly Uint8Array[], field = 'storageProof'): bigint {
  const leaf = verifyTrieProof(storageRoot, keccak256(slotBytes(slot)), proof, field)
  if (leaf === null) return 0n
  let item
  try {
    item = decodeRlp(leaf, { maxBytes: 64, maxDepth: 1 })
  } catch (err) {
    fail(`${field}.value`, `malformed value RLP: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!(item instanceof Uint8Array)) fail(`${field}.value`, 'the leaf holds a list, not a value')
  const value = canonicalInt(item, UINT256_MAX, `${field}.value`)
  if (value === 0n) fail(`${field}.value`, 'the leaf holds zero, which the storage trie never stores')
  return value
}

// ---- checking a whole eth_getProof JSON answer ----

class Malformed extends Error {
  readonly field: string
  constructor (field: string, message: string) { super(message); this.field = field }
}

const QUANTITY = /^0x(?:0|[1-9a-fA-F][0-9a-fA-F]*)$/

function quantity (v: unknown, field: string, maxDigits: number): bigint {
  if (typeof v !== 'string' || !QUANTITY.test(v) || v.length - 2 > maxDigits) {
    throw new Malformed(field, `${describe(v)} is not a hex quantity of at most ${maxDigits} digits`)
  }
  return BigInt(v)
}

function data (v: unknown, field: string, size?: number, maxSize = MAX_TRIE_NODE_BYTES): Uint8Array {
  const bytes = typeof v === 'string' ? parseHex(v) : undefined
  if (bytes === undefined) throw new Malformed(field, `${describe(v)} is not 0x-prefixed hex of whole bytes`)
  if (size !== undefined && bytes.length !== size) throw new Malformed(field, `${bytes.length} bytes, expected ${size}`)
  if (bytes.length > maxSize) throw new Malformed(field, `${bytes.length} bytes, more than ${maxSize}`)
  return bytes
}

function nodes (v: unknown, field: string): Uint8Array[] {
  if (!Array.isArray(v)) throw new Malformed(field, `${describe(v)} is not an array of trie nodes`)
  if (v.length > MAX_PROOF_NODES) throw new Malformed(field, `${v.length} nodes, more than ${MAX_PROOF_NODES}`)
  return v.map((n, i) => data(n, `${field}[${i}]`))
}

function describe (v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 24 ? v.slice(0, 24) + '…' : v)
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v
}

const hex = (n: bigint): string => '0x' + n.toString(16)

/**
 * Checks an `eth_getProof(address, slots, block)` JSON answer against `header.stateRoot`:
 * every field strictly formed, the proofs valid, and every claimed value (balance, nonce,
 * storageHash, codeHash, storage values) equal to what the proofs prove. For an absent account
 * the claims must be the empty account's; the zero hash is accepted for codeHash and
 * storageHash there, as older geth versions report it.
 */
export function checkProofResponse (json: unknown, header: Header, address: string, slots: readonly bigint[]): ProofCheck<ProvenState> {
  try {
    return { ok: true, value: check(json, header, address, slots) }
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, failure: { field: err.field, kind: 'malformed', message: `${err.field}: ${err.message}` } }
    if (err instanceof Mismatch) return { ok: false, failure: { field: err.field, kind: 'mismatch', message: err.message } }
    if (err instanceof ChainInputError) return { ok: false, failure: { field: err.field ?? 'proof', kind: 'proof', message: err.message } }
    throw err
  }
}

class Mismatch extends Error {
  readonly field: string
  constructor (field: string, claimed: string, proven: string) {
    super(`${field}: the answer claims ${claimed} but the proof shows ${proven}`)
    this.field = field
  }
}

function check (json: unknown, header: Header, address: string, slots: readonly bigint[]): ProvenState {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Malformed('result', `${describe(json)} is not an object`)
  if (slots.length > MAX_PROOF_SLOTS) throw new Malformed('storageKeys', `${slots.length} slots requested, more than ${MAX_PROOF_SLOTS}`)
  const o = json as Record<string, unknown>
  const wanted = addressBytes(address)
  const claimedAddress = data(o.address, 'address', 20)
  if (!equalBytes(claimedAddress, wanted)) throw new Mismatch('address', bytesToHex(claimedAddress), `a request for ${bytesToHex(wanted)}`)
  const balance = quantity(o.balance, 'balance', 64)
  const nonce = quantity(o.nonce, 'nonce', 16)
  const codeHash = data(o.codeHash, 'codeHash', 32)
  const storageHash = data(o.storageHash, 'storageHash', 32)
  const accountProof = nodes(o.accountProof, 'accountProof')
  if (!Array.isArray(o.storageProof)) throw new Malformed('storageProof', `${describe(o.storageProof)} is not an array`)
  if (o.storageProof.length !== slots.length) throw new Malformed('storageProof', `${o.storageProof.length} entries for ${slots.length} requested slot(s)`)
  const entries = o.storageProof.map((e: unknown, i) => {
    const field = `storageProof[${i}]`
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new Malformed(field, `${describe(e)} is not an object`)
    const entry = e as Record<string, unknown>
    // Nodes echo the key as asked (we ask 32-byte keys); a quantity form ("0x7") is read too.
    const key = typeof entry.key === 'string' && QUANTITY.test(entry.key) && entry.key.length <= 66
      ? BigInt(entry.key)
      : bytesToBigint(data(entry.key, `${field}.key`, undefined, 32))
    if (key !== slots[i]) throw new Mismatch(`${field}.key`, hex(key), `a request for slot ${hex(slots[i] as bigint)}`)
    return { field, slot: key, value: quantity(entry.value, `${field}.value`, 64), proof: nodes(entry.proof, `${field}.proof`) }
  })

  const proven = verifyAccountProof(header.stateRoot, wanted, accountProof)
  const account = proven ?? { nonce: 0n, balance: 0n, storageRoot: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH }
  if (balance !== account.balance) throw new Mismatch('balance', hex(balance), hex(account.balance))
  if (nonce !== account.nonce) throw new Mismatch('nonce', hex(nonce), hex(account.nonce))
  const zeroOk = proven === null
  if (!equalBytes(codeHash, account.codeHash) && !(zeroOk && isZero(codeHash))) throw new Mismatch('codeHash', bytesToHex(codeHash), bytesToHex(account.codeHash))
  if (!equalBytes(storageHash, account.storageRoot) && !(zeroOk && equalBytes(storageHash, ZERO_HASH))) {
    throw new Mismatch('storageHash', bytesToHex(storageHash), bytesToHex(account.storageRoot))
  }
  const storage = entries.map(e => {
    const value = verifyStorageProof(account.storageRoot, e.slot, e.proof, `${e.field}.proof`)
    if (value !== e.value) throw new Mismatch(`${e.field}.value`, hex(e.value), hex(value))
    return { slot: e.slot, value }
  })
  return { address: bytesToHex(wanted), exists: proven !== null, ...account, storage }
}
