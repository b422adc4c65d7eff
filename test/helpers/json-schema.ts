/**
 * A small JSON Schema (2020-12) checker for the keywords hardware-profiles/schema.json uses:
 * type, required, properties, additionalProperties: false, enum, const, pattern, minimum,
 * minLength, maxLength, maxItems, items, allOf with if/then. Returns every problem found, each
 * naming the path, so a test can say which profile breaks which rule. Unknown keywords throw, so
 * the schema cannot silently outgrow the checker.
 */
type Schema = Record<string, unknown>

const KNOWN = new Set(['$schema', '$id', 'title', 'description', 'type', 'required', 'properties', 'additionalProperties',
  'enum', 'const', 'pattern', 'minimum', 'minLength', 'maxLength', 'maxItems', 'items', 'allOf', 'if', 'then'])

function typeOf (v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (v === null) return 'null'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

export function validateJsonSchema (schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`json-schema helper: keyword ${k} not supported`)
  const problems: string[] = []
  const t = typeOf(value)
  if (typeof schema.type === 'string' && schema.type !== t && !(schema.type === 'number' && t === 'integer')) return [`${path}: is ${t}, expected ${schema.type}`]
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`)
  if ('const' in schema && schema.const !== value) problems.push(`${path}: must be ${JSON.stringify(schema.const)}`)
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) problems.push(`${path}: does not match ${schema.pattern}`)
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) problems.push(`${path}: shorter than ${schema.minLength}`)
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) problems.push(`${path}: longer than ${schema.maxLength}`)
  }
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`)
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) problems.push(`${path}: more than ${schema.maxItems} items`)
    if (schema.items !== undefined) value.forEach((v, i) => problems.push(...validateJsonSchema(schema.items as Schema, v, `${path}[${i}]`)))
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>
    const props = (schema.properties ?? {}) as Record<string, Schema>
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) problems.push(`${path}: "${r}" is required`)
    for (const [k, v] of Object.entries(obj)) {
      if (props[k] !== undefined) problems.push(...validateJsonSchema(props[k], v, `${path}.${k}`))
      else if (schema.additionalProperties === false) problems.push(`${path}: unknown property "${k}"`)
    }
  }
  for (const sub of (schema.allOf ?? []) as Schema[]) {
    if (sub.if !== undefined && validateJsonSchema(sub.if as Schema, value, path).length === 0 && sub.then !== undefined) {
      problems.push(...validateJsonSchema(sub.then as Schema, value, path))
    }
  }
  return problems
}
