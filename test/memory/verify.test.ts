import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  expectProblem,
  expectRejected,
  getJson,
  type Headers,
  type Json,
  maxSeq,
  type Revision,
  send,
  type TestApp,
  write,
  writer,
} from './support.js'

/** POST /v1/{contacts|organizations}/{id}/verify: a write like any other, the only way to set lastVerifiedAt. */
let t: TestApp
let w: Headers
let kgOrg: Json
let kgContact: Json
beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('verifier')
  kgOrg = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Ministry of Foreign Affairs',
    kind: 'government',
    stateCode: 'KG',
  })
  kgContact = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Assigned In KG' })
  await write(t, 'POST', '/v1/assignments', w, {
    contactId: kgContact.id,
    roleId: roleId(t.db, 'national-poc'),
    organizationId: kgOrg.id,
    startDate: '2022-01-01',
  })
})
afterAll(() => t.close())

const verify = (path: string, headers: Headers) => ({
  method: 'POST' as const,
  url: `${path}/verify`,
  headers,
})

describe('verify needs write access to the record', () => {
  it('refuses an anonymous client (401), a read token (403) and a token of another state (403), writing nothing', async () => {
    const org = `/v1/organizations/${kgOrg.id}`
    await expectRejected(t, verify(org, {}), 401)
    await expectRejected(t, verify(org, await bearer('directory:read')), 403)
    await expectRejected(t, verify(org, await bearer('directory:import')), 403)
    const kz = await bearer('directory:write', { sub: 'kz', states: ['KZ'] })
    await expectRejected(t, verify(org, kz), 403)
    await expectRejected(t, verify(`/v1/contacts/${kgContact.id}`, kz), 403)
    expect((await getJson(t, org)).lastVerifiedAt).toBeNull()
  })

  it('404 for an unknown or deleted record; no verify on other resources', async () => {
    await expectRejected(t, verify('/v1/organizations/no-such-org', w), 404)
    const gone = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Gone' })
    await write(t, 'DELETE', `/v1/contacts/${gone.id}`, w)
    await expectRejected(t, verify(`/v1/contacts/${gone.id}`, w), 404)
    const asg = (await getJson(t, `/v1/assignments?contact=${kgContact.id}`)).items[0]
    await expectRejected(t, verify(`/v1/assignments/${asg.id}`, w), 404)
    await expectRejected(t, verify(`/v1/roles/${roleId(t.db, 'national-poc')}`, w), 404)
  })

  it('412 for a stale If-Match', async () => {
    await expectRejected(
      t,
      verify(`/v1/organizations/${kgOrg.id}`, { ...w, 'if-match': `"${kgOrg.version + 5}"` }),
      412,
    )
  })
})

