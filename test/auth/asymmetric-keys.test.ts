import { generateKeyPairSync } from 'node:crypto'
import { exportJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, signToken, snapshot, TEST_SECRET } from '../helpers/build-test-app.js'
import {
  auth,
  createPrivateContact,
  expectFullContact,
  expectRedactedContact,
  expectUnauthorized,
  signWith,
  type TestApp,
  unsignedToken,
} from './support.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ed = generateKeyPairSync('ed25519')
const otherEd = generateKeyPairSync('ed25519')
const RSA_PEM = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()

async function expectRefusedWrite(t: TestApp, token: string, detail?: RegExp) {
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

/** Accepted tokens: a read shows restricted data, a write is recorded under the token's sub. */
async function expectAccepted(t: TestApp, sign: (scope: string, sub: string) => Promise<string>) {
  const contactId = await createPrivateContact(t, auth(await sign('directory:write', 'writer-1')))
  const actor = t.db.$client
    .prepare("select actor from revisions where entity = 'contact' and entity_id = ?")
    .get(contactId)
  expect(actor).toEqual({ actor: 'writer-1' })
  const read = await t.app.inject({
    method: 'GET',
    url: `/v1/contacts/${contactId}`,
    headers: auth(await sign('directory:read', 'reader-1')),
  })
  expect(read.statusCode, read.body).toBe(200)
  expectFullContact(read.json())
  const anonymous = await t.app.inject({ method: 'GET', url: `/v1/contacts/${contactId}` })
  expectRedactedContact(anonymous.json())
}

describe('JWT_PUBLIC_KEY as an RS256 PEM public key', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp({ JWT_SECRET: '', JWT_PUBLIC_KEY: RSA_PEM })
  })
  afterAll(() => t.close())

  it('accepts RS256 tokens signed with the matching private key', async () => {
    await expectAccepted(t, (scope, sub) => signWith(rsa.privateKey, 'RS256', { scope, sub }))
  })

  it('refuses an RS256 token signed with another RSA key', async () => {
    await expectRefusedWrite(
      t,
      await signWith(otherRsa.privateKey, 'RS256', { scope: 'directory:admin' }),
      /signature/,
    )
  })

  it('refuses an HS256 token that uses the PEM text as its secret (algorithm confusion)', async () => {
    for (const secret of [RSA_PEM, RSA_PEM.trim()]) {
      await expectRefusedWrite(t, await signToken({ scope: 'directory:admin', secret }))
    }
  })

  it('refuses an HS256 token signed with the test secret (no shared secret is configured)', async () => {
    await expectRefusedWrite(t, await signToken({ scope: 'directory:admin', secret: TEST_SECRET }))
  })

  it('refuses an unsigned alg:none token', async () => {
    await expectRefusedWrite(t, unsignedToken())
  })

  it('refuses an expired RS256 token', async () => {
    await expectRefusedWrite(
      t,
      await signWith(rsa.privateKey, 'RS256', { scope: 'directory:admin', expiresIn: -60 }),
      /expired/,
    )
  })

  it('refuses an EdDSA token (the key is RSA)', async () => {
    await expectRefusedWrite(t, await signWith(ed.privateKey, 'EdDSA', { scope: 'directory:admin' }))
  })
})

describe('JWT_PUBLIC_KEY as a PEM with literal \\n escapes (as in .env files)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp({ JWT_SECRET: '', JWT_PUBLIC_KEY: RSA_PEM.trim().replace(/\n/g, '\\n') })
  })
  afterAll(() => t.close())

  it('accepts tokens from the matching private key', async () => {
    await expectAccepted(t, (scope, sub) => signWith(rsa.privateKey, 'RS256', { scope, sub }))
  })
})

describe('JWT_PUBLIC_KEY as an Ed25519 JWK', () => {
  let t: TestApp
  let jwkText: string
  beforeAll(async () => {
    jwkText = JSON.stringify(await exportJWK(ed.publicKey))
    expect(JSON.parse(jwkText)).toMatchObject({ kty: 'OKP', crv: 'Ed25519' })
    t = await buildTestApp({ JWT_SECRET: '', JWT_PUBLIC_KEY: jwkText })
  })
  afterAll(() => t.close())

  it('accepts EdDSA tokens signed with the matching private key', async () => {
    await expectAccepted(t, (scope, sub) => signWith(ed.privateKey, 'EdDSA', { scope, sub }))
  })

  it('refuses an EdDSA token signed with another Ed25519 key', async () => {
    await expectRefusedWrite(
      t,
      await signWith(otherEd.privateKey, 'EdDSA', { scope: 'directory:admin' }),
      /signature/,
    )
  })

  it('refuses an HS256 token that uses the JWK text as its secret', async () => {
    await expectRefusedWrite(t, await signToken({ scope: 'directory:admin', secret: jwkText }))
  })

  it('refuses an RS256 token', async () => {
    await expectRefusedWrite(t, await signWith(rsa.privateKey, 'RS256', { scope: 'directory:admin' }))
  })

  it('refuses an HS256 token signed with the test secret', async () => {
    await expectRefusedWrite(t, await signToken({ scope: 'directory:admin' }))
  })
})

describe('JWT_PUBLIC_KEY as a JWK that names its algorithm', () => {
  let t: TestApp
  beforeAll(async () => {
    const jwk = { ...(await exportJWK(rsa.publicKey)), alg: 'RS256' }
    t = await buildTestApp({ JWT_SECRET: '', JWT_PUBLIC_KEY: JSON.stringify(jwk) })
  })
  afterAll(() => t.close())

  it('accepts RS256 and refuses another RSA algorithm with the same key (PS256)', async () => {
    await expectAccepted(t, (scope, sub) => signWith(rsa.privateKey, 'RS256', { scope, sub }))
    await expectRefusedWrite(
      t,
      await signWith(rsa.privateKey, 'PS256', { scope: 'directory:admin' }),
      /algorithm/,
    )
  })
})
