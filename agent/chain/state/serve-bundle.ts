/**
 * The uplinked side of mesh proof bundles: a box with an upstream answers another box's
 * ProofRequest with the raw eth_getProof answer (and code) at the block that box named. When
 * this box has verified that block too, it checks the bundle first and demotes a lying source
 * rather than pass its lie on; otherwise it forwards the answer as is, since the asking box
 * verifies everything itself anyway.
 */
import { AgentError, ErrorCode, errorMessage } from '../../errors.js'
import type { Logger } from '../../log/logger.js'
import { bytesToHex, parseHex } from '../bytes.js'
import { headerHash } from '../header.js'
import { MAX_PROOF_SLOTS } from '../proof.js'
import { verifyProofBundle, type ProofBundle, type ProofRequest } from './proof-bundle.js'
import type { ReadOptions, StateHeaders, StateUpstream, UpstreamAnswer } from './types.js'

export interface ProofBundleServerComponents {
  headers: StateHeaders
  upstream?: StateUpstream
  logger: Logger
  maxAttempts: number
}

function checkRequest (r: unknown): ProofRequest {
  const bad = (what: string): never => { throw new AgentError(ErrorCode.CHAIN_PROOF_INVALID, `proof request: ${what}`) }
  if (r === null || typeof r !== 'object' || Array.isArray(r)) bad('not an object')
  const o = r as Record<string, unknown>
  if (o.v !== 1) bad('version is not 1')
  if (typeof o.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(o.address)) bad('address is not 20-byte hex')
  if (!Array.isArray(o.slots) || o.slots.length > MAX_PROOF_SLOTS || o.slots.some(s => typeof s !== 'string' || parseHex(s)?.length !== 32)) {
    bad(`slots is not an array of at most ${MAX_PROOF_SLOTS} 32-byte hex slots`)
  }
  if (typeof o.blockNumber !== 'string' || !/^0x(?:0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/.test(o.blockNumber)) bad('blockNumber is not a hex quantity')
  if (typeof o.blockHash !== 'string' || parseHex(o.blockHash)?.length !== 32) bad('blockHash is not a 32-byte hash')
  if (typeof o.code !== 'boolean') bad('code is not a boolean')
  return o as unknown as ProofRequest
}

export function createProofBundleServer (c: ProofBundleServerComponents): (request: ProofRequest, options?: ReadOptions) => Promise<ProofBundle> {
  return async (raw, options = {}) => {
    const request = checkRequest(raw)
    const up = c.upstream
    if (up === undefined) throw new AgentError(ErrorCode.CHAIN_NO_UPSTREAM, 'this box has no upstream to make proof bundles from')
    const ours = await c.headers.headerByNumber(BigInt(request.blockNumber))
    const known = ours !== undefined && bytesToHex(headerHash(ours.header)) === request.blockHash.toLowerCase() ? ours.header : undefined
    const excluded: string[] = []
    const failures: string[] = []
    for (let i = 0; i < c.maxAttempts; i++) {
      let proof: UpstreamAnswer
      let code: UpstreamAnswer | undefined
      try {
        proof = await up.call('eth_getProof', [request.address, request.slots, request.blockNumber], { ...options, exclude: excluded })
        code = request.code ? await up.call('eth_getCode', [request.address, request.blockNumber], { ...options, exclude: excluded }) : undefined
      } catch (err) {
        failures.push(errorMessage(err))
        break
      }
      if (excluded.includes(proof.source)) break
      const bundle: ProofBundle = {
        v: 1, blockNumber: request.blockNumber, blockHash: request.blockHash.toLowerCase(), address: request.address.toLowerCase(),
        slots: request.slots, proof: proof.result, ...(code !== undefined && typeof code.result === 'string' ? { code: code.result } : {})
      }
      if (known === undefined) return bundle
      const checked = verifyProofBundle(bundle, known, request)
      if (checked.ok) return bundle
      const liar = checked.failure.field === 'code' && code !== undefined ? code.source : proof.source
      c.logger.warn('Upstream answer rejected', { source: liar, method: 'proof bundle', reason: checked.failure.message })
      c.upstream?.demote?.(liar, `proof bundle: ${checked.failure.message}`)
      excluded.push(liar)
      failures.push(`${liar}: ${checked.failure.message}`)
    }
    throw new AgentError(ErrorCode.CHAIN_STATE_UNVERIFIED, `cannot make a proof bundle for ${request.address} at block ${BigInt(request.blockNumber)}: ${failures.join('; ') || 'no source could prove it'}`)
  }
}
