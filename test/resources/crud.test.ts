import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  ADMIN,
  admin,
  createContact,
  createOrganization,
  expectProblem,
  expectRejected,
  type Headers,
  type Json,
  lastRevision,
  listIds,
  mergePatch,
  revisionCount,
  revisionsOf,
  type TestApp,
  WRITER,
  writer,
} from './fixtures.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(() => t.close())

interface Case {
  entity: 'state' | 'role' | 'organization' | 'contact' | 'assignment'
  url: string
  key: 'id' | 'code'
  actor: string
  auth: () => Promise<Headers>
  /** The create body (may create what it refers to first). */
  body: () => Promise<Json>
  /** A merge patch sent as application/merge-patch+json; its keys are exactly what changes. */
  patch: Json
  /** What the record shows after `patch` (defaults to `patch`). */
  patched?: Json
  /** A second patch, sent as application/json. */
  patch2: Json
}

const cases: Case[] = [
  {
    entity: 'state',
    url: '/v1/states',
    key: 'code',
    actor: ADMIN,
    auth: admin,
    body: async () => ({
      code: 'XK',
      iso3: 'XKX',
      name: 'Kosovo',
      officialName: 'Republic of Kosovo',
      names: { en: 'Kosovo', de: 'Kosovo' },
      unMember: false,
      osceParticipating: false,
    }),
    // RFC 7396: objects merge recursively.
    patch: { name: 'Kosova', names: { fr: 'Kosovo' } },
    patched: { name: 'Kosova', names: { en: 'Kosovo', de: 'Kosovo', fr: 'Kosovo' } },
    patch2: { officialName: 'Republika e Kosovës' },
  },
  {
    entity: 'role',
    url: '/v1/roles',
    key: 'id',
    actor: ADMIN,
    auth: admin,
    body: async () => ({
      key: 'customs-poc',
      name: 'Customs PoC',
      description: 'Customs liaison',
      domain: 'export-control',
    }),
    patch: { name: 'Customs point of contact', description: null },
    patch2: { domain: 'border' },
  },
  {
    entity: 'organization',
    url: '/v1/organizations',
    key: 'id',
    actor: WRITER,
    auth: writer,
    body: async () => ({
      name: 'Ministry of Foreign Affairs',
      acronym: 'MFA',
      kind: 'government',
      stateCode: 'KG',
      website: 'https://mfa.gov.kg',
      contactDetails: [{ type: 'phone', value: '+996312620545', label: 'switchboard', visibility: 'public' }],
    }),
    patch: { name: 'Ministry of Foreign Affairs of the Kyrgyz Republic', acronym: null },
    patch2: { website: 'https://www.mfa.gov.kg' },
  },
  {
    entity: 'contact',
    url: '/v1/contacts',
    key: 'id',
    actor: WRITER,
    auth: writer,
    body: async () => ({
      givenName: 'Asan',
      familyName: 'Zhumabekov',
      positionTitle: 'Head of Division',
      languages: ['ky', 'ru'],
      notes: 'prefers Russian',
      externalId: 'crud-contact-1',
    }),
    patch: { positionTitle: null, honorific: 'Mr.' },
    patch2: { languages: ['ru', 'en'] },
  },
  {
    entity: 'assignment',
    url: '/v1/assignments',
    key: 'id',
    actor: WRITER,
    auth: writer,
    body: async () => {
      const org = await createOrganization(t, { stateCode: 'KZ' })
      const contact = await createContact(t)
      return {
        contactId: contact.id,
        roleId: roleId(t.db, 'technical-poc'),
        organizationId: org.id,
        startDate: '2024-01-01',
        designationRef: 'NV 1/2024',
      }
    },
    patch: { designationRef: 'NV 7/2024', designationDate: '2023-12-20' },
    patch2: { startDate: '2024-02-01' },
  },
]

const BOOKKEEPING = ['version', 'createdAt', 'updatedAt']

