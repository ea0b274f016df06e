import { parse as parseCsv } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import {
  createAssignment,
  createContact,
  createOrganization,
  expectProblem,
  getJson,
  type Headers,
  importOnly,
  type Json,
  reader,
  type TestApp,
  walk,
  withQ,
  writer,
} from './support.js'

/**
 * `q` on GET /v1/directory: it filters holders whose contact or organization matches and keeps
 * the pinned directory order (role key, primary first, startDate) — no ranking. With q, state
 * and organization become optional.
 */

let t: TestApp
let w: Headers
let r: Headers
const o: Record<string, Json> = {}
const p: Record<string, Json> = {}

/** The contacts' ids of a directory answer, in order, by the names used below. */
const names = (items: Json[]) =>
  items.map((e) => Object.keys(p).find((k) => p[k]?.id === e.contact.id) ?? `?${e.contact.familyName}`)

async function directory(url: string, headers: Headers = {}) {
  return getJson(t, url.includes('limit=') ? url : `${url}${url.includes('?') ? '&' : '?'}limit=500`, headers)
}

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer()
  r = await reader()
  o.mfaKg = await createOrganization(t, w, {
    name: 'Ministry of Foreign Affairs',
    acronym: 'MFA',
    contactDetails: [{ type: 'email', value: 'registry@quietministry.kg' }],
  })
  o.customs = await createOrganization(t, w, { name: 'State Customs Service', acronym: 'SCS' })
  o.mfaKz = await createOrganization(t, w, { name: 'Ministry of Foreign Affairs', stateCode: 'KZ' })
  o.osce = await createOrganization(t, w, {
    name: 'OSCE Secretariat',
    kind: 'international',
    stateCode: null,
  })
  const person = async (key: string, given: string, family: string, body: Json = {}) => {
    p[key] = await createContact(t, w, { givenName: given, familyName: family, ...body })
  }
  await person('asan', 'Asan', 'Zhumabekov')
  await person('bakyt', 'Bakyt', 'Jumabekov')
  await person('aigul', 'Aigul', 'Zhumabekova')
  await person('timur', 'Timur', 'Djumabekov')
  await person('nurlan', 'Nurlan', 'Sadykov', {
    contactDetails: [{ type: 'email', value: 'nurlan@hushdomain.kg' }],
  })
  await person('rustam', 'Rustam', 'Osmonov')
  await person('dauren', 'Dauren', 'Zhumabekov')
  await person('old', 'Old', 'Zhumabekov')
  await person('ina', 'Ina', 'Жумабекова', { nameOriginal: 'Ина Жумабекова' })
  const hold = (who: string, org: string, role: string, startDate: string, extra: Json = {}) =>
    createAssignment(t, w, {
      contact: p[who] as Json,
      organization: o[org] as Json,
      role,
      startDate,
      ...extra,
    })
  await hold('asan', 'mfaKg', 'national-poc', '2020-02-02', { isPrimary: true })
  await hold('bakyt', 'mfaKg', 'alternate-poc', '2021-03-03')
  await hold('aigul', 'mfaKg', 'technical-poc', '2022-01-10', { isPrimary: true })
  await hold('timur', 'mfaKg', 'technical-poc', '2018-05-01')
  await hold('nurlan', 'mfaKg', 'technical-poc', '2019-07-01')
  await hold('rustam', 'customs', 'border-poc', '2023-01-01')
  await hold('dauren', 'mfaKz', 'national-poc', '2019-06-01', { isPrimary: true })
  await hold('old', 'mfaKg', 'export-control-poc', '2010-01-01', { endDate: '2015-01-01' })
  await hold('ina', 'osce', 'technical-poc', '2021-05-05', { isPrimary: true })
})
afterAll(() => t.close())

