import { parse as parseCsv } from 'csv-parse/sync'
import ICAL from 'ical.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  admin,
  COLUMNS,
  CREATED_ALL,
  directoryRows,
  expectProblem,
  type Headers,
  importOk,
  type Json,
  listAll,
  PEOPLE,
  person,
  ROWS,
  type TestApp,
  tenures,
  toCsv,
  UNCHANGED_ALL,
} from './support.js'

/**
 * Exports: CSV in the import's own layout (so an export re-imports as unchanged) and vCard 4.0;
 * anonymous readers never get restricted details or notes.
 */

let t: TestApp
let a: Headers
let contacts: Json[]
const NOTE = 'Prefers calls after 15:00; private mobile on file'
/** vCard text escapes `;` (DESIGN.md, Export safety); ical.js keeps `\;` in unstructured vCard 4 text. */
const NOTE_IN_VCARD = NOTE.replace(/;/g, '\\;')
const idOf = (externalId: string) => contacts.find((c) => c.externalId === externalId)?.id as string

const get = (url: string, accept: string, headers: Headers = {}) =>
  t.app.inject({ method: 'GET', url, headers: { ...headers, accept } })

const rowsOf = (csv: string): Record<string, string>[] => parseCsv(csv, { columns: true, bom: true })
const headerOf = (csv: string) => csv.replace(/^\uFEFF/, '').split(/\r?\n/)[0]

/** The vCards of a text, as ical.js components. */
function vcards(text: string): ICAL.Component[] {
  const parsed = ICAL.parse(text) as unknown[]
  const roots = Array.isArray(parsed[0]) ? parsed : [parsed]
  return roots.map((jcard) => new ICAL.Component(jcard as never))
}

