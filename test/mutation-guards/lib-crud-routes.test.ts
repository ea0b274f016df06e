import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'
import { expectGeneratedAsCommitted } from '../helpers/contract-part.js'
import { ADMIN, admin, mergePatch, type TestApp, WRITER, writer } from '../resources/fixtures.js'

/**
 * src/lib/crud-routes.ts through the real app, each test building its own (a build in
 * `beforeAll` would make every mutant of the route registration static): the generated
 * operations, negotiation and exports, ETags and 304, create/patch/delete/verify/history with
 * exact bodies and headers, and what the access log records.
 */

const READER = 'reader-rex'
const reader = () => bearer('directory:read', { sub: READER })

async function post(t: TestApp, url: string, payload: Record<string, unknown>) {
  const res = await t.app.inject({ method: 'POST', url, headers: await writer(), payload })
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as Record<string, unknown> & { id: string; version: number }
}

/** Access-log entries as stored: reader, method, route, contact ids. */
async function logged(t: TestApp) {
  await t.app.accessLog.flush()
  return (
    t.db.$client
      .prepare('select reader, method, route, contact_ids as ids from access_log order by id')
      .all() as { reader: string; method: string; route: string; ids: string }[]
  ).map((e) => [e.reader, e.method, e.route, JSON.parse(e.ids) as string[]])
}

const problem = (res: { statusCode: number; json(): unknown }) => ({
  status: res.statusCode,
  ...(res.json() as object),
})

describe('the generated operations', () => {
  it('equal the committed contract (summaries, descriptions, ids, security, responses)', async () => {
    await expectGeneratedAsCommitted({
      paths: [
        '/v1/organizations',
        '/v1/organizations/{id}',
        '/v1/organizations/{id}/history',
        '/v1/organizations/{id}/verify',
        '/v1/states',
        '/v1/states/{code}',
        '/v1/contacts',
        '/v1/contacts/{id}',
        '/v1/participations',
        '/v1/participations/{id}',
        // A tag with an s inside its name: the operation ids drop only the last one.
        '/v1/assignments',
        '/v1/assignments/{id}',
        '/v1/assignments/{id}/history',
      ],
      schemas: [],
    })
  })
})

