import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bearer, buildTestApp, roleId } from '../helpers/build-test-app.js'
import { expectGeneratedAsCommitted } from '../helpers/contract-part.js'
import { problemBody } from '../helpers/http.js'
import { getJson, type Headers, type Json, type TestApp, write, writer } from '../memory/support.js'

/**
 * src/modules/directory/directory-routes.ts through the app, a fresh app per test (so a mutant
 * in the routes' set-up fails a test, not the file): the directory's answer exactly (each part
 * as its own resource presents it, restricted details only with directory:read), its filters'
 * refusals, the default day, the Link header, the CSV's file name, the tenure lists, and who is
 * written to the access log.
 */

const TODAY = '2031-07-20'

let t: TestApp
let w: Headers
let r: Headers
let kg: Json
let hidden: Json
let plain: Json
let held: Json
let plainHeld: Json

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(`${TODAY}T10:00:00.000Z`))
  t = await buildTestApp()
  w = await writer('directory-routes-writer')
  r = await bearer('directory:read', { sub: 'reader-rita' })
  kg = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Ministry KG',
    kind: 'government',
    stateCode: 'KG',
  })
  hidden = await write(t, 'POST', '/v1/contacts', w, {
    familyName: 'Hiddenova',
    contactDetails: [{ type: 'email', value: 'h@secretdomain.kg', visibility: 'restricted' }],
  })
  plain = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Plainov' })
  held = await write(t, 'POST', '/v1/assignments', w, {
    contactId: hidden.id,
    roleId: roleId(t.db, 'national-poc'),
    organizationId: kg.id,
    startDate: '2020-01-01',
    isPrimary: true,
  })
  plainHeld = await write(t, 'POST', '/v1/assignments', w, {
    contactId: plain.id,
    roleId: roleId(t.db, 'national-poc'),
    organizationId: kg.id,
    startDate: '2021-01-01',
    endDate: '2031-07-21',
  })
  await t.app.accessLog.flush()
  t.db.$client.exec('drop trigger access_log_no_early_delete')
  t.db.$client.exec('delete from access_log')
})
afterEach(async () => {
  await t.close()
  vi.useRealTimers()
})

/** The entry as each of its parts reads on its own, with the same token. */
async function entryAsRead(assignment: Json, headers: Headers) {
  return {
    role: await getJson(t, `/v1/roles/${assignment.roleId}`, headers),
    organization: await getJson(t, `/v1/organizations/${assignment.organizationId}`, headers),
    contact: await getJson(t, `/v1/contacts/${assignment.contactId}`, headers),
    assignment: await getJson(t, `/v1/assignments/${assignment.id}`, headers),
  }
}

/** The access log's entries after `request` (the earlier ones were cleared). */
async function logged() {
  await t.app.accessLog.flush()
  return (
    t.db.$client
      .prepare('select reader, method, route, contact_ids from access_log order by id')
      .all() as Json[]
  ).map((e): Json => ({ ...e, contact_ids: JSON.parse(e.contact_ids) }))
}

describe('the directory and its tenure lists in the contract', () => {
  it('are generated exactly as committed', async () => {
    await expectGeneratedAsCommitted({
      paths: ['/v1/directory', '/v1/contacts/{id}/tenures', '/v1/organizations/{id}/tenures'],
      schemas: ['Directory', 'DirectoryEntry', 'TenureList'],
    })
  })
})

