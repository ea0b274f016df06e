import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { createVerifier, VerifierUnavailable } from '../../src/plugins/auth.js'
import {
  buildTestApp,
  signToken,
  snapshot,
  TEST_SECRET,
  type TokenClaims,
} from '../helpers/build-test-app.js'
import { type Headers, problemBody, type TestApp } from '../helpers/http.js'

/**
 * src/plugins/auth.ts, rule by rule, with exact answers: the Authorization header's form, each
 * verification failure's words, the claims' bounds, the scopes each claim grants, the states
 * claim on every check, the remembered tokens (their expiry to the millisecond, their one-minute
 * bound and the size at which they are forgotten), and a verifier that cannot load (500, tried
 * again on the next request). Nothing is sent from a beforeAll, so each rule is covered by the
 * tests that check it.
 */

const BASIC_CHALLENGE = 'Bearer realm="pocdir"'
const challenge = (error: string) => `Bearer realm="pocdir", error="${error}"`
const bearerOf = (token: string): Headers => ({ authorization: `Bearer ${token}` })
const token = (claims: TokenClaims = {}) => signToken(claims)

function expect401(res: Awaited<ReturnType<TestApp['app']['inject']>>, detail: string, error?: string) {
  const body = problemBody(res, 401)
  expect(body).toEqual({
    type: 'urn:pocdir:problem:unauthorized',
    title: 'Unauthorized',
    status: 401,
    detail,
    instance: expect.any(String),
  })
  expect(res.headers['www-authenticate']).toBe(error ? challenge(error) : BASIC_CHALLENGE)
}

function expect403(res: Awaited<ReturnType<TestApp['app']['inject']>>, detail: string) {
  const body = problemBody(res, 403)
  expect(body).toEqual({
    type: 'urn:pocdir:problem:forbidden',
    title: 'Forbidden',
    status: 403,
    detail,
    instance: expect.any(String),
  })
}

let open: TestApp // PUBLIC_READ on (the default)
let closed: TestApp // PUBLIC_READ=false
beforeAll(async () => {
  open = await buildTestApp()
  closed = await buildTestApp({ PUBLIC_READ: 'false' })
})
afterAll(async () => {
  await open.close()
  await closed.close()
})
afterEach(() => {
  vi.useRealTimers()
})

/** GET /v1/roles on the closed app: 200 needs directory:read. */
const readRoles = async (headers: Headers) => closed.app.inject({ method: 'GET', url: '/v1/roles', headers })

describe('the Authorization header', () => {
  it('absent: the closed app asks for a token, with the plain challenge', async () => {
    expect401(await readRoles({}), 'A bearer token is required')
  })

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNzd29yZA=='],
    ['Bearer alone', 'Bearer'],
    ['Bearer and spaces', 'Bearer    '],
    ['a character outside the token alphabet', 'Bearer abc!def'],
    ['two tokens', 'Bearer abc def'],
    ['text before the scheme', 'xBearer abc'],
    ['text after the token', 'Bearer abc,'],
    ['the scheme glued to the token', 'Bearerabc'],
  ])('%s is invalid_request', async (_name, value) => {
    expect401(
      await readRoles({ authorization: value }),
      'The Authorization header must be "Bearer <token>"',
      'invalid_request',
    )
  })

  it('any case of the scheme, and spaces around the value, are accepted', async () => {
    const t = await token({ scope: 'directory:read' })
    for (const value of [`bearer ${t}`, `BEARER ${t}`, `  Bearer ${t}  `]) {
      const res = await readRoles({ authorization: value })
      expect(res.statusCode, value).toBe(200)
    }
  })

  it('every character of the token alphabet reaches verification', async () => {
    for (const value of ['AZaz09', 'a.b', 'a_b', 'a~b', 'a+b', 'a/b', 'a=b', 'a-b']) {
      expect401(
        await readRoles({ authorization: `Bearer ${value}` }),
        'The token is not valid',
        'invalid_token',
      )
    }
  })

  it('a token of 8,192 characters is verified; one of 8,193 is not a Bearer value', async () => {
    expect401(await readRoles(bearerOf('a'.repeat(8192))), 'The token is not valid', 'invalid_token')
    expect401(
      await readRoles(bearerOf('a'.repeat(8193))),
      'The Authorization header must be "Bearer <token>"',
      'invalid_request',
    )
  })
})

