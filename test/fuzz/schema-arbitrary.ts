import fc from 'fast-check'

/**
 * JSON Schema (as the committed OpenAPI 3.1 document writes it) to fast-check arbitraries.
 * `valid` values follow the schema; `hostile` ones mix in, at every leaf, values a careless
 * client or an attacker sends: boundary lengths, wrong types, lone surrogates, control
 * characters, SQL and FTS syntax, path tricks, huge numbers, unknown properties.
 */

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema nodes are read loosely
export type Schema = Record<string, any>

/** The kinds of stored record a value can point at. */
export type RefKind =
  | 'states'
  | 'organizations'
  | 'roles'
  | 'roleKeys'
  | 'contacts'
  | 'assignments'
  | 'training-events'
  | 'participations'
  | 'webhooks'
  | 'tombstones'
  | 'campaigns'
  | 'corrections'
  | 'linkCodes'

/**
 * A placeholder for the id of a live record, resolved when the request is sent (the `pick`-th
 * live record, modulo their number), so requests keep hitting real ids as records come and go.
 */
export class LiveRef {
  constructor(
    readonly kind: RefKind,
    readonly pick: number,
  ) {}
  toJSON() {
    return `<${this.kind}#${this.pick}>`
  }
}

/** A placeholder for an entity tag built from the addressed record's version plus `delta`. */
export class EtagRef {
  constructor(readonly delta: number) {}
  toJSON() {
    return `<etag${this.delta >= 0 ? '+' : ''}${this.delta}>`
  }
}

/** Strings every text field should survive (and most should refuse with a 400). */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\ud800',
  'a\udc00b',
  'x\u0000y',
  'bell\u0007',
  'line\r\nbreak',
  '\t',
  '../../../etc/passwd',
  '..',
  '%2e%2e%2f',
  '" OR 1=1 --',
  "' OR '1'='1",
  'Robert"); DROP TABLE contacts;--',
  'NEAR(',
  'NEAR(a b, 2)',
  '*',
  'a*',
  '"unbalanced',
  'AND OR NOT',
  'col:value',
  '^start',
  '-minus',
  '{}',
  '%',
  '\\',
  '=HYPERLINK("http://evil")',
  '@SUM(1)',
  '+1',
  '\u202eevil',
  'zero\u200bwidth',
  'Ωмéga😀',
  '😀'.repeat(120),
  'é'.repeat(301),
  'x'.repeat(10_001),
  'null',
  'NaN',
  '-1',
  '0',
  '1e309',
  '9'.repeat(40),
  '__proto__',
  'constructor',
  '2024-02-30',
  '0000-00-00',
  '9999-12-31T23:59:60Z',
  'P',
  'PT',
  'P9999999999999Y',
]

/** Values of the wrong JSON type, for bodies. */
const WRONG_TYPES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53 + 1,
  1e308,
  -1e308,
  [],
  {},
  ['a'],
  { a: 1 },
  [[[[[]]]]],
]

const NUMERIC_EDGES = [0, -1, 1, -0, 2 ** 31, 2 ** 31 - 1, 2 ** 53, -(2 ** 53), 1e21, 1e308] as const

/** Property names a strict body must refuse (or, for `__proto__`, must not be fooled by). */
const UNKNOWN_KEYS = [
  '__proto__',
  'constructor',
  'id',
  'version',
  'createdAt',
  'deletedAt',
  'lastVerifiedAt',
  'x',
]

export interface MapperContext {
  /** The document, for `$ref` resolution. */
  doc: Schema
  /** Example values by property name, from the document's object examples (see examplesOf). */
  examples: Map<string, unknown[]>
  /** Which stored records a named value may point at (`contactId` -> contacts, ...). */
  refKindsFor: (name: string) => RefKind[]
}

