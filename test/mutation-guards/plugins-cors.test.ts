import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import type { TestApp } from '../helpers/http.js'

/**
 * src/plugins/cors.ts with exact headers: a listed origin's preflight and answers, an unlisted
 * origin's, a preflight without a method (strict), and no CORS header at all when none is listed.
 */
const ORIGIN = 'https://tools.example.org'
let listed: TestApp
let none: TestApp
beforeAll(async () => {
  listed = await buildTestApp({ CORS_ORIGINS: `${ORIGIN},https://console.example.org` })
  none = await buildTestApp()
})
afterAll(async () => {
  await listed.close()
  await none.close()
})

const preflight = (t: TestApp, origin: string, method?: string) =>
  t.app.inject({
    method: 'OPTIONS',
    url: '/v1/contacts',
    headers: {
      origin,
      ...(method ? { 'access-control-request-method': method } : {}),
      'access-control-request-headers': 'authorization, content-type',
    },
  })

describe('CORS_ORIGINS set', () => {
  it.each([[ORIGIN], ['https://console.example.org']])(
    '%s: a preflight is answered exactly',
    async (origin) => {
      const res = await preflight(listed, origin, 'PATCH')
      expect(res.statusCode).toBe(204)
      expect(res.headers['access-control-allow-origin']).toBe(origin)
      expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PATCH, PUT, DELETE')
      expect(res.headers['access-control-allow-headers']).toBe(
        'Authorization, Content-Type, If-Match, If-None-Match, X-Request-Id',
      )
      expect(res.headers['access-control-max-age']).toBe('600')
      expect(res.headers['access-control-allow-credentials']).toBeUndefined()
      expect(res.headers.vary).toMatch(/Origin/)
    },
  )

  it('an answer to a listed origin exposes exactly the listed headers', async () => {
    const res = await listed.app.inject({
      method: 'GET',
      url: '/v1/states/KG',
      headers: { origin: ORIGIN, ...(await bearer('directory:read')) },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN)
    expect(res.headers['access-control-expose-headers']).toBe(
      'ETag, Location, Link, Retry-After, X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset',
    )
    expect(res.headers['access-control-allow-credentials']).toBeUndefined()
  })

  it('an unlisted origin gets no allow-origin, on a preflight or an answer', async () => {
    const pre = await preflight(listed, 'https://evil.example.org', 'GET')
    expect(pre.headers['access-control-allow-origin']).toBeUndefined()
    const res = await listed.app.inject({
      method: 'GET',
      url: '/v1/states/KG',
      headers: { origin: 'https://tools.example.org.evil.example' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('a preflight without Access-Control-Request-Method is refused (strict)', async () => {
    const res = await preflight(listed, ORIGIN)
    expect(res.statusCode).toBe(400)
    expect(res.headers['access-control-allow-methods']).toBeUndefined()
  })
})

describe('CORS_ORIGINS empty', () => {
  it('sends no CORS header and answers no preflight', async () => {
    const res = await none.app.inject({ method: 'GET', url: '/v1/states/KG', headers: { origin: ORIGIN } })
    expect(res.statusCode).toBe(200)
    for (const name of Object.keys(res.headers)) expect(name).not.toMatch(/^access-control-/)
    const pre = await preflight(none, ORIGIN, 'GET')
    expect(pre.statusCode).toBe(404)
    for (const name of Object.keys(pre.headers)) expect(name).not.toMatch(/^access-control-/)
  })
})
