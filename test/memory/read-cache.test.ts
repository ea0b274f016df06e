import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { buildTestApp, roleId, TEST_SECRET } from '../helpers/build-test-app.js'
import { type Headers, type Json, maxSeq, reader, type TestApp, write, writer } from './support.js'

/**
 * Lists, the directory, reports and the feed answer an ETag from the change feed's head (plus
 * visibility, media type and day), 304 on If-None-Match, and serve repeated reads of unchanged
 * data from memory. A write invalidates by moving the head, never by timing.
 */
let t: TestApp
let w: Headers
let r: Headers
let person: Json

/** Renames the person underneath the service, without a revision: the head does not move. */
const renameBehindTheBack = (name: string) =>
  t.db.$client.prepare('update contacts set family_name = ? where id = ?').run(name, person.id)

const get = (url: string, headers: Headers = {}) => t.app.inject({ method: 'GET', url, headers })

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('cache-writer')
  r = await reader('cache-reader')
  const org = await write(t, 'POST', '/v1/organizations', w, {
    name: 'MFA',
    kind: 'government',
    stateCode: 'KG',
  })
  person = await write(t, 'POST', '/v1/contacts', w, {
    familyName: 'Cached',
    contactDetails: [{ type: 'email', value: 'secret.cached@mfa.gov.kg' }],
  })
  await write(t, 'POST', '/v1/assignments', w, {
    contactId: person.id,
    organizationId: org.id,
    roleId: roleId(t.db, 'national-poc'),
    startDate: '2020-01-01',
  })
})
afterAll(() => t.close())

const ROUTES = [
  '/v1/contacts?state=KG',
  '/v1/directory?state=KG',
  '/v1/reports/coverage?state=KG',
  '/v1/changes?after=0',
  () => `/v1/contacts/${person.id}/history`,
]

describe('a repeated read of unchanged data is answered from memory', () => {
  for (const route of ROUTES) {
    const name = typeof route === 'string' ? route : 'GET /v1/contacts/{id}/history'
    it(`${name}: same ETag and body until a write moves the head`, async () => {
      const url = typeof route === 'string' ? route : route()
      const first = await get(url, r)
      expect(first.statusCode).toBe(200)
      const etag = first.headers.etag as string
      expect(etag).toBe(
        `W/"${maxSeq(t)}.${new Date().toISOString().slice(0, 10)}.r.${Buffer.from('').toString('base64url')}"`,
      )
      expect(first.headers.vary).toBe('Accept, Authorization')

      const again = await get(url, r)
      expect(again.headers.etag).toBe(etag)
      expect(again.body).toBe(first.body)
      expect(again.headers['x-request-id']).not.toBe(first.headers['x-request-id'])

      const notModified = await get(url, { ...r, 'if-none-match': etag })
      expect(notModified.statusCode).toBe(304)
      expect(notModified.body).toBe('')
      expect(notModified.headers.etag).toBe(etag)

      // A write moves the head: new tag, fresh body, the old tag no longer matches.
      await write(t, 'PATCH', `/v1/contacts/${person.id}`, w, { positionTitle: `Title ${Math.random()}` })
      const fresh = await get(url, { ...r, 'if-none-match': etag })
      expect(fresh.statusCode).toBe(200)
      expect(fresh.headers.etag).not.toBe(etag)
    })
  }

  it('serves the cached page while the head stays, and the stored data once it moves', async () => {
    const url = '/v1/directory?state=KG&limit=10'
    const before = await get(url, r)
    expect(before.json().items[0].contact.familyName).toBe('Cached')
    renameBehindTheBack('Underneath')
    // No revision, so the head did not move: the same serialized page, without SQL.
    expect((await get(url, r)).body).toBe(before.body)
    await write(t, 'PATCH', `/v1/contacts/${person.id}`, w, { givenName: 'Moved' })
    const after = (await get(url, r)).json()
    expect(after.items[0].contact.familyName).toBe('Underneath')
    expect(after.items[0].contact.givenName).toBe('Moved')
  })
})

