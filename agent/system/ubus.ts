/**
 * `ubus call` through the CLI (the feed's native node-ubus is broken on current Node), with a
 * timeout and an output bound per call. Answers are JSON objects; anything else is
 * SYSTEM_OUTPUT_INVALID, a non-zero exit is SYSTEM_COMMAND_FAILED with ubus's own words
 * ("Command failed: Not found" = exit 4: no such object, method or device).
 *
 * @example const board = await createUbus({ run: runCommand }).call('system', 'board')
 */
import { AgentError, ErrorCode, errorMessage } from '../errors.js'
import { firstLine, type CommandRunner } from './run-command.js'

export interface UbusInit {
  timeoutMs?: number
  maxOutputBytes?: number
}

export interface Ubus {
  call: (object: string, method: string, args?: Record<string, unknown>, options?: { signal?: AbortSignal }) => Promise<Record<string, unknown>>
}

/** ubus exit status for "no such object, method or device" (UBUS_STATUS_NOT_FOUND). */
export const UBUS_NOT_FOUND = 4
const DEFAULTS = { timeoutMs: 3_000, maxOutputBytes: 1024 * 1024 }

export function createUbus (c: { run: CommandRunner }, init: UbusInit = {}): Ubus {
  const { timeoutMs, maxOutputBytes } = { ...DEFAULTS, ...init }
  return {
    async call (object, method, args, options = {}) {
      const argv = ['call', object, method, ...(args !== undefined ? [JSON.stringify(args)] : [])]
      const what = `ubus call ${object} ${method}`
      const r = await c.run('ubus', argv, { timeoutMs, maxOutputBytes, ...(options.signal !== undefined ? { signal: options.signal } : {}) })
      if (r.code !== 0) {
        throw new AgentError(ErrorCode.SYSTEM_COMMAND_FAILED, `${what}: exit ${r.code}: ${firstLine(r.stderr) || 'no message'}`, {
          data: { command: 'ubus', object, method, exitCode: r.code }
        })
      }
      let parsed: unknown
      try {
        parsed = JSON.parse(r.stdout)
      } catch (err) {
        throw new AgentError(ErrorCode.SYSTEM_OUTPUT_INVALID, `${what}: answer is not JSON: ${errorMessage(err)}`, { data: { command: 'ubus', object, method } })
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new AgentError(ErrorCode.SYSTEM_OUTPUT_INVALID, `${what}: answer is not a JSON object`, { data: { command: 'ubus', object, method } })
      }
      return parsed as Record<string, unknown>
    }
  }
}
