/**
 * JSON-lines logger. The message is a constant sentence; variable data goes in the context object,
 * so logd/logread output can be grepped and parsed. Keys named like secrets are redacted.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }
export const LOG_LEVELS = Object.keys(LEVEL_RANK) as LogLevel[]

export type LogContext = Record<string, unknown>

export interface Logger {
  debug: (msg: string, ctx?: LogContext) => void
  info: (msg: string, ctx?: LogContext) => void
  warn: (msg: string, ctx?: LogContext, err?: unknown) => void
  error: (msg: string, ctx?: LogContext, err?: unknown) => void
  child: (module: string) => Logger
}

export interface LoggerInit {
  level?: LogLevel
  /** Shared, changeable level (SIGHUP applies log.level live); wins over `level`. Children share it. */
  levelRef?: { level: LogLevel }
  module?: string
  /** Where lines go; stdout by default (procd hands it to logd). */
  write?: (line: string) => void
  now?: () => number
}

const SECRET_KEY = /key|secret|password|token|credential|seed|mnemonic/i

function redact (value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value
  }
  if (Array.isArray(value)) return value.map(v => redact(v, depth + 1))
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && typeof v !== 'boolean' && typeof v !== 'number' ? '[redacted]' : redact(v, depth + 1)
  }
  return out
}

function serialiseError (err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return { name: err.name, message: err.message, ...(code !== undefined ? { code } : {}) }
  }
  return { message: String(err) }
}

export function createLogger (init: LoggerInit = {}): Logger {
  const levelRef = init.levelRef ?? { level: init.level ?? 'info' }
  const write = init.write ?? ((line: string) => { process.stdout.write(line + '\n') })
  const now = init.now ?? Date.now

  const emit = (lvl: LogLevel, msg: string, ctx?: LogContext, err?: unknown): void => {
    if (LEVEL_RANK[lvl] < LEVEL_RANK[levelRef.level]) return
    const line: Record<string, unknown> = { ts: new Date(now()).toISOString(), level: lvl, msg }
    if (init.module !== undefined) line.module = init.module
    if (ctx !== undefined) Object.assign(line, { ctx: redact(ctx) })
    if (err !== undefined) line.err = serialiseError(err)
    try {
      write(JSON.stringify(line))
    } catch {
      // a closed stdout (EPIPE) must never crash the agent
    }
  }

  return {
    debug: (msg, ctx) => { emit('debug', msg, ctx) },
    info: (msg, ctx) => { emit('info', msg, ctx) },
    warn: (msg, ctx, err) => { emit('warn', msg, ctx, err) },
    error: (msg, ctx, err) => { emit('error', msg, ctx, err) },
    child: (module) => createLogger({ ...init, levelRef, module: init.module === undefined ? module : `${init.module}:${module}` })
  }
}

/** A logger that drops everything; for tests and tools. */
export const silentLogger: Logger = createLogger({ level: 'silent' })
