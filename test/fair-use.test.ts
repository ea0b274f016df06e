import { readFileSync } from 'node:fs'
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

/**
 * The contract declares X-RateLimit-Limit, -Remaining and -Reset on every answer of a rate-limited
 * operation (optional: RATE_LIMIT_MAX=0 turns them off) and as certain on a 429. While rate limiting
 * is on, every answer carries them, errors too, and a browser client may read them.
 */
describe('the rate-limit headers the contract declares', () => {
  const contract = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'))
  const RATE_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']

  let limited: TestApp
  beforeAll(async () => {
    limited = await buildTestApp({
      RATE_LIMIT_MAX: '40',
      RATE_LIMIT_HEAVY_MAX: '1',
      CORS_ORIGINS: 'https://tools.example.org',
    })
  })
  afterAll(() => limited.close())

  it('are sent on every status an operation answers, as declared, and exposed to browsers', async () => {
    const w = await bearer('directory:write', { sub: 'rate-writer' })
    const json = { ...w, 'content-type': 'application/json' }
    const contact = '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e51'
    const requests: Array<[number, string, string, string, Record<string, string>, string?]> = [
      [200, 'GET', '/v1/states/{id}', '/v1/states/KG', {}],
      [201, 'POST', '/v1/contacts', '/v1/contacts', json, '{"familyName":"Rate"}'],
      [400, 'GET', '/v1/states', '/v1/states?limit=0', {}],
      [401, 'POST', '/v1/contacts', '/v1/contacts', { authorization: 'Bearer not.a.token' }, '{}'],
      [403, 'POST', '/v1/roles', '/v1/roles', json, '{}'],
      [404, 'GET', '/v1/contacts/{id}', `/v1/contacts/${contact}`, {}],
      [406, 'GET', '/v1/contacts', '/v1/contacts', { accept: 'image/png' }],
      [415, 'POST', '/v1/contacts', '/v1/contacts', { ...w, 'content-type': 'text/plain' }, 'x'],
      [200, 'GET', '/v1/contacts', '/v1/contacts?q=rate', {}],
      [429, 'GET', '/v1/contacts', '/v1/contacts?q=rate', {}],
    ]
    for (const [status, method, path, url, headers, payload] of requests) {
      const res = await limited.app.inject({
        method: method as 'GET',
        url,
        headers: { origin: 'https://tools.example.org', ...headers },
        payload,
      })
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status)
      const declared = contract.paths[path][method.toLowerCase()].responses[String(status)].headers
      for (const name of RATE_HEADERS) {
        expect(declared[name], `${method} ${path} → ${status} declares ${name}`).toBeDefined()
        expect(res.headers[name.toLowerCase()], `${method} ${url} → ${status} sends ${name}`).toMatch(/^\d+$/)
      }
      const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/)
      for (const name of RATE_HEADERS) expect(exposed).toContain(name.toLowerCase())
    }
  })

  it('are optional on answers (off with RATE_LIMIT_MAX=0) and certain on a 429', () => {
    const headers = contract.components.headers
    for (const name of ['RateLimitLimitIfLimited', 'RateLimitRemainingIfLimited', 'RateLimitResetIfLimited'])
      expect(headers[name].required).toBe(false)
    for (const name of ['RateLimitLimit', 'RateLimitRemaining', 'RateLimitReset', 'RetryAfter'])
      expect(headers[name].required).toBe(true)
    expect(headers.RetryAfter.schema).toEqual({ type: 'integer', format: 'int32', minimum: 0, maximum: 60 })
  })
})
