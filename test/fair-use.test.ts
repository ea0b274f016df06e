import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from './helpers/build-test-app.js'
import { problemBody, type TestApp } from './helpers/http.js'

/** Exports, searches and imports draw on their own, smaller per-client budget. */
let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_HEAVY_MAX: '2' })
})
afterAll(() => t.close())

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers })

describe('the heavy budget', () => {
  it('a third export in a minute is 429 while the same client still reads records', async () => {
    const csv = { accept: 'text/csv' }
    expect((await get('/v1/contacts', csv)).statusCode).toBe(200)
    expect((await get('/v1/contacts', { accept: 'text/vcard' })).statusCode).toBe(200)
    const refused = await get('/v1/contacts', csv)
    const body = problemBody(refused, 429)
    expect(body.type).toBe('urn:pocdir:problem:rate-limited')
    expect(body.detail).toMatch(
      /^Rate limit of 2 exports, searches, imports and link requests per minute exceeded; retry in /,
    )
    expect(refused.headers['x-ratelimit-limit']).toBe('2')
    expect(refused.headers['retry-after']).toBeDefined()
    // Ordinary reads have their own budget of 5: the exports did not use it up.
    for (let i = 0; i < 5; i++) expect((await get('/v1/states?limit=1')).statusCode).toBe(200)
    expect((await get('/v1/states?limit=1')).statusCode).toBe(429)
  })

  it('searches count against the heavy budget of the token subject', async () => {
    const h = await bearer('directory:read', { sub: 'searcher' })
    expect((await get('/v1/contacts?q=asan', h)).statusCode).toBe(200)
    expect((await get('/v1/organizations?q=mfa', h)).statusCode).toBe(200)
    problemBody(await get('/v1/directory?q=asan', h), 429)
    // Without q the same subject is within its ordinary budget.
    const plain = await get('/v1/contacts?limit=1', h)
    expect(plain.statusCode).toBe(200)
    expect(plain.headers['x-ratelimit-limit']).toBe('5')
  })

  it('imports count against the heavy budget and a refused import writes nothing', async () => {
    const h = { ...(await bearer('directory:import', { sub: 'importer' })), 'content-type': 'text/csv' }
    const csv = 'familyName,externalId\nFirst,fu-1\n'
    const post = () =>
      t.app.inject({ method: 'POST', url: '/v1/imports?dryRun=true', headers: h, payload: csv })
    expect((await post()).statusCode).toBe(200)
    expect((await post()).statusCode).toBe(200)
    const before = snapshot(t.db)
    const res = await t.app.inject({ method: 'POST', url: '/v1/imports', headers: h, payload: csv })
    problemBody(res, 429)
    expect(snapshot(t.db)).toBe(before)
  })
})
