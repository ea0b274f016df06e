import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, roleId, signToken } from '../helpers/build-test-app.js'
import {
  expectProblem,
  expectRejected,
  getJson,
  type Headers,
  type Json,
  listAll,
  reader,
  type TestApp,
  withCursor,
  write,
  writer,
} from './support.js'

/**
 * GET /v1/contacts/{id}/tenures and /v1/organizations/{id}/tenures: a record's tenures, current
 * and ended, each named by its role, contact and organization, in one read (what the console's
 * record pages render from), redacted for readers without directory:read like the directory.
 */
let t: TestApp
let w: Headers
let r: Headers
let mfa: Json
let customs: Json
let unoda: Json
let person: Json
let colleague: Json
const asg: Record<string, Json> = {}
const SECRET_EMAIL = 'a.secret@mfa.gov.kg'
const SECRET_NOTE = 'Reachable after 10:00 only'
const ORG_SECRET = 'registry-only@mfa.gov.kg'

async function assign(key: string, who: Json, org: Json, role: string, body: Json) {
  asg[key] = await write(t, 'POST', '/v1/assignments', w, {
    contactId: who.id,
    organizationId: org.id,
    roleId: roleId(t.db, role),
    ...body,
  })
  return asg[key] as Json
}

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('tenure-writer')
  r = await reader()
  mfa = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Ministry of Foreign Affairs',
    acronym: 'MFA',
    kind: 'government',
    stateCode: 'KG',
    contactDetails: [
      { type: 'phone', value: '+996 312 620545', visibility: 'public' },
      { type: 'email', value: ORG_SECRET },
    ],
  })
  customs = await write(t, 'POST', '/v1/organizations', w, {
    name: 'State Customs Service',
    kind: 'government',
    stateCode: 'KG',
  })
  unoda = await write(t, 'POST', '/v1/organizations', w, {
    name: 'United Nations Office for Disarmament Affairs',
    acronym: 'UNODA',
    kind: 'international',
  })
  person = await write(t, 'POST', '/v1/contacts', w, {
    givenName: 'Aibek',
    familyName: 'Sadykov',
    contactDetails: [
      { type: 'email', value: SECRET_EMAIL },
      { type: 'phone', value: '+996 555 000111', visibility: 'public' },
    ],
    notes: SECRET_NOTE,
  })
  colleague = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Colleague' })
  // Ended, current, international; one deleted; and a colleague at the ministry.
  await assign('ended', person, customs, 'technical-poc', { startDate: '2015-01-01', endDate: '2019-06-30' })
  await assign('national', person, mfa, 'national-poc', { startDate: '2019-07-01', isPrimary: true })
  await assign('intl', person, unoda, 'mission-poc', { startDate: '2021-01-01' })
  const gone = await assign('deleted', person, mfa, 'border-poc', { startDate: '2020-01-01' })
  await write(t, 'DELETE', `/v1/assignments/${gone.id}`, w)
  await assign('colleague', colleague, mfa, 'legal-poc', { startDate: '2022-02-02' })
})
afterAll(() => t.close())

/** The entry every tenure should be: the four records exactly as their own reads answer them. */
async function expectedEntry(a: Json, headers: Headers): Promise<Json> {
  const [role, organization, contact, assignment] = await Promise.all([
    getJson(t, `/v1/roles/${a.roleId}`, headers),
    getJson(t, `/v1/organizations/${a.organizationId}`, headers),
    getJson(t, `/v1/contacts/${a.contactId}`, headers),
    getJson(t, `/v1/assignments/${a.id}`, headers),
  ])
  return { role, organization, contact, assignment }
}

/** Fixture keys in the answer's order (assignment id), and their assignments. */
const inIdOrder = (keys: string[]) =>
  [...keys].sort((a, b) => String(asg[a]?.id).localeCompare(String(asg[b]?.id)))
const byId = (keys: string[]) => inIdOrder(keys).map((k) => asg[k] as Json)

