/**
 * Proof bundles: how a box without an uplink gets verifiable state from a box with one, over the
 * mesh (the transport lives elsewhere; this is the pure part). The asking box names a block it
 * has verified itself; the uplinked box returns the raw eth_getProof answer for that block (and
 * the code when asked). The asking box checks it against its own header, so the box in between
 * is trusted for nothing: it can only withhold.
 *
 * Both shapes are plain JSON (hex strings, no bigint) so any transport can carry them.
 *
 * @example
 *   const request = proofRequest(address, [0n], head.header, true)
 *   const checked = verifyProofBundle(await askUplink(request), head.header, request)
 *   if (checked.ok) console.log(checked.value.state.balance, checked.value.code)
 */
import { bytesToHex, equalBytes, keccak256, parseHex } from '../bytes.js'
import { headerHash, type Header } from '../header.js'
import { checkProofResponse, MAX_PROOF_SLOTS, slotBytes, type ProofCheck, type ProvenState } from '../proof.js'

/** Deployed code is at most 24,576 bytes since Spurious Dragon (EIP-170), which Spectrum includes. */
export const MAX_CODE_BYTES = 24576

export interface ProofRequest {
  v: 1
  address: string
  /** 32-byte hex slots. */
  slots: string[]
  blockNumber: string
  blockHash: string
  /** Also send the account's code. */
  code: boolean
}

export interface ProofBundle {
  v: 1
  blockNumber: string
  blockHash: string
  address: string
  slots: string[]
  /** The eth_getProof result, exactly as the upstream node gave it. */
  proof: unknown
  /** The code (eth_getCode), when requested. */
  code?: string
  /** Who made the bundle (a peer id, an upstream name): for logs only, never trusted. */
  source?: string
}

export interface BundleContents {
  state: ProvenState
  /** Present when the bundle carried code: bytes that hash to the proven codeHash. */
  code?: Uint8Array
}

export function proofRequest (address: string, slots: readonly bigint[], header: Header, code: boolean): ProofRequest {
  return {
    v: 1,
    address: address.toLowerCase(),
    slots: slots.map(s => bytesToHex(slotBytes(s))),
    blockNumber: '0x' + header.number.toString(16),
    blockHash: bytesToHex(headerHash(header)),
    code
  }
}

const failure = (field: string, kind: 'malformed' | 'proof' | 'mismatch', message: string): ProofCheck<BundleContents> =>
  ({ ok: false, failure: { field, kind, message: `${field}: ${message}` } })

/**
 * Checks a bundle against this box's own verified `header` (it must be for exactly that block)
 * and, when given, against the `request` it answers (same address, slots, code asked for).
 */
export function verifyProofBundle (bundle: unknown, header: Header, request?: ProofRequest): ProofCheck<BundleContents> {
  if (bundle === null || typeof bundle !== 'object' || Array.isArray(bundle)) return failure('bundle', 'malformed', 'not an object')
  const b = bundle as Record<string, unknown>
  if (b.v !== 1) return failure('v', 'malformed', `version ${JSON.stringify(b.v)} is not 1`)
  const ours = headerHash(header)
  const hash = typeof b.blockHash === 'string' ? parseHex(b.blockHash) : undefined
  if (hash === undefined || hash.length !== 32) return failure('blockHash', 'malformed', 'not a 32-byte hex hash')
  if (!equalBytes(hash, ours)) {
    return failure('blockHash', 'mismatch', `the bundle is for block ${bytesToHex(hash)} but this box's verified header ${header.number} is ${bytesToHex(ours)}`)
  }
  if (b.blockNumber !== '0x' + header.number.toString(16)) return failure('blockNumber', 'mismatch', `${JSON.stringify(b.blockNumber)} is not ${header.number}`)
  if (typeof b.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(b.address)) return failure('address', 'malformed', 'not a 20-byte hex address')
  if (!Array.isArray(b.slots) || b.slots.length > MAX_PROOF_SLOTS) return failure('slots', 'malformed', `not an array of at most ${MAX_PROOF_SLOTS} slots`)
  const slots: bigint[] = []
  for (const [i, s] of b.slots.entries()) {
    const bytes = typeof s === 'string' ? parseHex(s) : undefined
    if (bytes === undefined || bytes.length !== 32) return failure(`slots[${i}]`, 'malformed', 'not a 32-byte hex slot')
    slots.push(BigInt(bytesToHex(bytes)))
  }
  if (request !== undefined) {
    if (b.address.toLowerCase() !== request.address.toLowerCase()) return failure('address', 'mismatch', `${b.address} answers a request for ${request.address}`)
    if (slots.length !== request.slots.length || slots.some((s, i) => s !== BigInt(request.slots[i] as string))) {
      return failure('slots', 'mismatch', 'not the slots requested')
    }
    if (request.code && b.code === undefined) return failure('code', 'malformed', 'missing although requested')
  }
  const checked = checkProofResponse(b.proof, header, b.address, slots)
  if (!checked.ok) return { ok: false, failure: { ...checked.failure, field: `proof.${checked.failure.field}`, message: `proof.${checked.failure.message}` } }
  if (b.code === undefined) return { ok: true, value: { state: checked.value } }
  const code = typeof b.code === 'string' ? parseHex(b.code) : undefined
  if (code === undefined) return failure('code', 'malformed', 'not 0x-prefixed hex of whole bytes')
  if (code.length > MAX_CODE_BYTES) return failure('code', 'malformed', `${code.length} bytes, more than ${MAX_CODE_BYTES}`)
  const expected = checked.value.codeHash // EMPTY_CODE_HASH for an absent account
  if (!equalBytes(keccak256(code), expected)) {
    return failure('code', 'mismatch', `hashes to ${bytesToHex(keccak256(code))} but the proven codeHash is ${bytesToHex(expected)}`)
  }
  return { ok: true, value: { state: checked.value, code } }
}
