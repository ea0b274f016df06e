import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { protectCell, unprotectCell } from '../../src/lib/csv-cells.js'
import { subtractDuration } from '../../src/lib/duration.js'
import { applyMergePatch } from '../../src/lib/merge-patch.js'
import { decodeCursor, encodeCursor, paginate, toPage } from '../../src/lib/pagination.js'
import {
  badRequest,
  conflict,
  forbidden,
  invalidField,
  notFound,
  ProblemError,
  preconditionFailed,
  problemType,
  statusTitle,
  unauthorized,
} from '../../src/lib/problem.js'
import { problemOf } from '../helpers/problem-of.js'

/** The small pure pieces of src/lib, pinned at their edges with exact values. */
const at = (iso: string) => new Date(iso)
const minus = (duration: string, from: string) =>
  subtractDuration(duration, at(from), 'query.olderThan').toISOString()

describe('subtractDuration: calendar arithmetic', () => {
  it.each([
    ['P1M', '2024-03-31T10:20:30.000Z', '2024-02-29T10:20:30.000Z'],
    ['P1M', '2023-03-31T10:20:30.000Z', '2023-02-28T10:20:30.000Z'],
    ['P1M', '2024-03-15T00:00:00.000Z', '2024-02-15T00:00:00.000Z'],
    ['P2M', '2024-01-31T00:00:00.000Z', '2023-11-30T00:00:00.000Z'],
    ['P12M', '2024-01-15T00:00:00.000Z', '2023-01-15T00:00:00.000Z'],
    ['P13M', '2024-01-15T00:00:00.000Z', '2022-12-15T00:00:00.000Z'],
    ['P1Y', '2024-02-29T00:00:00.000Z', '2023-02-28T00:00:00.000Z'],
    ['P4Y', '2024-02-29T00:00:00.000Z', '2020-02-29T00:00:00.000Z'],
    ['P1Y1M', '2024-03-31T00:00:00.000Z', '2023-02-28T00:00:00.000Z'],
    ['P1W', '2024-03-08T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['P30D', '2024-03-31T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['P1W1D', '2024-03-09T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['PT1H', '2024-03-01T00:00:00.000Z', '2024-02-29T23:00:00.000Z'],
    ['PT1M', '2024-03-01T00:00:00.000Z', '2024-02-29T23:59:00.000Z'],
    ['PT2S', '2024-03-01T00:00:00.000Z', '2024-02-29T23:59:58.000Z'],
    ['PT1.5S', '2024-03-01T00:00:00.000Z', '2024-02-29T23:59:58.500Z'],
    ['P1DT1H1M1S', '2024-03-02T01:01:01.000Z', '2024-03-01T00:00:00.000Z'],
    ['P1M1D', '2024-03-31T00:00:00.000Z', '2024-02-28T00:00:00.000Z'],
    ['P0D', '2024-03-31T12:00:00.000Z', '2024-03-31T12:00:00.000Z'],
    ['P10W', '2024-03-11T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
    ['PT10H', '2024-03-01T10:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['PT90M', '2024-03-01T01:30:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['PT10S', '2024-03-01T00:00:10.000Z', '2024-03-01T00:00:00.000Z'],
    ['PT10.25S', '2024-03-01T00:00:10.250Z', '2024-03-01T00:00:00.000Z'],
    ['PT1.125S', '2024-03-01T00:00:01.125Z', '2024-03-01T00:00:00.000Z'],
  ])('%s before %s is %s', (duration, from, expected) => {
    expect(minus(duration, from)).toBe(expected)
  })

  it('does not change the date it was given', () => {
    const from = at('2024-03-31T00:00:00.000Z')
    subtractDuration('P1M', from, 'x')
    expect(from.toISOString()).toBe('2024-03-31T00:00:00.000Z')
  })

  it.each(['P', 'PT', 'P1DT', 'P1', '1D', 'P1S', 'PT1D', 'P-1D', 'P1.5D', 'p1d', ' P1D'])(
    '%s is not a duration: 400 naming the path',
    (duration) => {
      const problem = problemOf(() =>
        subtractDuration(duration, at('2024-01-01T00:00:00Z'), 'query.olderThan'),
      )
      expect(problem.status).toBe(400)
      expect(problem.errors).toEqual([{ path: 'query.olderThan', message: 'is not an ISO 8601 duration' }])
    },
  )

  it('a duration past the calendar is 400, not an invalid date', () => {
    const problem = problemOf(() => subtractDuration('P300000Y', at('2024-01-01T00:00:00Z'), 'olderThan'))
    expect(problem.errors).toEqual([{ path: 'olderThan', message: 'reaches beyond the calendar' }])
    expect(minus('P2000Y', '2024-01-01T00:00:00.000Z')).toBe('0024-01-01T00:00:00.000Z')
  })
})

describe('applyMergePatch (RFC 7396)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    [null, { a: 1 }, { a: 1 }],
    ['text', { a: 1 }, { a: 1 }],
  ])('%j patched with %j is %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected)
  })

  it('leaves the target untouched', () => {
    const target = { a: { b: 1 }, c: 2 }
    applyMergePatch(target, { a: { b: null }, c: null })
    expect(target).toEqual({ a: { b: 1 }, c: 2 })
  })
})