beforeAll(async () => {
  t = await buildTestApp()
  a = await admin()
  expect(await importOk(t, toCsv(directoryRows()), 'text/csv', a)).toEqual(CREATED_ALL)
  contacts = await listAll(t, '/v1/contacts?limit=500', a)
  for (const [externalId, patch] of [
    ['kg-000', { languages: ['ky', 'ru', 'en'], notes: NOTE }],
    ['kz-001', { notes: NOTE }],
  ] as const) {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/v1/contacts/${idOf(externalId)}`,
      headers: { ...a, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify(patch),
    })
    expect(res.statusCode, res.body).toBe(200)
  }
})
afterAll(() => t.close())

describe('CSV', () => {
  it('GET /v1/contacts with Accept: text/csv answers the import columns, one row per person in a role', async () => {
    const res = await get('/v1/contacts', 'text/csv', a)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(headerOf(res.body)).toBe(COLUMNS.join(','))
    const rows = rowsOf(res.body)
    // Every contact, not one page of 50.
    expect(rows).toHaveLength(ROWS)
    expect(new Set(rows.map((r) => r.externalId)).size).toBe(PEOPLE)
    const kg000 = rows.filter((r) => r.externalId === 'kg-000')
    expect(kg000).toHaveLength(2)
    expect(kg000[0]).toMatchObject({
      stateCode: 'KG',
      organization: 'Ministry of Foreign Affairs',
      organizationKind: 'government',
      givenName: 'Asan',
      familyName: 'Zhumabekov',
      nameOriginal: 'Асан Жумабеков',
      positionTitle: 'Head of Division, Export Control\nNuclear Safety Unit',
      email: 'asan.zhumabekov.0@mfa.gov.kg',
      phone: '+996312620000',
      emailVisibility: 'public',
      phoneVisibility: 'public',
    })
  })

  it('an export re-imports as all unchanged, writing nothing', async () => {
    const res = await get('/v1/contacts', 'text/csv', a)
    expect(res.statusCode).toBe(200)
    const before = snapshot(t.db)
    expect(await importOk(t, res.body, 'text/csv', a)).toEqual(UNCHANGED_ALL)
    expect(snapshot(t.db)).toBe(before)
  })

  it('a contact without externalId is exported under its id and re-imports as unchanged', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: a,
      payload: { familyName: 'Keyless', contactDetails: [{ type: 'email', value: 'keyless@example.org' }] },
    })
    expect(created.statusCode, created.body).toBe(201)
    const res = await get('/v1/contacts', 'text/csv', a)
    const row = rowsOf(res.body).find((r) => r.familyName === 'Keyless')
    expect(row?.externalId).toBe(created.json().id)
    const before = snapshot(t.db)
    const body = await importOk(t, res.body, 'text/csv', a)
    expect(body.unchanged.contacts).toBe(PEOPLE + 1)
    expect(body.created).toEqual({ organizations: 0, contacts: 0, assignments: 0 })
    expect(body.updated).toEqual({ organizations: 0, contacts: 0, assignments: 0 })
    expect(snapshot(t.db)).toBe(before)
  })

  it('filters apply to the export: ?state=KG lists the people currently serving Kyrgyzstan', async () => {
    const res = await get('/v1/contacts?state=KG', 'text/csv', a)
    expect(res.statusCode, res.body).toBe(200)
    const want = new Set(
      tenures()
        .filter((x) => x.state === 'KG' && !x.endDate)
        .map((x) => x.externalId),
    )
    expect(new Set(rowsOf(res.body).map((r) => r.externalId))).toEqual(want)
  })

  it('GET /v1/directory?state=KG with Accept: text/csv lists the current holders', async () => {
    const res = await get('/v1/directory?state=KG', 'text/csv', a)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(headerOf(res.body)).toBe(COLUMNS.join(','))
    const got = rowsOf(res.body).map((r) => {
      expect(r.stateCode).toBe('KG')
      expect(r.endDate).toBe('')
      return `${r.externalId}|${r.role}|${r.organization}|${r.startDate}`
    })
    const want = tenures()
      .filter((x) => x.state === 'KG' && !x.endDate)
      .map((x) => `${x.externalId}|${x.role}|${x.organization}|${x.startDate}`)
    expect(want.length).toBeGreaterThan(30)
    expect(got.sort()).toEqual(want.sort())
    // Even beyond the JSON page size.
    expect(got.length).toBeGreaterThan(
      (await t.app.inject({ method: 'GET', url: '/v1/directory?state=KG&limit=10', headers: a })).json().items
        .length,
    )
  })
})

describe('privacy', () => {
  const restricted: string[] = []
  const published: string[] = []
  for (let p = 0; p < PEOPLE; p++) {
    const x = person(p)
    if (x.emailStored) (x.emailPublic ? published : restricted).push(x.emailStored)
    if (x.phoneE164) {
      if (x.phonePublic) published.push(x.phoneE164)
      else restricted.push(x.phoneE164, x.phoneE164.slice(1))
    }
  }

  const expectRedacted = (text: string) => {
    for (const secret of [...restricted, NOTE]) expect(text, secret).not.toContain(secret)
    expect(text).not.toMatch(/\brestricted\b/)
    expect(published.filter((v) => text.includes(v)).length).toBeGreaterThan(0)
  }

  it('an anonymous CSV export has no restricted emails or phones and no notes', async () => {
    const res = await get('/v1/contacts', 'text/csv')
    expect(res.statusCode, res.body).toBe(200)
    expectRedacted(res.body)
    // Every row (and the keyless contact added above), only with fewer details.
    expect(rowsOf(res.body)).toHaveLength(ROWS + 1)
  })

  it('an anonymous directory CSV has no restricted emails or phones', async () => {
    for (const state of ['KG', 'KZ', 'UZ', 'TJ', 'TM']) {
      const res = await get(`/v1/directory?state=${state}`, 'text/csv')
      expect(res.statusCode, res.body).toBe(200)
      for (const secret of [...restricted, NOTE]) expect(res.body).not.toContain(secret)
    }
  })

  it('an anonymous vCard export has no restricted emails or phones and no notes', async () => {
    const res = await get('/v1/contacts', 'text/vcard')
    expect(res.statusCode, res.body).toBe(200)
    expectRedacted(res.body)
    const one = await get(`/v1/contacts/${idOf('kz-001')}`, 'text/vcard')
    expect(one.statusCode, one.body).toBe(200)
    for (const secret of [...restricted, NOTE]) expect(one.body).not.toContain(secret)
    const [card] = vcards(one.body)
    expect(card?.getAllProperties('email')).toEqual([])
    expect(card?.getAllProperties('tel')).toEqual([])
    expect(card?.getFirstProperty('note')).toBeNull()
  })

  it('a reader with directory:read gets restricted details and notes', async () => {
    const r = await bearer('directory:read')
    const csv = await get('/v1/contacts', 'text/csv', r)
    for (const secret of restricted.filter((s) => s.includes('@'))) expect(csv.body).toContain(secret)
    const one = await get(`/v1/contacts/${idOf('kz-001')}`, 'text/vcard', r)
    const [card] = vcards(one.body)
    const x = person(1)
    expect(card?.getFirstPropertyValue('email')).toBe(x.emailStored)
    expect(card?.getFirstPropertyValue('note')).toBe(NOTE_IN_VCARD)
  })
})

describe('vCard', () => {
  const checkAsan = (card: ICAL.Component | undefined) => {
    const c = contacts.find((x) => x.externalId === 'kg-000') as Json
    expect(card).toBeDefined()
    expect(card?.name).toBe('vcard')
    expect(card?.getFirstPropertyValue('version')).toBe('4.0')
    expect(card?.getFirstPropertyValue('fn')).toBe(c.displayName)
    expect(String(card?.getFirstPropertyValue('fn'))).toContain('Zhumabekov')
    const n = card?.getFirstProperty('n')?.getValues()[0] as string[]
    expect(n.slice(0, 2)).toEqual(['Zhumabekov', 'Asan'])
    expect(n[3]).toBe('Mr.')
    expect(card?.getFirstPropertyValue('org')).toEqual(expect.stringContaining('Ministry of Foreign Affairs'))
    expect(card?.getFirstPropertyValue('title')).toBe('Head of Division, Export Control\nNuclear Safety Unit')
    expect(card?.getFirstPropertyValue('email')).toBe('asan.zhumabekov.0@mfa.gov.kg')
    expect(String(card?.getFirstPropertyValue('tel'))).toMatch(/^(tel:)?\+996312620000$/)
    expect(card?.getAllProperties('lang').map((p) => p.getFirstValue())).toEqual(['ky', 'ru', 'en'])
  }

  it('GET /v1/contacts with Accept: text/vcard answers one vCard 4.0 per contact', async () => {
    const res = await get('/v1/contacts', 'text/vcard', a)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/vcard/)
    const cards = vcards(res.body)
    expect(cards).toHaveLength(PEOPLE + 1)
    for (const card of cards) expect(card.getFirstPropertyValue('version')).toBe('4.0')
    checkAsan(cards.find((c) => String(c.getFirstPropertyValue('uid')).includes(idOf('kg-000'))))
  })

  it('GET /v1/contacts/{id} with Accept: text/vcard answers that contact as vCard 4.0', async () => {
    const res = await get(`/v1/contacts/${idOf('kg-000')}`, 'text/vcard', a)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/vcard/)
    const cards = vcards(res.body)
    expect(cards).toHaveLength(1)
    checkAsan(cards[0])
    expect(cards[0]?.getFirstPropertyValue('note')).toBe(NOTE_IN_VCARD)
    expect(String(cards[0]?.getFirstPropertyValue('uid'))).toContain(idOf('kg-000'))
  })

  it('a Cyrillic name survives the vCard', async () => {
    const res = await get(`/v1/contacts/${idOf('kg-000')}`, 'text/vcard', a)
    expect(res.body).toContain('Асан Жумабеков')
  })
})

describe('content negotiation', () => {
  it('Accept: image/png is a 406 problem on lists, reads and the directory', async () => {
    for (const url of ['/v1/contacts', `/v1/contacts/${idOf('kg-000')}`, '/v1/directory?state=KG']) {
      const res = await get(url, 'image/png', a)
      expectProblem(res, 406)
    }
  })

  it('a single contact has no CSV form: Accept: text/csv alone is 406', async () => {
    const res = await get(`/v1/contacts/${idOf('kg-000')}`, 'text/csv', a)
    expectProblem(res, 406)
  })
})

describe('export round trip of records made over the API', () => {
  let u: TestApp
  beforeAll(async () => {
    u = await buildTestApp()
  })
  afterAll(() => u.close())

  it('a contact whose number is a mobile re-imports as unchanged', async () => {
    const h = await admin()
    const post = async (url: string, payload: object) => {
      const res = await u.app.inject({ method: 'POST', url, headers: h, payload })
      expect(res.statusCode, res.body).toBe(201)
      return res.json() as Json
    }
    const mfa = await post('/v1/organizations', {
      name: 'Ministry of Foreign Affairs',
      kind: 'government',
      stateCode: 'KG',
    })
    const ngo = await post('/v1/organizations', { name: 'Safer World', kind: 'ngo', stateCode: 'KG' })
    const mobile = await post('/v1/contacts', {
      familyName: 'Beknazarov',
      contactDetails: [
        { type: 'mobile', value: '+996 555 123456' },
        { type: 'email', value: 'beknazarov@mfa.gov.kg', visibility: 'public' },
      ],
    })
    const other = await post('/v1/contacts', { familyName: 'Ergashev', externalId: 'kg-ergashev' })
    const roles = (await listAll(u, '/v1/roles?limit=500', h)) as Json[]
    const role = (key: string) => roles.find((r) => r.key === key)?.id
    await post('/v1/assignments', {
      contactId: mobile.id,
      organizationId: mfa.id,
      roleId: role('national-poc'),
      startDate: '2020-01-01',
    })
    await post('/v1/assignments', {
      contactId: other.id,
      organizationId: ngo.id,
      roleId: role('technical-poc'),
      startDate: '2020-01-01',
      endDate: '2021-01-01',
    })

    const res = await u.app.inject({
      method: 'GET',
      url: '/v1/contacts?current=false',
      headers: { ...h, accept: 'text/csv' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(rowsOf(res.body)).toHaveLength(2)
    const before = snapshot(u.db)
    const body = await importOk(u, res.body, 'text/csv', h)
    const detailsAfter = (
      await u.app.inject({ method: 'GET', url: `/v1/contacts/${mobile.id}`, headers: h })
    ).json().contactDetails
    expect(detailsAfter, 'the re-import added no detail').toEqual(mobile.contactDetails)
    expect(body).toEqual({
      dryRun: false,
      created: { organizations: 0, contacts: 0, assignments: 0 },
      updated: { organizations: 0, contacts: 0, assignments: 0 },
      unchanged: { organizations: 2, contacts: 2, assignments: 2 },
    })
    expect(snapshot(u.db)).toBe(before)
  })
})
