import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { problemBody, type TestApp } from '../helpers/http.js'

/**
 * Which budget each request draws on (src/plugins/rate-limits.ts), read from the limit the
 * real app announces: 40 for ordinary requests, 7 for heavy work (imports, campaign links,
 * CSV and vCard exports, searches). Then each budget's exact 429 and the per-client keys.
 */
const MAX = 40
const HEAVY = 7

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_HEAVY_MAX: String(HEAVY) })
})
afterAll(() => t.close())

const limitOf = async (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}) => {
  const res = await t.app.inject({
    method,
    url,
    headers,
    remoteAddress: `10.9.${Math.floor(Math.random() * 250)}.1`,
  })
  return Number(res.headers['x-ratelimit-limit'])
}

describe('which budget a request draws on', () => {
  it.each([
    ['GET', '/v1/contacts', {}, MAX],
    ['GET', '/v1/contacts?q=asan', {}, HEAVY],
    ['GET', '/v1/contacts?q=', {}, HEAVY],
    ['GET', '/v1/contacts?limit=1', {}, MAX],
    ['GET', '/v1/contacts', { accept: 'text/csv' }, HEAVY],
    ['GET', '/v1/contacts', { accept: 'TEXT/CSV' }, HEAVY],
    ['GET', '/v1/contacts', { accept: 'text/vcard' }, HEAVY],
    ['GET', '/v1/contacts', { accept: 'application/json, text/csv;q=0.5' }, HEAVY],
    ['GET', '/v1/contacts', { accept: 'text/csvx' }, MAX],
    ['GET', '/v1/contacts', { accept: 'context/csv' }, MAX],
    ['GET', '/v1/contacts', { accept: 'text/plain' }, MAX],
    ['GET', '/v1/verification/not-a-code', {}, HEAVY],
    ['GET', '/verify/not-a-token', {}, HEAVY],
    ['POST', '/v1/imports', {}, HEAVY],
    ['POST', '/v1/contacts', {}, MAX],
    ['GET', '/v1/contacts?note=/verify/x', {}, MAX],
    ['GET', '/v1/contacts?note=/v1/imports', {}, MAX],
  ] as const)('%s %s %j: %i', async (method, url, headers, limit) => {
    expect(await limitOf(method, url, headers)).toBe(limit)
  })
})

describe('each budget is per client, and says which it is', () => {
  it('an ordinary 429 names the request budget; another address still has its own', async () => {
    const from = (remoteAddress: string) =>
      t.app.inject({ method: 'GET', url: '/v1/states?limit=1', remoteAddress })
    for (let i = 0; i < MAX; i++) expect((await from('10.1.1.1')).statusCode).toBe(200)
    const refused = await from('10.1.1.1')
    expect(problemBody(refused, 429)).toMatchObject({
      type: 'urn:pocdir:problem:rate-limited',
      title: 'Too Many Requests',
    })
    expect(refused.json().detail).toMatch(
      /^Rate limit of 40 requests per minute exceeded; retry in (1 minute|\d+ seconds?)$/,
    )
    expect((await from('10.1.1.2')).statusCode).toBe(200)
  })

  it('a token subject has its own budget, apart from its address and from other subjects', async () => {
    const remoteAddress = '10.2.2.2'
    const search = (headers: Record<string, string>) =>
      t.app.inject({ method: 'GET', url: '/v1/contacts?q=asan', headers, remoteAddress })
    const alice = await bearer('directory:read', { sub: 'rl-alice' })
    for (let i = 0; i < HEAVY; i++) expect((await search(alice)).statusCode).toBe(200)
    const refused = await search(alice)
    expect(refused.json().detail).toMatch(
      /^Rate limit of 7 exports, searches, imports and link requests per minute exceeded; retry in /,
    )
    expect((await search(await bearer('directory:read', { sub: 'rl-bob' }))).statusCode).toBe(200)
    expect((await search({})).statusCode).toBe(200)
  })
})

describe('RATE_LIMIT_MAX=0 turns it off', () => {
  let off: TestApp
  beforeAll(async () => {
    off = await buildTestApp({ RATE_LIMIT_MAX: '0', RATE_LIMIT_HEAVY_MAX: '1' })
  })
  afterAll(() => off.close())

  it('no limit headers and no 429, heavy work included', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await off.app.inject({ method: 'GET', url: '/v1/contacts?q=asan' })
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-ratelimit-limit']).toBeUndefined()
    }
  })
})
