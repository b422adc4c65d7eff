/** `GET /api/v1/chain/headers/:id`: a verified header by number (decimal or 0x) or by hash. */
import { headerToRpc } from '../../chain/header-rpc.js'
import type { ChainView } from '../../chain/sync/index.js'
import { unknownHeader } from '../../chain/sync/core.js'
import { AgentError, ErrorCode } from '../../errors.js'

const NUMBER = /^(?:0|[1-9][0-9]{0,19}|0x(?:0|[1-9a-fA-F][0-9a-fA-F]{0,15}))$/
const HASH = /^0x[0-9a-fA-F]{64}$/

export async function chainHeader (chain: ChainView | undefined, id: string): Promise<Record<string, unknown>> {
  if (chain === undefined) throw new AgentError(ErrorCode.CHAIN_DISABLED, 'the light chain node is off (chain.enabled is false)')
  let found
  if (HASH.test(id)) {
    found = await chain.headerByHash(id)
  } else if (NUMBER.test(id) && BigInt(id) < 1n << 64n) {
    found = await chain.headerByNumber(BigInt(id))
  } else {
    throw new AgentError(ErrorCode.HTTP_PARAM_INVALID, `"${id.slice(0, 70)}" is neither a block number (decimal or 0x) nor a 32-byte block hash`, { data: { param: 'id' } })
  }
  if (found === undefined) throw unknownHeader(HASH.test(id) ? id.toLowerCase() : `at block ${BigInt(id)}`)
  const canonical = (await chain.headerByNumber(found.number))?.hash === found.hash
  return { number: Number(found.number), hash: found.hash, canonical, td: found.td.toString(), header: headerToRpc(found.header) }
}