describe('reads', () => {
  it('a record with its ETag; If-None-Match with it is 304, another tag is 200', async () => {
    const t = await buildTestApp()
    try {
      const org = await post(t, '/v1/organizations', {
        name: 'Ministry A',
        kind: 'government',
        stateCode: 'KG',
      })
      const res = await t.app.inject({ method: 'GET', url: `/v1/organizations/${org.id}` })
      expect(res.statusCode).toBe(200)
      expect(res.headers.etag).toBe('"1"')
      expect(res.json()).toEqual(org)
      const same = await t.app.inject({
        method: 'GET',
        url: `/v1/organizations/${org.id}`,
        headers: { 'if-none-match': '"1"' },
      })
      expect(same.statusCode).toBe(304)
      expect(same.headers.etag).toBe('"1"')
      expect(same.body).toBe('')
      const other = await t.app.inject({
        method: 'GET',
        url: `/v1/organizations/${org.id}`,
        headers: { 'if-none-match': '"2"' },
      })
      expect(other.statusCode).toBe(200)
      expect(other.json()).toEqual(org)
      const missing = await t.app.inject({
        method: 'GET',
        url: '/v1/organizations/00000000-0000-7000-8000-000000000000',
      })
      expect(problem(missing)).toMatchObject({
        status: 404,
        detail: 'No organization 00000000-0000-7000-8000-000000000000',
      })
    } finally {
      await t.close()
    }
  })

  it('a list page with its next link; a resource without exports answers JSON whatever is asked', async () => {
    const t = await buildTestApp()
    try {
      const a = await post(t, '/v1/organizations', {
        name: 'Alpha Agency',
        kind: 'government',
        stateCode: 'KG',
      })
      const b = await post(t, '/v1/organizations', {
        name: 'Beta Bureau',
        kind: 'government',
        stateCode: 'KG',
      })
      const res = await t.app.inject({ method: 'GET', url: '/v1/organizations?state=KG&limit=1' })
      expect(res.statusCode).toBe(200)
      const page = res.json() as { items: { id: string }[]; nextCursor: string }
      expect(page.items).toEqual([a])
      expect(page.nextCursor).toEqual(expect.any(String))
      expect(res.headers.link).toBe(
        `</v1/organizations?state=KG&limit=1&cursor=${encodeURIComponent(page.nextCursor)}>; rel="next"`,
      )
      const next = await t.app.inject({
        method: 'GET',
        url: `/v1/organizations?state=KG&limit=1&cursor=${encodeURIComponent(page.nextCursor)}`,
        headers: { accept: 'text/csv' },
      })
      expect(next.statusCode).toBe(200)
      expect(next.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(next.json()).toEqual({ items: [b], nextCursor: null })
      expect(next.headers.link).toBeUndefined()
    } finally {
      await t.close()
    }
  })

  it('negotiates exports: CSV and vCard downloads, 406 naming what is acceptable', async () => {
    const t = await buildTestApp()
    try {
      const c = await post(t, '/v1/contacts', { givenName: 'Ana', familyName: 'Export' })
      const csv = await t.app.inject({ method: 'GET', url: '/v1/contacts', headers: { accept: 'text/csv' } })
      expect(csv.statusCode).toBe(200)
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8')
      expect(csv.headers['content-disposition']).toBe('attachment; filename="contacts.csv"')
      expect(csv.body).toContain('Export')
      const vcf = await t.app.inject({
        method: 'GET',
        url: '/v1/contacts',
        headers: { accept: 'text/vcard' },
      })
      expect(vcf.headers['content-type']).toBe('text/vcard; charset=utf-8')
      expect(vcf.headers['content-disposition']).toBe('attachment; filename="contacts.vcf"')
      expect(vcf.body).toContain('BEGIN:VCARD')
      const one = await t.app.inject({
        method: 'GET',
        url: `/v1/contacts/${c.id}`,
        headers: { accept: 'text/vcard' },
      })
      expect(one.statusCode).toBe(200)
      expect(one.headers['content-type']).toBe('text/vcard; charset=utf-8')
      expect(one.headers['content-disposition']).toBeUndefined()
      expect(one.body).toMatch(/^BEGIN:VCARD\r\n[\s\S]*FN:Ana Export\r\n[\s\S]*END:VCARD\r\n$/)
      const json = await t.app.inject({
        method: 'GET',
        url: `/v1/contacts/${c.id}`,
        headers: { accept: 'application/json' },
      })
      // Anonymous: the notes (restricted) are left out.
      const { notes: _notes, ...publicView } = c
      expect(json.json()).toEqual(publicView)
      for (const url of ['/v1/contacts', `/v1/contacts/${c.id}`]) {
        const refused = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } })
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(problem(refused)).toMatchObject({
          status: 406,
          type: 'urn:pocdir:problem:not-acceptable',
          detail:
            url === '/v1/contacts'
              ? 'Acceptable types: application/json, text/csv, text/vcard'
              : 'Acceptable types: application/json, text/vcard',
        })
      }
    } finally {
      await t.close()
    }
  })
})

