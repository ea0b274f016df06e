import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  expectProblem,
  getJson,
  type Headers,
  type Json,
  reader,
  type TestApp,
  withCursor,
  write,
  writer,
} from './support.js'

/** GET /v1/directory: who holds which role, in a stable order, paged, redacted for the public. */
let t: TestApp
let w: Headers
let r: Headers
let mfa: Json
let intl: Json
const people: Record<string, Json> = {}
const asg: Record<string, Json> = {}
const SECRET_EMAIL = 'hidden.holder@mfa.gov.kg'
const SECRET_NOTE = 'Only for the secretariat'

async function contact(name: string, body: Json = {}) {
  people[name] = await write(t, 'POST', '/v1/contacts', w, { familyName: name, ...body })
  return people[name] as Json
}

async function assign(key: string, who: string, role: string, body: Json) {
  asg[key] = await write(t, 'POST', '/v1/assignments', w, {
    contactId: people[who]?.id,
    roleId: roleId(t.db, role),
    organizationId: mfa.id,
    ...body,
  })
  return asg[key] as Json
}

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('dir-writer')
  r = await reader()
  mfa = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Ministry of Foreign Affairs',
    kind: 'government',
    stateCode: 'KG',
    contactDetails: [
      { type: 'phone', value: '+996 312 620545', visibility: 'public' },
      { type: 'email', value: 'registry-hidden@mfa.gov.kg' },
    ],
  })
  intl = await write(t, 'POST', '/v1/organizations', w, {
    name: 'United Nations Office for Disarmament Affairs',
    acronym: 'UNODA',
    kind: 'international',
  })
  await contact('Tech Primary', {
    contactDetails: [
      { type: 'email', value: SECRET_EMAIL },
      { type: 'email', value: 'public.holder@mfa.gov.kg', visibility: 'public' },
    ],
    notes: SECRET_NOTE,
  })
  await contact('Tech Early')
  await contact('Tech Late')
  await contact('National')
  await contact('Alternate')
  await contact('Ended')
  await contact('Deleted')
  await contact('Intl Holder')
  await contact('Intl Deputy')
  // technical-poc: a non-primary from 2019, a primary from 2022, another non-primary from 2021.
  await assign('techEarly', 'Tech Early', 'technical-poc', { startDate: '2019-05-01' })
  await assign('techPrimary', 'Tech Primary', 'technical-poc', { startDate: '2022-01-10', isPrimary: true })
  await assign('techLate', 'Tech Late', 'technical-poc', { startDate: '2021-07-01' })
  await assign('national', 'National', 'national-poc', { startDate: '2020-02-02', isPrimary: true })
  await assign('alternate', 'Alternate', 'alternate-poc', { startDate: '2023-03-03' })
  await assign('ended', 'Ended', 'national-poc', { startDate: '2015-01-01', endDate: '2020-02-02' })
  const deleted = await assign('deleted', 'Deleted', 'border-poc', { startDate: '2020-01-01' })
  await write(t, 'DELETE', `/v1/assignments/${deleted.id}`, w)
  for (const [key, who, primary] of [
    ['intlPrimary', 'Intl Holder', true],
    ['intlDeputy', 'Intl Deputy', false],
  ] as const) {
    asg[key] = await write(t, 'POST', '/v1/assignments', w, {
      contactId: people[who]?.id,
      roleId: roleId(t.db, 'mission-poc'),
      organizationId: intl.id,
      startDate: '2021-01-01',
      isPrimary: primary,
    })
  }
})
afterAll(() => t.close())

const ids = (d: Json) => d.items.map((i: Json) => i.assignment.id)