export function resolveRef(doc: Schema, schema: Schema): Schema {
  let current = schema
  for (let hops = 0; typeof current.$ref === 'string' && hops < 20; hops++) {
    const path = (current.$ref as string).replace(/^#\//, '').split('/')
    let target: unknown = doc
    for (const part of path) target = (target as Schema)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')]
    if (!target) throw new Error(`unresolved $ref ${current.$ref}`)
    current = target as Schema
  }
  return current
}

/**
 * Every object example in the document, by property name: values the service accepts
 * (language tags, phone numbers, dates) that random strings rarely hit.
 */
export function examplesOf(doc: Schema): Map<string, unknown[]> {
  const byName = new Map<string, unknown[]>()
  const seen = new Set<string>()
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return
    if (Array.isArray(node)) return node.forEach(walk)
    const schema = node as Schema
    const example = schema.example
    if (schema.properties && example && typeof example === 'object' && !Array.isArray(example)) {
      for (const [key, value] of Object.entries(example as Record<string, unknown>)) {
        const id = `${key}=${JSON.stringify(value)}`
        if (seen.has(id)) continue
        seen.add(id)
        byName.set(key, [...(byName.get(key) ?? []), value])
      }
    }
    for (const [key, value] of Object.entries(schema)) if (key !== 'example') walk(value)
  }
  walk(doc)
  return byName
}

const repeat = (n: number) => 'x'.repeat(Math.max(0, n))

// tenures of the seeded records start 2019-2022: most valid dates fall after them
const isoDate = fc
  .date({ min: new Date('2010-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10))

const isoDateTime = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString())

/** Strings of a `format`: valid ones and boundaries, with near misses when hostile. */
function formatString(format: string, hostile: boolean): fc.Arbitrary<string> | undefined {
  const known = FORMATS[format]
  if (!known) return undefined
  const [valid, edges, misses] = known
  const options: fc.WeightedArbitrary<string>[] = [{ arbitrary: valid, weight: 6 }]
  if (edges.length) options.push({ arbitrary: fc.constantFrom(...edges), weight: 1 })
  if (hostile && misses.length) options.push({ arbitrary: fc.constantFrom(...misses), weight: 2 })
  return fc.oneof(...options)
}

/** Per format: valid values, valid boundaries, near misses. */
const FORMATS: Record<string, [fc.Arbitrary<string>, string[], string[]]> = {
  date: [
    isoDate,
    ['2024-02-29', '1970-01-01', '9999-12-31'],
    ['0000-00-00', '2023-02-29', '2024-13-01', '24-1-1'],
  ],
  'date-time': [
    isoDateTime,
    ['2024-02-29T00:00:00Z', '1970-01-01T00:00:00.000Z'],
    ['2024-01-01T00:00:00+02:00', '2024-01-01', '2024-01-01T25:00:00Z', '2024-01-01T00:00:00'],
  ],
  uuid: [fc.uuid(), [], ['0192f7a0-3c1e-7d2a-9b1e', 'not-a-uuid']],
  uri: [fc.webUrl(), [], ['javascript:alert(1)', 'http://', 'ftp://x', 'not a url', 'https://ex.org/\u0000']],
  email: [fc.emailAddress(), [], ['a@', '@b', 'a@b', 'a@@b.c']],
  duration: [
    fc.constantFrom('P1Y', 'P12M', 'P30D', 'PT2S', 'P2W', 'P1Y2M3DT4H5M6.5S'),
    ['PT0S', 'P0D'],
    ['P1.5Y', 'P1W1D', 'P', 'PT', '1Y', 'P-1D'],
  ],
}

function stringArbitrary(
  schema: Schema,
  name: string,
  ctx: MapperContext,
  hostile: boolean,
): fc.Arbitrary<unknown> {
  const min = (schema.minLength as number | undefined) ?? 0
  const max = (schema.maxLength as number | undefined) ?? 200
  let base: fc.Arbitrary<string> | undefined = schema.format
    ? formatString(schema.format, hostile)
    : undefined
  if (!base && typeof schema.pattern === 'string') {
    try {
      base = fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= max)
    } catch {
      base = undefined // a pattern fast-check cannot walk: boundary strings stand in
    }
  }
  base ??= fc.oneof(
    { arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, 40) }), weight: 4 },
    { arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: 'grapheme' }), weight: 2 },
    fc.constant(repeat(Math.max(min, 1))),
    fc.constant(repeat(max)),
  )
  const kinds = ctx.refKindsFor(name)
  const options: fc.WeightedArbitrary<unknown>[] = [{ arbitrary: base, weight: 3 }]
  if (kinds.length > 0) {
    // a valid request names live records (or, now and then, an unknown id); a hostile one often not
    options.push({ arbitrary: liveRef(kinds), weight: hostile ? 6 : 30 })
  }
  if (hostile) {
    options.push(
      { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 2 },
      { arbitrary: fc.constantFrom(repeat(max + 1), repeat(min - 1), repeat(max)), weight: 1 },
      { arbitrary: fc.string({ maxLength: 30, unit: 'binary' }), weight: 1 },
    )
    if (kinds.length > 0) options.push({ arbitrary: liveRef(['tombstones']), weight: 1 })
  }
  return fc.oneof(...options)
}

