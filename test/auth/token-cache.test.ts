import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_ROLES } from '../../src/db/seed.js'
import { buildTestApp, signToken } from '../helpers/build-test-app.js'

/** Verified tokens are remembered for speed; the memory must never outlive a token's exp. */
describe('remembered tokens', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  beforeAll(async () => {
    t = await buildTestApp({ PUBLIC_READ: 'false' })
  })
  afterAll(() => t.close())

  it('a token accepted once is refused after it expires', async () => {
    const token = await signToken({ scope: 'directory:read', expiresIn: 2 })
    const headers = { authorization: `Bearer ${token}` }
    const first = await t.app.inject({ url: '/v1/roles', headers })
    expect(first.statusCode).toBe(200)
    expect(first.json().items).toHaveLength(DEFAULT_ROLES.length)
    await new Promise((r) => setTimeout(r, 2100))
    const later = await t.app.inject({ url: '/v1/roles', headers })
    expect(later.statusCode).toBe(401)
    expect(later.headers['content-type']).toMatch(/application\/problem\+json/)
    expect(later.json().detail).toBe('The token has expired')
  })

  it('a token with another signature is not taken for a remembered one', async () => {
    const token = await signToken({ scope: 'directory:read' })
    expect(
      (await t.app.inject({ url: '/v1/roles', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(200)
    const forged = `${token.slice(0, -4)}AAAA`
    const res = await t.app.inject({ url: '/v1/roles', headers: { authorization: `Bearer ${forged}` } })
    expect(res.statusCode).toBe(401)
    expect(res.json().detail).toBe('The token signature is not valid')
  })
})
