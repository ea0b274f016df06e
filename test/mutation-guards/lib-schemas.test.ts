import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  Bookkeeping,
  BooleanString,
  CalendarDate,
  ContactDetailOut,
  Cursor,
  FieldErrorSchema,
  Id,
  IfMatchHeaders,
  IfNoneMatchHeaders,
  ListLimit,
  ListQueryBase,
  listOf,
  NameText,
  NextCursor,
  NOT_CLEARABLE,
  ProblemSchema,
  patchOf,
  RowErrorSchema,
  SearchQuery,
  StateCode,
  Timestamp,
  UpdatedSince,
  withoutControls,
} from '../../src/lib/schemas.js'

/**
 * src/lib/schemas.ts: every shared piece parsed at its bounds with exact messages, and the JSON
 * schema it gives the contract (the named ones equal to the committed openapi/openapi.json's
 * components). All built inside the tests from the module's exports.
 */

const committed = JSON.parse(
  readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'),
) as {
  components: { schemas: Record<string, unknown> }
}

const json = (schema: z.ZodType, io: 'input' | 'output' = 'input') => {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>
  delete out.$schema
  return out
}
/** The JSON schema of a schema with an id, as the contract's component. */
const component = (schema: z.ZodType, id: string) =>
  JSON.parse(
    JSON.stringify((json(schema, 'output').$defs as Record<string, unknown>)[id]).replaceAll(
      '#/$defs/',
      '#/components/schemas/',
    ),
  )
const messages = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value)
  return r.success ? [] : r.error.issues.map((i) => i.message)
}

describe('named schemas equal the committed components', () => {
  it('Problem, FieldError, RowError, ContactDetail', () => {
    for (const [schema, id] of [
      [ProblemSchema, 'Problem'],
      [FieldErrorSchema, 'FieldError'],
      [RowErrorSchema, 'RowError'],
      [ContactDetailOut, 'ContactDetail'],
    ] as const) {
      expect(committed.components.schemas[id], id).toBeDefined()
      expect(component(schema, id), id).toEqual(committed.components.schemas[id])
    }
  })
})

describe('scalars', () => {
  it('Id: 1..64 characters, a uuid in the contract', () => {
    expect(json(Id)).toEqual({
      type: 'string',
      minLength: 1,
      maxLength: 64,
      format: 'uuid',
      description: 'Record identifier (a UUIDv7)',
    })
    expect(Id.safeParse('x'.repeat(64)).success).toBe(true)
    expect(Id.safeParse('x'.repeat(65)).success).toBe(false)
    expect(Id.safeParse('').success).toBe(false)
  })

  it('StateCode: two upper-case letters', () => {
    expect(json(StateCode)).toEqual({
      type: 'string',
      pattern: '^[A-Z]{2}$',
      minLength: 2,
      maxLength: 2,
      description: 'ISO 3166-1 alpha-2 state code',
    })
    expect(StateCode.parse('KG')).toBe('KG')
    for (const bad of ['kg', 'K', 'KGZ', ' KG', 'K1'])
      expect(messages(StateCode, bad), bad).toEqual(['must be an ISO 3166-1 alpha-2 code in upper case'])
  })

  it('CalendarDate and Timestamp', () => {
    expect(json(CalendarDate)).toMatchObject({
      type: 'string',
      format: 'date',
      maxLength: 10,
      description: 'Calendar date, YYYY-MM-DD',
    })
    expect(CalendarDate.safeParse('2024-02-29').success).toBe(true)
    expect(CalendarDate.safeParse('2023-02-29').success).toBe(false)
    expect(json(Timestamp)).toMatchObject({
      type: 'string',
      maxLength: 40,
      format: 'date-time',
      description: 'RFC 3339 UTC timestamp',
    })
    const ts = `2026-01-01T00:00:00.${'1'.repeat(19)}Z`
    expect(ts.length).toBe(40)
    expect(Timestamp.safeParse(ts).success).toBe(true)
    expect(Timestamp.safeParse(`2026-01-01T00:00:00.${'1'.repeat(20)}Z`).success).toBe(false)
    expect(json(UpdatedSince)).toMatchObject({
      description: 'Only records updated at or after this instant',
      maxLength: 40,
      format: 'date-time',
    })
    expect(UpdatedSince.parse(undefined)).toBeUndefined()
  })

  it('BooleanString: exactly true or false', () => {
    expect(json(BooleanString)).toEqual({
      description: 'true or false',
      type: 'string',
      enum: ['true', 'false'],
    })
    expect(BooleanString.parse('true')).toBe(true)
    expect(BooleanString.parse('false')).toBe(false)
    expect(BooleanString.safeParse('TRUE').success).toBe(false)
    expect(BooleanString.safeParse('1').success).toBe(false)
  })

  it('NameText: trimmed, 1..max, no control characters but tab and newline', () => {
    const name = NameText(5)
    expect(json(name)).toEqual({
      type: 'string',
      minLength: 1,
      maxLength: 5,
      pattern: '^[^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*$',
    })
    expect(name.parse('  abcde ')).toBe('abcde')
    expect(name.safeParse('abcdef').success).toBe(false)
    expect(name.safeParse('   ').success).toBe(false)
    expect(name.parse('a\tb\nc')).toBe('a\tb\nc')
    for (const c of ['\x00', '\x08', '\x0b', '\x0c', '\r', '\x1f', '\x7f', '\x80', '\x9f'])
      expect(messages(name, `a${c}b`), JSON.stringify(c)).toEqual([
        'must not hold control characters other than tab and newline',
      ])
    expect(name.parse('a\xa0b')).toBe('a\xa0b')
    expect(name.parse('a~b')).toBe('a~b')
    expect(messages(withoutControls(z.string()), '\x1b')).toEqual([
      'must not hold control characters other than tab and newline',
    ])
  })
})