describe('why a token is refused', () => {
  it('expired', async () => {
    expect401(
      await readRoles(bearerOf(await token({ expiresIn: -60 }))),
      'The token has expired',
      'invalid_token',
    )
  })

  it('not valid yet', async () => {
    const nbf = Math.floor(Date.now() / 1000) + 3600
    expect401(
      await readRoles(bearerOf(await token({ scope: 'directory:read', nbf }))),
      "The token's nbf claim is not accepted",
      'invalid_token',
    )
  })

  it('without exp, and without sub (both required)', async () => {
    const noExp = await new SignJWT({ scope: 'directory:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('tester')
      .sign(new TextEncoder().encode(TEST_SECRET))
    expect401(await readRoles(bearerOf(noExp)), "The token's exp claim is not accepted", 'invalid_token')
    const noSub = await new SignJWT({ scope: 'directory:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_SECRET))
    expect401(await readRoles(bearerOf(noSub)), "The token's sub claim is not accepted", 'invalid_token')
  })

  it('an algorithm other than HS256', async () => {
    const hs512 = await new SignJWT({ scope: 'directory:read' })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('tester')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_SECRET))
    expect401(
      await readRoles(bearerOf(hs512)),
      'The token is signed with an algorithm this service does not accept',
      'invalid_token',
    )
  })

  it('another secret', async () => {
    const other = await token({ scope: 'directory:read', secret: 'another-secret-0123456789-abcdefghijk' })
    expect401(await readRoles(bearerOf(other)), 'The token signature is not valid', 'invalid_token')
  })

  it('claims of the wrong shape', async () => {
    expect401(
      await readRoles(bearerOf(await token({ scope: 'directory:read', states: 'KG' }))),
      'The token claims are malformed',
      'invalid_token',
    )
  })
})

describe('claim bounds', () => {
  const accepted = async (claims: TokenClaims) => {
    const res = await readRoles(bearerOf(await token({ scope: 'directory:read', ...claims })))
    expect(res.statusCode, res.body).toBe(200)
  }
  const malformed = async (claims: TokenClaims) => {
    expect401(
      await readRoles(bearerOf(await token({ scope: 'directory:read', ...claims }))),
      'The token claims are malformed',
      'invalid_token',
    )
  }

  it('sub: 1 and 200 characters accepted; empty and 201 refused', async () => {
    await accepted({ sub: 'x' })
    await accepted({ sub: 's'.repeat(200) })
    await malformed({ sub: '' })
    await malformed({ sub: 's'.repeat(201) })
  })

  it('scope: 1,000 characters accepted, 1,001 refused', async () => {
    const padded = (n: number) => `directory:read ${'x'.repeat(n - 15)}`
    expect(padded(1000)).toHaveLength(1000)
    await accepted({ scope: padded(1000) })
    await malformed({ scope: padded(1001) })
  })

  it('states: 0, 1 and 300 codes accepted, 301 refused', async () => {
    const codes = (n: number) =>
      Array.from({ length: n }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)))
    await accepted({ states: [] })
    await accepted({ states: ['KG'] })
    await accepted({ states: codes(300) })
    await malformed({ states: codes(301) })
  })

  it.each([['kg'], ['K'], ['KGZ'], ['xKG'], ['KGx'], ['1A'], ['K1'], ['']])(
    'state %j refused',
    async (code) => {
      await malformed({ states: ['KG', code] })
    },
  )
})

