/**
 * Maps parsed UCI (`uci-parse.ts`) onto the typed schema, with the rules of every other layer
 * (`validate.ts`). Errors name the UCI option (`uci option meshbox.http.port: key "http.port" has
 * value "eighty"; allowed: …`). Value rules are in openwrt/UCI.md: booleans as config_get_bool
 * reads them, empty = unset for numbers and booleans, one option or several `list` lines for lists.
 */
import { AgentError, ErrorCode } from '../errors.js'
import { FIELD_BY_PATH } from './fields.js'
import { INIT_SCRIPT_OPTIONS, PATH_BY_UCI_NAME, UCI_PACKAGE, UCI_SECTIONS, uciOptionLabel } from './uci-names.js'
import type { UciPackage } from './uci-parse.js'
import { allowedText, checkValue, configError, type Layer } from './validate.js'
import type { Field } from './schema.js'

const TRUE = new Set(['1', 'true', 'yes', 'on', 'enabled'])
const FALSE = new Set(['0', 'false', 'no', 'off', 'disabled'])
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/

function invalid (message: string, data: Record<string, unknown>, hints: string[] = []): AgentError {
  return new AgentError(ErrorCode.CONFIG_INVALID, message, { data, hints })
}

/** One UCI option's values as a typed value, or undefined when it is empty (unset). */
function typed (f: Field, values: string[], source: string): unknown {
  if (f.type === 'string[]') return checkValue(f, values.length === 1 && values[0] === '' ? [] : values, source)
  if (values.length !== 1) throw configError(source, f.path, values, `${allowedText(f)} (one value: use "option", not "list")`)
  const v = values[0] as string
  if (f.type === 'string') return checkValue(f, v, source)
  if (v === '') return undefined
  if (f.type === 'bool') {
    if (TRUE.has(v)) return true
    if (FALSE.has(v)) return false
    throw configError(source, f.path, v, '1 or 0 (also true/false, yes/no, on/off, enabled/disabled)')
  }
  if (!NUMBER.test(v)) throw configError(source, f.path, v, allowedText(f))
  return checkValue(f, Number(v), source)
}

function nearOptions (section: string, option: string): string[] {
  const stem = option.slice(0, 4)
  return [...PATH_BY_UCI_NAME.keys()].filter(n => n.startsWith(section + '.') && n.includes(stem)).slice(0, 3).map(n => `${UCI_PACKAGE}.${n}`)
}

export function uciLayer (pkg: UciPackage): Layer {
  const layer: Layer = new Map()
  for (const [section, { type, options }] of pkg) {
    const want = UCI_SECTIONS[section]
    if (want === undefined) {
      throw invalid(`uci: unknown section ${UCI_PACKAGE}.${section}; allowed: ${Object.entries(UCI_SECTIONS).map(([n, t]) => `${n} (config ${t} '${n}')`).join(', ')}`,
        { source: 'uci', key: `${UCI_PACKAGE}.${section}` }, section.startsWith('@') ? ['use named sections, e.g. config agent \'main\' (see openwrt/UCI.md)'] : [])
    }
    if (type !== want) {
      throw invalid(`uci: section ${UCI_PACKAGE}.${section} has type "${type ?? '(none)'}"; expected "${want}" (config ${want} '${section}')`, { source: 'uci', key: `${UCI_PACKAGE}.${section}` })
    }
    for (const [option, values] of options) {
      if (INIT_SCRIPT_OPTIONS[section]?.includes(option) === true) continue
      const label = uciOptionLabel(section, option)
      const path = PATH_BY_UCI_NAME.get(`${section}.${option}`)
      const field = path === undefined ? undefined : FIELD_BY_PATH.get(path)
      if (field === undefined) {
        const near = nearOptions(section, option)
        throw invalid(`uci: unknown option ${label}`, { source: 'uci', key: label },
          [`openwrt/UCI.md lists every option; did you mean: ${near.length > 0 ? near.join(', ') : 'none'}?`])
      }
      const value = typed(field, values, `uci option ${label}`)
      if (value !== undefined) layer.set(field.path, value)
    }
  }
  return layer
}
