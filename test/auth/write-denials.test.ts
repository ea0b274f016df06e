import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, signToken, snapshot } from '../helpers/build-test-app.js'
import {
  auth,
  createFixtures,
  expectProblem,
  expectUnauthorized,
  type Fixtures,
  type Headers,
  hs512Token,
  sendOp,
  type TestApp,
  tokenWithoutExp,
  tokenWithoutSub,
  unsignedToken,
  WRITE_OPS,
} from './support.js'

interface Credential {
  name: string
  headers: () => Promise<Headers>
  detail?: RegExp
}

const ADMIN = 'directory:admin'

/** Every one of these carries admin scope, so the only reason to refuse is verification. */
const UNVERIFIABLE: Credential[] = [
  { name: 'no Authorization header', headers: async () => ({}), detail: /bearer token/i },
  {
    name: 'Basic credentials',
    headers: async () => ({ authorization: 'Basic dXNlcjpwYXNzd29yZA==' }),
    detail: /Bearer <token>/,
  },
  {
    name: '"Bearer" without a token',
    headers: async () => ({ authorization: 'Bearer' }),
    detail: /Bearer <token>/,
  },
  {
    name: 'two tokens after Bearer',
    headers: async () => ({ authorization: `Bearer ${await signToken({ scope: ADMIN })} extra` }),
    detail: /Bearer <token>/,
  },
  {
    name: 'the raw token without the Bearer scheme',
    headers: async () => ({ authorization: await signToken({ scope: ADMIN }) }),
    detail: /Bearer <token>/,
  },
  { name: 'a token that is not a JWT', headers: async () => auth('not-a-jwt') },
  { name: 'an expired token', headers: () => bearer(ADMIN, { expiresIn: -120 }), detail: /expired/ },
  {
    name: 'a token not valid yet (nbf in the future)',
    headers: () => bearer(ADMIN, { nbf: Math.floor(Date.now() / 1000) + 3600 }),
  },
  { name: 'an unsigned alg:none token', headers: async () => auth(unsignedToken()) },
  {
    name: 'a token signed with another secret',
    headers: () => bearer(ADMIN, { secret: 'another-secret-0123456789-abcdefghijk' }),
    detail: /signature/,
  },
  {
    name: 'a read token whose payload was swapped for an admin one',
    headers: async () => {
      const [header, , signature] = (await signToken({ scope: 'directory:read' })).split('.')
      const [, adminPayload] = (await signToken({ scope: ADMIN })).split('.')
      return auth(`${header}.${adminPayload}.${signature}`)
    },
    detail: /signature/,
  },
  {
    name: 'an HS512 token (HS256 is pinned)',
    headers: async () => auth(await hs512Token()),
    detail: /algorithm/,
  },
  { name: 'a token without exp', headers: async () => auth(await tokenWithoutExp()), detail: /exp/ },
  { name: 'a token without sub', headers: async () => auth(await tokenWithoutSub()), detail: /sub/ },
  { name: 'a token with an empty sub', headers: () => bearer(ADMIN, { sub: '' }) },
]

const WRONG_SCOPE: Credential[] = [
  { name: 'a read-only token', headers: () => bearer('directory:read') },
  { name: 'an import-only token', headers: () => bearer('directory:import') },
  { name: 'a token with no scope', headers: () => bearer('') },
  {
    name: 'a token with look-alike scopes',
    headers: () => bearer('openid directory:writer directory:admins directory:read:write'),
  },
]

const ADMIN_ONLY = WRITE_OPS.filter((op) => op.resource === 'roles' || op.resource === 'states')