describe('writes', () => {
  it('create: 201 with ETag, Location and the record; actor and request id in the revision', async () => {
    const t = await buildTestApp()
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: { ...(await writer()), 'x-request-id': 'req-create-1' },
        payload: { name: 'Gamma Office', kind: 'government', stateCode: 'KG' },
      })
      expect(res.statusCode).toBe(201)
      const body = res.json() as { id: string; version: number; name: string }
      expect(body).toMatchObject({ name: 'Gamma Office', version: 1, kind: 'government', stateCode: 'KG' })
      expect(res.headers.etag).toBe('"1"')
      expect(res.headers.location).toBe(`/v1/organizations/${body.id}`)
      const state = await t.app.inject({
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
      })
      expect(state.statusCode, state.body).toBe(201)
      expect(state.headers.location).toBe('/v1/states/XK')
      const rev = t.db.$client
        .prepare(`select actor, action, request_id as requestId from revisions where entity_id = ?`)
        .all(body.id)
      expect(rev).toEqual([{ actor: WRITER, action: 'create', requestId: 'req-create-1' }])
      expect(
        t.db.$client
          .prepare(`select actor from revisions where entity = 'state' and entity_id = 'XK'`)
          .pluck()
          .get(),
      ).toBe(ADMIN)
    } finally {
      await t.close()
    }
  })

  it('create needs the resource write scope: write for organizations, admin for states', async () => {
    const t = await buildTestApp()
    try {
      const before = t.db.$client.prepare('select count(*) from revisions').pluck().get()
      const org = await t.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: await reader(),
        payload: { name: 'Nope', kind: 'government', stateCode: 'KG' },
      })
      expect(org.statusCode).toBe(403)
      const state = await t.app.inject({
        method: 'POST',
        url: '/v1/states',
        headers: await writer(),
        payload: { code: 'XK' },
      })
      expect(state.statusCode).toBe(403)
      expect(t.db.$client.prepare('select count(*) from revisions').pluck().get()).toBe(before)
    } finally {
      await t.close()
    }
  })

  it('merge patch: 200 with the next ETag; a merged body that is invalid is 400; a stale If-Match is 412', async () => {
    const t = await buildTestApp()
    try {
      const org = await post(t, '/v1/organizations', {
        name: 'Delta Desk',
        kind: 'government',
        stateCode: 'KG',
      })
      const url = `/v1/organizations/${org.id}`
      const ok = await t.app.inject({
        method: 'PATCH',
        url,
        headers: mergePatch(await writer(), { 'if-match': '"1"' }),
        payload: { acronym: 'DD' },
      })
      expect(ok.statusCode, ok.body).toBe(200)
      expect(ok.headers.etag).toBe('"2"')
      expect(ok.json()).toMatchObject({ ...org, acronym: 'DD', version: 2, updatedAt: expect.any(String) })
      const invalid = await t.app.inject({
        method: 'PATCH',
        url,
        headers: mergePatch(await writer()),
        payload: { kind: 'castle' },
      })
      expect(problem(invalid)).toMatchObject({ status: 400, errors: [{ path: 'kind' }] })
      const stale = await t.app.inject({
        method: 'PATCH',
        url,
        headers: mergePatch(await writer(), { 'if-match': '"1"' }),
        payload: { acronym: 'XX' },
      })
      expect(stale.statusCode).toBe(412)
      const missing = await t.app.inject({
        method: 'PATCH',
        url: '/v1/organizations/00000000-0000-7000-8000-000000000000',
        headers: mergePatch(await writer()),
        payload: { acronym: 'XX' },
      })
      expect(problem(missing)).toMatchObject({
        status: 404,
        detail: 'No organization 00000000-0000-7000-8000-000000000000',
      })
      const now = await t.app.inject({ method: 'GET', url })
      expect(now.json()).toMatchObject({ acronym: 'DD', version: 2 })
    } finally {
      await t.close()
    }
  })

  it('delete: stale If-Match 412, then 204 and the record is 404; verify sets lastVerifiedAt', async () => {
    const t = await buildTestApp()
    try {
      const org = await post(t, '/v1/organizations', { name: 'Epsilon', kind: 'government', stateCode: 'KG' })
      const url = `/v1/organizations/${org.id}`
      const verified = await t.app.inject({
        method: 'POST',
        url: `${url}/verify`,
        headers: { ...(await writer()), 'if-match': '"1"' },
      })
      expect(verified.statusCode, verified.body).toBe(200)
      expect(verified.headers.etag).toBe('"2"')
      const v = verified.json() as { lastVerifiedAt: string; version: number }
      expect(v.version).toBe(2)
      expect(Date.parse(v.lastVerifiedAt)).toBeGreaterThan(Date.now() - 60_000)
      const staleVerify = await t.app.inject({
        method: 'POST',
        url: `${url}/verify`,
        headers: { ...(await writer()), 'if-match': '"1"' },
      })
      expect(staleVerify.statusCode).toBe(412)
      const stale = await t.app.inject({
        method: 'DELETE',
        url,
        headers: { ...(await writer()), 'if-match': '"1"' },
      })
      expect(stale.statusCode).toBe(412)
      const gone = await t.app.inject({
        method: 'DELETE',
        url,
        headers: { ...(await writer()), 'if-match': '"2"' },
      })
      expect(gone.statusCode).toBe(204)
      expect(gone.body).toBe('')
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(404)
      const again = await t.app.inject({ method: 'DELETE', url, headers: await writer() })
      expect(problem(again)).toMatchObject({ status: 404, detail: `No organization ${org.id}` })
      const history = await t.app.inject({ method: 'GET', url: `${url}/history?limit=2` })
      expect(history.statusCode).toBe(200)
      const h = history.json() as { items: { action: string }[]; nextCursor: string }
      expect(h.items.map((r) => r.action)).toEqual(['delete', 'update'])
      expect(history.headers.link).toBe(
        `<${url}/history?limit=2&cursor=${encodeURIComponent(h.nextCursor)}>; rel="next"`,
      )
      const none = await t.app.inject({
        method: 'GET',
        url: '/v1/organizations/00000000-0000-7000-8000-000000000000/history',
      })
      expect(problem(none)).toMatchObject({
        status: 404,
        detail: 'No organization 00000000-0000-7000-8000-000000000000',
      })
    } finally {
      await t.close()
    }
  })
})

