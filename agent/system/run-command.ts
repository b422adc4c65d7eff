/**
 * Runs an OS tool (uci, ubus, iwinfo, nmcli) without a shell and without blocking the event
 * loop: argument arrays only, a deadline after which the child is killed, and an output bound
 * past which it is killed too, so a hung or chatty tool can never stall or swell the agent.
 *
 * @example
 * const r = await runCommand('ubus', ['call', 'system', 'board'], { timeoutMs: 2_000, maxOutputBytes: 65_536 })
 * if (r.code === 0) JSON.parse(r.stdout)
 */
import { spawn } from 'node:child_process'
import { AgentError, ErrorCode } from '../errors.js'

export interface RunCommandInit {
  timeoutMs: number
  /** stdout and stderr together; more is an error (SYSTEM_OUTPUT_INVALID). */
  maxOutputBytes: number
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
}

export interface CommandResult { code: number, stdout: string, stderr: string }

/** What system components take, so tests can pass a fake. */
export type CommandRunner = (command: string, args: string[], init: RunCommandInit) => Promise<CommandResult>

/** First line of stderr, short, for messages. */
export function firstLine (text: string): string {
  const line = text.split('\n').find(l => l.trim() !== '') ?? ''
  return line.length > 160 ? line.slice(0, 157) + '...' : line.trim()
}

export const runCommand: CommandRunner = async (command, args, init) => {
  const what = `${command} ${args.join(' ')}`.slice(0, 200)
  return await new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: init.env ?? process.env, windowsHide: true })
    const out: Buffer[] = []
    const err: Buffer[] = []
    let bytes = 0
    let failure: AgentError | undefined
    const fail = (e: AgentError): void => {
      if (failure !== undefined) return
      failure = e
      child.kill('SIGKILL')
    }
    const timer = setTimeout(() => {
      fail(new AgentError(ErrorCode.SYSTEM_COMMAND_TIMEOUT, `${what}: no answer within ${init.timeoutMs} ms`, { data: { command, timeoutMs: init.timeoutMs } }))
    }, init.timeoutMs)
    const onAbort = (): void => { fail(new AgentError(ErrorCode.ABORTED, `${what}: aborted`)) }
    init.signal?.addEventListener('abort', onAbort, { once: true })
    const collect = (into: Buffer[]) => (chunk: Buffer): void => {
      bytes += chunk.byteLength
      if (bytes > init.maxOutputBytes) {
        fail(new AgentError(ErrorCode.SYSTEM_OUTPUT_INVALID, `${what}: printed more than ${init.maxOutputBytes} bytes`, { data: { command, maxOutputBytes: init.maxOutputBytes } }))
      } else if (failure === undefined) {
        into.push(chunk)
      }
    }
    child.stdout.on('data', collect(out))
    child.stderr.on('data', collect(err))
    child.once('error', (e: NodeJS.ErrnoException) => {
      fail(new AgentError(ErrorCode.SYSTEM_COMMAND_FAILED, `${what}: cannot run: ${e.code ?? e.message}`, { data: { command, errno: e.code } }))
      // 'close' may not follow a failed spawn
      clearTimeout(timer)
      init.signal?.removeEventListener('abort', onAbort)
      if (failure !== undefined) reject(failure)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      init.signal?.removeEventListener('abort', onAbort)
      if (failure !== undefined) { reject(failure); return }
      resolve({ code: code ?? (signal !== null ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
  })
}
