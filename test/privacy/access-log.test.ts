import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { canSeeRestricted } from '../../src/plugins/auth.js'
import { bearer, buildTestApp, TEST_SECRET } from '../helpers/build-test-app.js'
import {
  ADMIN,
  admin,
  expectRejected,
  type Json,
  sleep,
  type TestApp,
  WRITER,
  writer,
} from '../resources/fixtures.js'
import { inject, limitedAdmin, type Person, READER, reader, seedPerson } from './fixtures.js'

let t: TestApp
let p: Person
let id: string

interface Entry {
  id: number
  at: string
  reader: string
  method: string
  route: string
  requestId: string
  contactIds: string[]
}

async function entries(query = ''): Promise<Entry[]> {
  await t.app.accessLog.flush()
  const res = await inject(t, 'GET', `/v1/access-log?limit=500${query}`, await admin())
  expect(res.statusCode, res.body).toBe(200)
  return (res.json() as { items: Entry[] }).items
}

/** The entries a request added (newest first). */
async function logged(request: () => Promise<{ headers: Record<string, unknown>; statusCode: number }>) {
  const before = (await entries()).length
  const res = await request()
  expect(res.statusCode).toBe(200)
  const after = await entries()
  return { res, added: after.slice(0, after.length - before) }
}

beforeEach(async () => {
  t = await buildTestApp()
  p = await seedPerson(t)
  id = String(p.contact.id)
  await t.app.accessLog.flush()
  // The fixture's own writes and reads are not what these tests are about.
  t.db.$client.exec('drop trigger access_log_no_early_delete')
  t.db.$client.exec('delete from access_log')
})
afterEach(() => t.close())

