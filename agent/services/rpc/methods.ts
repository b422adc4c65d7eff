/**
 * The eth_* and meshbox_* methods served at `POST /rpc`, over an interface to the light node.
 * Header answers come from verified headers only; state answers carry how they were verified
 * in a `meshbox` member of the response (see README.md); calls the light node cannot verify
 * (eth_call, eth_estimateGas, eth_gasPrice) are forwarded and marked `unverified`.
 */
import { headerToRpc, type Header } from '../../chain/index.js'
import { RpcCode, RpcError, type RpcAnswer, type RpcMethod } from './jsonrpc.js'
import * as p from './params.js'

export type Level = 'proof' | 'agreement' | 'cache'
export interface Verified<T> { value: T, level: Level, blockNumber: bigint, ageMs?: number }
export interface KnownHeader { hash: string, header: Header }

export interface RpcBackend {
  chainId: () => bigint
  head: () => (KnownHeader & { verifiedAtMs: number }) | undefined
  headerByNumber: (n: bigint) => Promise<KnownHeader | undefined>
  headerByHash: (hash: string) => Promise<KnownHeader | undefined>
  syncStatus: () => unknown
  balance: (address: string, tag: p.BlockTag, signal: AbortSignal) => Promise<Verified<bigint>>
  nonce: (address: string, tag: p.BlockTag, signal: AbortSignal) => Promise<Verified<bigint>>
  code: (address: string, tag: p.BlockTag, signal: AbortSignal) => Promise<Verified<string>>
  storage: (address: string, slot: bigint, tag: p.BlockTag, signal: AbortSignal) => Promise<Verified<string>>
  /** Passes a call to an upstream as it is; throws RpcError NO_UPSTREAM when there is none. */
  forward: (method: string, params: unknown[], signal: AbortSignal) => Promise<unknown>
  sendRawTransaction: (raw: string, signal: AbortSignal) => Promise<string>
  transactionReceipt: (hash: string, signal: AbortSignal) => Promise<RpcAnswer>
  transactionByHash: (hash: string, signal: AbortSignal) => Promise<RpcAnswer>
  outbox: () => Promise<unknown>
}

const MAX_CALL_DATA_BYTES = 128 * 1024
const hex = (n: bigint): string => '0x' + n.toString(16)

function verified<T> (v: Verified<T>, show: (x: T) => unknown, now: number, head: bigint | undefined): RpcAnswer {
  return {
    result: show(v.value),
    meshbox: {
      verified: v.level,
      blockNumber: hex(v.blockNumber),
      ...(v.ageMs !== undefined ? { ageMs: v.ageMs } : {}),
      ...(head !== undefined && head > v.blockNumber ? { blocksBehindHead: Number(head - v.blockNumber) } : {}),
      at: now
    }
  }
}

export function rpcMethods (b: RpcBackend, now: () => number = Date.now): Map<string, RpcMethod> {
  const head = (): KnownHeader & { verifiedAtMs: number } => {
    const h = b.head()
    if (h === undefined) throw new RpcError(RpcCode.NOT_SYNCED, 'this box has no verified header yet; see meshbox_syncStatus')
    return h
  }
  const block = (h: KnownHeader | undefined, full: boolean): RpcAnswer => h === undefined
    ? { result: null }
    : {
        result: { ...headerToRpc(h.header), transactions: [], uncles: [] },
        meshbox: { verified: 'header', transactionsOmitted: true, fullTransactionsRequested: full }
      }
  const state = <T>(read: (address: string, tag: p.BlockTag, signal: AbortSignal) => Promise<Verified<T>>, show: (x: T) => unknown): RpcMethod =>
    async (params, signal) => {
      p.arity(params, 1, 2)
      return verified(await read(p.address(params, 0), p.blockTag(params, 1), signal), show, now(), b.head()?.header.number)
    }
  const forwarded = (method: string, check: (params: unknown[]) => void): RpcMethod => async (params, signal) => {
    check(params)
    return { result: await b.forward(method, params, signal), meshbox: { verified: 'unverified', forwarded: true } }
  }

  const table: Array<[string, RpcMethod]> = [
    ['eth_chainId', async (params) => { p.arity(params, 0, 0); return { result: hex(b.chainId()) } }],
    ['net_version', async (params) => { p.arity(params, 0, 0); return { result: b.chainId().toString() } }],
    ['eth_blockNumber', async (params) => {
      p.arity(params, 0, 0)
      const h = head()
      return { result: hex(h.header.number), meshbox: { verified: 'header', ageMs: now() - h.verifiedAtMs } }
    }],
    ['eth_getBlockByNumber', async (params) => {
      p.arity(params, 1, 2)
      const tag = p.blockTag(params, 0)
      const full = p.bool(params, 1)
      if (typeof tag === 'bigint') return block(await b.headerByNumber(tag), full)
      return block(tag === 'earliest' ? await b.headerByNumber(0n) : head(), full)
    }],
    ['eth_getBlockByHash', async (params) => { p.arity(params, 1, 2); return block(await b.headerByHash(p.hash32(params, 0)), p.bool(params, 1)) }],
    ['eth_getBalance', state(b.balance, hex)],
    ['eth_getTransactionCount', state(b.nonce, hex)],
    ['eth_getCode', state(b.code, x => x)],
    ['eth_getStorageAt', async (params, signal) => {
      p.arity(params, 2, 3)
      const v = await b.storage(p.address(params, 0), p.quantity(params, 1), p.blockTag(params, 2), signal)
      return verified(v, x => x, now(), b.head()?.header.number)
    }],
    ['eth_gasPrice', forwarded('eth_gasPrice', params => { p.arity(params, 0, 0) })],
    ['eth_estimateGas', forwarded('eth_estimateGas', params => { p.arity(params, 1, 2); p.callObject(params, 0); p.blockTag(params, 1) })],
    ['eth_call', forwarded('eth_call', params => { p.arity(params, 1, 2); p.callObject(params, 0); p.blockTag(params, 1) })],
    ['eth_sendRawTransaction', async (params, signal) => {
      p.arity(params, 1, 1)
      return { result: await b.sendRawTransaction(p.data(params, 0, MAX_CALL_DATA_BYTES), signal) }
    }],
    ['eth_getTransactionReceipt', async (params, signal) => { p.arity(params, 1, 1); return await b.transactionReceipt(p.hash32(params, 0), signal) }],
    ['eth_getTransactionByHash', async (params, signal) => { p.arity(params, 1, 1); return await b.transactionByHash(p.hash32(params, 0), signal) }],
    ['meshbox_syncStatus', async (params) => { p.arity(params, 0, 0); return { result: b.syncStatus() } }],
    ['meshbox_outbox', async (params) => { p.arity(params, 0, 0); return { result: await b.outbox() } }]
  ]
  return new Map(table)
}