describe('records and lists', () => {
  it('Bookkeeping: version from 1, timestamps', () => {
    const B = z.object(Bookkeeping)
    expect((json(B).properties as Record<string, unknown>).version).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 9007199254740991,
      format: 'int64',
      description: 'Incremented by one on every change; the ETag',
    })
    const at = '2026-01-01T00:00:00Z'
    expect(B.safeParse({ version: 1, createdAt: at, updatedAt: at }).success).toBe(true)
    expect(B.safeParse({ version: 0, createdAt: at, updatedAt: at }).success).toBe(false)
    expect(B.safeParse({ version: 1.5, createdAt: at, updatedAt: at }).success).toBe(false)
    expect(B.safeParse({ version: 1, createdAt: 'x', updatedAt: at }).success).toBe(false)
    expect(B.safeParse({ version: 1, createdAt: at, updatedAt: 'x' }).success).toBe(false)
  })

  it('ListLimit 1..500 (default 50), cursors up to 512 characters', () => {
    expect(json(ListLimit)).toEqual({
      default: 50,
      description: 'Page size, 1..500 (default 50)',
      type: 'integer',
      minimum: 1,
      maximum: 500,
      format: 'int32',
    })
    expect(ListLimit.parse(undefined)).toBe(50)
    expect(ListLimit.parse('500')).toBe(500)
    expect(ListLimit.parse('1')).toBe(1)
    for (const bad of ['0', '501', '1.5', 'x']) expect(ListLimit.safeParse(bad).success, bad).toBe(false)
    expect(json(Cursor)).toEqual({
      type: 'string',
      minLength: 1,
      maxLength: 512,
      description: 'Opaque cursor from nextCursor',
    })
    expect(Cursor.safeParse('c'.repeat(512)).success).toBe(true)
    expect(Cursor.safeParse('c'.repeat(513)).success).toBe(false)
    expect(Cursor.safeParse('').success).toBe(false)
    expect(json(NextCursor)).toEqual({
      anyOf: [{ type: 'string', maxLength: 512 }, { type: 'null' }],
      description: 'Pass as ?cursor= to get the next page',
    })
    expect(NextCursor.safeParse('c'.repeat(513)).success).toBe(false)
    expect(NextCursor.parse(null)).toBeNull()
    expect(json(z.object(ListQueryBase))).toEqual({
      type: 'object',
      properties: { limit: json(ListLimit), cursor: json(Cursor) },
    })
    expect(z.object(ListQueryBase).parse({})).toEqual({ limit: 50 })
  })

  it('listOf: items up to the page size (or the given maximum) and the next cursor', () => {
    expect(component(listOf(z.string(), 'Strs', 7), 'Strs')).toEqual({
      type: 'object',
      properties: {
        items: { maxItems: 7, type: 'array', items: { type: 'string' } },
        nextCursor: {
          anyOf: [{ type: 'string', maxLength: 512 }, { type: 'null' }],
          description: 'Pass as ?cursor= to get the next page',
        },
      },
      required: ['items', 'nextCursor'],
      additionalProperties: false,
    })
    const page = listOf(z.string(), 'Page2')
    expect(page.safeParse({ items: Array(500).fill('a'), nextCursor: null }).success).toBe(true)
    expect(page.safeParse({ items: Array(501).fill('a'), nextCursor: null }).success).toBe(false)
  })

  it('If-Match and If-None-Match headers up to 200 characters', () => {
    expect(json(IfMatchHeaders)).toEqual({
      type: 'object',
      properties: {
        'if-match': { description: 'Entity tag from a previous read', type: 'string', maxLength: 200 },
      },
    })
    expect(json(IfNoneMatchHeaders)).toEqual({
      type: 'object',
      properties: { 'if-none-match': { type: 'string', maxLength: 200 } },
    })
    expect(IfMatchHeaders.safeParse({ 'if-match': 'x'.repeat(201) }).success).toBe(false)
    expect(IfNoneMatchHeaders.safeParse({ 'if-none-match': 'x'.repeat(201) }).success).toBe(false)
    expect(IfNoneMatchHeaders.safeParse({ 'if-none-match': 'x'.repeat(200) }).success).toBe(true)
  })
})

