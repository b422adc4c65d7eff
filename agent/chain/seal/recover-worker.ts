/**
 * The body of a signer-recovery worker thread, as plain JavaScript source for
 * `new Worker(source, { eval: true })`, the wire format between it and recover-workers.ts, and
 * the types the pool and its workers share.
 *
 * Why a source string: the agent ships as one esbuild file (dist/meshbox.mjs) and runs from .ts
 * under tsx in tests; a worker *file* would need its own bundle entry in one case and a loader in
 * the other. An eval'd body has neither problem. It imports its backends by absolute URL, resolved
 * in the main thread from the agent's own location (system/import-external.ts), so the bundle finds
 * tiny-secp256k1 in the node_modules beside it and tsx finds it in the repo's; the native addon
 * comes first, by the path the main thread loaded it from (agent/chain/native.ts). @noble/curves is
 * only on disk in a checkout (the bundle inlines it), so on a router a worker without WASM says
 * so and the pool recovers in its own thread instead.
 *
 * Wire: a job is `{ id, n, input }` where input holds n records of 97 bytes (digest 32 ‖ r‖s 64 ‖
 * v 1); the answer is `{ type: 'done', id, pubs, ok }` with n 65-byte uncompressed keys and one
 * flag byte each (1 = recovered). v is checked to be 0 or 1 by the sender.
 */
import { addressOfPublicKey, bytesToHex, type Address } from '../bytes.js'

export const RECORD_BYTES = 97
export const PUBLIC_KEY_BYTES = 65

export interface RecoverItem { readonly digest: Uint8Array, readonly seal: Uint8Array }
export type Answers = Array<Address | undefined>

export class RecoverPoolBusyError extends Error {
  static override readonly name = 'RecoverPoolBusyError'
  constructor (queued: number, max: number) {
    super(`signer recovery queue holds ${queued} items, at most ${max}`)
    this.name = 'RecoverPoolBusyError'
  }
}

export interface WorkerData { nativeFile?: string, wasmUrl?: string, nobleUrl?: string }
export interface JobMessage { type: 'job', id: number, n: number, input: Uint8Array }
export type WorkerReply =
  | { type: 'ready', backend: 'native' | 'wasm' | 'noble' }
  | { type: 'unavailable', reason: string }
  | { type: 'done', id: number, pubs: Uint8Array, ok: Uint8Array }

export const WORKER_SOURCE = String.raw`'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const toBig = (b) => { let x = 0n; for (const v of b) x = (x << 8n) | BigInt(v); return x }

// Every backend writes the 65-byte key for (digest, seal = r‖s‖v) into out and says whether it found one.
async function load () {
  const reasons = []
  if (workerData.nativeFile) {
    try {
      const mod = { exports: {} }
      process.dlopen(mod, workerData.nativeFile)
      const native = mod.exports
      return { name: 'native', recover: (digest, seal, out) => native.recoverPublicKey(digest, seal, out) }
    } catch (err) { reasons.push('native: ' + err.message) }
  }
  const into = (out, pub) => { if (!pub || pub.length !== 65) return false; out.set(pub); return true }
  if (workerData.wasmUrl) {
    try {
      const tiny = await import(workerData.wasmUrl)
      // tiny-secp256k1 throws for r or s of 0 or >= n and for an r that is no x-coordinate.
      return { name: 'wasm', recover: (digest, seal, out) => into(out, tiny.recover(digest, seal.subarray(0, 64), seal[64], false)) }
    } catch (err) { reasons.push('wasm: ' + err.message) }
  }
  if (workerData.nobleUrl) {
    try {
      const { secp256k1 } = await import(workerData.nobleUrl)
      return {
        name: 'noble',
        recover: (digest, seal, out) => {
          const r = toBig(seal.subarray(0, 32)); const s = toBig(seal.subarray(32, 64))
          if (r === 0n || r >= N || s === 0n || s >= N) return false
          return into(out, new secp256k1.Signature(r, s, seal[64]).recoverPublicKey(digest).toBytes(false))
        }
      }
    } catch (err) { reasons.push('noble: ' + err.message) }
  }
  throw new Error(reasons.join('; ') || 'no backend given')
}

load().then((backend) => {
  parentPort.on('message', (job) => {
    const pubs = new Uint8Array(job.n * 65)
    const ok = new Uint8Array(job.n)
    for (let i = 0; i < job.n; i++) {
      const at = i * 97
      try {
        // A record is digest ‖ r‖s‖v: the seal is its last 65 bytes as they stand, no copy.
        if (backend.recover(job.input.subarray(at, at + 32), job.input.subarray(at + 32, at + 97), pubs.subarray(i * 65, i * 65 + 65))) ok[i] = 1
      } catch {}
    }
    parentPort.postMessage({ type: 'done', id: job.id, pubs, ok }, [pubs.buffer, ok.buffer])
  })
  parentPort.postMessage({ type: 'ready', backend: backend.name })
}, (err) => {
  parentPort.postMessage({ type: 'unavailable', reason: err.message })
})
`

/** Packs (digest, seal) pairs, already checked for length and v, into one job input. */
export function packJob (items: readonly RecoverItem[]): Uint8Array<ArrayBuffer> {
  const input = new Uint8Array(items.length * RECORD_BYTES)
  items.forEach((item, i) => {
    input.set(item.digest, i * RECORD_BYTES)
    input.set(item.seal, i * RECORD_BYTES + 32)
  })
  return input
}

/** Signers repeat (17 on Spectrum), so each public key is hashed to its address once. */
const addresses = new Map<string, Address>()

/** The addresses in a `done` reply, undefined where the worker recovered no key. */
export function unpackAnswers (n: number, pubs: Uint8Array, ok: Uint8Array): Answers {
  const out: Answers = []
  for (let i = 0; i < n; i++) {
    if (ok[i] !== 1) { out.push(undefined); continue }
    const pub = pubs.subarray(i * PUBLIC_KEY_BYTES, (i + 1) * PUBLIC_KEY_BYTES)
    const key = bytesToHex(pub)
    let address = addresses.get(key)
    if (address === undefined) {
      if (addresses.size >= 256) addresses.clear()
      address = addressOfPublicKey(pub)
      addresses.set(key, address)
    }
    out.push(address)
  }
  return out
}