describe('directory order', () => {
  it('orders by role key, the primary holder first, then startDate', async () => {
    const d = await getJson(t, '/v1/directory?state=KG', r)
    expect(d.state).toMatchObject({ code: 'KG', name: expect.any(String) })
    expect(d.organization).toBeNull()
    expect(d.asOf).toBe(new Date().toISOString().slice(0, 10))
    expect(d.nextCursor).toBeNull()
    expect(d.items.map((i: Json) => [i.role.key, i.contact.familyName, i.assignment.isPrimary])).toEqual([
      ['alternate-poc', 'Alternate', false],
      ['national-poc', 'National', true],
      ['technical-poc', 'Tech Primary', true],
      ['technical-poc', 'Tech Early', false],
      ['technical-poc', 'Tech Late', false],
    ])
    expect(ids(d)).toEqual([
      asg.alternate?.id,
      asg.national?.id,
      asg.techPrimary?.id,
      asg.techEarly?.id,
      asg.techLate?.id,
    ])
    for (const item of d.items) {
      expect(Object.keys(item).sort()).toEqual(['assignment', 'contact', 'organization', 'role'])
      expect(item.organization.id).toBe(mfa.id)
      expect(item.assignment.stateCode).toBe('KG')
      expect(item.contact.id).toBe(item.assignment.contactId)
      expect(item.role.id).toBe(item.assignment.roleId)
      expect(item.assignment).not.toHaveProperty('deletedAt')
    }
  })

  it('filters by role key or id and shows past holders with asOf', async () => {
    const byKey = await getJson(t, '/v1/directory?state=KG&role=technical-poc', r)
    expect(ids(byKey)).toEqual([asg.techPrimary?.id, asg.techEarly?.id, asg.techLate?.id])
    const byId = await getJson(t, `/v1/directory?state=KG&role=${roleId(t.db, 'technical-poc')}`, r)
    expect(ids(byId)).toEqual(ids(byKey))
    const past = await getJson(t, '/v1/directory?state=KG&asOf=2020-01-31', r)
    expect(past.asOf).toBe('2020-01-31')
    // The deleted border-poc assignment never shows, even on a day it covered.
    expect(past.items.map((i: Json) => [i.role.key, i.contact.familyName])).toEqual([
      ['national-poc', 'Ended'],
      ['technical-poc', 'Tech Early'],
    ])
    // endDate is exclusive: on 2020-02-02 the successor holds the role, the ended one not.
    const handoverDay = await getJson(t, '/v1/directory?state=KG&role=national-poc&asOf=2020-02-02', r)
    expect(handoverDay.items.map((i: Json) => i.contact.familyName)).toEqual(['National'])
  })

  it('never lists a deleted assignment', async () => {
    const now = await getJson(t, '/v1/directory?state=KG&role=border-poc', r)
    expect(now.items).toEqual([])
    const all = await getJson(t, '/v1/directory?state=KG', r)
    expect(ids(all)).not.toContain(asg.deleted?.id)
  })

  it('never embeds a deleted contact or a deleted organization, even for a past day', async () => {
    const oldOrg = await write(t, 'POST', '/v1/organizations', w, {
      name: 'Abolished Committee',
      kind: 'government',
      stateCode: 'KG',
    })
    const pastPerson = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Past Person' })
    const survivor = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Survivor' })
    for (const [who, org] of [
      [pastPerson, mfa],
      [survivor, oldOrg],
    ] as const) {
      await write(t, 'POST', '/v1/assignments', w, {
        contactId: who.id,
        roleId: roleId(t.db, 'legal-poc'),
        organizationId: org.id,
        startDate: '2010-01-01',
        endDate: '2012-01-01',
      })
    }
    const before = await getJson(t, '/v1/directory?state=KG&role=legal-poc&asOf=2011-01-01', r)
    expect(before.items.map((i: Json) => i.contact.familyName).sort()).toEqual(['Past Person', 'Survivor'])
    // Both have only ended assignments, so both may be deleted.
    await write(t, 'DELETE', `/v1/contacts/${pastPerson.id}`, w)
    await write(t, 'DELETE', `/v1/organizations/${oldOrg.id}`, w)
    expect((await t.app.inject({ method: 'GET', url: `/v1/organizations/${oldOrg.id}` })).statusCode).toBe(
      404,
    )
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/directory?state=KG&role=legal-poc&asOf=2011-01-01',
      headers: r,
    })
    expect(res.statusCode).toBe(200)
    // A deleted record lives on only in history and the change feed (DESIGN, Precise rules).
    expect(res.body).not.toContain(pastPerson.id)
    expect(res.body).not.toContain(oldOrg.id)
  })

  it('paginates with limit=1 and the cursor, each item once, with a Link header', async () => {
    const full = await getJson(t, '/v1/directory?state=KG', r)
    const seen: string[] = []
    let url: string | null = '/v1/directory?state=KG&limit=1'
    for (let pages = 0; url; pages++) {
      expect(pages).toBeLessThan(20)
      const res = await t.app.inject({ method: 'GET', url, headers: r })
      expect(res.statusCode, res.body).toBe(200)
      const page = res.json()
      expect(page.items.length).toBeLessThanOrEqual(1)
      expect(page.state.code).toBe('KG')
      seen.push(...ids(page))
      if (page.nextCursor) {
        const link = res.headers.link as string
        expect(link).toMatch(/^<\/v1\/directory\?[^>]+>; rel="next"$/)
        const linked = new URL(link.slice(1, link.indexOf('>')), 'http://x')
        expect(linked.searchParams.get('cursor')).toBe(page.nextCursor)
        expect(linked.searchParams.get('state')).toBe('KG')
        expect(linked.searchParams.get('limit')).toBe('1')
        url = withCursor('/v1/directory?state=KG&limit=1', page.nextCursor)
      } else {
        expect(res.headers.link).toBeUndefined()
        url = null
      }
    }
    expect(seen).toEqual(ids(full))
    expect(new Set(seen).size).toBe(5)
  })

  it('paginates with limit=2 as well', async () => {
    const full = await getJson(t, '/v1/directory?state=KG', r)
    const first = await getJson(t, '/v1/directory?state=KG&limit=2', r)
    const second = await getJson(t, withCursor('/v1/directory?state=KG&limit=2', first.nextCursor), r)
    const third = await getJson(t, withCursor('/v1/directory?state=KG&limit=2', second.nextCursor), r)
    expect(third.nextCursor).toBeNull()
    expect([...ids(first), ...ids(second), ...ids(third)]).toEqual(ids(full))
  })
})