describe('GET /v1/directory', () => {
  it('anonymous: today by default, the state presented, each part as its resource reads, restricted details left out', async () => {
    const body = await getJson(t, '/v1/directory?state=KG')
    expect(body).toEqual({
      state: await getJson(t, '/v1/states/KG'),
      organization: null,
      asOf: TODAY,
      items: [await entryAsRead(held, {}), await entryAsRead(plainHeld, {})],
      nextCursor: null,
    })
    expect(body.items[0].contact.contactDetails).toEqual([])
    expect(await logged()).toEqual([])
  })

  it('a reader: restricted details shown, and the holders who carry them logged', async () => {
    const body = await getJson(t, `/v1/directory?organization=${kg.id}&asOf=2031-07-20`, r)
    expect(body).toEqual({
      state: null,
      organization: await getJson(t, `/v1/organizations/${kg.id}`, r),
      asOf: '2031-07-20',
      items: [await entryAsRead(held, r), await entryAsRead(plainHeld, r)],
      nextCursor: null,
    })
    expect(body.items[0].contact.contactDetails).toEqual([
      { type: 'email', value: 'h@secretdomain.kg', label: null, visibility: 'restricted' },
    ])
    const log = await logged()
    expect(log.filter((e) => e.route === '/v1/directory')).toEqual([
      { reader: 'reader-rita', method: 'GET', route: '/v1/directory', contact_ids: [hidden.id] },
    ])
  })

  it('asOf picks the day: the tenure ending tomorrow is gone then', async () => {
    const body = await getJson(t, '/v1/directory?state=KG&asOf=2031-07-21')
    expect(body.asOf).toBe('2031-07-21')
    expect(body.items.map((e: Json) => e.assignment.id)).toEqual([held.id])
  })

  it('the role filter takes a key or an id', async () => {
    for (const role of ['national-poc', roleId(t.db, 'national-poc')]) {
      const body = await getJson(t, `/v1/directory?state=KG&role=${role}`)
      expect(body.items.map((e: Json) => e.assignment.id)).toEqual([held.id, plainHeld.id])
    }
    expect((await getJson(t, '/v1/directory?state=KG&role=mission-poc')).items).toEqual([])
  })

  it('an unknown state, organization or role is a 400 naming it', async () => {
    const cases: [string, string, string][] = [
      ['state=KX', 'query.state', 'no state with this identifier'],
      [
        'organization=00000000-0000-7000-8000-000000000000',
        'query.organization',
        'no organization with this identifier',
      ],
      ['role=no-such-role', 'query.role', 'no role with this identifier'],
    ]
    for (const [query, path, message] of cases) {
      const body = problemBody(await t.app.inject({ method: 'GET', url: `/v1/directory?${query}` }), 400)
      expect(body.errors, query).toEqual([{ path, message }])
      expect(body.detail).toBe(`${path}: ${message}`)
    }
  })

  it('pages: limit, nextCursor and the Link header to the next page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/directory?state=KG&limit=1' })
    const body = res.json() as Json
    expect(body.items.map((e: Json) => e.assignment.id)).toEqual([held.id])
    expect(body.nextCursor).toEqual(expect.any(String))
    expect(res.headers.link).toBe(
      `</v1/directory?state=KG&limit=1&cursor=${encodeURIComponent(body.nextCursor)}>; rel="next"`,
    )
    const next = await t.app.inject({
      method: 'GET',
      url: `/v1/directory?state=KG&limit=1&cursor=${encodeURIComponent(body.nextCursor)}`,
    })
    expect((next.json() as Json).items.map((e: Json) => e.assignment.id)).toEqual([plainHeld.id])
    expect((next.json() as Json).nextCursor).toBeNull()
    expect(next.headers.link).toBeUndefined()
  })

  it('q finds by a restricted e-mail only for a reader', async () => {
    expect((await getJson(t, '/v1/directory?q=secretdomain')).items).toEqual([])
    const found = await getJson(t, '/v1/directory?q=secretdomain', r)
    expect(found.items.map((e: Json) => e.assignment.id)).toEqual([held.id])
    expect((await getJson(t, '/v1/directory?q=plainov')).items.map((e: Json) => e.assignment.id)).toEqual([
      plainHeld.id,
    ])
  })

  it('as CSV: the file is named by state, organization, search or all, and the day', async () => {
    const cases: [string, string][] = [
      ['?state=KG', `directory-KG-${TODAY}.csv`],
      [`?organization=${kg.id}&asOf=2030-01-02`, `directory-${kg.id}-2030-01-02.csv`],
      [`?state=KG&organization=${kg.id}`, `directory-KG-${TODAY}.csv`],
      ['?q=plainov', `directory-search-${TODAY}.csv`],
      ['', `directory-all-${TODAY}.csv`],
    ]
    for (const [query, name] of cases) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/v1/directory${query}`,
        headers: { accept: 'text/csv' },
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
      expect(res.headers['content-disposition'], query).toBe(`attachment; filename="${name}"`)
    }
  })

  it('as CSV: the restricted e-mail only for a reader, who is logged for it; a search keeps to its matches', async () => {
    const csv = async (query: string, headers: Headers = {}) =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/v1/directory${query}`,
          headers: { accept: 'text/csv', ...headers },
        })
      ).body
    const anon = await csv('?state=KG')
    expect(anon).toContain('Hiddenova')
    expect(anon).toContain('Plainov')
    expect(anon).not.toContain('secretdomain')
    expect(await logged()).toEqual([])
    const read = await csv('?state=KG', r)
    expect(read).toContain('h@secretdomain.kg')
    expect((await logged()).filter((e) => e.route === '/v1/directory')).toEqual([
      { reader: 'reader-rita', method: 'GET', route: '/v1/directory', contact_ids: [hidden.id] },
    ])
    expect(await csv('?q=secretdomain')).not.toContain('Hiddenova')
    const searched = await csv('?q=secretdomain', r)
    expect(searched).toContain('Hiddenova')
    expect(searched).not.toContain('Plainov')
    // The day applies to the export too.
    expect(await csv('?state=KG&asOf=2031-07-21')).not.toContain('Plainov')
    // And the organization filter.
    const other = await write(t, 'POST', '/v1/organizations', w, {
      name: 'Other KG',
      kind: 'government',
      stateCode: 'KG',
    })
    expect(await csv(`?organization=${other.id}`)).not.toContain('Plainov')
    expect(await csv('?state=KG&role=mission-poc')).not.toContain('Plainov')
  })
})