describe('what the tag and the cache key hold besides the head', () => {
  it('an anonymous reader never gets the cached page of a reader, nor its tag', async () => {
    const url = `/v1/contacts?state=KG&limit=7`
    const seen = await get(url, r)
    expect(seen.body).toContain('secret.cached@mfa.gov.kg')
    const anonymous = await get(url)
    expect(anonymous.statusCode).toBe(200)
    expect(anonymous.body).not.toContain('secret.cached@mfa.gov.kg')
    expect(anonymous.headers.etag).not.toBe(seen.headers.etag)
    expect(anonymous.headers.etag).toMatch(/\.p\.[A-Za-z0-9_-]*"$/)
    // The reader's tag does not make an anonymous request 304.
    expect((await get(url, { 'if-none-match': seen.headers.etag as string })).statusCode).toBe(200)
  })

  it('a CSV export and the JSON list of one URL have different tags', async () => {
    const json = await get('/v1/contacts?state=KG', { ...r, accept: 'application/json' })
    const csv = await get('/v1/contacts?state=KG', { ...r, accept: 'text/csv' })
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    expect(csv.headers.etag).not.toBe(json.headers.etag)
    expect(
      (
        await get('/v1/contacts?state=KG', {
          ...r,
          accept: 'text/csv',
          'if-none-match': csv.headers.etag as string,
        })
      ).statusCode,
    ).toBe(304)
  })

  it('a refused read carries no tag and is not cached', async () => {
    const res = await get('/v1/contacts?limit=0', r)
    expect(res.statusCode).toBe(400)
    expect(res.headers.etag).toBeUndefined()
  })

  it('the stale report depends on the clock, so it carries no feed tag', async () => {
    const res = await get('/v1/reports/stale?olderThan=PT1S', r)
    expect(res.statusCode).toBe(200)
    expect(res.headers.etag).toBeUndefined()
  })
})

describe('READ_CACHE_MB', () => {
  it('0 keeps no pages but still tags them and answers 304', async () => {
    const off = await buildTestApp({ READ_CACHE_MB: '0' })
    try {
      const ow = await writer('cache-off')
      const c = await write(off, 'POST', '/v1/contacts', ow, { familyName: 'Uncached' })
      const first = await off.app.inject({ method: 'GET', url: '/v1/contacts', headers: r })
      off.db.$client.prepare('update contacts set family_name = ? where id = ?').run('Changed', c.id)
      const second = await off.app.inject({ method: 'GET', url: '/v1/contacts', headers: r })
      expect(second.headers.etag).toBe(first.headers.etag)
      expect(second.json().items[0].familyName).toBe('Changed')
      const conditional = await off.app.inject({
        method: 'GET',
        url: '/v1/contacts',
        headers: { ...r, 'if-none-match': first.headers.etag as string },
      })
      expect(conditional.statusCode).toBe(304)
    } finally {
      await off.close()
    }
  })

  it.each([
    ['-1', 'READ_CACHE_MB must not be negative'],
    ['1025', 'READ_CACHE_MB must be at most 1024'],
    ['1.5', 'READ_CACHE_MB must be a whole number of MiB (0 turns the cache off)'],
  ])('%s is refused: %s', (value, message) => {
    expect(() => loadConfig({ JWT_SECRET: TEST_SECRET, READ_CACHE_MB: value })).toThrow(
      `Invalid configuration: ${message}`,
    )
  })

  it.each([
    ['', 16],
    ['0', 0],
    ['1024', 1024],
  ])('%j gives %i MiB', (value, mib) => {
    expect(loadConfig({ JWT_SECRET: TEST_SECRET, READ_CACHE_MB: value }).readCacheBytes).toBe(
      mib * 1024 * 1024,
    )
  })
})