describe('writes through every kind of spec', () => {
  it('a merge patch valid alone but not merged (an end before the stored start) is a 400 naming it, writing nothing', async () => {
    const t = await buildTestApp()
    try {
      const event = await post(t, '/v1/training-events', {
        title: 'Course',
        kind: 'workshop',
        startDate: '2026-02-02',
        endDate: '2026-02-03',
      })
      const before = t.db.$client.prepare('select count(*) from revisions').pluck().get()
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/v1/training-events/${event.id}`,
        headers: mergePatch(await writer()),
        payload: { endDate: '2026-02-01' },
      })
      expect(problem(res)).toEqual({
        status: 400,
        type: 'urn:pocdir:problem:validation-error',
        title: 'Validation failed',
        detail: 'endDate: must not be before startDate',
        instance: `/v1/training-events/${event.id}`,
        errors: [{ path: 'endDate', message: 'must not be before startDate' }],
      })
      expect(t.db.$client.prepare('select count(*) from revisions').pluck().get()).toBe(before)
      expect((await t.app.inject({ method: 'GET', url: `/v1/training-events/${event.id}` })).json()).toEqual(
        event,
      )
    } finally {
      await t.close()
    }
  })

  it('a resource without a check is patched, one without a delete rule is deleted', async () => {
    const t = await buildTestApp()
    try {
      const event = await post(t, '/v1/training-events', {
        title: 'Seminar',
        kind: 'workshop',
        startDate: '2026-02-02',
        endDate: '2026-02-03',
      })
      const patched = await t.app.inject({
        method: 'PATCH',
        url: `/v1/training-events/${event.id}`,
        headers: mergePatch(await writer(), { 'if-match': '"1"' }),
        payload: { title: 'Seminar II' },
      })
      expect(patched.statusCode, patched.body).toBe(200)
      expect(patched.json()).toEqual({
        ...event,
        title: 'Seminar II',
        version: 2,
        updatedAt: expect.any(String),
      })
      const person = await post(t, '/v1/contacts', { familyName: 'Attendee' })
      const participation = await post(t, '/v1/participations', {
        eventId: event.id,
        contactId: person.id,
        status: 'attended',
      })
      const url = `/v1/participations/${participation.id}`
      const gone = await t.app.inject({
        method: 'DELETE',
        url,
        headers: { ...(await writer()), 'if-match': '"1"' },
      })
      expect(gone.statusCode, gone.body).toBe(204)
      expect(gone.body).toBe('')
      expect(problem(await t.app.inject({ method: 'GET', url }))).toMatchObject({
        status: 404,
        detail: `No participation ${participation.id}`,
      })
    } finally {
      await t.close()
    }
  })

  it('a patch and a verify answer the writer the whole record, notes and restricted details included', async () => {
    const t = await buildTestApp()
    try {
      const c = await post(t, '/v1/contacts', {
        familyName: 'Noted',
        notes: 'Prefers phone calls',
        contactDetails: [{ type: 'email', value: 'noted@example.org', visibility: 'restricted' }],
      })
      expect(c.notes).toBe('Prefers phone calls')
      const patched = await t.app.inject({
        method: 'PATCH',
        url: `/v1/contacts/${c.id}`,
        headers: mergePatch(await writer()),
        payload: { givenName: 'Nora' },
      })
      expect(patched.statusCode, patched.body).toBe(200)
      expect(patched.json()).toEqual({
        ...c,
        givenName: 'Nora',
        displayName: 'Nora Noted',
        nameLatin: 'Nora Noted',
        version: 2,
        updatedAt: expect.any(String),
      })
      const verified = await t.app.inject({
        method: 'POST',
        url: `/v1/contacts/${c.id}/verify`,
        headers: await writer(),
      })
      expect(verified.statusCode, verified.body).toBe(200)
      expect(verified.json()).toEqual({
        ...(patched.json() as object),
        version: 3,
        updatedAt: expect.any(String),
        lastVerifiedAt: expect.any(String),
      })
    } finally {
      await t.close()
    }
  })

  it('only verifiable resources have a verify route', async () => {
    const t = await buildTestApp()
    try {
      const before = t.db.$client.prepare('select count(*) from revisions').pluck().get()
      const res = await t.app.inject({ method: 'POST', url: '/v1/states/KG/verify', headers: await admin() })
      expect(problem(res)).toEqual({
        status: 404,
        type: 'urn:pocdir:problem:not-found',
        title: 'Not Found',
        detail: 'No route POST /v1/states/KG/verify',
        instance: '/v1/states/KG/verify',
      })
      expect(t.db.$client.prepare('select count(*) from revisions').pluck().get()).toBe(before)
    } finally {
      await t.close()
    }
  })
})

describe('the write lock', () => {
  it('every write takes it before reading: held by another connection, even a request that would be refused fails on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocdir-crud-lock-'))
    const t = await buildTestApp({ DATABASE_PATH: join(dir, 'pocdir.db') })
    try {
      const org = await post(t, '/v1/organizations', { name: 'Locked', kind: 'government', stateCode: 'KG' })
      const url = `/v1/organizations/${org.id}`
      const w = await writer()
      const stale = { ...w, 'if-match': '"9"' }
      // Each would be refused after reading (an unknown state, a stale If-Match).
      const requests = [
        {
          method: 'POST',
          url: '/v1/organizations',
          headers: w,
          payload: { name: 'X', kind: 'government', stateCode: 'ZZ' },
        },
        { method: 'PATCH', url, headers: mergePatch(stale), payload: { acronym: 'L' } },
        { method: 'DELETE', url, headers: stale },
        { method: 'POST', url: `${url}/verify`, headers: stale },
      ] as const
      const before = snapshot(t.db)
      t.db.$client.pragma('busy_timeout = 0')
      const other = openDatabase(join(dir, 'pocdir.db'))
      other.$client.exec('begin immediate')
      try {
        for (const r of requests) {
          const res = await t.app.inject(r)
          expect(problem(res), `${r.method} ${r.url}`).toEqual({
            status: 500,
            type: 'urn:pocdir:problem:internal-error',
            title: 'Internal Server Error',
            detail: 'An unexpected error occurred; quote the x-request-id when reporting it',
            instance: r.url,
          })
        }
      } finally {
        other.$client.exec('rollback')
        other.$client.close()
      }
      const answers = []
      for (const r of requests) answers.push((await t.app.inject(r)).statusCode)
      expect(answers).toEqual([400, 412, 412, 412])
      expect(snapshot(t.db)).toBe(before)
    } finally {
      await t.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the access log', () => {
  it('records restricted contact reads by a reader, and writes, but not public reads', async () => {
    const t = await buildTestApp()
    try {
      const secret = await post(t, '/v1/contacts', {
        familyName: 'Secretive',
        contactDetails: [{ type: 'email', value: 'hidden@example.org', visibility: 'restricted' }],
      })
      const open = await post(t, '/v1/contacts', { familyName: 'Open' })
      expect(await logged(t)).toEqual([[WRITER, 'POST', '/v1/contacts', [secret.id]]])
      t.db.$client.exec('drop trigger access_log_no_early_delete')
      t.db.$client.exec('delete from access_log')

      await t.app.inject({ method: 'GET', url: `/v1/contacts/${secret.id}` })
      await t.app.inject({ method: 'GET', url: `/v1/contacts/${secret.id}/history` })
      await t.app.inject({ method: 'GET', url: '/v1/contacts' })
      await t.app.inject({ method: 'GET', url: `/v1/contacts/${open.id}`, headers: await reader() })
      expect(await logged(t)).toEqual([])

      await t.app.inject({ method: 'GET', url: `/v1/contacts/${secret.id}`, headers: await reader() })
      await t.app.inject({ method: 'GET', url: '/v1/contacts', headers: await reader() })
      await t.app.inject({ method: 'GET', url: `/v1/contacts/${secret.id}/history`, headers: await reader() })
      await t.app.inject({
        method: 'PATCH',
        url: `/v1/contacts/${secret.id}`,
        headers: mergePatch(await writer()),
        payload: { givenName: 'Sam' },
      })
      await t.app.inject({ method: 'POST', url: `/v1/contacts/${open.id}/verify`, headers: await writer() })
      await t.app.inject({ method: 'POST', url: `/v1/contacts/${secret.id}/verify`, headers: await writer() })
      expect(await logged(t)).toEqual([
        [READER, 'GET', '/v1/contacts/:id', [secret.id]],
        [READER, 'GET', '/v1/contacts', [secret.id]],
        [READER, 'GET', '/v1/contacts/:id/history', [secret.id]],
        [WRITER, 'PATCH', '/v1/contacts/:id', [secret.id]],
        [WRITER, 'POST', '/v1/contacts/:id/verify', [secret.id]],
      ])
    } finally {
      await t.close()
    }
  })

  it("does not record an organization's restricted details: they are an office's, not a person's", async () => {
    const t = await buildTestApp()
    try {
      const office = await post(t, '/v1/organizations', {
        name: 'Office With Secrets',
        kind: 'government',
        stateCode: 'KG',
        contactDetails: [{ type: 'email', value: 'desk@example.org', visibility: 'restricted' }],
      })
      await t.app.accessLog.flush()
      t.db.$client.exec('drop trigger access_log_no_early_delete')
      t.db.$client.exec('delete from access_log')

      const one = await t.app.inject({
        method: 'GET',
        url: `/v1/organizations/${office.id}`,
        headers: await reader(),
      })
      expect(one.statusCode, one.body).toBe(200)
      expect((one.json() as { contactDetails: unknown }).contactDetails).toEqual([
        { type: 'email', value: 'desk@example.org', label: null, visibility: 'restricted' },
      ])
      const list = await t.app.inject({
        method: 'GET',
        url: '/v1/organizations?state=KG',
        headers: await reader(),
      })
      expect(list.statusCode, list.body).toBe(200)
      expect((list.json() as { items: unknown[] }).items).toEqual([one.json()])
      const patched = await t.app.inject({
        method: 'PATCH',
        url: `/v1/organizations/${office.id}`,
        headers: mergePatch(await writer()),
        payload: { acronym: 'OWS' },
      })
      expect(patched.statusCode, patched.body).toBe(200)
      expect(await logged(t)).toEqual([])
    } finally {
      await t.close()
    }
  })

  it('records the contacts a CSV or vCard export carries to a reader, and none for others', async () => {
    const t = await buildTestApp()
    try {
      const secret = await post(t, '/v1/contacts', {
        familyName: 'Exported',
        contactDetails: [{ type: 'email', value: 'exported@example.org', visibility: 'restricted' }],
      })
      await post(t, '/v1/contacts', { familyName: 'Plain' })
      await t.app.accessLog.flush()
      t.db.$client.exec('drop trigger access_log_no_early_delete')
      t.db.$client.exec('delete from access_log')

      for (const accept of ['text/csv', 'text/vcard']) {
        const anonymous = await t.app.inject({ method: 'GET', url: '/v1/contacts', headers: { accept } })
        expect(anonymous.statusCode).toBe(200)
        expect(anonymous.body).not.toContain('exported@example.org')
      }
      expect(await logged(t)).toEqual([])
      for (const accept of ['text/csv', 'text/vcard']) {
        const res = await t.app.inject({
          method: 'GET',
          url: '/v1/contacts',
          headers: { ...(await reader()), accept },
        })
        expect(res.statusCode).toBe(200)
        expect(res.body).toContain('exported@example.org')
      }
      expect(await logged(t)).toEqual([
        [READER, 'GET', '/v1/contacts', [secret.id]],
        [READER, 'GET', '/v1/contacts', [secret.id]],
      ])
    } finally {
      await t.close()
    }
  })

  it("records a participation's notes as its person's, only for a reader who sees them", async () => {
    const t = await buildTestApp()
    try {
      const person = await post(t, '/v1/contacts', { familyName: 'Trainee' })
      const other = await post(t, '/v1/contacts', { familyName: 'Other' })
      const event = await post(t, '/v1/training-events', {
        title: 'Course',
        kind: 'workshop',
        startDate: '2026-01-05',
        endDate: '2026-01-06',
      })
      const noted = await post(t, '/v1/participations', {
        eventId: event.id,
        contactId: person.id,
        status: 'attended',
        notes: 'Needs follow-up',
      })
      const plain = await post(t, '/v1/participations', {
        eventId: event.id,
        contactId: other.id,
        status: 'attended',
      })
      await t.app.accessLog.flush()
      t.db.$client.exec('drop trigger access_log_no_early_delete')
      t.db.$client.exec('delete from access_log')

      await t.app.inject({ method: 'GET', url: `/v1/participations/${noted.id}` })
      await t.app.inject({ method: 'GET', url: `/v1/participations?event=${event.id}` })
      await t.app.inject({ method: 'GET', url: `/v1/participations/${plain.id}`, headers: await reader() })
      // A token that may not see notes (import alone does not imply read) is not told them, so
      // nothing is recorded for it although it names a reader.
      const importer = await bearer('directory:import', { sub: 'importer-ian' })
      const blind = await t.app.inject({
        method: 'GET',
        url: `/v1/participations/${noted.id}`,
        headers: importer,
      })
      expect(blind.statusCode).toBe(200)
      expect(blind.json()).not.toHaveProperty('notes')
      const blindList = await t.app.inject({
        method: 'GET',
        url: `/v1/participations?event=${event.id}`,
        headers: importer,
      })
      expect(blindList.statusCode).toBe(200)
      expect(blindList.body).not.toContain('Needs follow-up')
      expect(await logged(t)).toEqual([])
      await t.app.inject({ method: 'GET', url: `/v1/participations/${noted.id}`, headers: await reader() })
      await t.app.inject({
        method: 'GET',
        url: `/v1/participations?event=${event.id}`,
        headers: await reader(),
      })
      expect(await logged(t)).toEqual([
        [READER, 'GET', '/v1/participations/:id', [person.id]],
        [READER, 'GET', '/v1/participations', [person.id]],
      ])
    } finally {
      await t.close()
    }
  })
})