describe("a contact's tenures", () => {
  it('answers current and ended tenures, each with its role, organization and contact as their reads', async () => {
    const page = await getJson(t, `/v1/contacts/${person.id}/tenures`, r)
    const expected = await Promise.all(byId(['ended', 'national', 'intl']).map((a) => expectedEntry(a, r)))
    expect(page).toEqual({ items: expected, nextCursor: null })
    const named: Record<string, [string, string, string | null]> = {
      ended: ['technical-poc', 'State Customs Service', '2019-06-30'],
      national: ['national-poc', 'Ministry of Foreign Affairs', null],
      intl: ['mission-poc', 'United Nations Office for Disarmament Affairs', null],
    }
    expect(page.items.map((e: Json) => [e.role.key, e.organization.name, e.assignment.endDate])).toEqual(
      inIdOrder(['ended', 'national', 'intl']).map((k) => named[k]),
    )
    // The deleted tenure never shows; the reader sees the restricted e-mail and the notes.
    expect(JSON.stringify(page)).not.toContain(String(asg.deleted?.id))
    expect(page.items[0].contact.notes).toBe(SECRET_NOTE)
    expect(page.items[0].contact.contactDetails.map((d: Json) => d.value)).toEqual([
      SECRET_EMAIL,
      '+996555000111',
    ])
  })

  it('never shows an anonymous reader, or a token without directory:read, a restricted detail or the notes', async () => {
    const noRead = await bearer('directory:import', { sub: 'importer-only' })
    for (const headers of [{}, noRead]) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/contacts/${person.id}/tenures`, headers })
      expect(res.statusCode).toBe(200)
      expect(res.body).not.toContain(SECRET_EMAIL)
      expect(res.body).not.toContain(SECRET_NOTE)
      expect(res.body).not.toContain(ORG_SECRET)
      const page = res.json() as Json
      const expected = await Promise.all(
        byId(['ended', 'national', 'intl']).map((a) => expectedEntry(a, headers)),
      )
      expect(page).toEqual({ items: expected, nextCursor: null })
      for (const e of page.items) {
        expect(e.contact).not.toHaveProperty('notes')
        expect(e.contact.contactDetails).toEqual([
          { type: 'phone', value: '+996555000111', label: null, visibility: 'public' },
        ])
      }
      const atMfa = page.items.find((e: Json) => e.organization.id === mfa.id)
      expect(atMfa.organization.contactDetails).toEqual([
        { type: 'phone', value: '+996312620545', label: null, visibility: 'public' },
      ])
    }
  })

  it('answers an empty page for a contact without tenures', async () => {
    const loner = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Loner' })
    expect(await getJson(t, `/v1/contacts/${loner.id}/tenures`)).toEqual({ items: [], nextCursor: null })
  })

  it('pages with limit and cursor, each tenure once, with a Link header', async () => {
    const first = await t.app.inject({
      method: 'GET',
      url: `/v1/contacts/${person.id}/tenures?limit=2`,
      headers: r,
    })
    expect(first.statusCode).toBe(200)
    const body = first.json() as Json
    expect(body.items.map((e: Json) => e.assignment.id)).toEqual(byId(['ended', 'national']).map((a) => a.id))
    expect(body.nextCursor).toEqual(expect.any(String))
    expect(first.headers.link).toBe(
      `</v1/contacts/${person.id}/tenures?limit=2&cursor=${encodeURIComponent(body.nextCursor)}>; rel="next"`,
    )
    const second = await getJson(
      t,
      withCursor(`/v1/contacts/${person.id}/tenures?limit=2`, body.nextCursor),
      r,
    )
    expect(second).toEqual({ items: [await expectedEntry(byId(['intl'])[0] as Json, r)], nextCursor: null })
    const all = await listAll(t, `/v1/contacts/${person.id}/tenures?limit=1`, r)
    expect(all.map((e) => e.assignment.id)).toEqual(byId(['ended', 'national', 'intl']).map((a) => a.id))
  })

  it('takes limit 1..500: 500 answers, 0 and 501 are 400 naming limit, never capped', async () => {
    const url = `/v1/contacts/${person.id}/tenures`
    expect((await getJson(t, `${url}?limit=500`)).items).toHaveLength(3)
    expect((await getJson(t, `${url}?limit=1`)).items).toHaveLength(1)
    for (const limit of ['0', '501', 'two', '1.5']) {
      await expectRejected(t, { method: 'GET', url: `${url}?limit=${limit}` }, 400, 'limit')
    }
  })

  it('refuses an unknown query parameter, a cursor it did not issue and an overlong id (400)', async () => {
    const url = `/v1/contacts/${person.id}/tenures`
    const unknown = await expectRejected(t, { method: 'GET', url: `${url}?current=true` }, 400)
    expect(JSON.stringify(unknown)).toContain('current')
    await expectRejected(t, { method: 'GET', url: `${url}?cursor=forged.cursor` }, 400, 'cursor')
    // An issued cursor with its signature altered is refused too.
    const page = await getJson(t, `${url}?limit=1`)
    const tampered = `${String(page.nextCursor).slice(0, -2)}AA`
    await expectRejected(t, { method: 'GET', url: withCursor(url, tampered) }, 400, 'cursor')
    // Ids are opaque strings of 1..64 characters, as on the record's own read.
    await expectRejected(t, { method: 'GET', url: `/v1/contacts/${'a'.repeat(65)}/tenures` }, 400, 'id')
    await expectRejected(t, { method: 'GET', url: '/v1/contacts/not-a-uuid/tenures' }, 404)
  })

  it('answers 404 for an unknown or deleted contact', async () => {
    const unknown = '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f'
    const body = await expectRejected(t, { method: 'GET', url: `/v1/contacts/${unknown}/tenures` }, 404)
    expect(body.detail).toBe(`No contact ${unknown}`)
    const gone = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Gone' })
    await write(t, 'DELETE', `/v1/contacts/${gone.id}`, w)
    await expectRejected(t, { method: 'GET', url: `/v1/contacts/${gone.id}/tenures`, headers: r }, 404)
  })

  it('answers 401 to a token that fails verification, never the public view', async () => {
    const expired = {
      authorization: `Bearer ${await signToken({ scope: 'directory:read', expiresIn: -60 })}`,
    }
    const forged = {
      authorization: `Bearer ${await signToken({ scope: 'directory:read', secret: 'x'.repeat(40) })}`,
    }
    for (const headers of [expired, forged]) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/contacts/${person.id}/tenures`, headers })
      expectProblem(res, 401)
      expect(res.body).not.toContain('Sadykov')
    }
  })
})

