/**
 * One error base class for the whole agent. Every failure a user or a peer can cause carries a
 * stable `code` (documented in docs/errors.md), a message that says what to do next, optional
 * hints and typed data. `services/http/status.ts` is the only place that maps codes to HTTP.
 */
export const ErrorCode = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_FILE_UNREADABLE: 'CONFIG_FILE_UNREADABLE',
  PROFILE_UNKNOWN: 'PROFILE_UNKNOWN',
  PROFILE_INVALID: 'PROFILE_INVALID',
  PROFILE_UNSUPPORTED: 'PROFILE_UNSUPPORTED',
  CONFIG_UCI_FAILED: 'CONFIG_UCI_FAILED',
  // OS tools and device adapters (agent/system).
  SYSTEM_COMMAND_FAILED: 'SYSTEM_COMMAND_FAILED',
  SYSTEM_COMMAND_TIMEOUT: 'SYSTEM_COMMAND_TIMEOUT',
  SYSTEM_OUTPUT_INVALID: 'SYSTEM_OUTPUT_INVALID',
  WIFI_UNAVAILABLE: 'WIFI_UNAVAILABLE',
  WIFI_DEVICE_UNKNOWN: 'WIFI_DEVICE_UNKNOWN',
  USAGE: 'USAGE',
  STORE_UNSUPPORTED_FS: 'STORE_UNSUPPORTED_FS',
  STORE_OPEN_FAILED: 'STORE_OPEN_FAILED',
  STORE_CLOSED: 'STORE_CLOSED',
  STORE_KEY_INVALID: 'STORE_KEY_INVALID',
  IDENTITY_INVALID: 'IDENTITY_INVALID',
  MESH_NETWORK_KEY_INVALID: 'MESH_NETWORK_KEY_INVALID',
  MESH_PEER_NOT_FOUND: 'MESH_PEER_NOT_FOUND',
  MESH_DIAL_FAILED: 'MESH_DIAL_FAILED',
  MESH_NOT_STARTED: 'MESH_NOT_STARTED',
  MESH_NO_ROUTE: 'MESH_NO_ROUTE',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  MESSAGE_QUOTA: 'MESSAGE_QUOTA',
  MESSAGE_NOT_FOUND: 'MESSAGE_NOT_FOUND',
  SERVICE_NOT_FOUND: 'SERVICE_NOT_FOUND',
  // Malformed chain input, thrown as ChainInputError by the pure chain code (chain/errors.ts).
  CHAIN_RLP_INVALID: 'CHAIN_RLP_INVALID',
  CHAIN_HEADER_INVALID: 'CHAIN_HEADER_INVALID',
  CHAIN_PRESET_INVALID: 'CHAIN_PRESET_INVALID',
  CHAIN_PROOF_INVALID: 'CHAIN_PROOF_INVALID',
  CHAIN_TX_INVALID: 'CHAIN_TX_INVALID',
  // Header sync (chain/sync).
  CHAIN_DISABLED: 'CHAIN_DISABLED',
  CHAIN_NO_UPSTREAM: 'CHAIN_NO_UPSTREAM',
  CHAIN_UPSTREAM_FAILED: 'CHAIN_UPSTREAM_FAILED',
  CHAIN_UPSTREAM_ERROR: 'CHAIN_UPSTREAM_ERROR',
  CHAIN_HEADER_UNKNOWN: 'CHAIN_HEADER_UNKNOWN',
  CHAIN_HEADER_REFUSED: 'CHAIN_HEADER_REFUSED',
  CHAIN_REORG_TOO_DEEP: 'CHAIN_REORG_TOO_DEEP',
  CHAIN_BELOW_ANCHOR: 'CHAIN_BELOW_ANCHOR',
  // Verified state reads (chain/state).
  CHAIN_STATE_UNVERIFIED: 'CHAIN_STATE_UNVERIFIED',
  CHAIN_STATE_UNAVAILABLE: 'CHAIN_STATE_UNAVAILABLE',
  HTTP_NOT_FOUND: 'HTTP_NOT_FOUND',
  HTTP_METHOD_NOT_ALLOWED: 'HTTP_METHOD_NOT_ALLOWED',
  HTTP_BODY_TOO_LARGE: 'HTTP_BODY_TOO_LARGE',
  HTTP_BODY_INVALID: 'HTTP_BODY_INVALID',
  HTTP_PARAM_INVALID: 'HTTP_PARAM_INVALID',
  HTTP_UNAUTHORIZED: 'HTTP_UNAUTHORIZED',
  TIMEOUT: 'TIMEOUT',
  ABORTED: 'ABORTED',
  INTERNAL: 'INTERNAL'
} as const

export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode]

export interface AgentErrorOptions {
  hints?: string[]
  data?: Record<string, unknown>
  cause?: unknown
}

export class AgentError extends Error {
  static override readonly name = 'AgentError'
  readonly code: ErrorCode
  readonly hints: string[]
  readonly data: Record<string, unknown>

  constructor (code: ErrorCode, message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AgentError'
    this.code = code
    this.hints = options.hints ?? []
    this.data = options.data ?? {}
  }

  /** The message with hints, as printed on a terminal. */
  describe (): string {
    return [this.message, ...this.hints.map(h => `  hint: ${h}`)].join('\n')
  }

  toJSON (): Record<string, unknown> {
    return { code: this.code, message: this.message, hints: this.hints.length > 0 ? this.hints : undefined, ...this.data }
  }
}

export function isAgentError (err: unknown): err is AgentError {
  return err instanceof AgentError
}

/** A short, safe description of any thrown value for logs and API answers. */
export function errorMessage (err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