describe('cursors and pages', () => {
  // A migrated database: cursors are signed with its key.
  const db = openDatabase(':memory:')
  runMigrations(db)
  const payloadOf = (key: string) => Buffer.from(JSON.stringify({ k: key })).toString('base64url')

  it('a cursor is base64url JSON of the key, a dot and its signature, and decodes back', () => {
    const cursor = encodeCursor(db, 'abc')
    expect(cursor).toMatch(new RegExp(`^${payloadOf('abc')}\\.[A-Za-z0-9_-]{22}$`))
    expect(decodeCursor(db, encodeCursor(db, 'ü/+'))).toBe('ü/+')
    expect(decodeCursor(db, encodeCursor(db, ''))).toBe('')
    expect(decodeCursor(db, undefined)).toBeUndefined()
  })

  const signed = () => encodeCursor(db, 'abc')
  it.each([
    ['not json', () => Buffer.from('nope').toString('base64url')],
    ['unsigned', () => payloadOf('abc')],
    [
      'another key signed elsewhere',
      () => {
        const other = openDatabase(':memory:')
        runMigrations(other)
        return encodeCursor(other, 'abc')
      },
    ],
    ['an altered key with the old signature', () => `${payloadOf('abd')}.${signed().split('.')[1]}`],
    ['an altered signature', () => `${signed().slice(0, -1)}${signed().endsWith('A') ? 'B' : 'A'}`],
    ['a third part', () => `${signed()}.x`],
    ['a signature alone', () => `.${signed().split('.')[1]}`],
    ['empty', () => ''],
  ])('%s is a 400 naming cursor', (_name, cursor) => {
    const problem = problemOf(() => decodeCursor(db, cursor()))
    expect(problem.status).toBe(400)
    expect(problem.errors).toEqual([{ path: 'cursor', message: 'is not a cursor this service issued' }])
    expect(problem.message).toBe('cursor: is not a cursor this service issued')
  })

  // A cursor signed with the database's own key (hex in settings) over any payload: what a leaked
  // key, or an older cursor format, would produce. Signed correctly, it is still refused unless
  // its payload is an object with a string `k`.
  const forged = (json: string) => {
    const hex = db.$client
      .prepare("select value from settings where name = 'cursor-key'")
      .pluck()
      .get() as string
    const payload = Buffer.from(json).toString('base64url')
    const mac = createHmac('sha256', Buffer.from(hex, 'hex')).update(payload).digest().subarray(0, 16)
    return `${payload}.${mac.toString('base64url')}`
  }

  it('the signature is the first 16 bytes of HMAC-SHA256 under the hex key in settings', () => {
    expect(forged(JSON.stringify({ k: 'abc' }))).toBe(encodeCursor(db, 'abc'))
    expect(decodeCursor(db, forged('{"k":"x","other":1}'))).toBe('x')
  })

  it.each([
    ['a number', '5'],
    ['null', 'null'],
    ['a string', '"abc"'],
    ['an array', '["abc"]'],
    ['an object without k', '{}'],
    ['a number k', '{"k":5}'],
    ['a null k', '{"k":null}'],
    ['not JSON', 'nope'],
  ])('a validly signed payload of %s is a 400 naming cursor', (_name, json) => {
    const problem = problemOf(() => decodeCursor(db, forged(json)))
    expect(problem.errors).toEqual([{ path: 'cursor', message: 'is not a cursor this service issued' }])
  })

  it('a cursor from another database, or with an altered signature, is refused (plain tests)', () => {
    const other = openDatabase(':memory:')
    runMigrations(other)
    const elsewhere = encodeCursor(other, 'abc')
    expect(problemOf(() => decodeCursor(db, elsewhere)).status).toBe(400)
    const good = encodeCursor(db, 'abc')
    const [payload, mac = ''] = good.split('.')
    const flipped = `${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`
    expect(problemOf(() => decodeCursor(db, flipped)).status).toBe(400)
    expect(problemOf(() => decodeCursor(db, `${payload}.${mac}A`)).status).toBe(400)
    expect(problemOf(() => decodeCursor(db, `${payload}.${mac.slice(0, -1)}`)).status).toBe(400)
  })

  it('a database without its cursor key says to run the migrations', () => {
    const bare = openDatabase(':memory:')
    runMigrations(bare)
    bare.$client.prepare("delete from settings where name = 'cursor-key'").run()
    expect(() => encodeCursor(bare, 'abc')).toThrow(
      new Error('the cursor key is missing: run the migrations'),
    )
  })

  it('limit rows: last page; limit + 1 rows: a page of limit and a cursor at its last item', () => {
    const key = (n: number) => `k${n}`
    expect(toPage(db, [1, 2], 2, key)).toEqual({ items: [1, 2], nextCursor: null })
    expect(toPage(db, [1], 2, key)).toEqual({ items: [1], nextCursor: null })
    expect(toPage(db, [], 2, key)).toEqual({ items: [], nextCursor: null })
    expect(toPage(db, [1, 2, 3], 2, key)).toEqual({ items: [1, 2], nextCursor: encodeCursor(db, 'k2') })
  })

  it('paginate asks for limit + 1 rows after the decoded key', () => {
    const calls: [string | undefined, number][] = []
    const rows = ['a', 'b', 'c', 'd']
    const run = (after: string | undefined, take: number) => {
      calls.push([after, take])
      return rows.filter((r) => after === undefined || r > after).slice(0, take)
    }
    expect(paginate(db, { limit: 2 }, (r: string) => r, run)).toEqual({
      items: ['a', 'b'],
      nextCursor: encodeCursor(db, 'b'),
    })
    expect(paginate(db, { limit: 2, cursor: encodeCursor(db, 'b') }, (r: string) => r, run)).toEqual({
      items: ['c', 'd'],
      nextCursor: null,
    })
    expect(calls).toEqual([
      [undefined, 3],
      ['b', 3],
    ])
  })
})

