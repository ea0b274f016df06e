// The bounds the contract declares (maxLength, maxItems) are the bounds validation enforces: both
// come from one zod schema. Per kind of field, the last allowed length is accepted and one past it
// is a 400 naming the field that writes nothing (issue #12: string and array bounds on every input).
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toLatin } from '../../src/lib/search-text.js'
import { DERIVED_NAME_LATIN, LATIN_PER_UNIT } from '../../src/modules/contacts/contacts-schemas.js'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'
import { expectProblem, expectRejected, type Json, type TestApp, writer } from './fixtures.js'

type Schema = Record<string, unknown>
const contract = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'))

/** The first `keyword` (maxLength, maxItems) inside a schema, looking through anyOf and $ref. */
function declared(schema: Schema | undefined, keyword: string): unknown {
  if (!schema) return undefined
  if (keyword in schema) return schema[keyword]
  if (typeof schema.$ref === 'string') {
    return declared(contract.components.schemas[schema.$ref.replace('#/components/schemas/', '')], keyword)
  }
  for (const option of (schema.anyOf ?? []) as Schema[]) {
    const found = declared(option, keyword)
    if (found !== undefined) return found
  }
  return undefined
}
const property = (component: string, name: string): Schema =>
  contract.components.schemas[component].properties[name]
const parameter = (path: string, name: string): Schema =>
  contract.paths[path].get.parameters.find((p: { name: string }) => p.name === name).schema

let t: TestApp
let w: Record<string, string>
beforeAll(async () => {
  t = await buildTestApp()
  w = await writer()
})
afterAll(() => t.close())

const post = (url: string, payload: Json) =>
  t.app.inject({ method: 'POST', url, headers: { ...w, 'content-type': 'application/json' }, payload })

/** A contact body whose `field` is `value` (familyName given when the field is another). */
const contactWith = (field: string, value: unknown): Json => ({ familyName: 'Bound', [field]: value })

describe('request bodies: the last allowed length passes, one past it is 400 naming the field', () => {
  const cases: Array<[string, string, string, number, (n: number) => unknown]> = [
    // kind, field, component declaring it, bound, value of length n
    [
      'a name (trimmed, no control characters)',
      'familyName',
      'ContactCreateInput',
      200,
      (n) => 'Z'.repeat(n),
    ],
    ['a key (trimmed)', 'externalId', 'ContactCreateInput', 200, (n) => 'k'.repeat(n)],
    ['free text', 'notes', 'ContactCreateInput', 10_000, (n) => 'n'.repeat(n)],
    ['an array of language tags', 'languages', 'ContactCreateInput', 20, (n) => Array(n).fill('en')],
    [
      'an array of contact details',
      'contactDetails',
      'ContactCreateInput',
      50,
      (n) => Array.from({ length: n }, (_, i) => ({ type: 'address', value: `Street ${i}` })),
    ],
  ]

  it.each(cases)('%s: %s', async (_kind, field, component, bound, value) => {
    const keyword = Array.isArray(value(1)) ? 'maxItems' : 'maxLength'
    expect(declared(property(component, field), keyword)).toBe(bound)
    const ok = await post('/v1/contacts', contactWith(field, value(bound)))
    expect(ok.statusCode, ok.body).toBe(201)
    const body = await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/contacts',
        headers: { ...w, 'content-type': 'application/json' },
        payload: contactWith(field, value(bound + 1)),
      },
      400,
      [field],
    )
    expect(body.errors).toHaveLength(1)
  })

  it("a contact detail's value (500) and label (100)", async () => {
    const item = property('ContactCreateInput', 'contactDetails').items as {
      properties: Record<string, Schema>
    }
    expect(declared(item.properties.value, 'maxLength')).toBe(500)
    expect(declared(item.properties.label, 'maxLength')).toBe(100)
    const withDetail = (value: string, label: string) =>
      contactWith('contactDetails', [{ type: 'address', value, label }])
    expect((await post('/v1/contacts', withDetail('v'.repeat(500), 'l'.repeat(100)))).statusCode).toBe(201)
    for (const [payload, path] of [
      [withDetail('v'.repeat(501), 'label'), 'contactDetails.0.value'],
      [withDetail('value', 'l'.repeat(101)), 'contactDetails.0.label'],
    ] as const) {
      const before = snapshot(t.db)
      const body = expectProblem(await post('/v1/contacts', payload), 400, [path])
      expect(body.errors).toEqual([{ path, message: expect.stringMatching(/500|100/) }])
      expect(snapshot(t.db)).toBe(before)
    }
  })

  it("a URL (an organization's website, 500)", async () => {
    expect(declared(property('OrganizationCreateInput', 'website'), 'maxLength')).toBe(500)
    const url = (n: number) => `https://example.org/${'p'.repeat(n - 'https://example.org/'.length)}`
    const org = (n: number) => ({ name: `Bounded ${n}`, kind: 'international', website: url(n) })
    expect((await post('/v1/organizations', org(500))).statusCode).toBe(201)
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/organizations',
        headers: { ...w, 'content-type': 'application/json' },
        payload: org(501),
      },
      400,
      ['website'],
    )
  })
})