describe("an organization's tenures", () => {
  it("answers its people's tenures with their contacts, current and deleted-free, in id order", async () => {
    const page = await getJson(t, `/v1/organizations/${mfa.id}/tenures`, r)
    const expected = await Promise.all(byId(['national', 'colleague']).map((a) => expectedEntry(a, r)))
    expect(page).toEqual({ items: expected, nextCursor: null })
    expect(page.items.map((e: Json) => [e.contact.familyName, e.role.key]).sort()).toEqual([
      ['Colleague', 'legal-poc'],
      ['Sadykov', 'national-poc'],
    ])
    expect(page.items.find((e: Json) => e.contact.id === person.id).contact.notes).toBe(SECRET_NOTE)
  })

  it('redacts for an anonymous reader exactly as the records read anonymously', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/organizations/${mfa.id}/tenures` })
    expect(res.statusCode).toBe(200)
    expect(res.body).not.toContain(SECRET_EMAIL)
    expect(res.body).not.toContain(SECRET_NOTE)
    expect(res.body).not.toContain(ORG_SECRET)
    const expected = await Promise.all(byId(['national', 'colleague']).map((a) => expectedEntry(a, {})))
    expect(res.json()).toEqual({ items: expected, nextCursor: null })
  })

  it('leaves out the tenures of a deleted contact', async () => {
    const shortLived = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Short Lived' })
    const ended = await write(t, 'POST', '/v1/assignments', w, {
      contactId: shortLived.id,
      organizationId: customs.id,
      roleId: roleId(t.db, 'legal-poc'),
      startDate: '2016-01-01',
      endDate: '2017-01-01',
    })
    const before = await getJson(t, `/v1/organizations/${customs.id}/tenures`, r)
    expect(before.items.map((e: Json) => e.assignment.id)).toEqual(
      [asg.ended?.id, ended.id].sort((a, b) => String(a).localeCompare(String(b))),
    )
    await write(t, 'DELETE', `/v1/contacts/${shortLived.id}`, w)
    const after = await getJson(t, `/v1/organizations/${customs.id}/tenures`, r)
    expect(after.items.map((e: Json) => e.assignment.id)).toEqual([asg.ended?.id])
  })

  it('answers 404 for an unknown organization and 400 for limit 501 or an unknown parameter', async () => {
    const unknown = '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e51'
    const body = await expectRejected(t, { method: 'GET', url: `/v1/organizations/${unknown}/tenures` }, 404)
    expect(body.detail).toBe(`No organization ${unknown}`)
    const url = `/v1/organizations/${mfa.id}/tenures`
    await expectRejected(t, { method: 'GET', url: `${url}?limit=501` }, 400, 'limit')
    await expectRejected(t, { method: 'GET', url: `${url}?role=legal-poc` }, 400)
    expect((await getJson(t, `${url}?limit=1`)).items).toHaveLength(1)
  })
})
