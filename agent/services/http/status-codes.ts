/** The only table mapping error codes to HTTP status codes. */
import { ErrorCode } from '../../errors.js'

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.HTTP_NOT_FOUND]: 404,
  [ErrorCode.HTTP_METHOD_NOT_ALLOWED]: 405,
  [ErrorCode.HTTP_BODY_TOO_LARGE]: 413,
  [ErrorCode.HTTP_BODY_INVALID]: 400,
  [ErrorCode.HTTP_PARAM_INVALID]: 400,
  [ErrorCode.HTTP_UNAUTHORIZED]: 401,
  [ErrorCode.MESH_PEER_NOT_FOUND]: 404,
  [ErrorCode.MESH_DIAL_FAILED]: 502,
  [ErrorCode.MESH_NOT_STARTED]: 503,
  [ErrorCode.MESH_NO_ROUTE]: 404,
  [ErrorCode.MESSAGE_TOO_LARGE]: 413,
  [ErrorCode.MESSAGE_QUOTA]: 507,
  [ErrorCode.MESSAGE_NOT_FOUND]: 404,
  [ErrorCode.SERVICE_NOT_FOUND]: 404,
  [ErrorCode.CHAIN_RLP_INVALID]: 400,
  [ErrorCode.CHAIN_HEADER_INVALID]: 400,
  [ErrorCode.CHAIN_PRESET_INVALID]: 400,
  [ErrorCode.CHAIN_PROOF_INVALID]: 400,
  [ErrorCode.CHAIN_TX_INVALID]: 400,
  [ErrorCode.CHAIN_DISABLED]: 503,
  [ErrorCode.CHAIN_NO_UPSTREAM]: 503,
  [ErrorCode.CHAIN_UPSTREAM_FAILED]: 502,
  [ErrorCode.CHAIN_UPSTREAM_ERROR]: 502,
  [ErrorCode.CHAIN_HEADER_UNKNOWN]: 404,
  [ErrorCode.CHAIN_HEADER_REFUSED]: 502,
  [ErrorCode.CHAIN_REORG_TOO_DEEP]: 409,
  [ErrorCode.CHAIN_BELOW_ANCHOR]: 409,
  [ErrorCode.CHAIN_STATE_UNVERIFIED]: 502,
  [ErrorCode.CHAIN_STATE_UNAVAILABLE]: 503,
  [ErrorCode.STORE_CLOSED]: 503,
  [ErrorCode.TIMEOUT]: 504,
  [ErrorCode.SYSTEM_COMMAND_FAILED]: 502,
  [ErrorCode.SYSTEM_COMMAND_TIMEOUT]: 504,
  [ErrorCode.SYSTEM_OUTPUT_INVALID]: 502,
  [ErrorCode.WIFI_UNAVAILABLE]: 503,
  [ErrorCode.WIFI_DEVICE_UNKNOWN]: 404,
  [ErrorCode.CONFIG_INVALID]: 400
}

export function httpStatusFor (code: ErrorCode): number {
  return STATUS[code] ?? 500
}
