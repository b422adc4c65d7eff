/**
 * Raw transactions as phones send them with `eth_sendRawTransaction`, checked before the outbox
 * accepts one. Spectrum is a Byzantium-era geth fork: it accepts legacy transactions only
 * (RLP [nonce, gasPrice, gasLimit, to, value, data, v, r, s]), signed for its EIP-155 chain id.
 *
 * @example
 *   const tx = decodeRawTransaction(raw, { chainId: 20180430n })   // throws ChainInputError naming the field
 *   const reason = checkAgainstState(tx, { nonce, balance })       // undefined when acceptable
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { addressOfPublicKey, bigintToBytes, bytesToBigint, bytesToHex, keccak256, parseHex, toAddress, type Address } from './bytes.js'
import { ChainErrorCode, ChainInputError } from './errors.js'
import { UINT256_MAX, UINT64_MAX } from './header.js'
import { decodeRlp, encodeRlp, type RlpItem } from './rlp.js'

/** geth's txpool refuses transactions over 128 KiB (txMaxSize, 4 slots of 32 KiB). */
export const TX_MAX_BYTES = 128 * 1024
const CURVE_ORDER = secp256k1.Point.Fn.ORDER
const HALF_ORDER = CURVE_ORDER >> 1n
/** Intrinsic gas under Byzantium rules (go-ethereum params/protocol_params.go of that era). */
export const TX_GAS = 21000n
export const TX_GAS_CONTRACT_CREATION = 53000n
export const TX_DATA_ZERO_GAS = 4n
export const TX_DATA_NON_ZERO_GAS = 68n

const TX_TYPES: Record<number, string> = { 1: 'EIP-2930 access-list', 2: 'EIP-1559 dynamic-fee', 3: 'EIP-4844 blob', 4: 'EIP-7702 set-code' }

export interface DecodeTransactionOptions {
  /** The chain's EIP-155 id (20180430 on Spectrum mainnet). */
  chainId: bigint
  /** Accept pre-EIP-155 signatures (v = 27/28), replayable on every chain. Off by default. */
  allowUnprotected?: boolean
  maxBytes?: number
}

export interface DecodedTransaction {
  /** keccak256 of the raw bytes: the hash the chain will know it by. */
  hash: `0x${string}`
  from: Address
  /** null for a contract creation. */
  to: Address | null
  nonce: bigint
  gasPrice: bigint
  gasLimit: bigint
  value: bigint
  data: `0x${string}`
  /** null for a pre-EIP-155 signature (only with `allowUnprotected`). */
  chainId: bigint | null
  /** Gas the transaction needs before executing anything (21000 or 53000, plus its data). */
  intrinsicGas: bigint
}

const FIELDS = ['nonce', 'gasPrice', 'gasLimit', 'to', 'value', 'data', 'v', 'r', 's'] as const
type Field = typeof FIELDS[number]

function fail (field: string, message: string): never {
  throw new ChainInputError(ChainErrorCode.TX_INVALID, `transaction ${field}: ${message}`, field)
}

function integer (item: Uint8Array, field: Field, max: bigint): bigint {
  if (item.length > 0 && item[0] === 0) fail(field, 'integer with a leading zero byte (non-canonical)')
  const value = bytesToBigint(item)
  if (value > max) fail(field, `${value} is out of range (at most ${max})`)
  return value
}

/** 21000 (53000 to create a contract) + 4 per zero and 68 per non-zero data byte (Byzantium). */
export function intrinsicGas (data: Uint8Array, creation: boolean): bigint {
  let gas = creation ? TX_GAS_CONTRACT_CREATION : TX_GAS
  for (const b of data) gas += b === 0 ? TX_DATA_ZERO_GAS : TX_DATA_NON_ZERO_GAS
  return gas
}

/**
 * Decodes and checks a raw legacy transaction: canonical bounded RLP of exactly 9 byte strings,
 * EIP-155 signature for `chainId` (pre-EIP-155 only if allowed), r and s in range with low s
 * (Homestead), and a recoverable sender.
 * @throws ChainInputError (CHAIN_TX_INVALID, or CHAIN_RLP_INVALID) whose `field` names the problem.
 */