describe('a restricted read', () => {
  it('by a reader writes exactly one entry: who, whose, when, route and request id', async () => {
    const started = new Date().toISOString()
    const { res, added } = await logged(async () => inject(t, 'GET', `/v1/contacts/${id}`, await reader()))
    expect(added).toEqual([
      {
        id: expect.any(Number),
        at: expect.any(String),
        reader: READER,
        method: 'GET',
        route: '/v1/contacts/:id',
        requestId: res.headers['x-request-id'],
        contactIds: [id],
      },
    ])
    expect((added[0]?.at ?? '') >= started).toBe(true)
  })

  it('a public read writes none: anonymous, a token without directory:read, or a person with nothing restricted', async () => {
    expect((await logged(async () => inject(t, 'GET', `/v1/contacts/${id}`))).added).toEqual([])
    expect(
      (await logged(async () => inject(t, 'GET', `/v1/contacts/${id}`, await bearer('directory:import'))))
        .added,
    ).toEqual([])
    expect(
      (await logged(async () => inject(t, 'GET', `/v1/contacts/${p.successor.id}`, await reader()))).added,
    ).toEqual([])
    expect(
      (await logged(async () => inject(t, 'GET', '/v1/directory?state=KG&asOf=2024-06-01'))).added,
    ).toEqual([])
    expect((await logged(async () => inject(t, 'GET', '/v1/changes?after=0'))).added).toEqual([])
  })

  it.each([
    ['/v1/contacts?current=false', undefined, '/v1/contacts'],
    ['/v1/contacts?current=false', 'text/csv', '/v1/contacts'],
    ['/v1/contacts?current=false', 'text/vcard', '/v1/contacts'],
    ['/v1/contacts/:id', 'text/vcard', '/v1/contacts/:id'],
    ['/v1/contacts/:id/history', undefined, '/v1/contacts/:id/history'],
    ['/v1/contacts/:id/tenures', undefined, '/v1/contacts/:id/tenures'],
    ['/v1/organizations/:org/tenures', undefined, '/v1/organizations/:id/tenures'],
    ['/v1/changes?after=0&limit=1000', undefined, '/v1/changes'],
    ['/v1/directory?state=KG&asOf=2024-06-01', undefined, '/v1/directory'],
    ['/v1/directory?state=KG&asOf=2024-06-01', 'text/csv', '/v1/directory'],
    ['/v1/contacts?q=aigul.second&current=false', undefined, '/v1/contacts'],
  ])('GET %s (%s) by a reader is logged once, naming the person', async (url, accept, route) => {
    const headers = { ...(await reader()), ...(accept ? { accept } : {}) }
    const { res, added } = await logged(async () =>
      inject(t, 'GET', url.replace(':id', id).replace(':org', String(p.organization.id)), headers),
    )
    expect(added.map((e) => [e.reader, e.route, e.requestId, e.contactIds])).toEqual([
      [READER, route, res.headers['x-request-id'], [id]],
    ])
  })

  it('an answer from the read cache is logged like a fresh one', async () => {
    const url = '/v1/contacts?current=false'
    const first = await logged(async () => inject(t, 'GET', url, await reader()))
    const second = await logged(async () => inject(t, 'GET', url, await reader()))
    expect(second.res.headers.etag).toBe(first.res.headers.etag)
    expect(second.added.map((e) => [e.requestId, e.contactIds])).toEqual([
      [second.res.headers['x-request-id'], [id]],
    ])
  })

  it('a write that answers restricted values is logged for the writer; a 304 is not', async () => {
    const patched = await logged(async () =>
      inject(
        t,
        'PATCH',
        `/v1/contacts/${id}`,
        { ...(await writer()), 'content-type': 'application/merge-patch+json' },
        { positionTitle: 'Director' },
      ),
    )
    expect(patched.added.map((e) => [e.reader, e.method, e.route, e.contactIds])).toEqual([
      [WRITER, 'PATCH', '/v1/contacts/:id', [id]],
    ])
    const etag = String(patched.res.headers.etag)
    const before = (await entries()).length
    const res = await inject(t, 'GET', `/v1/contacts/${id}`, { ...(await reader()), 'if-none-match': etag })
    expect(res.statusCode).toBe(304)
    expect((await entries()).length).toBe(before)
  })

  it('a personal-data document is logged for the admin who read it', async () => {
    const { added } = await logged(async () =>
      inject(t, 'GET', `/v1/contacts/${id}/personal-data`, await admin()),
    )
    expect(added.map((e) => [e.reader, e.route, e.contactIds])).toEqual([
      [ADMIN, '/v1/contacts/:id/personal-data', [id]],
    ])
  })

  it('refused reads write nothing', async () => {
    await inject(t, 'GET', `/v1/contacts/${id}`, { authorization: 'Bearer nonsense' })
    await inject(t, 'GET', `/v1/contacts/${id}/personal-data`, await reader())
    await inject(t, 'GET', '/v1/contacts/0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f', await reader())
    expect(await entries()).toEqual([])
  })
})

