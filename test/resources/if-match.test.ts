import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  admin,
  createAssignment,
  createContact,
  createOrganization,
  expectProblem,
  expectRejected,
  type Headers,
  type Json,
  mergePatch,
  revisionCount,
  revisionsOf,
  type TestApp,
  writer,
} from './fixtures.js'

let t: TestApp
let auth: Headers
beforeAll(async () => {
  t = await buildTestApp()
  auth = await writer()
})
afterAll(() => t.close())

/** Makes a record of each kind at version 1 and answers its URL. */
const makers: [string, () => Promise<string>][] = [
  ['contact', async () => `/v1/contacts/${(await createContact(t)).id}`],
  ['organization', async () => `/v1/organizations/${(await createOrganization(t)).id}`],
  [
    'assignment',
    async () => {
      const a = await createAssignment(t, {
        contactId: (await createContact(t)).id,
        organizationId: (await createOrganization(t)).id,
      })
      return `/v1/assignments/${a.id}`
    },
  ],
]

/** A patch that changes something real for each kind, distinct per `n`. */
const patchFor = (url: string, n: number): Json =>
  url.includes('/assignments/')
    ? { designationRef: `NV ${n}` }
    : url.includes('/organizations/')
      ? { acronym: `ORG${n}` }
      : { positionTitle: `Title ${n}` }

describe.each(makers)('If-Match on a %s', (_name, make) => {
  let url: string
  beforeAll(async () => {
    url = await make()
    const res = await t.app.inject({
      method: 'PATCH',
      url,
      headers: mergePatch(auth, { 'if-match': '"1"' }),
      payload: JSON.stringify(patchFor(url, 0)),
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers.etag).toBe('"2"')
  })

  it('a stale If-Match on PATCH answers 412 problem+json and writes nothing', async () => {
    const body = await expectRejected(
      t,
      {
        method: 'PATCH',
        url,
        headers: mergePatch(auth, { 'if-match': '"1"' }),
        payload: JSON.stringify(patchFor(url, 1)),
      },
      412,
    )
    expect(body).toMatchObject({
      type: 'urn:pocdir:problem:precondition-failed',
      title: 'Precondition Failed',
      detail: 'The record is at version 2; it changed since the entity tag you sent',
    })
    const read = await t.app.inject({ method: 'GET', url, headers: auth })
    expect(read.headers.etag).toBe('"2"')
    expect(read.json()).toMatchObject({ ...patchFor(url, 0), version: 2 })
  })

  it('a stale If-Match on DELETE answers 412 and deletes nothing', async () => {
    await expectRejected(t, { method: 'DELETE', url, headers: { ...auth, 'if-match': '"1"' } }, 412)
    expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(200)
  })

  it('the current tag (strong, in a list, or *) lets the PATCH through', async () => {
    const ok = await t.app.inject({
      method: 'PATCH',
      url,
      headers: mergePatch(auth, { 'if-match': '"2"' }),
      payload: JSON.stringify(patchFor(url, 2)),
    })
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.headers.etag).toBe('"3"')
    expect(ok.json()).toMatchObject({ ...patchFor(url, 2), version: 3 })

    const listed = await t.app.inject({
      method: 'PATCH',
      url,
      headers: mergePatch(auth, { 'if-match': '"1", "3"' }),
      payload: JSON.stringify(patchFor(url, 3)),
    })
    expect(listed.statusCode, listed.body).toBe(200)
    expect(listed.json().version).toBe(4)

    const star = await t.app.inject({
      method: 'PATCH',
      url,
      headers: mergePatch(auth, { 'if-match': '*' }),
      payload: JSON.stringify(patchFor(url, 4)),
    })
    expect(star.statusCode, star.body).toBe(200)
    expect(star.json().version).toBe(5)
  })

  it('the current tag lets the DELETE through', async () => {
    const res = await t.app.inject({ method: 'DELETE', url, headers: { ...auth, 'if-match': '"5"' } })
    expect(res.statusCode, res.body).toBe(204)
    expectProblem(await t.app.inject({ method: 'GET', url }), 404)
  })
})

describe('concurrent PATCHes with the same If-Match', () => {
  it.each(makers)(
    'on a %s: exactly one wins, the rest answer 412, the version ends at 2',
    async (_n, make) => {
      const url = await make()
      const revisionsBefore = revisionCount(t)
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          t.app.inject({
            method: 'PATCH',
            url,
            headers: mergePatch(auth, { 'if-match': '"1"' }),
            payload: JSON.stringify(patchFor(url, 100 + i)),
          }),
        ),
      )
      const codes = results.map((r) => r.statusCode).sort()
      expect(codes).toEqual([200, 412, 412, 412, 412, 412, 412, 412])
      const winner = results.find((r) => r.statusCode === 200)
      for (const r of results.filter((x) => x.statusCode === 412)) expectProblem(r, 412)
      expect(winner?.headers.etag).toBe('"2"')

      const read = await t.app.inject({ method: 'GET', url, headers: auth })
      expect(read.headers.etag).toBe('"2"')
      expect(read.json()).toEqual(winner?.json())
      expect(revisionCount(t)).toBe(revisionsBefore + 1)
      const id = url.split('/').pop() ?? ''
      const entity = url.split('/')[2]?.replace(/s$/, '') ?? ''
      expect(revisionsOf(t, entity, id).map((r) => r.action)).toEqual(['create', 'update'])
    },
  )

  it('on a role (admin): one wins, the rest 412', async () => {
    const adminAuth = await admin()
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/roles',
      headers: adminAuth,
      payload: { key: 'race-poc', name: 'Race', domain: 'general' },
    })
    expect(created.statusCode, created.body).toBe(201)
    const url = `/v1/roles/${created.json().id}`
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        t.app.inject({
          method: 'PATCH',
          url,
          headers: mergePatch(adminAuth, { 'if-match': '"1"' }),
          payload: JSON.stringify({ name: `Race ${i}` }),
        }),
      ),
    )
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 412, 412, 412, 412])
    expect((await t.app.inject({ method: 'GET', url })).json().version).toBe(2)
  })

  it('concurrent DELETEs with the same If-Match: one 204, the rest 404 (a deleted record is gone), one tombstone', async () => {
    const contact = await createContact(t)
    const url = `/v1/contacts/${contact.id}`
    const before = snapshot(t.db)
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        t.app.inject({ method: 'DELETE', url, headers: { ...auth, 'if-match': '"1"' } }),
      ),
    )
    expect(results.map((r) => r.statusCode).sort()).toEqual([204, 404, 404, 404])
    for (const r of results.filter((x) => x.statusCode !== 204)) {
      expect(expectProblem(r, 404).type).toBe('urn:pocdir:problem:not-found')
    }
    expect(snapshot(t.db)).not.toBe(before)
    expect(revisionsOf(t, 'contact', String(contact.id)).map((r) => r.action)).toEqual(['create', 'delete'])
  })
})