function liveRef(kinds: RefKind[]): fc.Arbitrary<LiveRef> {
  return fc.tuple(fc.constantFrom(...kinds), fc.nat(1000)).map(([kind, pick]) => new LiveRef(kind, pick))
}

function numberArbitrary(schema: Schema, hostile: boolean): fc.Arbitrary<unknown> {
  const integer = schema.type === 'integer'
  const min = (schema.minimum as number | undefined) ?? -1e6
  const max = (schema.maximum as number | undefined) ?? 1e6
  const base = integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true })
  const edges = [min, max, schema.default].filter((v) => typeof v === 'number') as number[]
  const options: fc.WeightedArbitrary<unknown>[] = [
    { arbitrary: base, weight: 4 },
    { arbitrary: fc.constantFrom(...edges), weight: 2 },
  ]
  if (hostile) {
    options.push(
      { arbitrary: fc.constantFrom(min - 1, max + 1, ...NUMERIC_EDGES, 1.5), weight: 2 },
      { arbitrary: fc.constantFrom('1', 'ten', '', '0x10', '1e2', ' 5 '), weight: 1 },
    )
  }
  return fc.oneof(...options)
}

function objectArbitrary(schema: Schema, ctx: MapperContext, hostile: boolean): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>
  const required = new Set<string>((schema.required as string[] | undefined) ?? [])
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  for (const [key, sub] of Object.entries(properties)) model[key] = arbitraryFor(sub, key, ctx, hostile)
  let base: fc.Arbitrary<Record<string, unknown>> = fc.record(model, { requiredKeys: [...required] })
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const keySchema: Schema = schema.propertyNames ?? { type: 'string', minLength: 1, maxLength: 20 }
    const keys = arbitraryFor(keySchema, '', ctx, hostile).map(String)
    const values = arbitraryFor(schema.additionalProperties, '', ctx, hostile)
    const extra = fc.dictionary(keys, values, { maxKeys: 4 })
    base = fc.tuple(base, extra).map(([a, b]) => ({ ...b, ...a }))
  }
  const optional = Object.keys(model).filter((key) => !required.has(key))
  if (!hostile) {
    if (optional.length === 0) return base
    // small bodies (the required properties and one more) pass cross-field rules more often
    const pick = (key: string) =>
      fc.record(Object.fromEntries(Object.entries(model).filter(([k]) => k === key || required.has(k))))
    return fc.oneof(
      { arbitrary: base, weight: 2 },
      { arbitrary: fc.constantFrom(...optional).chain(pick), weight: 3 },
    )
  }
  return fc.oneof(
    { arbitrary: base, weight: 4 },
    // an unknown property, `__proto__` among them (as an own property, so it is sent)
    {
      arbitrary: fc
        .tuple(
          base,
          fc.constantFrom(...UNKNOWN_KEYS),
          fc.constantFrom<unknown>('x', 1, null, { admin: true }),
        )
        .map(([value, key, extra]) => withOwn(value, key, extra)),
      weight: 1,
    },
    // a required property missing
    ...(required.size > 0
      ? [
          {
            arbitrary: fc.tuple(base, fc.constantFrom(...required)).map(([value, key]) => {
              const { [key]: _dropped, ...rest } = value
              return rest
            }),
            weight: 1,
          },
        ]
      : []),
  )
}

function withOwn(value: Record<string, unknown>, key: string, extra: unknown): Record<string, unknown> {
  const copy = { ...value }
  Object.defineProperty(copy, key, { value: extra, enumerable: true, configurable: true, writable: true })
  return copy
}