/**
 * Which scopes a token holds, read from the app: directory:read (a read with PUBLIC_READ off),
 * directory:write (a contact POST), directory:admin (a role POST), directory:import (an import
 * POST). The bodies are invalid, so a granted scope answers 400 or 415 and nothing is written.
 */
async function scopesOf(headers: Headers): Promise<string[]> {
  const before = snapshot(closed.db)
  const held: string[] = []
  const read = await readRoles(headers)
  if (read.statusCode === 200) held.push('read')
  else expect403(read, 'The token lacks the directory:read scope')
  const probes = [
    ['write', '/v1/contacts', 'application/json', '{}', 400],
    ['admin', '/v1/roles', 'application/json', '{}', 400],
    ['import', '/v1/imports', 'application/pdf', 'x', 415],
  ] as const
  for (const [name, url, type, payload, grantedStatus] of probes) {
    const res = await closed.app.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'content-type': type },
      payload,
    })
    if (res.statusCode === grantedStatus) held.push(name)
    else expect403(res, `The token lacks the directory:${name} scope`)
  }
  expect(snapshot(closed.db)).toBe(before)
  return held
}

describe('scopes granted by the scope claim', () => {
  it.each([
    ['no scope claim', undefined, []],
    ['an empty scope', '', []],
    ['directory:read', 'directory:read', ['read']],
    ['directory:write (implies read)', 'directory:write', ['read', 'write']],
    ['directory:import alone', 'directory:import', ['import']],
    ['directory:admin (implies all)', 'directory:admin', ['read', 'write', 'admin', 'import']],
    ['several, with a double space', 'openid directory:import  directory:read', ['read', 'import']],
    ['look-alikes and other cases', 'DIRECTORY:READ directory:reader directory:admins', []],
  ])('%s', async (_name, scope, expected) => {
    const claims: TokenClaims = scope === undefined ? {} : { scope }
    expect(await scopesOf(bearerOf(await token(claims)))).toEqual(expected)
  })

  it('a scope route: no token is 401 naming the scope; a token without it is 403', async () => {
    const before = snapshot(open.db)
    const anonymous = await open.app.inject({ method: 'POST', url: '/v1/contacts', payload: {} })
    expect401(anonymous, 'A bearer token with the directory:write scope is required')
    const reader = await open.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: bearerOf(await token({ scope: 'directory:read' })),
      payload: {},
    })
    expect403(reader, 'The token lacks the directory:write scope')
    expect(snapshot(open.db)).toBe(before)
  })

  it('a failed token is refused before the scope and the body, also on a scope route', async () => {
    const before = snapshot(open.db)
    const res = await open.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: {
        ...bearerOf(await token({ scope: 'directory:admin', expiresIn: -1 })),
        'content-type': 'text/plain',
      },
      payload: 'not json',
    })
    expect401(res, 'The token has expired', 'invalid_token')
    expect(snapshot(open.db)).toBe(before)
  })
})

