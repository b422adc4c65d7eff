/**
 * Raw transaction decoding and state checks, with transactions signed offline by an ethers v6
 * Wallet (the phone side) and altered with our own RLP where ethers would refuse to.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Transaction, Wallet, type TransactionRequest } from 'ethers'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bigintToBytes, bytesToBigint, bytesToHex, concatBytes, hexToBytes } from '../../agent/chain/bytes.js'
import { ChainInputError } from '../../agent/chain/errors.js'
import { decodeRlp, encodeRlp } from '../../agent/chain/rlp.js'
import { checkAgainstState, decodeRawTransaction, intrinsicGas, TX_MAX_BYTES, type DecodedTransaction } from '../../agent/chain/tx.js'

const CHAIN_ID = 20180430n
const N = secp256k1.Point.Fn.ORDER
const wallet = new Wallet('0x' + '4c'.repeat(32))
const TO = '0x' + 'ab'.repeat(20)

const legacy = (patch: TransactionRequest = {}): TransactionRequest => ({
  type: 0, chainId: CHAIN_ID, nonce: 7, gasPrice: 18_000_000_000n, gasLimit: 21000n, to: TO, value: 10n ** 18n, ...patch
})
const sign = async (patch: TransactionRequest = {}): Promise<string> => await wallet.signTransaction(legacy(patch))

const txError = (field: string, message?: RegExp) => (e: unknown): boolean => {
  if (!(e instanceof ChainInputError)) return false
  if (e.field !== field) assert.fail(`field ${String(e.field)}, expected ${field} (${e.message})`)
  if (message !== undefined && !message.test(e.message)) assert.fail(`message "${e.message}" does not match ${String(message)}`)
  return true
}

/** The 9 RLP items of a raw legacy transaction, to alter and re-encode. */
const itemsOf = (raw: string): Uint8Array[] => (decodeRlp(hexToBytes(raw)) as Uint8Array[]).map(i => i.slice())
const reencode = (items: Uint8Array[]): string => bytesToHex(encodeRlp(items))
const decode = (raw: string, allowUnprotected = false): DecodedTransaction => decodeRawTransaction(raw, { chainId: CHAIN_ID, allowUnprotected })

