/**
 * Parses what `uci show meshbox` prints: one `meshbox.<section>=<type>` line per section and
 * one `meshbox.<section>.<option>=<values>` line per option, every value single-quoted ('\''
 * inside for a quote), list entries separated by spaces. Pure; anything else is reported with its
 * line number, because it means the uci tool itself misbehaved.
 *
 * @example parseUciShow("meshbox.http=http\nmeshbox.http.port='8080'\n")
 *   // Map { 'http' => { type: 'http', options: Map { 'port' => ['8080'] } } }
 */
import { AgentError, ErrorCode } from '../errors.js'
import { UCI_PACKAGE } from './uci-names.js'

export interface UciSection { type: string | undefined, options: Map<string, string[]> }
export type UciPackage = Map<string, UciSection>

const LINE = /^([A-Za-z0-9_]+)\.([A-Za-z0-9_@[\]-]+)(?:\.([A-Za-z0-9_]+))?=(.*)$/
const MAX_LINES = 4096

function garbage (lineNo: number, line: string, why: string): AgentError {
  const shown = JSON.stringify(line.length > 60 ? line.slice(0, 57) + '...' : line)
  return new AgentError(ErrorCode.CONFIG_UCI_FAILED, `uci show ${UCI_PACKAGE}: output line ${lineNo} ${why}: ${shown}`, {
    data: { line: lineNo },
    hints: [`check the file with \`uci show ${UCI_PACKAGE}\`; a hand-edited /etc/config/${UCI_PACKAGE} with a syntax error makes uci print errors`]
  })
}

/** Splits `'a' 'it'\''s'` into ['a', "it's"]; undefined when the text is not in that form. */
export function splitUciValues (text: string): string[] | undefined {
  const values: string[] = []
  let i = 0
  while (i < text.length) {
    let token = ''
    let started = false
    while (i < text.length && text[i] !== ' ') {
      if (text[i] === "'") {
        const end = text.indexOf("'", i + 1)
        if (end < 0) return undefined
        token += text.slice(i + 1, end)
        i = end + 1
      } else if (text.startsWith("\\'", i)) {
        token += "'"
        i += 2
      } else {
        return undefined
      }
      started = true
    }
    if (started) values.push(token)
    while (text[i] === ' ') i++
  }
  return values
}

export function parseUciShow (text: string): UciPackage {
  const pkg: UciPackage = new Map()
  const lines = text.split('\n')
  if (lines.length > MAX_LINES) throw garbage(MAX_LINES, '', `is past the ${MAX_LINES}-line limit`)
  lines.forEach((line, index) => {
    if (line.trim() === '') return
    const m = LINE.exec(line)
    if (m === null || m[1] !== UCI_PACKAGE) throw garbage(index + 1, line, `is not ${UCI_PACKAGE}.<section>[.<option>]=<value>`)
    const [, , section = '', option, rest = ''] = m
    const entry = pkg.get(section) ?? { type: undefined, options: new Map<string, string[]>() }
    pkg.set(section, entry)
    if (option === undefined) {
      if (!/^[A-Za-z0-9_]+$/.test(rest)) throw garbage(index + 1, line, 'has no valid section type')
      entry.type = rest
      return
    }
    const values = splitUciValues(rest)
    if (values === undefined) throw garbage(index + 1, line, 'has a value that is not single-quoted')
    entry.options.set(option, values)
  })
  return pkg
}