describe('reads', () => {
  it('PUBLIC_READ on: anonymous and scopeless reads answer; a bad token is still 401', async () => {
    expect((await open.app.inject({ method: 'GET', url: '/v1/roles' })).statusCode).toBe(200)
    const scopeless = await open.app.inject({
      method: 'GET',
      url: '/v1/roles',
      headers: bearerOf(await token({ scope: '' })),
    })
    expect(scopeless.statusCode).toBe(200)
    expect401(
      await open.app.inject({ method: 'GET', url: '/v1/roles', headers: { authorization: 'Basic x' } }),
      'The Authorization header must be "Bearer <token>"',
      'invalid_request',
    )
  })

  it('PUBLIC_READ off: an always-public route answers without a token', async () => {
    const res = await closed.app.inject({ method: 'GET', url: '/healthz' })
    expect(res.statusCode, res.body).toBe(200)
  })

  it('restricted details: only for directory:read (write and admin imply it)', async () => {
    const created = await open.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: bearerOf(await token({ scope: 'directory:write' })),
      payload: {
        familyName: 'Restricted',
        notes: 'private note',
        contactDetails: [{ type: 'email', value: 'hidden@example.org', visibility: 'restricted' }],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const url = `/v1/contacts/${created.json().id}`
    for (const [scope, sees] of [
      [undefined, false],
      ['', false],
      ['directory:import', false],
      ['directory:read', true],
      ['directory:write', true],
      ['directory:admin', true],
    ] as const) {
      const headers = scope === undefined ? {} : bearerOf(await token({ scope }))
      const res = await open.app.inject({ method: 'GET', url, headers })
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json()
      if (sees) {
        expect(body.notes, String(scope)).toBe('private note')
        expect(body.contactDetails).toEqual([
          { type: 'email', value: 'hidden@example.org', label: null, visibility: 'restricted' },
        ])
      } else {
        expect(body, String(scope)).not.toHaveProperty('notes')
        expect(body.contactDetails).toEqual([])
      }
    }
  })
})

describe('the states claim', () => {
  const kg = (scope = 'directory:admin') => token({ scope, states: ['KG'] })
  const postOrg = async (t: string, payload: Record<string, unknown>) =>
    open.app.inject({ method: 'POST', url: '/v1/organizations', headers: bearerOf(t), payload })

  it('a KG token creates a KG organization, not a KZ or an international one', async () => {
    const created = await postOrg(await kg('directory:write'), {
      name: 'KG ministry',
      kind: 'government',
      stateCode: 'KG',
    })
    expect(created.statusCode, created.body).toBe(201)
    const before = snapshot(open.db)
    expect403(
      await postOrg(await kg(), { name: 'KZ ministry', kind: 'government', stateCode: 'KZ' }),
      'The token may not change records of state KZ',
    )
    expect403(
      await postOrg(await kg(), { name: 'Some body', kind: 'international' }),
      'Records without a state need a token that is not limited to states',
    )
    expect403(
      await postOrg(await token({ scope: 'directory:write', states: [] }), {
        name: 'KG agency',
        kind: 'government',
        stateCode: 'KG',
      }),
      'The token may not change records of state KG',
    )
    expect(snapshot(open.db)).toBe(before)
  })

  it('a token without the claim creates KZ and international organizations', async () => {
    const unlimited = await token({ scope: 'directory:write' })
    const kz = await postOrg(unlimited, { name: 'KZ ministry', kind: 'government', stateCode: 'KZ' })
    expect(kz.statusCode, kz.body).toBe(201)
    const intl = await postOrg(unlimited, { name: 'An international body', kind: 'international' })
    expect(intl.statusCode, intl.body).toBe(201)
  })

  it('shared vocabulary: a limited admin token is refused, an unlimited one is not', async () => {
    const patch = async (t: string) =>
      open.app.inject({
        method: 'PATCH',
        url: '/v1/states/KG',
        headers: { ...bearerOf(t), 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ officialName: 'The Kyrgyz Republic' }),
      })
    const before = snapshot(open.db)
    expect403(await patch(await kg()), 'A token limited to states may not change states')
    expect(snapshot(open.db)).toBe(before)
    const res = await patch(await token({ scope: 'directory:admin' }))
    expect(res.statusCode, res.body).toBe(200)
  })
})

