import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  expectProblem,
  expectRejected,
  getJson,
  type Headers,
  type Json,
  reader,
  type TestApp,
  write,
  writer,
} from './support.js'

/**
 * GET /v1/changes?names=true: the feed page plus the current names of the records it mentions,
 * so a reader (the console's Recent changes) shows them without a read per record.
 */
let t: TestApp
let w: Headers
let r: Headers
let start: number
let org: Json
let person: Json
let gone: Json
let tenure: Json
const SECRET_EMAIL = 'n.secret@mfa.gov.kg'
const SECRET_NOTE = 'Only via the mission'

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('feed-writer')
  r = await reader()
  start = (await getJson(t, '/v1/changes?after=latest')).nextAfter
  org = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Ministry of Foreign Affairs',
    kind: 'government',
    stateCode: 'KG',
  })
  person = await write(t, 'POST', '/v1/contacts', w, {
    givenName: 'Nurlan',
    familyName: 'Osmonov',
    contactDetails: [{ type: 'email', value: SECRET_EMAIL }],
    notes: SECRET_NOTE,
  })
  gone = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Removed' })
  await write(t, 'DELETE', `/v1/contacts/${gone.id}`, w)
  tenure = await write(t, 'POST', '/v1/assignments', w, {
    contactId: person.id,
    organizationId: org.id,
    roleId: roleId(t.db, 'national-poc'),
    startDate: '2024-01-01',
  })
  // A rename: the feed names records as they are now.
  await write(t, 'PATCH', `/v1/organizations/${org.id}`, w, { name: 'Ministry of Foreign Affairs (KG)' })
})
afterAll(() => t.close())

/** In order of first mention: the organization (and its state), the person, then the tenure's role. */
const expectedNames = () => [
  { entity: 'organization', id: org.id, name: 'Ministry of Foreign Affairs (KG)' },
  { entity: 'state', id: 'KG', name: 'Kyrgyzstan' },
  { entity: 'contact', id: person.id, name: 'Nurlan Osmonov' },
  { entity: 'role', id: roleId(t.db, 'national-poc'), name: 'National point of contact' },
]

describe('GET /v1/changes?names=true', () => {
  it('names each live record the page mentions once, by its current name; a deleted one is left out', async () => {
    const page = await getJson(t, `/v1/changes?after=${start}&names=true`, r)
    expect(page.names).toEqual(expectedNames())
    expect(page.items.map((i: Json) => [i.entity, i.action])).toEqual([
      ['organization', 'create'],
      ['contact', 'create'],
      ['contact', 'create'],
      ['contact', 'delete'],
      ['assignment', 'create'],
      ['organization', 'update'],
    ])
    expect(JSON.stringify(page.names)).not.toContain(String(gone.id))
    expect(JSON.stringify(page.names)).not.toContain(String(tenure.id))
  })

  it('answers the same page as without names, which still has no names field', async () => {
    const named = await getJson(t, `/v1/changes?after=${start}&names=true`, r)
    const plain = await getJson(t, `/v1/changes?after=${start}`, r)
    expect(plain).not.toHaveProperty('names')
    expect(await getJson(t, `/v1/changes?after=${start}&names=false`, r)).toEqual(plain)
    const { names: _n, ...rest } = named
    expect(rest).toEqual(plain)
  })

  it('gives an anonymous reader the same names and no restricted value', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/changes?after=${start}&names=true` })
    expect(res.statusCode).toBe(200)
    expect(res.body).not.toContain(SECRET_EMAIL)
    expect(res.body).not.toContain(SECRET_NOTE)
    expect((res.json() as Json).names).toEqual(expectedNames())
  })

  it('names only what the page holds: a one-item page names the organization and its state', async () => {
    const page = await getJson(t, `/v1/changes?after=${start}&limit=1&names=true`)
    expect(page.items).toHaveLength(1)
    expect(page.names).toEqual(expectedNames().slice(0, 2))
  })

  it('answers an empty names list at the head and with after=latest', async () => {
    const head = await getJson(t, '/v1/changes?after=latest&names=true')
    expect(head).toEqual({ items: [], nextAfter: head.nextAfter, names: [] })
    expect(await getJson(t, `/v1/changes?after=${head.nextAfter}&names=true`)).toEqual({
      items: [],
      nextAfter: head.nextAfter,
      names: [],
    })
  })

  it('refuses a names value other than true or false (400 naming it)', async () => {
    for (const value of ['yes', '1', 'TRUE', '']) {
      await expectRejected(
        t,
        { method: 'GET', url: `/v1/changes?after=${start}&names=${value}` },
        400,
        'names',
      )
    }
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/changes?name=true' }), 400)
  })
})