describe('a verification', () => {
  it('sets lastVerifiedAt to now with one revision that changes only lastVerifiedAt', async () => {
    const kg = await bearer('directory:write', { sub: 'kg-coordinator', states: ['KG'] })
    const before = await getJson(t, `/v1/organizations/${kgOrg.id}`)
    const seq = maxSeq(t)
    const started = Date.now()
    const res = await t.app.inject(
      verify(`/v1/organizations/${kgOrg.id}`, { ...kg, 'if-match': `"${before.version}"` }),
    )
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(res.headers.etag).toBe(`"${before.version + 1}"`)
    expect(body).toEqual({
      ...before,
      lastVerifiedAt: expect.any(String),
      version: before.version + 1,
      updatedAt: expect.any(String),
    })
    expect(Date.parse(body.lastVerifiedAt)).toBeGreaterThanOrEqual(started - 5)
    expect(Date.parse(body.lastVerifiedAt)).toBeLessThanOrEqual(Date.now())
    expect(body.lastVerifiedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    const feed = await getJson(t, `/v1/changes?after=${seq}`)
    expect(feed.items).toHaveLength(1)
    expect(feed.items[0]).toMatchObject({
      action: 'update',
      entity: 'organization',
      entityId: kgOrg.id,
      actor: 'kg-coordinator',
      requestId: res.headers['x-request-id'],
      changes: { lastVerifiedAt: { before: null, after: body.lastVerifiedAt } },
    })
    expect(Object.keys(feed.items[0].changes)).toEqual(['lastVerifiedAt'])
    expect(await getJson(t, `/v1/organizations/${kgOrg.id}`)).toEqual(body)
  })

  it('verifying again records the new time before and after', async () => {
    const first = await getJson(t, `/v1/organizations/${kgOrg.id}`)
    await new Promise((r) => setTimeout(r, 5))
    const second = await write(t, 'POST', `/v1/organizations/${kgOrg.id}/verify`, w)
    expect(Date.parse(second.lastVerifiedAt)).toBeGreaterThan(Date.parse(first.lastVerifiedAt))
    const history = (await getJson(t, `/v1/organizations/${kgOrg.id}/history`)).items as Revision[]
    expect(history[0]?.changes).toEqual({
      lastVerifiedAt: { before: first.lastVerifiedAt, after: second.lastVerifiedAt },
    })
  })

  it('a states-limited token may verify a contact with no assignments, and one assigned in its state', async () => {
    const loose = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Unassigned' })
    const kz = await bearer('directory:write', { sub: 'kz', states: ['KZ'] })
    const kg = await bearer('directory:write', { sub: 'kg', states: ['KG'] })
    expect((await write(t, 'POST', `/v1/contacts/${loose.id}/verify`, kz)).lastVerifiedAt).toEqual(
      expect.any(String),
    )
    const verified = await write(t, 'POST', `/v1/contacts/${kgContact.id}/verify`, kg)
    expect(verified.version).toBe(kgContact.version + 1)
    const history = (await getJson(t, `/v1/contacts/${kgContact.id}/history`)).items as Revision[]
    expect(history[0]).toMatchObject({ action: 'update', actor: 'kg' })
    expect(Object.keys(history[0]?.changes ?? {})).toEqual(['lastVerifiedAt'])
  })

  it('a later edit keeps lastVerifiedAt', async () => {
    const current = await getJson(t, `/v1/contacts/${kgContact.id}`)
    expect(current.lastVerifiedAt).not.toBeNull()
    const patched = await write(t, 'PATCH', `/v1/contacts/${kgContact.id}`, w, { positionTitle: 'Advisor' })
    expect(patched.lastVerifiedAt).toBe(current.lastVerifiedAt)
    const org = await write(t, 'PATCH', `/v1/organizations/${kgOrg.id}`, w, { acronym: 'MFA' })
    expect(org.lastVerifiedAt).not.toBeNull()
  })
})

describe('lastVerifiedAt cannot be set directly', () => {
  const at = '2020-01-01T00:00:00.000Z'

  it.each([
    ['/v1/contacts', { familyName: 'Sneaky', lastVerifiedAt: at }],
    ['/v1/organizations', { name: 'Sneaky Org', kind: 'ngo', lastVerifiedAt: at }],
  ])('POST %s with lastVerifiedAt → 400 naming the field', async (url, payload) => {
    const body = await expectRejected(t, { method: 'POST', url, headers: w, payload }, 400, 'lastVerifiedAt')
    expect(body.detail).toContain('lastVerifiedAt')
  })

  it('PATCH with lastVerifiedAt (a value or null) → 400 naming the field', async () => {
    for (const [url, value] of [
      [`/v1/contacts/${kgContact.id}`, at],
      [`/v1/contacts/${kgContact.id}`, null],
      [`/v1/organizations/${kgOrg.id}`, at],
      [`/v1/organizations/${kgOrg.id}`, null],
    ] as const) {
      const before = await getJson(t, url)
      const res = await send(t, 'PATCH', url, w, { lastVerifiedAt: value })
      expectProblem(res, 400, 'lastVerifiedAt')
      expect(await getJson(t, url)).toEqual(before)
    }
  })
})