describe('patchOf', () => {
  it('every field optional; null clears what may be unset and is refused, named, for the rest', () => {
    const P = patchOf(
      {
        a: z.string().max(3).describe('A'),
        b: z.string().optional(),
        m: z.record(z.string(), z.string()),
        n: z.number().meta({ format: 'int32' }),
      },
      'P',
    )
    expect(component(P, 'P')).toEqual({
      type: 'object',
      properties: {
        a: { type: 'string', maxLength: 3, description: 'A' },
        b: { type: ['string', 'null'] },
        m: {
          type: 'object',
          propertyNames: { type: 'string' },
          additionalProperties: { type: ['string', 'null'] },
        },
        n: { type: 'number', format: 'int32' },
      },
      additionalProperties: false,
      description: 'RFC 7396 merge patch: send only what changes; null clears a field that may be unset',
    })
    expect(P.parse({})).toEqual({})
    expect(P.parse({ b: null, m: { k: null, j: 'v' } })).toEqual({ b: null, m: { k: null, j: 'v' } })
    expect(messages(P, { a: null })).toEqual([NOT_CLEARABLE])
    expect(NOT_CLEARABLE).toBe('must not be null: this field cannot be cleared')
    expect(messages(P, { n: null })).toEqual([NOT_CLEARABLE])
    expect(messages(P, { a: 5 })).toEqual(['Invalid input: expected string, received number'])
    expect(messages(P, { a: 'abcd' })).toEqual(['Too big: expected string to have <=3 characters'])
    expect(messages(P, { m: null })).toEqual([NOT_CLEARABLE])
    expect(messages(P, { z: 1 })).toEqual(['Unrecognized key: "z"'])
  })
})

describe('SearchQuery', () => {
  it('up to 200 characters with 1..MAX words that have letters or digits', () => {
    expect(json(SearchQuery)).toEqual({
      description:
        'Search: every word must match a name, title or e-mail address (of organizations: name, acronym, e-mail) by ' +
        'prefix, folding case, diacritics, script and common transliteration variants (zh/j/dj, kh/h, ts/c, ye/e, ' +
        'y/i, doubled letters). Results rank whole words first, then prefixes, then variant spellings.',
      type: 'string',
      maxLength: 200,
    })
    expect(SearchQuery.parse(undefined)).toBeUndefined()
    expect(SearchQuery.parse('ab')).toBe('ab')
    expect(messages(SearchQuery, ' -- ')).toEqual(['has no letters or digits to search for'])
    expect(messages(SearchQuery, 'a '.repeat(16).trim())).toEqual([])
    expect(messages(SearchQuery, 'a '.repeat(17).trim())).toEqual(['has more than 16 words'])
    expect(messages(SearchQuery, 'a'.repeat(201))).toEqual([
      'Too big: expected string to have <=200 characters',
    ])
    // Both refusals are zod custom issues.
    for (const q of [' -- ', 'a '.repeat(17)])
      expect(SearchQuery.safeParse(q).error?.issues.map((i) => i.code)).toEqual(['custom'])
  })
})