describe('directory of an international organization', () => {
  it('lists holders at the organization, with the organization set and no state', async () => {
    const d = await getJson(t, `/v1/directory?organization=${intl.id}`, r)
    expect(d.state).toBeNull()
    expect(d.organization).toMatchObject({ id: intl.id, kind: 'international', stateCode: null })
    expect(d.items.map((i: Json) => [i.contact.familyName, i.assignment.isPrimary])).toEqual([
      ['Intl Holder', true],
      ['Intl Deputy', false],
    ])
    for (const item of d.items) {
      expect(item.assignment.stateCode).toBeNull()
      expect(item.organization.id).toBe(intl.id)
    }
  })

  it('sets the top-level organization when both state and organization are named', async () => {
    const d = await getJson(t, `/v1/directory?state=KG&organization=${mfa.id}`, r)
    expect(d.state.code).toBe('KG')
    expect(d.organization.id).toBe(mfa.id)
    expect(d.items).toHaveLength(5)
    const none = await getJson(t, `/v1/directory?state=KG&organization=${intl.id}`, r)
    expect(none.items).toEqual([])
  })
})

describe('directory validation', () => {
  it.each([
    ['?state=QQ', 'state'],
    ['?state=kg', 'state'],
    ['?state=KG&role=no-such-role', 'role'],
    ['?organization=no-such-organization', 'organization'],
    ['?state=KG&asOf=2024-13-01', 'asOf'],
    ['?state=KG&asOf=2024-02-30', 'asOf'],
    ['?state=KG&asOf=yesterday', 'asOf'],
    ['?state=KG&limit=0', 'limit'],
    ['?state=KG&limit=501', 'limit'],
    ['?state=KG&cursor=garbage', 'cursor'],
    ['?state=KG&current=true', 'current'],
  ])('GET /v1/directory%s → 400', async (query, path) => {
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/directory${query}` }), 400, path)
  })

  it('answers 400 for a deleted organization', async () => {
    const gone = await write(t, 'POST', '/v1/organizations', w, { name: 'Gone', kind: 'ngo' })
    await write(t, 'DELETE', `/v1/organizations/${gone.id}`, w)
    expectProblem(
      await t.app.inject({ method: 'GET', url: `/v1/directory?organization=${gone.id}` }),
      400,
      'organization',
    )
  })
})

describe('directory privacy', () => {
  it('shows an anonymous reader no restricted details and no notes in embedded records', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/directory?state=KG' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.body).not.toContain(SECRET_EMAIL)
    expect(res.body).not.toContain(SECRET_NOTE)
    expect(res.body).not.toContain('registry-hidden@mfa.gov.kg')
    expect(res.body).not.toContain('"restricted"')
    const d = res.json()
    expect(d.items).toHaveLength(5)
    for (const item of d.items) expect(item.contact).not.toHaveProperty('notes')
    const primary = d.items.find((i: Json) => i.assignment.id === asg.techPrimary?.id)
    expect(primary.contact.contactDetails).toEqual([
      { type: 'email', value: 'public.holder@mfa.gov.kg', label: null, visibility: 'public' },
    ])
    expect(primary.organization.contactDetails).toEqual([
      { type: 'phone', value: '+996312620545', label: null, visibility: 'public' },
    ])
  })

  it('shows them to a directory:read reader', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/directory?state=KG', headers: r })
    expect(res.body).toContain(SECRET_EMAIL)
    expect(res.body).toContain(SECRET_NOTE)
    expect(res.body).toContain('registry-hidden@mfa.gov.kg')
    const intlRes = await t.app.inject({ method: 'GET', url: `/v1/directory?organization=${mfa.id}` })
    expect(intlRes.body).not.toContain('registry-hidden@mfa.gov.kg')
  })
})