describe('state and q', () => {
  it('only matching holders, still in directory order (not in rank order)', async () => {
    const all = await directory('/v1/directory?state=KG')
    expect(names(all.items)).toEqual(['bakyt', 'rustam', 'asan', 'aigul', 'timur', 'nurlan'])
    const res = await directory(withQ('/v1/directory?state=KG', 'zhumabekov'))
    // The exact "Zhumabekov" (national-poc) comes after the variant "Jumabekov" (alternate-poc).
    expect(names(res.items)).toEqual(['bakyt', 'asan', 'aigul', 'timur'])
    const kept = new Set(['bakyt', 'asan', 'aigul', 'timur'].map((n) => p[n]?.id))
    expect(res.items).toEqual(all.items.filter((e: Json) => kept.has(e.contact.id)))
    expect(res.state).toMatchObject({ code: 'KG' })
    expect(res.organization).toBeNull()
    expect(res.nextCursor).toBeNull()
  })

  it('keeps the embedded shape of each entry', async () => {
    const res = await directory(withQ('/v1/directory?state=KG', 'Asan Zhumabekov'))
    expect(res.items).toHaveLength(1)
    expect(res.items[0]).toMatchObject({
      role: { key: 'national-poc' },
      organization: { id: o.mfaKg?.id, name: 'Ministry of Foreign Affairs' },
      contact: { id: p.asan?.id, familyName: 'Zhumabekov' },
      assignment: { isPrimary: true, startDate: '2020-02-02', endDate: null },
    })
  })

  it('combines with role, organization and asOf', async () => {
    expect(
      names((await directory(withQ('/v1/directory?state=KG&role=technical-poc', 'zhumabekov'))).items),
    ).toEqual(['aigul', 'timur'])
    const byOrg = await directory(withQ(`/v1/directory?organization=${o.mfaKz?.id}`, 'zhumabekov'))
    expect(names(byOrg.items)).toEqual(['dauren'])
    expect(byOrg.organization).toMatchObject({ id: o.mfaKz?.id })
    expect(byOrg.state).toBeNull()
    expect(
      names((await directory(withQ('/v1/directory?state=KG&asOf=2012-06-01', 'zhumabekov'))).items),
    ).toEqual(['old'])
    expect((await directory(withQ('/v1/directory?state=UZ', 'zhumabekov'))).items).toEqual([])
  })

  it('an unknown state or organization with q is still 400', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: withQ('/v1/directory?state=XX', 'asan') }), 400)
    expectProblem(
      await t.app.inject({ method: 'GET', url: withQ('/v1/directory?organization=nope', 'asan') }),
      400,
    )
  })
})

