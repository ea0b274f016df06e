import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import type { Headers, TestApp } from '../helpers/http.js'

/**
 * src/plugins/read-cache.ts, rule by rule: each part of the weak tag (head, day, visibility,
 * the Accept header's first 48 base64url characters), every form of If-None-Match, refused
 * reads left untagged, a cached answer's headers and its access-log entries, and a
 * key per URL. A hit is told from a miss by changing a row underneath the service (no
 * revision, so the head stays). Nothing is sent from a beforeAll.
 */
let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(() => t.close())

const get = (url: string, headers: Headers = {}) => t.app.inject({ method: 'GET', url, headers })
const today = () => new Date().toISOString().slice(0, 10)
const head = () => t.db.$client.prepare('select coalesce(max(seq), 0) from revisions').pluck().get() as number
const b64 = (s: string) => Buffer.from(s).toString('base64url')

async function createContact(familyName: string, restricted?: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: await bearer('directory:write'),
    payload: {
      familyName,
      ...(restricted
        ? { contactDetails: [{ type: 'email', value: restricted, visibility: 'restricted' }] }
        : {}),
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id as string
}
const renameUnderneath = (id: string, name: string) =>
  t.db.$client.prepare('update contacts set family_name = ? where id = ?').run(name, id)

describe('the tag', () => {
  it('is head.day.visibility.media, exactly', async () => {
    const anonymous = await get('/v1/contacts?limit=5')
    expect(anonymous.statusCode).toBe(200)
    expect(anonymous.headers.etag).toBe(`W/"${head()}.${today()}.p."`)
    expect(anonymous.headers.vary).toBe('Accept, Authorization')
    const reader = await get('/v1/contacts?limit=5', await bearer('directory:read'))
    expect(reader.headers.etag).toBe(`W/"${head()}.${today()}.r."`)
    const csv = await get('/v1/contacts?limit=5', { accept: 'text/csv' })
    expect(csv.headers.etag).toBe(`W/"${head()}.${today()}.p.${b64('text/csv')}"`)
    // Asked again: the same tag from the remembered encoding.
    expect((await get('/v1/contacts?limit=5', { accept: 'text/csv' })).headers.etag).toBe(csv.headers.etag)
  })

  it('holds only the first 48 characters of a long Accept header', async () => {
    for (const length of [256, 257, 400]) {
      const accept = `application/json, ${'x'.repeat(length - 18)}`
      expect(accept).toHaveLength(length)
      for (let i = 0; i < 2; i++) {
        const res = await get('/v1/contacts?limit=4', { accept })
        expect(res.statusCode).toBe(200)
        expect(res.headers.etag).toBe(`W/"${head()}.${today()}.p.${b64(accept).slice(0, 48)}"`)
      }
    }
  })

  it('a single record keeps its own strong tag, and a refused read gets no weak one', async () => {
    const one = await get('/v1/states/KG')
    expect(one.headers.etag).toMatch(/^"\d+"$/)
    // Not cached: a change underneath shows at once.
    t.db.$client.prepare("update states set official_name = 'Changed underneath' where code = 'KG'").run()
    const again = await get('/v1/states/KG')
    expect(again.json().officialName).toBe('Changed underneath')
    expect(again.headers.etag).toBe(one.headers.etag)
    const health = await get('/healthz')
    expect(health.statusCode).toBe(200)
    expect(health.headers.etag).toBeUndefined()
    for (let i = 0; i < 2; i++) {
      const refused = await get('/v1/contacts?limit=0')
      expect(refused.statusCode).toBe(400)
      expect(refused.headers.etag).toBeUndefined()
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
  })
})

describe('If-None-Match', () => {
  it.each([
    ['the tag', (tag: string) => tag],
    ['*', () => '*'],
    ['a list holding the tag', (tag: string) => `W/"0.x.p.", ${tag}`],
    ['a list without spaces', (tag: string) => `W/"0.x.p.",${tag}`],
    ['the tag with spaces around', (tag: string) => `  ${tag}  `],
    ['a list ending in *', () => 'W/"0.x.p.", *'],
  ])('%s: 304 with the tag and no body', async (_name, header) => {
    const tag = (await get('/v1/contacts?limit=6')).headers.etag as string
    const res = await get('/v1/contacts?limit=6', { 'if-none-match': header(tag) })
    expect(res.statusCode).toBe(304)
    expect(res.body).toBe('')
    expect(res.headers.etag).toBe(tag)
  })

  it.each([
    ['another tag', () => 'W/"0.2000-01-01.p."'],
    ['the strong form of the tag', (tag: string) => tag.slice(2)],
    ['the tag with a suffix', (tag: string) => `${tag}x`],
    ['an empty header', () => ''],
  ])('%s: 200 with the page', async (_name, header) => {
    const first = await get('/v1/contacts?limit=6')
    const res = await get('/v1/contacts?limit=6', { 'if-none-match': header(first.headers.etag as string) })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe(first.body)
    expect(res.headers.etag).toBe(first.headers.etag)
  })
})

describe('a cached answer', () => {
  it('is served until the head moves, with the headers of the first answer, per URL', async () => {
    const a = await createContact('Aitmatov')
    await createContact('Bakiev')
    const url = '/v1/contacts?limit=1'
    const first = await get(url)
    expect(first.json().items[0].familyName).toBe('Aitmatov')
    expect(first.headers.link).toMatch(/rel="next"/)
    renameUnderneath(a, 'Underneath')
    const hit = await get(url)
    expect(hit.statusCode).toBe(200)
    expect(hit.body).toBe(first.body)
    expect(hit.headers['content-type']).toBe(first.headers['content-type'])
    expect(hit.headers.link).toBe(first.headers.link)
    expect(hit.headers.etag).toBe(first.headers.etag)
    // Another URL under the same tag is its own entry: read now, it shows the new name.
    const other = await get('/v1/contacts?limit=2')
    expect(other.json().items[0].familyName).toBe('Underneath')
    // A CSV export keeps its attachment name.
    const csv = await get(url, { accept: 'text/csv' })
    const csvHit = await get(url, { accept: 'text/csv' })
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename=/)
    expect(csvHit.headers['content-disposition']).toBe(csv.headers['content-disposition'])
    expect(csvHit.headers['content-type']).toBe(csv.headers['content-type'])
    expect(csvHit.body).toBe(csv.body)
  })

  it('a page without a next link is served from memory without one', async () => {
    const id = await createContact('Single')
    const url = '/v1/contacts?q=Single'
    const first = await get(url)
    expect(first.json().items).toHaveLength(1)
    expect(first.headers.link).toBeUndefined()
    renameUnderneath(id, 'Renamed')
    const hit = await get(url)
    expect(hit.body).toBe(first.body)
    expect(hit.headers.link).toBeUndefined()
    expect(hit.headers['content-disposition']).toBeUndefined()
  })

  it('logs the restricted contacts it carries on every hit', async () => {
    const id = await createContact('Logged', 'logged.secret@example.org')
    const url = `/v1/contacts?q=Logged`
    const reader = await bearer('directory:read', { sub: 'cache-reader' })
    const entries = async () => {
      await t.app.accessLog.flush()
      const res = await get('/v1/access-log?limit=100', await bearer('directory:admin'))
      expect(res.statusCode, res.body).toBe(200)
      return (res.json().items as { reader: string; contactIds: string[] }[]).filter(
        (e) => e.reader === 'cache-reader',
      )
    }
    const first = await get(url, reader)
    expect(first.body).toContain('logged.secret@example.org')
    renameUnderneath(id, 'Changed')
    const hit = await get(url, reader)
    expect(hit.body).toBe(first.body)
    expect((await entries()).map((e) => e.contactIds)).toEqual([[id], [id]])
    // An anonymous hit carries no restricted value and logs nothing.
    await get(url)
    await get(url)
    expect(await entries()).toHaveLength(2)
  })
})

describe('HEAD', () => {
  it('carries the same tag as GET, answers 304 to it, and never fills the cache', async () => {
    const id = await createContact('Headcheck')
    const url = '/v1/contacts?limit=3&q=headcheck'
    const first = await t.app.inject({ method: 'HEAD', url })
    expect(first.statusCode).toBe(200)
    expect(first.body).toBe('')
    expect(first.headers.etag).toBe(`W/"${head()}.${today()}.p."`)
    // The HEAD stored nothing: a GET after a change underneath reads the database.
    renameUnderneath(id, 'Headcheckrenamed')
    const got = await get(url)
    expect(got.headers.etag).toBe(first.headers.etag)
    expect(got.json().items.map((c: { familyName: string }) => c.familyName)).toEqual(['Headcheckrenamed'])
    const again = await t.app.inject({
      method: 'HEAD',
      url,
      headers: { 'if-none-match': String(first.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
    expect(again.headers.etag).toBe(first.headers.etag)
  })
})
