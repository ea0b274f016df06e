import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from './helpers/build-test-app.js'

/** Over a real listening socket: headers, request ids, rate limiting, health. */
let t: Awaited<ReturnType<typeof buildTestApp>>
let base: string
beforeAll(async () => {
  t = await buildTestApp({ RATE_LIMIT_MAX: '3' })
  base = await t.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(() => t.close())

describe('operations over HTTP', () => {
  it('health probes answer and are never rate limited', async () => {
    for (let i = 0; i < 6; i++) {
      const health = await fetch(`${base}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.json()).toEqual({ status: 'ok' })
    }
    const ready = await fetch(`${base}/readyz`)
    expect(await ready.json()).toEqual({ status: 'ready' })
  })

  it('sets security headers and a request id, echoing a sane incoming one', async () => {
    const res = await fetch(`${base}/v1/roles?limit=1`, { headers: { 'x-request-id': 'partner-42.abc' } })
    expect(res.headers.get('x-request-id')).toBe('partner-42.abc')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    const odd = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'has spaces and <tags>' } })
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('rate limits per client: the token subject, else the address; 429 is problem+json', async () => {
    const alice = await bearer('directory:read', { sub: 'alice' })
    const codes: number[] = []
    for (let i = 0; i < 4; i++)
      codes.push((await fetch(`${base}/v1/states?limit=1`, { headers: alice })).status)
    expect(codes).toEqual([200, 200, 200, 429])
    const limited = await fetch(`${base}/v1/states?limit=1`, { headers: alice })
    expect(limited.headers.get('content-type')).toContain('application/problem+json')
    const body = (await limited.json()) as { detail: string }
    expect(body).toMatchObject({ status: 429, title: 'Too Many Requests' })
    expect(body.detail).toMatch(/3 requests per minute/)
    // Seconds until the one-minute window turns.
    expect(limited.headers.get('retry-after')).toMatch(/^(?:[1-9]|[1-5][0-9]|60)$/)
    // Bob has his own bucket.
    const bob = await bearer('directory:read', { sub: 'bob' })
    expect((await fetch(`${base}/v1/states?limit=1`, { headers: bob })).status).toBe(200)
  })

  it('a rate-limited write writes nothing', async () => {
    const carol = await bearer('directory:write', { sub: 'carol' })
    for (let i = 0; i < 3; i++) await fetch(`${base}/v1/roles?limit=1`, { headers: carol })
    const before = snapshot(t.db)
    const res = await fetch(`${base}/v1/contacts`, {
      method: 'POST',
      headers: { ...carol, 'content-type': 'application/json' },
      body: JSON.stringify({ familyName: 'Nobody' }),
    })
    expect(res.status).toBe(429)
    expect(snapshot(t.db)).toBe(before)
  })
})