describe('problem details', () => {
  it('titles: known statuses, then Server Error from 500 and Client Error below', () => {
    for (const [status, title] of [
      [400, 'Bad Request'],
      [401, 'Unauthorized'],
      [403, 'Forbidden'],
      [405, 'Method Not Allowed'],
      [406, 'Not Acceptable'],
      [408, 'Request Timeout'],
      [409, 'Conflict'],
      [412, 'Precondition Failed'],
      [414, 'URI Too Long'],
      [415, 'Unsupported Media Type'],
      [417, 'Expectation Failed'],
      [431, 'Request Header Fields Too Large'],
    ] as const) {
      expect(statusTitle(status)).toBe(title)
    }
    expect(statusTitle(404)).toBe('Not Found')
    expect(statusTitle(413)).toBe('Content Too Large')
    expect(statusTitle(416)).toBe('Range Not Satisfiable')
    expect(statusTitle(422)).toBe('Unprocessable Content')
    expect(statusTitle(429)).toBe('Too Many Requests')
    expect(statusTitle(503)).toBe('Service Unavailable')
    expect(statusTitle(500)).toBe('Internal Server Error')
    expect(statusTitle(501)).toBe('Server Error')
    expect(statusTitle(499)).toBe('Client Error')
    expect(statusTitle(418)).toBe('Client Error')
  })

  it('a bare ProblemError is about:blank with the status title and no errors', () => {
    const p = new ProblemError(418, 'short and stout')
    expect(p).toBeInstanceOf(Error)
    expect(p.name).toBe('ProblemError')
    expect(p.headers).toEqual({})
    expect(p.toBody()).toEqual({
      type: 'about:blank',
      title: 'Client Error',
      status: 418,
      detail: 'short and stout',
    })
    expect('errors' in p.toBody()).toBe(false)
  })

  it('each helper: status, type, title, detail, errors and headers', () => {
    expect(problemType('conflict')).toBe('urn:pocdir:problem:conflict')
    expect(badRequest('nope').toBody()).toEqual({
      type: 'urn:pocdir:problem:bad-request',
      title: 'Bad Request',
      status: 400,
      detail: 'nope',
    })
    expect(invalidField('a.b', 'is wrong').toBody()).toEqual({
      type: 'urn:pocdir:problem:validation-error',
      title: 'Validation failed',
      status: 400,
      detail: 'a.b: is wrong',
      errors: [{ path: 'a.b', message: 'is wrong' }],
    })
    const u = unauthorized('who?')
    expect(u.toBody()).toEqual({
      type: 'urn:pocdir:problem:unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'who?',
    })
    expect(u.headers).toEqual({ 'www-authenticate': 'Bearer realm="pocdir"' })
    expect(unauthorized('bad', 'invalid_token').headers).toEqual({
      'www-authenticate': 'Bearer realm="pocdir", error="invalid_token"',
    })
    expect(forbidden('no').toBody()).toEqual({
      type: 'urn:pocdir:problem:forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'no',
    })
    expect(forbidden('rows', [{ row: 2, field: 'stateCode', message: 'x' }]).toBody().errors).toEqual([
      { row: 2, field: 'stateCode', message: 'x' },
    ])
    expect(notFound('gone').toBody()).toEqual({
      type: 'urn:pocdir:problem:not-found',
      title: 'Not Found',
      status: 404,
      detail: 'gone',
    })
    expect(conflict('two').toBody()).toEqual({
      type: 'urn:pocdir:problem:conflict',
      title: 'Conflict',
      status: 409,
      detail: 'two',
    })
    expect(preconditionFailed('stale').toBody()).toEqual({
      type: 'urn:pocdir:problem:precondition-failed',
      title: 'Precondition Failed',
      status: 412,
      detail: 'stale',
    })
  })
})

describe('CSV cells: signed numbers pass, everything else that starts a formula is quoted', () => {
  it.each(['-1.25', '+1.25', '-.25', '+12.5e3', '-2.5E-12', '+1e+10', '-7e12', '+996312620000'])(
    '%s is written as it is',
    (value) => {
      expect(protectCell(value)).toBe(value)
      expect(unprotectCell(value)).toBe(value)
    },
  )

  it.each(['-1.', '-.', '+1e', '-1e+', '+1.2.3', '-1e5x', '--1', '-1 '])(
    '%s gets one leading quote',
    (value) => {
      expect(protectCell(value)).toBe(`'${value}`)
      expect(unprotectCell(`'${value}`)).toBe(value)
    },
  )
})