describe('q alone', () => {
  it('works without state, answers state and organization null, and spans states and international bodies', async () => {
    const res = await directory(withQ('/v1/directory', 'zhumabekov'))
    expect(res.state).toBeNull()
    expect(res.organization).toBeNull()
    expect(res.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    // alternate-poc; national-poc primaries by startDate; technical-poc primaries by startDate, then the rest.
    expect(names(res.items)).toEqual(['bakyt', 'dauren', 'asan', 'ina', 'aigul', 'timur'])
  })

  it("finds holders through their organization's name or acronym", async () => {
    expect(names((await directory(withQ('/v1/directory', 'customs'))).items)).toEqual(['rustam'])
    expect(names((await directory(withQ('/v1/directory', 'scs'))).items)).toEqual(['rustam'])
    expect(names((await directory(withQ('/v1/directory?state=KG', 'mfa'))).items)).toEqual([
      'bakyt',
      'asan',
      'aigul',
      'timur',
      'nurlan',
    ])
    expect(names((await directory(withQ('/v1/directory', 'foreign affairs'))).items)).toEqual([
      'bakyt',
      'dauren',
      'asan',
      'aigul',
      'timur',
      'nurlan',
    ])
    expect(names((await directory(withQ('/v1/directory', 'osce secretariat'))).items)).toEqual(['ina'])
  })

  it('a holder matches when each word matches its contact or its organization', async () => {
    expect(names((await directory(withQ('/v1/directory', 'rustam customs'))).items)).toEqual(['rustam'])
    expect((await directory(withQ('/v1/directory', 'rustam nonexistentword'))).items).toEqual([])
    expect(names((await directory(withQ('/v1/directory', 'rustam osmonov'))).items)).toEqual(['rustam'])
  })

  it('finds a Cyrillic name by its Latin spelling and the other way round', async () => {
    expect(names((await directory(withQ('/v1/directory', 'zhumabekova'))).items)).toEqual(['ina', 'aigul'])
    expect(names((await directory(withQ('/v1/directory', 'Жумабекова'))).items)).toEqual(['ina', 'aigul'])
  })

  it('pages with limit=1 through nextCursor and Link, in directory order', async () => {
    const all = await directory(withQ('/v1/directory', 'zhumabekov'))
    const paged = await walk(t, withQ('/v1/directory?limit=1', 'zhumabekov'))
    expect(paged.map((e) => e.assignment.id)).toEqual(all.items.map((e: Json) => e.assignment.id))
    const kg = await walk(t, withQ('/v1/directory?state=KG&limit=2', 'Жумабеков'))
    expect(names(kg)).toEqual(['bakyt', 'asan', 'aigul', 'timur'])
  })

  it('without state, organization or q it answers every holder (the nightly snapshot)', async () => {
    const all = await directory('/v1/directory?limit=500')
    expect(all.state).toBeNull()
    expect(all.organization).toBeNull()
    const searched = await directory(withQ('/v1/directory?limit=500', 'zhumabekov'))
    // Every searched holder is in the whole directory, which also holds the others.
    const ids = (page: Json) => page.items.map((i: Json) => i.assignment.id)
    expect(ids(all)).toEqual(expect.arrayContaining(ids(searched)))
    expect(names(all.items)).toEqual(['bakyt', 'rustam', 'dauren', 'asan', 'ina', 'aigul', 'timur', 'nurlan'])
  })
})

describe('privacy in the directory', () => {
  it("a holder's restricted e-mail finds the holder only for a reader", async () => {
    expect(names((await directory(withQ('/v1/directory?state=KG', 'hushdomain'), r)).items)).toEqual([
      'nurlan',
    ])
    expect(names((await directory(withQ('/v1/directory', 'nurlan@hushdomain.kg'), r)).items)).toEqual([
      'nurlan',
    ])
    for (const headers of [{}, await importOnly()]) {
      expect((await directory(withQ('/v1/directory?state=KG', 'hushdomain'), headers)).items).toEqual([])
      expect((await directory(withQ('/v1/directory', 'nurlan@hushdomain.kg'), headers)).items).toEqual([])
    }
  })

  it("an organization's restricted e-mail finds its holders only for a reader", async () => {
    expect(names((await directory(withQ('/v1/directory', 'quietministry'), r)).items)).toEqual([
      'bakyt',
      'asan',
      'aigul',
      'timur',
      'nurlan',
    ])
    for (const headers of [{}, await importOnly()]) {
      expect((await directory(withQ('/v1/directory', 'quietministry'), headers)).items).toEqual([])
      expect((await directory(withQ('/v1/directory', 'registry@quietministry.kg'), headers)).items).toEqual(
        [],
      )
    }
  })

  it('anonymous hits are redacted', async () => {
    const res = await directory(withQ('/v1/directory', 'nurlan sadykov'))
    expect(names(res.items)).toEqual(['nurlan'])
    expect(res.items[0].contact.contactDetails).toEqual([])
    expect(res.items[0].contact).not.toHaveProperty('notes')
    expect(res.items[0].organization.contactDetails).toEqual([])
  })
})

describe('CSV export honours q', () => {
  const csv = async (url: string, headers: Headers = {}) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/csv', ...headers } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    return { res, rows: parseCsv(res.body, { columns: true, bom: true }) as Record<string, string>[] }
  }

  it('with state and q: only the matching holders, in directory order', async () => {
    const { rows } = await csv(withQ('/v1/directory?state=KG', 'zhumabekov'))
    expect(rows.map((x) => `${x.givenName} ${x.familyName} ${x.role}`)).toEqual([
      'Bakyt Jumabekov alternate-poc',
      'Asan Zhumabekov national-poc',
      'Aigul Zhumabekova technical-poc',
      'Timur Djumabekov technical-poc',
    ])
    for (const x of rows) expect(x.stateCode).toBe('KG')
  })

  it('with q alone: every matching holder, and a file name', async () => {
    const { res, rows } = await csv(withQ('/v1/directory', 'zhumabekov'))
    expect(rows.map((x) => x.givenName)).toEqual(['Bakyt', 'Dauren', 'Asan', 'Ina', 'Aigul', 'Timur'])
    expect(String(res.headers['content-disposition'])).toMatch(
      /^attachment; filename="directory-[^"]+\.csv"$/,
    )
  })

  it('a restricted address neither finds nor shows anything anonymously; a reader gets the row with the address', async () => {
    const anon = await csv(withQ('/v1/directory', 'hushdomain'))
    expect(anon.rows).toEqual([])
    expect(anon.res.body).not.toContain('hushdomain')
    const read = await csv(withQ('/v1/directory', 'hushdomain'), r)
    expect(read.rows.map((x) => [x.givenName, x.email])).toEqual([['Nurlan', 'nurlan@hushdomain.kg']])
  })

  it('a bad cursor with q is 400 problem+json before anything streams', async () => {
    // GET /v1/contacts reads the first page before streaming, so a bad cursor is a clean 400 there.
    const contacts = await t.app.inject({
      method: 'GET',
      url: `${withQ('/v1/contacts', 'zhumabekov')}&cursor=garbage`,
      headers: { accept: 'text/csv' },
    })
    expectProblem(contacts, 400)
    let res: Awaited<ReturnType<typeof t.app.inject>> | undefined
    let error: unknown
    try {
      res = await t.app.inject({
        method: 'GET',
        url: `${withQ('/v1/directory', 'zhumabekov')}&cursor=garbage`,
        headers: { accept: 'text/csv' },
      })
    } catch (e) {
      error = e
    }
    expect(error, 'the response must not be cut off mid-stream').toBeUndefined()
    expectProblem(res as NonNullable<typeof res>, 400)
  })
})