describe('tenure lists', () => {
  it('an unknown contact or organization is a 404 naming it', async () => {
    const id = '00000000-0000-7000-8000-000000000000'
    for (const [owner, noun] of [
      ['contacts', 'contact'],
      ['organizations', 'organization'],
    ]) {
      const body = problemBody(await t.app.inject({ method: 'GET', url: `/v1/${owner}/${id}/tenures` }), 404)
      expect(body.detail).toBe(`No ${noun} ${id}`)
    }
    // A contact's id is not an organization's.
    problemBody(await t.app.inject({ method: 'GET', url: `/v1/organizations/${hidden.id}/tenures` }), 404)
    problemBody(await t.app.inject({ method: 'GET', url: `/v1/contacts/${kg.id}/tenures` }), 404)
  })

  it('a contact’s tenures, current and ended, each as read on its own; restricted details and the log only for a reader', async () => {
    const kz = await write(t, 'POST', '/v1/organizations', w, {
      name: 'Ministry KZ',
      kind: 'government',
      stateCode: 'KZ',
    })
    const ended = await write(t, 'POST', '/v1/assignments', w, {
      contactId: hidden.id,
      roleId: roleId(t.db, 'mission-poc'),
      organizationId: kz.id,
      startDate: '2010-01-01',
      endDate: '2011-01-01',
    })
    expect(await getJson(t, `/v1/contacts/${hidden.id}/tenures`)).toEqual({
      items: [await entryAsRead(held, {}), await entryAsRead(ended, {})],
      nextCursor: null,
    })
    expect(await logged()).toEqual([])
    expect(await getJson(t, `/v1/contacts/${hidden.id}/tenures`, r)).toEqual({
      items: [await entryAsRead(held, r), await entryAsRead(ended, r)],
      nextCursor: null,
    })
    expect((await logged()).filter((e) => e.route === '/v1/contacts/:id/tenures')).toEqual([
      { reader: 'reader-rita', method: 'GET', route: '/v1/contacts/:id/tenures', contact_ids: [hidden.id] },
    ])
    expect(await getJson(t, `/v1/organizations/${kz.id}/tenures`)).toEqual({
      items: [await entryAsRead(ended, {})],
      nextCursor: null,
    })
  })

  it('an organization’s tenures, paged with a Link header', async () => {
    const first = await t.app.inject({
      method: 'GET',
      url: `/v1/organizations/${kg.id}/tenures?limit=1`,
      headers: r,
    })
    const body = first.json() as Json
    expect(body).toEqual({ items: [await entryAsRead(held, r)], nextCursor: expect.any(String) })
    expect(first.headers.link).toBe(
      `</v1/organizations/${kg.id}/tenures?limit=1&cursor=${encodeURIComponent(body.nextCursor)}>; rel="next"`,
    )
    const second = await getJson(
      t,
      `/v1/organizations/${kg.id}/tenures?limit=1&cursor=${encodeURIComponent(body.nextCursor)}`,
      r,
    )
    expect(second).toEqual({ items: [await entryAsRead(plainHeld, r)], nextCursor: null })
    expect((await logged()).filter((e) => e.route === '/v1/organizations/:id/tenures')).toEqual([
      {
        reader: 'reader-rita',
        method: 'GET',
        route: '/v1/organizations/:id/tenures',
        contact_ids: [hidden.id],
      },
    ])
  })
})