export function decodeRawTransaction (raw: string | Uint8Array, options: DecodeTransactionOptions): DecodedTransaction {
  const bytes = typeof raw === 'string' ? parseHex(raw) : raw
  if (bytes === undefined) fail('raw', 'not 0x-prefixed hex of whole bytes')
  const maxBytes = options.maxBytes ?? TX_MAX_BYTES
  if (bytes.length > maxBytes) fail('raw', `${bytes.length} bytes, more than the ${maxBytes}-byte limit`)
  const first = bytes[0]
  if (first === undefined) fail('raw', 'empty')
  if (first <= 0x7f) {
    const kind = TX_TYPES[first] ?? 'unknown'
    fail('type', `typed transaction 0x${first.toString(16).padStart(2, '0')} (${kind}, EIP-2718) is not accepted: Spectrum follows Byzantium rules and takes legacy transactions only; sign a legacy (type 0) transaction with chain id ${options.chainId}`)
  }
  if (first < 0xc0) fail('raw', 'RLP byte string where a transaction list was expected')
  let list: RlpItem
  try {
    list = decodeRlp(bytes, { maxBytes, maxDepth: 1 })
  } catch (err) {
    if (err instanceof ChainInputError) throw new ChainInputError(err.code, `transaction raw: ${err.message}`, 'raw')
    throw err
  }
  if (list instanceof Uint8Array || list.length !== 9) fail('raw', `an RLP list of ${list instanceof Uint8Array ? 0 : list.length} items, expected 9 (a legacy transaction)`)
  const items = list as Uint8Array[]
  const item = (field: Field): Uint8Array => items[FIELDS.indexOf(field)] as Uint8Array

  const nonce = integer(item('nonce'), 'nonce', UINT64_MAX)
  const gasPrice = integer(item('gasPrice'), 'gasPrice', UINT256_MAX)
  const gasLimit = integer(item('gasLimit'), 'gasLimit', UINT64_MAX)
  const toBytes = item('to')
  if (toBytes.length !== 0 && toBytes.length !== 20) fail('to', `${toBytes.length} bytes, expected 20 (or empty for a contract creation)`)
  const value = integer(item('value'), 'value', UINT256_MAX)
  const data = item('data')
  const v = integer(item('v'), 'v', UINT256_MAX)
  const r = integer(item('r'), 'r', UINT256_MAX)
  const s = integer(item('s'), 's', UINT256_MAX)

  let chainId: bigint | null
  let recovery: number
  if (v === 27n || v === 28n) {
    if (options.allowUnprotected !== true) fail('v', `${v} is a pre-EIP-155 signature, replayable on any chain; sign with chain id ${options.chainId} (EIP-155)`)
    chainId = null
    recovery = Number(v - 27n)
  } else if (v >= 35n) {
    chainId = (v - 35n) / 2n
    recovery = Number((v - 35n) % 2n)
    if (chainId !== options.chainId) fail('chainId', `signed for chain id ${chainId} (v = ${v}), but this chain's id is ${options.chainId}`)
  } else {
    fail('v', `${v} is neither 27/28 nor chainId × 2 + 35/36`)
  }
  if (r === 0n || r >= CURVE_ORDER) fail('r', 'outside 1 … n−1')
  if (s === 0n || s >= CURVE_ORDER) fail('s', 'outside 1 … n−1')
  if (s > HALF_ORDER) fail('s', 'in the upper half of the curve order (a malleable signature; low s is required since Homestead)')

  const unsigned: Uint8Array[] = items.slice(0, 6)
  if (chainId !== null) unsigned.push(bigintToBytes(chainId), new Uint8Array(0), new Uint8Array(0))
  const digest = keccak256(encodeRlp(unsigned))
  let from: Address
  try {
    from = addressOfPublicKey(new secp256k1.Signature(r, s, recovery).recoverPublicKey(digest).toBytes(false))
  } catch {
    fail('signature', 'recovers no public key')
  }

  return {
    hash: bytesToHex(keccak256(bytes)),
    from,
    to: toBytes.length === 0 ? null : toAddress(toBytes.slice()),
    nonce,
    gasPrice,
    gasLimit,
    value,
    data: bytesToHex(data),
    chainId,
    intrinsicGas: intrinsicGas(data, toBytes.length === 0)
  }
}

export interface AccountFacts {
  /** The sender's next nonce (its transaction count) at a verified block. */
  nonce: bigint
  balance: bigint
}

export interface CheckAgainstStateOptions {
  /** The head's gas limit: a transaction over it can never be mined. */
  blockGasLimit?: bigint
}

/**
 * Whether the chain would take `tx` from a sender in state `account`, as geth's pool checks it:
 * a reason string to refuse, or undefined. A nonce above the account's is accepted (it waits for
 * the gap to fill), as in geth.
 * @throws RangeError if `account` holds values outside uint64 (nonce) or uint256 (balance).
 */
export function checkAgainstState (tx: DecodedTransaction, account: AccountFacts, options: CheckAgainstStateOptions = {}): string | undefined {
  if (account.nonce < 0n || account.nonce > UINT64_MAX) throw new RangeError(`nonce ${account.nonce} outside uint64`)
  if (account.balance < 0n || account.balance > UINT256_MAX) throw new RangeError(`balance ${account.balance} outside uint256`)
  if (tx.nonce < account.nonce) return `nonce too low: nonce ${tx.nonce} is already used (the account's next nonce is ${account.nonce})`
  if (options.blockGasLimit !== undefined && tx.gasLimit > options.blockGasLimit) {
    return `exceeds block gas limit: gasLimit ${tx.gasLimit} is above the block gas limit ${options.blockGasLimit}`
  }
  const cost = tx.value + tx.gasLimit * tx.gasPrice
  if (cost > UINT256_MAX) return 'insufficient funds: value + gasLimit × gasPrice overflows uint256'
  if (account.balance < cost) {
    return `insufficient funds: balance ${account.balance} wei is less than value + gasLimit × gasPrice = ${cost} wei`
  }
  if (tx.gasLimit < tx.intrinsicGas) return `intrinsic gas too low: gasLimit ${tx.gasLimit} is below the ${tx.intrinsicGas} this transaction needs (21000${tx.to === null ? ' → 53000 for a contract creation' : ''} plus 4 per zero and 68 per non-zero data byte)`
  return undefined
}
