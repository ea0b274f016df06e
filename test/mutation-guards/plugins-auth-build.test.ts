import { generateKeyPairSync } from 'node:crypto'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { canSeeRestricted } from '../../src/plugins/auth.js'
import { buildTestApp, signToken, TEST_SECRET } from '../helpers/build-test-app.js'
import { type Headers, problemBody, type TestApp } from '../helpers/http.js'

/**
 * src/plugins/auth.ts, the parts that run while an app is built (the key source, the hooks, the
 * plugin's name), and canSeeRestricted's mark. Every app here is built inside its test, never in
 * a beforeAll: Stryker counts a file whose beforeAll failed as no test run at all, so a change
 * that breaks the build would otherwise be reported as survived (plugins-auth.test.ts has the rest).
 */
const bearerOf = (token: string): Headers => ({ authorization: `Bearer ${token}` })
const token = (claims: Record<string, unknown> = {}) => signToken(claims)

function expect401(res: Awaited<ReturnType<TestApp['app']['inject']>>, detail: string, error?: string) {
  const body = problemBody(res, 401)
  expect(body.detail).toBe(detail)
  expect(res.headers['www-authenticate']).toBe(
    error ? `Bearer realm="pocdir", error="${error}"` : 'Bearer realm="pocdir"',
  )
}

describe('apps built by the tests themselves', () => {
  const tryApp = async (env: Record<string, string>, check: (t: TestApp) => Promise<void>) => {
    const t = await buildTestApp({ PUBLIC_READ: 'false', ...env })
    try {
      await check(t)
    } finally {
      await t.close()
    }
  }

  it('a shared secret: HS256 tokens are read, others refused', async () => {
    await tryApp({}, async (t) => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/v1/roles',
        headers: bearerOf(await token({ scope: 'directory:read' })),
      })
      expect(res.statusCode, res.body).toBe(200)
      expect401(await t.app.inject({ method: 'GET', url: '/v1/roles' }), 'A bearer token is required')
      expect(
        (
          await t.app.inject({
            method: 'POST',
            url: '/v1/contacts',
            headers: bearerOf(await token({ scope: 'directory:write' })),
            payload: {},
          })
        ).statusCode,
      ).toBe(400)
    })
  })

  it('a public key (JWT_PUBLIC_KEY): its own algorithm is read, HS256 refused', async () => {
    const ed = generateKeyPairSync('ed25519')
    const pem = ed.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    await tryApp({ JWT_SECRET: '', JWT_PUBLIC_KEY: pem }, async (t) => {
      const signedEd = await new SignJWT({ scope: 'directory:read' })
        .setProtectedHeader({ alg: 'EdDSA' })
        .setSubject('partner')
        .setExpirationTime('1h')
        .sign(ed.privateKey)
      const res = await t.app.inject({ method: 'GET', url: '/v1/roles', headers: bearerOf(signedEd) })
      expect(res.statusCode, res.body).toBe(200)
      expect401(
        await t.app.inject({
          method: 'GET',
          url: '/v1/roles',
          headers: bearerOf(await token({ scope: 'directory:read' })),
        }),
        'The token is signed with an algorithm this service does not accept',
        'invalid_token',
      )
    })
  })

  it('a route that asks canSeeRestricted without declaring its access logging: 500 for a reader only', async () => {
    const config = loadConfig({ JWT_SECRET: TEST_SECRET, DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent' })
    const db = openDatabase(':memory:')
    runMigrations(db)
    seed(db)
    const app = await buildApp({ config, db })
    app.get('/v1/forgetful', async (request) => ({ restricted: canSeeRestricted(request) }))
    try {
      const anonymous = await app.inject({ method: 'GET', url: '/v1/forgetful' })
      expect(anonymous.statusCode).toBe(200)
      expect(anonymous.json()).toEqual({ restricted: false })
      const scopeless = await app.inject({
        method: 'GET',
        url: '/v1/forgetful',
        headers: bearerOf(await token({ scope: 'openid' })),
      })
      expect(scopeless.json()).toEqual({ restricted: false })
      const reader = await app.inject({
        method: 'GET',
        url: '/v1/forgetful',
        headers: bearerOf(await token({ scope: 'directory:read' })),
      })
      expect(reader.statusCode).toBe(500)
    } finally {
      await app.close()
      db.$client.close()
    }
  })
})
