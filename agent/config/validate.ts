/**
 * Validation shared by every configuration layer. Errors name the source, the key, the value
 * and what is allowed, so a box owner can fix a typo without reading code.
 */
import { AgentError, ErrorCode } from '../errors.js'
import { FIELD_BY_PATH } from './fields.js'
import type { Field } from './schema.js'

export type Layer = Map<string, unknown>

const MAX_STRING_CHARS = 4096
const MAX_ARRAY_ITEMS = 64

export function allowedText (f: Field): string {
  switch (f.type) {
    case 'int': return `an integer from ${f.min ?? '-∞'} to ${f.max ?? '∞'}`
    case 'number': return `a number from ${f.min ?? '-∞'} to ${f.max ?? '∞'}`
    case 'bool': return 'true or false'
    case 'string': return f.allowed !== undefined ? `one of ${f.allowed.join(', ')}` : `a string of at most ${MAX_STRING_CHARS} characters`
    case 'string[]': return `a list of at most ${MAX_ARRAY_ITEMS} strings`
  }
}

function show (value: unknown): string {
  const s = JSON.stringify(value) ?? String(value)
  return s.length > 80 ? s.slice(0, 77) + '...' : s
}

export function configError (source: string, key: string, value: unknown, allowed: string): AgentError {
  return new AgentError(ErrorCode.CONFIG_INVALID,
    `${source}: key "${key}" has value ${show(value)}; allowed: ${allowed}`,
    { data: { source, key, allowed } })
}

/** Checks one typed value against its field; throws a CONFIG_INVALID error naming it. */
export function checkValue (f: Field, value: unknown, source: string): unknown {
  const fail = (allowed = allowedText(f)): never => { throw configError(source, f.path, f.show !== undefined ? f.show(value) : value, allowed) }
  switch (f.type) {
    case 'int':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail()
      if (f.type === 'int' && !Number.isInteger(value)) fail()
      if ((f.min !== undefined && (value as number) < f.min) || (f.max !== undefined && (value as number) > f.max)) fail()
      break
    case 'bool':
      if (typeof value !== 'boolean') fail()
      break
    case 'string':
      if (typeof value !== 'string' || value.length > MAX_STRING_CHARS) fail()
      if (f.allowed !== undefined && !f.allowed.includes(value as string)) fail()
      break
    case 'string[]':
      if (!Array.isArray(value) || value.length > MAX_ARRAY_ITEMS ||
        !value.every(v => typeof v === 'string' && v.length > 0 && v.length <= MAX_STRING_CHARS)) fail()
      break
  }
  const problem = f.check?.(value)
  if (problem !== undefined) fail(problem)
  return value
}

/** Turns a string (environment variable, CLI flag) into a typed, checked value. */
export function parseText (f: Field, text: string, source: string): unknown {
  switch (f.type) {
    case 'int':
    case 'number': {
      const n = text.trim() === '' ? Number.NaN : Number(text)
      if (!Number.isFinite(n)) throw configError(source, f.path, text, allowedText(f))
      return checkValue(f, n, source)
    }
    case 'bool':
      if (text === 'true' || text === '1') return true
      if (text === 'false' || text === '0') return false
      throw configError(source, f.path, text, allowedText(f))
    case 'string':
      return checkValue(f, text, source)
    case 'string[]':
      return checkValue(f, text.split(',').map(s => s.trim()).filter(s => s !== ''), source)
  }
}

/** Flattens a parsed JSON object into a layer; unknown keys and wrong types are errors. */
export function layerFromObject (raw: unknown, source: string, prefix = '', out: Layer = new Map()): Layer {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AgentError(ErrorCode.CONFIG_INVALID, `${source}: ${prefix === '' ? 'the top level' : `key "${prefix}"`} must be a JSON object`, { data: { source, key: prefix } })
  }
  for (const [k, v] of Object.entries(raw)) {
    const path = prefix === '' ? k : `${prefix}.${k}`
    const field = FIELD_BY_PATH.get(path)
    if (field !== undefined) {
      out.set(path, checkValue(field, v, source))
    } else if ([...FIELD_BY_PATH.keys()].some(p => p.startsWith(path + '.'))) {
      layerFromObject(v, source, path, out)
    } else {
      throw new AgentError(ErrorCode.CONFIG_INVALID, `${source}: unknown key "${path}"`, {
        data: { source, key: path },
        hints: [`see README "Configuration" for the keys; did you mean one of: ${suggest(path).join(', ') || 'none'}?`]
      })
    }
  }
  return out
}

function suggest (path: string): string[] {
  const last = path.split('.').pop()?.toLowerCase() ?? ''
  return [...FIELD_BY_PATH.keys()].filter(p => p.toLowerCase().includes(last.slice(0, 4))).slice(0, 3)
}