describe('GET /v1/access-log', () => {
  it('filters by contact, reader and period, newest first, paged', async () => {
    const other = String(
      (
        (
          await inject(t, 'POST', '/v1/contacts', await writer(), { familyName: 'Other', notes: 'x' })
        ).json() as Json
      ).id,
    )
    await t.app.accessLog.flush()
    t.db.$client.exec('delete from access_log')
    await inject(t, 'GET', `/v1/contacts/${id}`, await reader())
    await t.app.accessLog.flush()
    await sleep(5)
    const middle = new Date().toISOString()
    await sleep(5)
    await inject(t, 'GET', `/v1/contacts/${other}`, await reader())
    await inject(t, 'GET', `/v1/contacts/${id}`, await bearer('directory:read', { sub: 'reader-ruslan' }))
    const all = await entries()
    expect(all.map((e) => [e.reader, e.contactIds])).toEqual([
      ['reader-ruslan', [id]],
      [READER, [other]],
      [READER, [id]],
    ])
    expect((await entries(`&contact=${id}`)).map((e) => e.reader)).toEqual(['reader-ruslan', READER])
    expect((await entries(`&reader=${READER}`)).map((e) => e.contactIds)).toEqual([[other], [id]])
    expect((await entries(`&from=${middle}`)).length).toBe(2)
    expect((await entries(`&to=${middle}`)).map((e) => e.contactIds)).toEqual([[id]])
    const page = (await inject(t, 'GET', '/v1/access-log?limit=2', await admin())).json() as {
      items: Entry[]
      nextCursor: string
    }
    expect(page.items.map((e) => e.id)).toEqual(all.slice(0, 2).map((e) => e.id))
    const next = (
      await inject(
        t,
        'GET',
        `/v1/access-log?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`,
        await admin(),
      )
    ).json() as { items: Entry[]; nextCursor: string | null }
    expect(next).toEqual({ items: [all[2]], nextCursor: null })
  })

  it('refuses anonymous (401), read and write tokens and a state-limited admin (403), bad filters (400)', async () => {
    await expectRejected(t, { method: 'GET', url: '/v1/access-log' }, 401)
    await expectRejected(t, { method: 'GET', url: '/v1/access-log', headers: await reader() }, 403)
    await expectRejected(t, { method: 'GET', url: '/v1/access-log', headers: await writer() }, 403)
    const limited = await expectRejected(
      t,
      { method: 'GET', url: '/v1/access-log', headers: await limitedAdmin() },
      403,
    )
    expect(limited.detail).toBe('A token limited to states may not read the access log')
    await expectRejected(
      t,
      {
        method: 'GET',
        url: '/v1/access-log?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
        headers: await admin(),
      },
      400,
      ['to'],
    )
    await expectRejected(t, { method: 'GET', url: '/v1/access-log?limit=501', headers: await admin() }, 400, [
      'limit',
    ])
    await expectRejected(
      t,
      { method: 'GET', url: '/v1/access-log?cursor=forged', headers: await admin() },
      400,
      ['cursor'],
    )
  })
})

describe('the table', () => {
  it('is append-only: an update is refused, and a delete of an entry younger than a day', async () => {
    const u = await buildTestApp()
    try {
      const c = u.db.$client
      c.prepare(
        "insert into access_log (at, reader, method, route, request_id, contact_ids) values (?, 'r', 'GET', '/v1/contacts/:id', 'q', '[]')",
      ).run(new Date().toISOString())
      expect(() => c.prepare("update access_log set reader = 'someone else'").run()).toThrow(
        'the access log is append-only',
      )
      expect(() => c.prepare('delete from access_log').run()).toThrow(
        'access log entries are removed only by retention',
      )
    } finally {
      await u.close()
    }
  })
})

describe('ACCESS_LOG=off', () => {
  it('records nothing', async () => {
    const u = await buildTestApp({ ACCESS_LOG: 'off' })
    try {
      const person = await seedPerson(u)
      await u.app.inject({ method: 'GET', url: `/v1/contacts/${person.contact.id}`, headers: await reader() })
      await u.app.accessLog.flush()
      expect(u.db.$client.prepare('select count(*) as n from access_log').get()).toEqual({ n: 0 })
    } finally {
      await u.close()
    }
  })
})

describe('a route cannot forget the access log', () => {
  it('a route that chooses restricted fields without declaring its logging answers 500', async () => {
    const config = loadConfig({ JWT_SECRET: TEST_SECRET, DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent' })
    const db = openDatabase(':memory:')
    runMigrations(db)
    seed(db)
    const app = await buildApp({ config, db })
    app.get('/v1/forgetful', async (request) => ({ restricted: canSeeRestricted(request) }))
    try {
      const res = await app.inject({ method: 'GET', url: '/v1/forgetful', headers: await reader() })
      expect(res.statusCode).toBe(500)
      const anonymous = await app.inject({ method: 'GET', url: '/v1/forgetful' })
      expect(anonymous.json()).toEqual({ restricted: false })
    } finally {
      await app.close()
      db.$client.close()
    }
  })
})