describe('query parameters: the same, naming query.<parameter>', () => {
  it('a timestamp (updatedSince, 40 characters: a fraction of a second is open-ended)', async () => {
    expect(parameter('/v1/contacts', 'updatedSince').maxLength).toBe(40)
    const since = (n: number) => `2024-01-01T00:00:00.${'0'.repeat(n - 21)}Z`
    expect(since(40)).toHaveLength(40)
    const ok = await t.app.inject({ method: 'GET', url: `/v1/contacts?updatedSince=${since(40)}` })
    expect(ok.statusCode, ok.body).toBe(200)
    const refused = await t.app.inject({ method: 'GET', url: `/v1/contacts?updatedSince=${since(41)}` })
    expect(expectProblem(refused, 400, ['query.updatedSince']).errors).toHaveLength(1)
  })

  it('a duration (olderThan, 64 characters)', async () => {
    expect(parameter('/v1/reports/stale', 'olderThan').maxLength).toBe(64)
    const days = (n: number) => `P${'0'.repeat(n - 3)}1D`
    const ok = await t.app.inject({ method: 'GET', url: `/v1/reports/stale?olderThan=${days(64)}` })
    expect(ok.statusCode, ok.body).toBe(200)
    const refused = await t.app.inject({ method: 'GET', url: `/v1/reports/stale?olderThan=${days(65)}` })
    expect(expectProblem(refused, 400, ['query.olderThan']).errors).toHaveLength(1)
  })
})

describe('problem bodies stay within the bounds the Problem schema declares', () => {
  it('names the first 1,000 wrong fields of a body that has more, and writes nothing', async () => {
    expect(declared(property('Problem', 'errors'), 'maxItems')).toBe(1000)
    const payload: Json = { familyName: 'Many' }
    for (let i = 0; i < 1001; i++) payload[`unknown${String(i).padStart(4, '0')}`] = i
    const body = await expectRejected(
      t,
      { method: 'POST', url: '/v1/contacts', headers: { ...w, 'content-type': 'application/json' }, payload },
      400,
    )
    expect(body.errors).toHaveLength(1000)
    expect(body.errors?.[0]).toEqual({ path: 'unknown0000', message: 'is not a known field' })
    expect(body.errors?.[999]).toEqual({ path: 'unknown0999', message: 'is not a known field' })
    expect(body.detail.length).toBeLessThanOrEqual(10_000)
    expect(body.detail).toMatch(/^unknown0000: is not a known field; unknown0001: /)
  })
})

describe('imports keep the bound of a record', () => {
  it("refuses a row that would give a person a 51st contact detail (422 naming the row's email)", async () => {
    const details = Array.from({ length: 50 }, (_, i) => ({ type: 'address', value: `Street ${i}` }))
    const res = await post('/v1/contacts', {
      familyName: 'Full',
      externalId: 'full-1',
      contactDetails: details,
    })
    expect(res.statusCode, res.body).toBe(201)
    const headers = { ...(await bearer('directory:import directory:read')), 'content-type': 'text/csv' }
    const before = snapshot(t.db)
    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers,
      payload: 'familyName,externalId,email\nFull,full-1,full@example.org\n',
    })
    const body = expectProblem(refused, 422)
    expect(body.errors).toEqual([
      { row: 1, field: 'email', message: 'would give the person more than 50 contact details' },
    ])
    expect(snapshot(t.db)).toBe(before)
    // The same row without a new detail is accepted: the bound is what refused it.
    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers,
      payload: 'familyName,externalId\nFull,full-1\n',
    })
    expect(ok.statusCode, ok.body).toBe(200)
  })
})

describe('derived values stay within the bounds the record declares', () => {
  it('a derived nameLatin: no character transliterates to more than 13 UTF-16 units with its separator', () => {
    let worst = 0
    for (let code = 0x80; code < 0x30000; code++) {
      if (code >= 0xd800 && code < 0xe000) continue
      const c = String.fromCodePoint(code)
      worst = Math.max(worst, toLatin(c + c).length / (2 * c.length))
    }
    expect(worst).toBeLessThanOrEqual(LATIN_PER_UNIT)
    expect(declared(property('Contact', 'nameLatin'), 'maxLength')).toBe(DERIVED_NAME_LATIN)
  }, 60_000)
})