describe('remembered tokens', () => {
  it('a token is remembered only until its exp, to the millisecond', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-12-05T10:00:00.000Z'))
    const t = await token({ scope: 'directory:read', expiresIn: 30 })
    const exp = Math.floor(Date.now() / 1000) + 30
    expect((await readRoles(bearerOf(t))).statusCode).toBe(200)
    vi.setSystemTime(exp * 1000 - 1)
    expect((await readRoles(bearerOf(t))).statusCode).toBe(200)
    vi.setSystemTime(exp * 1000)
    expect401(await readRoles(bearerOf(t)), 'The token has expired', 'invalid_token')
  })

  it('the verifier answers a remembered principal for up to a minute, then verifies again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-12-05T10:00:00.000Z'))
    const start = Date.now()
    const verify = createVerifier({ secret: TEST_SECRET })
    const t = await token({ scope: 'directory:write', states: ['KG'], expiresIn: 3600 })
    const first = await verify(t)
    expect(first).toEqual({
      sub: 'tester',
      scopes: new Set(['directory:write', 'directory:read']),
      states: ['KG'],
    })
    vi.setSystemTime(start + 59_999)
    expect(await verify(t)).toBe(first)
    vi.setSystemTime(start + 60_000)
    const again = await verify(t)
    expect(again).not.toBe(first)
    expect(again).toEqual(first)
    expect(await verify(t)).toBe(again)
  })

  it('an unlimited token verifies to states null', async () => {
    const verify = createVerifier({ secret: TEST_SECRET })
    expect(await verify(await token({ scope: 'directory:import' }))).toEqual({
      sub: 'tester',
      scopes: new Set(['directory:import']),
      states: null,
    })
  })

  it('1,000 remembered tokens are forgotten together when one more arrives', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 1001 }, (_, i) => token({ sub: `u${i}`, scope: 'directory:read' })),
    )
    const [first, ...rest] = tokens as [string, ...string[]]
    // First, 999 tokens in memory, then a 1,000th: nothing is forgotten.
    const kept = createVerifier({ secret: TEST_SECRET })
    const a = await kept(first)
    for (const t of rest.slice(0, 998)) await kept(t)
    await kept(rest[999] as string)
    expect(await kept(first)).toBe(a)
    // 1,000 in memory, then one more: all are forgotten, the first is verified again.
    const cleared = createVerifier({ secret: TEST_SECRET })
    const b = await cleared(first)
    for (const t of rest.slice(0, 999)) await cleared(t)
    await cleared(rest[999] as string)
    const b2 = await cleared(first)
    expect(b2).not.toBe(b)
    expect(b2).toEqual(b)
  })

  it('a verifier with no key source cannot be made', () => {
    expect(() => createVerifier({})).toThrow(new Error('no JWT verification key configured'))
  })
})

/** A URL whose first read fails: the JWKS key set cannot be made once, then can. */
function flakyUrl(href: string): URL {
  const url = new URL(href)
  let reads = 0
  Object.defineProperty(url, 'href', {
    get: () => {
      reads++
      if (reads === 1) throw new Error('the JWKS address could not be read')
      return href
    },
  })
  return url
}

describe('a verifier that cannot load', () => {
  it('the verifier rejects with VerifierUnavailable, then loads on the next call', async () => {
    const verify = createVerifier({ jwksUrl: flakyUrl('http://127.0.0.1:9/jwks.json') })
    const t = await token({ scope: 'directory:read' })
    const err = await verify(t).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(VerifierUnavailable)
    expect((err as Error).message).toBe('The token verifier is not available')
    expect((err as Error).cause).toEqual(new Error('the JWKS address could not be read'))
    // Loaded now: the HS256 token is refused for its algorithm, before any key is fetched.
    await expect(verify(t)).rejects.toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' })
  })

  it('through the app: a 500 with no detail, then the token is judged', async () => {
    const config = loadConfig({
      JWT_SECRET: '',
      JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      DATABASE_PATH: ':memory:',
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL: 'silent',
    })
    const db = openDatabase(config.databasePath)
    runMigrations(db)
    seed(db)
    const app = await buildApp({
      config: { ...config, jwt: { ...config.jwt, jwksUrl: flakyUrl('http://127.0.0.1:9/jwks.json') } },
      db,
    })
    try {
      const headers = bearerOf(await token({ scope: 'directory:read' }))
      const first = await app.inject({ method: 'GET', url: '/v1/roles', headers })
      expect(first.statusCode).toBe(500)
      expect(first.json()).toEqual({
        type: 'urn:pocdir:problem:internal-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred; quote the x-request-id when reporting it',
        instance: '/v1/roles',
      })
      const second = await app.inject({ method: 'GET', url: '/v1/roles', headers })
      expect(second.statusCode).toBe(401)
      expect(second.json().detail).toBe('The token is signed with an algorithm this service does not accept')
    } finally {
      await app.close()
      db.$client.close()
    }
  })
})

