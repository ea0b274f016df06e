import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, signToken, snapshot } from '../helpers/build-test-app.js'
import {
  auth,
  createPrivateContact,
  expectFullContact,
  expectUnauthorized,
  signWith,
  type TestApp,
  unsignedToken,
} from './support.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })

let server: Server
let jwksText: string
let jwksHits = 0
let t: TestApp

beforeAll(async () => {
  jwksText = JSON.stringify({
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-2025', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-2025', alg: 'ES256', use: 'sig' },
    ],
  })
  server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      jwksHits++
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwksText)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  t = await buildTestApp({ JWT_SECRET: '', JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` })
})
afterAll(async () => {
  await t.close()
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
})

async function expectRefusedWrite(token: string, detail?: RegExp) {
  const before = snapshot(t.db)
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: auth(token),
    payload: { familyName: 'Intruder' },
  })
  expectUnauthorized(res, detail)
  expect(snapshot(t.db)).toBe(before)
}

describe('JWKS_URL', () => {
  it('accepts a token whose kid names a key of the set and is signed by it', async () => {
    const writer = await signWith(rsa.privateKey, 'RS256', {
      kid: 'rsa-2025',
      scope: 'directory:write',
      sub: 'idp|alice',
    })
    const contactId = await createPrivateContact(t, auth(writer))
    expect(jwksHits).toBeGreaterThanOrEqual(1)
    const actor = t.db.$client
      .prepare("select actor from revisions where entity = 'contact' and entity_id = ?")
      .get(contactId)
    expect(actor).toEqual({ actor: 'idp|alice' })
    const reader = await signWith(rsa.privateKey, 'RS256', { kid: 'rsa-2025', scope: 'directory:read' })
    const res = await t.app.inject({ method: 'GET', url: `/v1/contacts/${contactId}`, headers: auth(reader) })
    expect(res.statusCode, res.body).toBe(200)
    expectFullContact(res.json())
  })

  it('accepts a token signed by the second key of the set (key rotation)', async () => {
    const token = await signWith(ec.privateKey, 'ES256', { kid: 'ec-2025', scope: 'directory:write' })
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: auth(token),
      payload: { familyName: 'Rotated' },
    })
    expect(res.statusCode, res.body).toBe(201)
  })

  it('refuses a token that claims a known kid but is signed by another key', async () => {
    await expectRefusedWrite(
      await signWith(stranger.privateKey, 'RS256', { kid: 'rsa-2025', scope: 'directory:admin' }),
      /signature/,
    )
  })

  it('refuses a token whose kid is not in the set', async () => {
    await expectRefusedWrite(
      await signWith(stranger.privateKey, 'RS256', { kid: 'unknown-kid', scope: 'directory:admin' }),
    )
  })

  it('refuses HS256 tokens (the test secret, or the JWKS text as secret)', async () => {
    await expectRefusedWrite(await signToken({ scope: 'directory:admin' }))
    await expectRefusedWrite(await signToken({ scope: 'directory:admin', secret: jwksText }))
  })

  it('refuses an unsigned alg:none token', async () => {
    await expectRefusedWrite(unsignedToken({ kid: 'rsa-2025' }))
  })

  it('refuses an expired token from the right key', async () => {
    await expectRefusedWrite(
      await signWith(rsa.privateKey, 'RS256', { kid: 'rsa-2025', scope: 'directory:admin', expiresIn: -60 }),
      /expired/,
    )
  })

  it('a refused token on a public GET is 401, not anonymous', async () => {
    const token = await signWith(stranger.privateKey, 'RS256', { kid: 'rsa-2025' })
    const res = await t.app.inject({ method: 'GET', url: '/v1/states/KG', headers: auth(token) })
    expectUnauthorized(res)
  })
})