describe.each(cases)('$entity CRUD', (c) => {
  let record: Json
  let created: Json
  let key: string
  let auth: Headers
  const at = () => `${c.url}/${encodeURIComponent(key)}`

  beforeAll(async () => {
    auth = await c.auth()
  })

  it('create answers 201 with Location, ETag "1" and the record, and appends a create revision', async () => {
    const body = await c.body()
    const before = revisionCount(t)
    const res = await t.app.inject({
      method: 'POST',
      url: c.url,
      headers: { ...auth, 'x-request-id': `create-${c.entity}` },
      payload: body,
    })
    expect(res.statusCode, res.body).toBe(201)
    created = res.json()
    record = created
    key = String(created[c.key])
    // The state's key is the code it was created with; every other record gets a UUIDv7.
    expect(key).toMatch(
      c.key === 'code' ? /^XK$/ : /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(res.headers.location).toBe(`${c.url}/${encodeURIComponent(key)}`)
    expect(res.headers.etag).toBe('"1"')
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(created).toMatchObject({ ...body, version: 1 })
    expect(created).not.toHaveProperty('deletedAt')
    expect(created.createdAt).toBe(created.updatedAt)
    expect(Date.parse(String(created.createdAt))).toBeGreaterThan(Date.now() - 60_000)

    expect(revisionCount(t)).toBe(before + 1)
    const rev = lastRevision(t)
    expect(rev).toMatchObject({
      actor: c.actor,
      action: 'create',
      entity: c.entity,
      entityId: key,
      requestId: `create-${c.entity}`,
      at: created.createdAt,
    })
    for (const field of BOOKKEEPING) expect(rev.changes).not.toHaveProperty(field)
    expect(rev.changes).not.toHaveProperty('deletedAt')
    for (const [field, value] of Object.entries(created)) {
      if (BOOKKEEPING.includes(field) || value === null) continue
      expect(rev.changes[field], field).toEqual({ before: null, after: value })
    }
  })

  it('read answers 200 with the record and ETag; the Location URL reads it', async () => {
    const res = await t.app.inject({ method: 'GET', url: at() })
    expect(res.statusCode).toBe(200)
    expect(res.headers.etag).toBe('"1"')
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const body = res.json()
    if (c.entity === 'contact') {
      // Anonymous readers never see restricted fields.
      const { notes: _n, ...rest } = created
      expect(body).toEqual(rest)
      const withToken = await t.app.inject({ method: 'GET', url: at(), headers: auth })
      expect(withToken.json()).toEqual(created)
    } else {
      expect(body).toEqual(created)
    }
  })

  it('If-None-Match with the current tag answers 304 with no body; an old tag answers 200', async () => {
    const res = await t.app.inject({ method: 'GET', url: at(), headers: { 'if-none-match': '"1"' } })
    expect(res.statusCode).toBe(304)
    expect(res.body).toBe('')
    expect(res.headers.etag).toBe('"1"')
    const weak = await t.app.inject({ method: 'GET', url: at(), headers: { 'if-none-match': 'W/"1"' } })
    expect(weak.statusCode).toBe(304)
    const other = await t.app.inject({ method: 'GET', url: at(), headers: { 'if-none-match': '"7"' } })
    expect(other.statusCode).toBe(200)
    expect(other.json()[c.key]).toBe(key)
  })

  it('PATCH with application/merge-patch+json answers 200, version 2, ETag "2" and an update revision', async () => {
    const before = revisionCount(t)
    const res = await t.app.inject({
      method: 'PATCH',
      url: at(),
      headers: mergePatch(auth),
      payload: JSON.stringify(c.patch),
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers.etag).toBe('"2"')
    const body = res.json()
    expect(body).toMatchObject({ ...(c.patched ?? c.patch), version: 2, createdAt: created.createdAt })
    expect(body.updatedAt >= String(created.updatedAt)).toBe(true)
    // Fields not named by the patch are left alone.
    for (const [field, value] of Object.entries(created)) {
      if (field in c.patch || BOOKKEEPING.includes(field)) continue
      expect(body[field], field).toEqual(value)
    }
    expect(revisionCount(t)).toBe(before + 1)
    const rev = lastRevision(t)
    expect(rev).toMatchObject({ actor: c.actor, action: 'update', entity: c.entity, entityId: key })
    expect(rev.requestId).toBe(res.headers['x-request-id'])
    expect(Object.keys(rev.changes).sort()).toEqual(Object.keys(c.patch).sort())
    for (const field of Object.keys(c.patch)) {
      expect(rev.changes[field], field).toEqual({ before: created[field], after: body[field] })
    }
    record = body
    const read = await t.app.inject({ method: 'GET', url: at(), headers: auth })
    expect(read.headers.etag).toBe('"2"')
    expect(read.json()).toEqual(body)
  })

  it('PATCH with application/json answers 200 and version 3', async () => {
    const res = await t.app.inject({ method: 'PATCH', url: at(), headers: auth, payload: c.patch2 })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers.etag).toBe('"3"')
    const body = res.json()
    expect(body).toMatchObject({ ...c.patch2, version: 3 })
    const rev = lastRevision(t)
    expect(rev).toMatchObject({ action: 'update', entity: c.entity, entityId: key, actor: c.actor })
    expect(Object.keys(rev.changes).sort()).toEqual(Object.keys(c.patch2).sort())
    record = body
  })

  it('a PATCH that changes nothing keeps the version and appends no revision', async () => {
    const before = revisionCount(t)
    for (const payload of [c.patch2, {}]) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: at(),
        headers: mergePatch(auth),
        payload: JSON.stringify(payload),
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers.etag).toBe('"3"')
      expect(res.json()).toEqual(record)
    }
    expect(revisionCount(t)).toBe(before)
  })

  it('PATCH naming an unknown field is 400 naming it, and writes nothing', async () => {
    await expectRejected(
      t,
      { method: 'PATCH', url: at(), headers: mergePatch(auth), payload: JSON.stringify({ colour: 'red' }) },
      400,
      ['colour'],
    )
  })

  it('a token without the write scope is refused and writes nothing', async () => {
    const reader = await bearer('directory:read')
    await expectRejected(t, { method: 'PATCH', url: at(), headers: reader, payload: c.patch2 }, 403)
    await expectRejected(t, { method: 'DELETE', url: at(), headers: reader }, 403)
    await expectRejected(t, { method: 'DELETE', url: at() }, 401)
    if (c.actor === ADMIN) {
      // States and roles are changed only by admins.
      await expectRejected(t, { method: 'DELETE', url: at(), headers: await writer() }, 403)
    }
  })

  it('DELETE answers 204; the record then answers 404 and leaves the lists', async () => {
    const listUrl = `${c.url}?limit=500`
    expect(await listIds(t, listUrl, c.key)).toContain(key)
    const before = revisionCount(t)
    const res = await t.app.inject({ method: 'DELETE', url: at(), headers: auth })
    expect(res.statusCode, res.body).toBe(204)
    expect(res.body).toBe('')
    expect(revisionCount(t)).toBe(before + 1)
    expect(lastRevision(t)).toMatchObject({
      actor: c.actor,
      action: 'delete',
      entity: c.entity,
      entityId: key,
      requestId: res.headers['x-request-id'],
    })
    // The tombstone stays in the table for history and the change feed.
    expect(revisionsOf(t, c.entity, key).map((r) => r.action)).toEqual([
      'create',
      'update',
      'update',
      'delete',
    ])

    expectProblem(await t.app.inject({ method: 'GET', url: at() }), 404)
    expectProblem(await t.app.inject({ method: 'GET', url: at(), headers: auth }), 404)
    expect(await listIds(t, listUrl, c.key)).not.toContain(key)
    await expectRejected(t, { method: 'PATCH', url: at(), headers: auth, payload: c.patch2 }, 404)
    await expectRejected(t, { method: 'DELETE', url: at(), headers: auth }, 404)
  })
})