/** An arbitrary for `schema`; `name` is the property or parameter it fills (for live ids). */
export function arbitraryFor(
  raw: Schema,
  name: string,
  ctx: MapperContext,
  hostile: boolean,
): fc.Arbitrary<unknown> {
  const schema = resolveRef(ctx.doc, raw)
  let inner = schemaArbitrary(schema, name, ctx, hostile)
  const examples = ctx.refKindsFor(name).length === 0 ? ctx.examples.get(name) : undefined
  if (examples?.length) {
    inner = fc.oneof(
      { arbitrary: fc.constantFrom(...examples), weight: hostile ? 1 : 3 },
      { arbitrary: inner, weight: 3 },
    )
  }
  if (!hostile) return inner
  return fc.oneof({ arbitrary: inner, weight: 8 }, { arbitrary: fc.constantFrom(...WRONG_TYPES), weight: 1 })
}

function schemaArbitrary(
  schema: Schema,
  name: string,
  ctx: MapperContext,
  hostile: boolean,
): fc.Arbitrary<unknown> {
  const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
  if (alternatives) {
    // `null` clears in a merge patch, and clearing a required field is refused: rarer when valid
    const weightOf = (alt: Schema) => (!hostile && resolveRef(ctx.doc, alt).type === 'null' ? 1 : 8)
    return fc.oneof(
      ...alternatives.map((alt) => ({
        arbitrary: arbitraryFor(alt, name, ctx, hostile),
        weight: weightOf(alt),
      })),
    )
  }
  if (schema.allOf) {
    const merged: Schema = { type: 'object', properties: {}, required: [] }
    for (const part of schema.allOf as Schema[]) {
      const resolved = resolveRef(ctx.doc, part)
      Object.assign(merged.properties, resolved.properties)
      merged.required.push(...(resolved.required ?? []))
      if (resolved.additionalProperties === false) merged.additionalProperties = false
    }
    return schemaArbitrary(merged, name, ctx, hostile)
  }
  if ('const' in schema) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) {
    const values = fc.constantFrom(...(schema.enum as unknown[]))
    if (!hostile) return values
    const strings = schema.enum.filter((v: unknown) => typeof v === 'string') as string[]
    const near = strings.flatMap((s) => [s.toUpperCase(), ` ${s}`, `${s}x`])
    return fc.oneof(
      { arbitrary: values, weight: 5 },
      fc.constantFrom(...(near.length ? near : ['x']), '', '\ud800', 'yes', '1'),
    )
  }
  if (Array.isArray(schema.type)) {
    return fc.oneof(
      ...schema.type.map((type: string) => ({
        arbitrary: schemaArbitrary({ ...schema, type }, name, ctx, hostile),
        weight: !hostile && type === 'null' ? 1 : 8,
      })),
    )
  }
  const nullable = schema.nullable === true
  const typed = typedArbitrary(schema, name, ctx, hostile)
  return nullable ? fc.oneof(typed, fc.constant(null)) : typed
}

function typedArbitrary(
  schema: Schema,
  name: string,
  ctx: MapperContext,
  hostile: boolean,
): fc.Arbitrary<unknown> {
  switch (schema.type) {
    case 'string':
      return stringArbitrary(schema, name, ctx, hostile)
    case 'integer':
    case 'number':
      return numberArbitrary(schema, hostile)
    case 'boolean':
      return hostile
        ? fc.oneof({ arbitrary: fc.boolean(), weight: 4 }, fc.constantFrom('true', 'false', 1, 0))
        : fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      const items = arbitraryFor(schema.items ?? {}, name, ctx, hostile)
      const minItems = (schema.minItems as number | undefined) ?? 0
      const maxItems = (schema.maxItems as number | undefined) ?? 20
      const base = fc.array(items, { minLength: minItems, maxLength: Math.min(maxItems, 4) })
      if (!hostile) return base
      return fc.oneof(
        { arbitrary: base, weight: 5 },
        items.map((item) => Array.from({ length: maxItems + 1 }, () => item)),
        items.map((item) => Array.from({ length: maxItems }, () => item)),
      )
    }
    case 'object':
      return objectArbitrary(schema, ctx, hostile)
    default:
      // `{}`: anything JSON
      return schema.properties ? objectArbitrary(schema, ctx, hostile) : fc.jsonValue({ maxDepth: 2 })
  }
}