describe('refused writes change nothing and answer problem+json', () => {
  let t: TestApp
  let f: Fixtures
  beforeAll(async () => {
    t = await buildTestApp()
    f = await createFixtures(t, await bearer(ADMIN))
  })
  afterAll(() => t.close())

  async function expectRefused(op: (typeof WRITE_OPS)[number], cred: Credential, status: 401 | 403) {
    const before = snapshot(t.db)
    const res = await sendOp(t, f, op, await cred.headers())
    if (status === 401) expectUnauthorized(res, cred.detail)
    else expectProblem(res, 403, cred.detail)
    expect(snapshot(t.db)).toBe(before)
  }

  describe.each(UNVERIFIABLE)('401 with $name', (cred) => {
    it.each(WRITE_OPS)('$name', (op) => expectRefused(op, cred, 401))
  })

  describe.each(WRONG_SCOPE)('403 with $name', (cred) => {
    it.each(WRITE_OPS)('$name', (op) => expectRefused(op, cred, 403))
  })

  describe('403 with a directory:write token on admin-only resources', () => {
    const cred: Credential = {
      name: 'write',
      headers: () => bearer('directory:write'),
      detail: /directory:admin/,
    }
    it.each(ADMIN_ONLY)('$name', (op) => expectRefused(op, cred, 403))
  })

  describe('403 with a states-limited directory:write token on admin-only resources', () => {
    const cred: Credential = {
      name: 'write KG',
      headers: () => bearer('directory:write', { states: ['KG'] }),
      detail: /directory:admin/,
    }
    it.each(ADMIN_ONLY)('$name', (op) => expectRefused(op, cred, 403))
  })

  // Last: proves every request above was valid, so each refusal was about the token.
  describe('control: the same requests succeed with an admin token', () => {
    it.each(WRITE_OPS)('$name', async (op) => {
      const before = snapshot(t.db)
      const res = await sendOp(t, f, op, await bearer(ADMIN, { sub: 'admin-1' }))
      expect(res.statusCode, res.body).toBe(op.okStatus)
      expect(snapshot(t.db)).not.toBe(before)
      const last = t.db.$client.prepare('select actor from revisions order by seq desc limit 1').get()
      expect(last).toEqual({ actor: 'admin-1' })
    })
  })
})

describe('with JWT_ISSUER and JWT_AUDIENCE configured', () => {
  const ISS = 'https://idp.osce.example/'
  const AUD = 'pocdir'
  let t: TestApp
  let f: Fixtures
  beforeAll(async () => {
    t = await buildTestApp({ JWT_ISSUER: ISS, JWT_AUDIENCE: AUD })
    f = await createFixtures(t, await bearer(ADMIN, { iss: ISS, aud: AUD }))
  })
  afterAll(() => t.close())

  const creds: Credential[] = [
    {
      name: 'a wrong iss',
      headers: () => bearer(ADMIN, { iss: 'https://evil.example/', aud: AUD }),
      detail: /iss/,
    },
    {
      name: 'a wrong aud',
      headers: () => bearer(ADMIN, { iss: ISS, aud: 'another-service' }),
      detail: /aud/,
    },
    { name: 'no iss', headers: () => bearer(ADMIN, { aud: AUD }), detail: /iss/ },
    { name: 'no aud', headers: () => bearer(ADMIN, { iss: ISS }), detail: /aud/ },
  ]

  describe.each(creds)('401 with $name', (cred) => {
    it.each(WRITE_OPS)('$name', async (op) => {
      const before = snapshot(t.db)
      const res = await sendOp(t, f, op, await cred.headers())
      expectUnauthorized(res, cred.detail)
      expect(snapshot(t.db)).toBe(before)
    })
  })

  it('reads with a wrong iss are 401 too, not anonymous', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/states/KG',
      headers: await bearer('directory:read', { iss: 'https://evil.example/', aud: AUD }),
    })
    expectUnauthorized(res, /iss/)
  })

  describe('control: the right iss and aud are accepted', () => {
    it.each(WRITE_OPS)('$name', async (op) => {
      const res = await sendOp(t, f, op, await bearer(ADMIN, { iss: ISS, aud: AUD }))
      expect(res.statusCode, res.body).toBe(op.okStatus)
    })
  })
})

describe('refused writes with an invalid body still answer a 4xx problem and write nothing', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(() => t.close())

  const send = async (headers: Headers) => {
    const before = snapshot(t.db)
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/organizations',
      headers,
      payload: { name: 'Ministry', bogus: true },
    })
    expect(snapshot(t.db)).toBe(before)
    return res
  }

  it('a failed token is 401 whatever the body', async () => {
    expectUnauthorized(await send(await bearer(ADMIN, { expiresIn: -60 })), /expired/)
  })

  // DESIGN's order of checks on a write: token (401), scope (403), then the body (400).
  it('no token: 401, before the body is judged', async () => {
    expectUnauthorized(await send({}), /^A bearer token with the directory:write scope is required$/)
  })

  it('a read-only token: 403, before the body is judged', async () => {
    expectProblem(
      await send(await bearer('directory:read')),
      403,
      /^The token lacks the directory:write scope$/,
    )
  })
})