describe('missing records and other read/write rules', () => {
  it.each([
    '/v1/organizations/0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f',
    '/v1/contacts/0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f',
    '/v1/assignments/0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f',
    '/v1/roles/0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f',
    '/v1/states/ZZ',
  ])('GET %s answers 404 problem+json', async (url) => {
    const body = expectProblem(await t.app.inject({ method: 'GET', url }), 404)
    const [, kind, key] = /^\/v1\/([a-z]+?)s\/(.+)$/.exec(url) ?? []
    expect(body).toMatchObject({ type: 'urn:pocdir:problem:not-found', detail: `No ${kind} ${key}` })
  })

  it('a deleted state code is not reused', async () => {
    // XK was created and deleted above.
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/states',
        headers: await admin(),
        payload: {
          code: 'XK',
          iso3: 'XKX',
          name: 'Kosovo',
          officialName: 'Republic of Kosovo',
          names: { en: 'Kosovo' },
          unMember: false,
          osceParticipating: false,
        },
      },
      409,
    )
  })

  it('a merge patch null inside an object removes that member (RFC 7396)', async () => {
    const auth = mergePatch(await admin())
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/v1/states/KG',
      headers: auth,
      payload: JSON.stringify({ names: { de: null, 'x-test': 'Kirgisistan' } }),
    })
    expect(res.statusCode, res.body).toBe(200)
    const names = res.json().names
    expect(names).not.toHaveProperty('de')
    expect(names).toMatchObject({ en: 'Kyrgyzstan', 'x-test': 'Kirgisistan' })
    expect(lastRevision(t).changes.names?.before).toHaveProperty('de')
  })

  it('a state code cannot be patched', async () => {
    await expectRejected(
      t,
      {
        method: 'PATCH',
        url: '/v1/states/KG',
        headers: mergePatch(await admin()),
        payload: JSON.stringify({ code: 'KZ' }),
      },
      400,
      ['code'],
    )
  })
})
