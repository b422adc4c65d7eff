/**
 * `POST /rpc`: JSON-RPC 2.0 for phones and wallets, with CORS so the phone page and browser
 * wallets on other origins can call it. Always HTTP 200 with JSON-RPC errors inside, except for
 * bodies over http.maxBodyBytes (413), as wallets expect from an Ethereum node.
 */
import type { Logger } from '../../log/logger.js'
import type { Route } from '../http/app.js'
import { handleRpc, parseError, RpcCode, type RpcMethod } from './jsonrpc.js'

export function rpcRoute (methods: () => ReadonlyMap<string, RpcMethod>, logger: Logger): Route {
  return {
    method: 'POST',
    path: '/rpc',
    cors: true,
    lenientBody: true,
    handler: async ({ body, bodyError, signal }) => {
      if (bodyError !== undefined) return { json: parseError(bodyError.message) }
      if (body === undefined) return { json: { jsonrpc: '2.0', id: null, error: { code: RpcCode.INVALID_REQUEST, message: 'empty body' } } }
      const answer = await handleRpc(body, methods(), signal, (method, err) => { logger.error('RPC method failed', { method }, err) })
      return answer === undefined ? { status: 204 } : { json: answer }
    }
  }
}