describe('JWKS: every pinned algorithm', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' })
  const ed = generateKeyPairSync('ed25519')
  const keys: [string, { publicKey: KeyObject; privateKey: KeyObject }][] = [
    ['rsa', rsa],
    ['p256', p256],
    ['p384', p384],
    ['p521', p521],
    ['ed', ed],
  ]
  let server: Server
  let jwks: TestApp
  beforeAll(async () => {
    const body = JSON.stringify({
      keys: await Promise.all(
        keys.map(async ([kid, k]) => ({ ...(await exportJWK(k.publicKey)), kid, use: 'sig' })),
      ),
    })
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    jwks = await buildTestApp({
      JWT_SECRET: '',
      JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
      PUBLIC_READ: 'false',
    })
  })
  afterAll(async () => {
    await jwks.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const signed = (kid: string, alg: string) => {
    const key = (keys.find(([k]) => k === kid) as [string, { privateKey: KeyObject }])[1].privateKey
    return new SignJWT({ scope: 'directory:read' })
      .setProtectedHeader({ alg, kid })
      .setSubject('partner')
      .setExpirationTime('1h')
      .sign(key)
  }

  it.each([
    ['rsa', 'RS256'],
    ['rsa', 'RS384'],
    ['rsa', 'RS512'],
    ['rsa', 'PS256'],
    ['rsa', 'PS384'],
    ['rsa', 'PS512'],
    ['p256', 'ES256'],
    ['p384', 'ES384'],
    ['ed', 'EdDSA'],
  ])('%s key, %s: accepted', async (kid, alg) => {
    const res = await jwks.app.inject({
      method: 'GET',
      url: '/v1/roles',
      headers: bearerOf(await signed(kid, alg)),
    })
    expect(res.statusCode, res.body).toBe(200)
  })

  it('ES512 and HS256 are refused', async () => {
    for (const t of [await signed('p521', 'ES512'), await token({ scope: 'directory:read' })]) {
      expect401(
        await jwks.app.inject({ method: 'GET', url: '/v1/roles', headers: bearerOf(t) }),
        'The token is signed with an algorithm this service does not accept',
        'invalid_token',
      )
    }
  })
})

describe('issuer and audience', () => {
  let pinned: TestApp
  beforeAll(async () => {
    pinned = await buildTestApp({
      JWT_ISSUER: 'https://idp.example',
      JWT_AUDIENCE: 'pocdir',
      PUBLIC_READ: 'false',
    })
  })
  afterAll(() => pinned.close())
  const read = async (claims: TokenClaims) =>
    pinned.app.inject({
      method: 'GET',
      url: '/v1/roles',
      headers: bearerOf(await token({ scope: 'directory:read', ...claims })),
    })

  it('both right: accepted; either wrong or missing: refused naming the claim', async () => {
    expect((await read({ iss: 'https://idp.example', aud: 'pocdir' })).statusCode).toBe(200)
    expect401(
      await read({ iss: 'https://other.example', aud: 'pocdir' }),
      "The token's iss claim is not accepted",
      'invalid_token',
    )
    expect401(
      await read({ iss: 'https://idp.example', aud: 'other' }),
      "The token's aud claim is not accepted",
      'invalid_token',
    )
    expect401(await read({ aud: 'pocdir' }), "The token's iss claim is not accepted", 'invalid_token')
  })
})