describe('decodeRawTransaction', () => {
  it('default: an EIP-155 legacy transaction for chain 20180430: sender, hash and fields as ethers sees them', async () => {
    const raw = await sign({ data: '0x00ff00aa' })
    const tx = decode(raw)
    const theirs = Transaction.from(raw)
    assert.equal(tx.hash, theirs.hash)
    assert.equal(tx.from, wallet.address.toLowerCase())
    assert.deepEqual(
      { to: tx.to, nonce: tx.nonce, gasPrice: tx.gasPrice, gasLimit: tx.gasLimit, value: tx.value, data: tx.data, chainId: tx.chainId },
      { to: TO, nonce: 7n, gasPrice: 18_000_000_000n, gasLimit: 21000n, value: 10n ** 18n, data: '0x00ff00aa', chainId: CHAIN_ID }
    )
    assert.equal(tx.intrinsicGas, 21000n + 4n * 2n + 68n * 2n)
    assert.equal(bytesToBigint(itemsOf(raw)[6] as Uint8Array) - CHAIN_ID * 2n, 35n + BigInt(theirs.signature?.yParity ?? 0), 'v = chainId × 2 + 35 + parity')
  })

  it('args: a contract creation has no `to` and needs 53000 gas plus its data', async () => {
    const tx = decode(await sign({ to: null, data: '0x6000', gasLimit: 100000n }))
    assert.equal(tx.to, null)
    assert.equal(tx.intrinsicGas, 53000n + 68n + 4n)
  })

  it('error: a wrong chain id names chainId and both ids', async () => {
    const raw = await sign({ chainId: 1n })
    assert.throws(() => decode(raw), txError('chainId', /signed for chain id 1 .*this chain's id is 20180430/))
    const testnet = await sign({ chainId: 2022n })
    assert.throws(() => decode(testnet), txError('chainId', /2022/))
  })

  it('error: high s (n − s with the other parity: the malleable twin of a valid signature) is refused', async () => {
    const items = itemsOf(await sign())
    const s = bytesToBigint(items[8] as Uint8Array)
    const v = bytesToBigint(items[6] as Uint8Array)
    items[8] = bigintToBytes(N - s)
    items[6] = bigintToBytes(v % 2n === 0n ? v - 1n : v + 1n)
    assert.throws(() => decode(reencode(items)), txError('s', /upper half/))
  })

  it('behavior: pre-EIP-155 (v = 27/28) only when allowed', async () => {
    const raw = await sign({ chainId: 0n })
    assert.throws(() => decode(raw), txError('v', /pre-EIP-155/))
    const tx = decode(raw, true)
    assert.equal(tx.chainId, null)
    assert.equal(tx.from, wallet.address.toLowerCase())
    assert.equal(tx.hash, Transaction.from(raw).hash)
  })

  it('error: typed transactions (EIP-1559, EIP-2930) are refused with the reason', async () => {
    const type2 = await wallet.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: 0, maxFeePerGas: 20n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n, gasLimit: 21000n, to: TO, value: 1n })
    assert.throws(() => decode(type2), txError('type', /typed transaction 0x02 \(EIP-1559 dynamic-fee, EIP-2718\) is not accepted: Spectrum follows Byzantium rules/))
    const type1 = await wallet.signTransaction({ type: 1, chainId: CHAIN_ID, nonce: 0, gasPrice: 1n, gasLimit: 21000n, to: TO, accessList: [] })
    assert.throws(() => decode(type1), txError('type', /0x01 \(EIP-2930/))
  })

  it('error: truncated, non-canonical and malformed RLP', async () => {
    const raw = await sign()
    assert.throws(() => decode(raw.slice(0, -2)), txError('raw', /RLP: item at offset 0 declares/))
    assert.throws(() => decode(raw + '00'), txError('raw', /trailing bytes/))
    assert.throws(() => decode('0x'), txError('raw', /empty/))
    assert.throws(() => decode('0xc0z1'), txError('raw', /not 0x-prefixed hex/))
    assert.throws(() => decode('0x8100'), txError('raw', /byte string/))
    const items = itemsOf(raw)
    // nonce 7 spelled 0x81 0x07: a single byte below 0x80 wrapped in a prefix
    const body = concatBytes(Uint8Array.of(0x81, 0x07), ...items.slice(1).map(i => encodeRlp(i)))
    const wrapped = concatBytes(body.length < 56 ? Uint8Array.of(0xc0 + body.length) : Uint8Array.of(0xf8, body.length), body)
    assert.throws(() => decode(bytesToHex(wrapped)), txError('raw', /single byte below 0x80 wrapped/))
    const padded = itemsOf(raw); padded[0] = Uint8Array.of(0, 7)
    assert.throws(() => decode(reencode(padded)), txError('nonce', /leading zero/))
    assert.throws(() => decode(reencode(items.slice(0, 8))), txError('raw', /8 items, expected 9/))
    const shortTo = itemsOf(raw); shortTo[3] = new Uint8Array(19)
    assert.throws(() => decode(reencode(shortTo)), txError('to', /19 bytes/))
    const nested = itemsOf(raw) as unknown as Array<Uint8Array | Uint8Array[]>; nested[5] = [Uint8Array.of(1)]
    assert.throws(() => decode(bytesToHex(encodeRlp(nested))), txError('raw', /nested deeper/))
  })

  it('error: oversized (over 128 KiB)', async () => {
    const raw = await sign({ data: '0x' + '01'.repeat(TX_MAX_BYTES), gasLimit: 10_000_000n })
    assert.throws(() => decode(raw), txError('raw', /more than the 131072-byte limit/))
  })

  it('error: bad v, r or s', async () => {
    const raw = await sign()
    const with_ = (index: number, value: bigint): string => { const items = itemsOf(raw); items[index] = bigintToBytes(value); return reencode(items) }
    assert.throws(() => decode(with_(6, 29n)), txError('v', /neither 27\/28 nor/))
    assert.throws(() => decode(with_(7, 0n)), txError('r', /outside/))
    assert.throws(() => decode(with_(7, N)), txError('r', /outside/))
    assert.throws(() => decode(with_(8, 0n)), txError('s', /outside/))
  })

  it('behavior: an altered field still recovers a sender, but not the signer', async () => {
    const items = itemsOf(await sign())
    items[4] = bigintToBytes(2n * 10n ** 18n)
    const tx = decode(reencode(items))
    assert.notEqual(tx.from, wallet.address.toLowerCase())
  })
})

describe('checkAgainstState', () => {
  const base = async (patch: TransactionRequest = {}): Promise<DecodedTransaction> => decode(await sign(patch))

  it('default: enough balance and a fresh nonce pass; a future nonce waits, as in geth', async () => {
    const tx = await base()
    const cost = tx.value + tx.gasLimit * tx.gasPrice
    assert.equal(checkAgainstState(tx, { nonce: 7n, balance: cost }), undefined)
    assert.equal(checkAgainstState(tx, { nonce: 3n, balance: cost }), undefined)
  })

  it('error: a used nonce', async () => {
    assert.match(checkAgainstState(await base(), { nonce: 8n, balance: 10n ** 30n }) ?? '', /^nonce too low: nonce 7 is already used \(the account's next nonce is 8\)/)
  })

  it('error: balance below value + gasLimit × gasPrice', async () => {
    const tx = await base()
    const cost = tx.value + tx.gasLimit * tx.gasPrice
    assert.equal(checkAgainstState(tx, { nonce: 7n, balance: cost - 1n }), `insufficient funds: balance ${cost - 1n} wei is less than value + gasLimit × gasPrice = ${cost} wei`)
    const huge = await base({ value: (1n << 256n) - 1n, gasLimit: 21000n })
    assert.match(checkAgainstState(huge, { nonce: 0n, balance: (1n << 256n) - 1n }) ?? '', /overflows uint256/)
  })

  it('error: gas limit below intrinsic gas (21000 + 4 per zero, 68 per non-zero data byte)', async () => {
    const data = '0x' + '00'.repeat(10) + 'ff'.repeat(5)
    assert.equal(intrinsicGas(hexToBytes(data), false), 21000n + 40n + 340n)
    const tx = await base({ data, gasLimit: 21379n })
    assert.match(checkAgainstState(tx, { nonce: 0n, balance: 10n ** 30n }) ?? '', /intrinsic gas too low: gasLimit 21379 is below the 21380/)
    assert.equal(checkAgainstState(await base({ data, gasLimit: 21380n }), { nonce: 0n, balance: 10n ** 30n }), undefined)
  })

  it('args: blockGasLimit refuses a transaction that can never be mined', async () => {
    const tx = await base({ gasLimit: 50_000_000n, value: 0n })
    assert.match(checkAgainstState(tx, { nonce: 0n, balance: 10n ** 30n }, { blockGasLimit: 40_000_000n }) ?? '', /exceeds block gas limit/)
  })

  it('error: account facts outside uint64 / uint256 are a bug, thrown', async () => {
    const tx = await base()
    assert.throws(() => checkAgainstState(tx, { nonce: 1n << 64n, balance: 0n }), RangeError)
    assert.throws(() => checkAgainstState(tx, { nonce: 0n, balance: -1n }), RangeError)
  })
})
