import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, roleId, signToken } from '../helpers/build-test-app.js'
import {
  auth,
  expectUnauthorized,
  type Headers,
  hs512Token,
  type TestApp,
  tokenWithoutExp,
  tokenWithoutSub,
  unsignedToken,
} from './support.js'

/**
 * A presented token that fails verification is 401 even where anonymous reading is allowed:
 * never downgraded to anonymous.
 */
let t: TestApp
const ids = { org: '', contact: '', assignment: '' }
beforeAll(async () => {
  t = await buildTestApp()
  const writer = await bearer('directory:write')
  const org = await t.app.inject({
    method: 'POST',
    url: '/v1/organizations',
    headers: writer,
    payload: { name: 'Ministry of Foreign Affairs', kind: 'government', stateCode: 'KG' },
  })
  ids.org = org.json().id
  const contact = await t.app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: writer,
    payload: { familyName: 'Zhumabekov' },
  })
  ids.contact = contact.json().id
  const asg = await t.app.inject({
    method: 'POST',
    url: '/v1/assignments',
    headers: writer,
    payload: {
      contactId: ids.contact,
      roleId: roleId(t.db, 'national-poc'),
      organizationId: ids.org,
      startDate: '2024-01-01',
    },
  })
  expect(asg.statusCode, asg.body).toBe(201)
  ids.assignment = asg.json().id
})
afterAll(() => t.close())

const PATHS: { path: string; url: () => string }[] = [
  { path: '/v1/states', url: () => '/v1/states' },
  { path: '/v1/states/KG', url: () => '/v1/states/KG' },
  { path: '/v1/roles', url: () => '/v1/roles' },
  { path: '/v1/organizations', url: () => '/v1/organizations' },
  { path: '/v1/organizations/{id}', url: () => `/v1/organizations/${ids.org}` },
  { path: '/v1/contacts', url: () => '/v1/contacts' },
  { path: '/v1/contacts/{id}', url: () => `/v1/contacts/${ids.contact}` },
  { path: '/v1/assignments', url: () => '/v1/assignments' },
  { path: '/v1/assignments/{id}', url: () => `/v1/assignments/${ids.assignment}` },
]

const BAD: { name: string; headers: () => Promise<Headers>; detail?: RegExp }[] = [
  {
    name: 'an expired token',
    headers: () => bearer('directory:read', { expiresIn: -60 }),
    detail: /expired/,
  },
  {
    name: 'a token signed with another secret',
    headers: () => bearer('directory:read', { secret: 'another-secret-0123456789-abcdefghijk' }),
    detail: /signature/,
  },
  { name: 'an alg:none token', headers: async () => auth(unsignedToken({ scope: 'directory:read' })) },
  { name: 'an HS512 token', headers: async () => auth(await hs512Token()) },
  { name: 'a token without exp', headers: async () => auth(await tokenWithoutExp()) },
  { name: 'a token without sub', headers: async () => auth(await tokenWithoutSub()) },
  { name: 'garbage after Bearer', headers: async () => auth('garbage') },
  { name: 'a malformed Authorization header', headers: async () => ({ authorization: 'Token abc' }) },
  {
    name: 'a states claim that is not a list of codes',
    headers: () => bearer('directory:read', { states: 'KG' }),
    detail: /claims/,
  },
]

describe.each(BAD)('GET with $name is 401', (bad) => {
  it.each(PATHS)('$path', async ({ url }) => {
    const res = await t.app.inject({ method: 'GET', url: url(), headers: await bad.headers() })
    const body = expectUnauthorized(res, bad.detail)
    expect(body).not.toHaveProperty('items')
    expect(res.headers.etag).toBeUndefined()
  })
})

describe('control: the same GETs succeed anonymously', () => {
  it.each(PATHS)('$path', async ({ url }) => {
    const res = await t.app.inject({ method: 'GET', url: url() })
    expect(res.statusCode, res.body).toBe(200)
  })
})

it('an expired token with If-None-Match is 401, not 304', async () => {
  const fresh = await t.app.inject({ method: 'GET', url: '/v1/states/KG' })
  const etag = fresh.headers.etag as string
  expect(etag).toMatch(/^"\d+"$/)
  const res = await t.app.inject({
    method: 'GET',
    url: '/v1/states/KG',
    headers: { ...(await bearer('directory:read', { expiresIn: -60 })), 'if-none-match': etag },
  })
  expectUnauthorized(res, /expired/)
})

it('a bad token is 401 even when the query is also invalid', async () => {
  const res = await t.app.inject({
    method: 'GET',
    url: '/v1/contacts?limit=0',
    headers: await bearer('directory:read', { expiresIn: -60 }),
  })
  expectUnauthorized(res, /expired/)
})

it('the Bearer scheme is matched case-insensitively (RFC 9110)', async () => {
  const res = await t.app.inject({
    method: 'GET',
    url: `/v1/contacts/${ids.contact}`,
    headers: { authorization: `bearer ${await signToken({ scope: 'directory:read' })}` },
  })
  expect(res.statusCode, res.body).toBe(200)
  expect(res.json()).toHaveProperty('notes')
})
