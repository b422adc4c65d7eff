/**
 * Verification of a batch from upstream or the mesh, the way sync does it: verifyChain in chunks,
 * with the signers of each chunk recovered on the worker pool before verifyChain sees it:
 * each chunk's (seal hash, seal) pairs go to the pool and the answers are seeded into the seal
 * engine's recovery cache, so verifySeal finds them there. Verification itself stays pure and
 * synchronous; without the pool (or when it fails) it simply recovers in this thread.
 *
 * Chunks go to the pool a few ahead of the one being verified, so the workers recover chunk k+1
 * while this thread hashes and checks chunk k, and a long batch never blocks this thread for
 * long on hashing the whole of it up front.
 */
import { AgentError, ErrorCode, errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import type { Header } from '../header.js'
import type { RecoverPool } from '../seal/recover-pool.js'
import type { SealEngine, SealInput } from '../seal/engine.js'
import { verifyChain, type ChainSegmentResult } from '../verify/verify-chain.js'
import type { VerifyContext } from '../verify/types.js'

/**
 * Below this many headers the pool is not worth a round trip: a box in sync gets one header per
 * block (15 s on Spectrum), recovered in-thread in ~0.5 ms with WASM.
 */
export const POOL_MIN_HEADERS = 16

export interface PrepareComponents { engine: SealEngine, pool: RecoverPool | undefined, logger: Logger }

/**
 * Headers verified between two yields to the event loop (a Tribe seal costs ~0.5 ms recovered
 * here with WASM, 2.5 ms with noble), and the unit sent to the recovery pool.
 */
export const VERIFY_CHUNK = 32

/** Chunks submitted ahead of the one being verified: enough to keep every worker two jobs deep. */
const CHUNKS_AHEAD = 3

/**
 * Prepares the signers of `headers`, split in chunks of `chunk`. The returned function, called
 * with chunk k before verifying it, submits chunks up to k + CHUNKS_AHEAD and resolves once chunk
 * k's signers are cached. It never rejects: an abort or a pool failure leaves the signers to
 * in-thread recovery, which gives the same answers.
 */
export function prepareSigners (c: PrepareComponents, headers: readonly Header[], chunk: number, signal?: AbortSignal): (k: number) => Promise<void> {
  const { engine, pool } = c
  void pool?.warm()
  if (pool === undefined || pool.size === 0 || headers.length < POOL_MIN_HEADERS) return async () => {}
  const submitted: Array<Promise<void>> = []
  const submit = (k: number): Promise<void> => {
    const inputs: SealInput[] = []
    for (const h of headers.slice(k * chunk, (k + 1) * chunk)) {
      const input = engine.sealInput(h)
      if (input !== undefined && !engine.knows(input)) inputs.push(input)
    }
    if (inputs.length === 0 || signal?.aborted === true) return Promise.resolve()
    return pool.recoverMany(inputs, signal).then(signers => {
      // Only found signers are seeded: "no signer" is left for verifySeal to establish itself.
      signers.forEach((signer, i) => { if (signer !== undefined) engine.seed(inputs[i] as SealInput, signer) })
    }, (err: unknown) => {
      if (signal?.aborted !== true) c.logger.debug('Chain signers recovered in-thread', { headers: inputs.length, reason: errorMessage(err) })
    })
  }
  const chunks = Math.ceil(headers.length / chunk)
  return async (k) => {
    for (let j = submitted.length; j <= k + CHUNKS_AHEAD && j < chunks; j++) submitted.push(submit(j))
    await submitted[k]
  }
}

/**
 * verifyChain over a whole batch, chunk by chunk with a yield between chunks, the signers of each
 * chunk prepared on the pool first; the Clique snapshot is carried from chunk to chunk.
 * @throws AgentError ABORTED when `signal` aborts before the batch is verified.
 */
export async function verifyBatch (c: PrepareComponents, anchor: Header, headers: readonly Header[], ctx: VerifyContext, signal?: AbortSignal): Promise<ChainSegmentResult> {
  const signersReady = prepareSigners(c, headers, VERIFY_CHUNK, signal)
  let r: ChainSegmentResult = { verified: 0, head: anchor, ...(ctx.clique !== undefined ? { clique: ctx.clique } : {}) }
  for (let i = 0; i < headers.length; i += VERIFY_CHUNK) {
    await signersReady(i / VERIFY_CHUNK)
    if (signal?.aborted === true) throw new AgentError(ErrorCode.ABORTED, 'chain verification was cancelled')
    const next = verifyChain(r.head, headers.slice(i, i + VERIFY_CHUNK), r.clique !== undefined ? { ...ctx, clique: r.clique } : ctx)
    r = { ...next, verified: r.verified + next.verified }
    if (r.failure !== undefined) return r
    if (i + VERIFY_CHUNK < headers.length) await new Promise(resolve => setImmediate(resolve))
  }
  return r
}
