/**
 * Checks for eth_* parameters. Each names the parameter position and what was expected, and
 * throws an RpcError with -32602 (invalid params).
 */
import { RpcCode, RpcError } from './jsonrpc.js'

export type BlockTag = 'latest' | 'pending' | 'earliest' | 'safe' | 'finalized' | bigint

const bad = (index: number, what: string): RpcError => new RpcError(RpcCode.INVALID_PARAMS, `param ${index}: ${what}`)

export function arity (params: unknown[], min: number, max: number): void {
  if (params.length < min || params.length > max) {
    throw new RpcError(RpcCode.INVALID_PARAMS, min === max ? `expected ${min} params, got ${params.length}` : `expected ${min} to ${max} params, got ${params.length}`)
  }
}

export function address (params: unknown[], index: number): string {
  const v = params[index]
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw bad(index, 'expected an address (0x and 40 hex digits)')
  return v.toLowerCase()
}

export function hash32 (params: unknown[], index: number): string {
  const v = params[index]
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw bad(index, 'expected a 32-byte hash (0x and 64 hex digits)')
  return v.toLowerCase()
}

export function quantity (params: unknown[], index: number): bigint {
  const v = params[index]
  if (typeof v !== 'string' || !/^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,63})$/.test(v)) throw bad(index, 'expected a quantity (0x-prefixed hex without leading zeros)')
  return BigInt(v)
}

export function data (params: unknown[], index: number, maxBytes: number): string {
  const v = params[index]
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) throw bad(index, 'expected data (0x and an even number of hex digits)')
  if ((v.length - 2) / 2 > maxBytes) throw bad(index, `data is over ${maxBytes} bytes`)
  return v.toLowerCase()
}

export function blockTag (params: unknown[], index: number, fallback: BlockTag = 'latest'): BlockTag {
  const v = params[index]
  if (v === undefined) return fallback
  if (v === 'latest' || v === 'pending' || v === 'earliest' || v === 'safe' || v === 'finalized') return v
  if (typeof v === 'string' && /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/.test(v)) return BigInt(v)
  // EIP-1898 {blockNumber} / {blockHash} objects are not resolved here.
  throw bad(index, 'expected a block number (hex) or "latest", "pending", "earliest", "safe", "finalized"')
}

export function bool (params: unknown[], index: number, fallback = false): boolean {
  const v = params[index]
  if (v === undefined) return fallback
  if (typeof v !== 'boolean') throw bad(index, 'expected true or false')
  return v
}

/** A call object for eth_call / eth_estimateGas: known keys only, each in its wire form. */
export function callObject (params: unknown[], index: number): Record<string, string> {
  const v = params[index]
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(index, 'expected a call object {to, data, …}')
  const out: Record<string, string> = {}
  for (const [k, x] of Object.entries(v)) {
    if (!['from', 'to', 'gas', 'gasPrice', 'value', 'data', 'input', 'nonce'].includes(k)) throw bad(index, `unknown field "${k.slice(0, 30)}" in the call object`)
    if (typeof x !== 'string' || !/^0x[0-9a-fA-F]*$/.test(x) || x.length > 2 + 2 * 128 * 1024) throw bad(index, `"${k}" must be 0x-prefixed hex`)
    out[k] = x
  }
  return out
}
