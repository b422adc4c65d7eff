/**
 * Reads /etc/config/meshbox through the `uci` CLI: `uci show meshbox`, with a timeout and an
 * output bound. Not `-q`: quiet uci says nothing both for a missing file and for a file it cannot
 * parse, and only the first is harmless. A missing file ("uci: Entry not found") is "no UCI
 * settings"; a uci that hangs, fails or floods is CONFIG_UCI_FAILED, which stops a start
 * (exit 78) and refuses a reload.
 */
import { AgentError, ErrorCode } from '../errors.js'
import { UCI_PACKAGE } from '../config/uci-names.js'
import { firstLine, type CommandRunner } from './run-command.js'

export interface ReadUciInit { timeoutMs?: number, maxOutputBytes?: number }

/** A healthy uci answers in milliseconds; 2 s allows for a loaded single-core box. */
export const UCI_TIMEOUT_MS = 2_000
/** /etc/config/meshbox is a few hundred bytes; 256 KiB is far past any real one. */
export const UCI_MAX_OUTPUT_BYTES = 256 * 1024

export async function readUciText (c: { run: CommandRunner }, init: ReadUciInit = {}): Promise<string | undefined> {
  const what = `uci show ${UCI_PACKAGE}`
  let r
  try {
    r = await c.run('uci', ['show', UCI_PACKAGE], { timeoutMs: init.timeoutMs ?? UCI_TIMEOUT_MS, maxOutputBytes: init.maxOutputBytes ?? UCI_MAX_OUTPUT_BYTES })
  } catch (err) {
    const message = err instanceof AgentError ? err.message : String(err)
    throw new AgentError(ErrorCode.CONFIG_UCI_FAILED, `cannot read UCI settings: ${message}`, { cause: err, hints: [`try \`${what}\` on the box`] })
  }
  if (r.code === 0) return r.stdout
  if (r.code === 1 && r.stdout.trim() === '' && /Entry not found/.test(r.stderr)) return undefined
  throw new AgentError(ErrorCode.CONFIG_UCI_FAILED, `cannot read UCI settings: ${what} exited with ${r.code}: ${firstLine(r.stderr) || 'no message'}`, {
    hints: [`try \`${what}\` on the box`]
  })
}
