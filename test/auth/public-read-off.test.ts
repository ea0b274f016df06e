import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  createPrivateContact,
  expectFullContact,
  expectProblem,
  expectUnauthorized,
  type TestApp,
} from './support.js'

let t: TestApp
let contactId: string
beforeAll(async () => {
  t = await buildTestApp({ PUBLIC_READ: 'false' })
  contactId = await createPrivateContact(t, await bearer('directory:write'))
})
afterAll(() => t.close())

const READS = [
  '/v1/states',
  '/v1/states/KG',
  '/v1/roles',
  '/v1/organizations',
  '/v1/contacts',
  '/v1/contacts/{id}',
  '/v1/contacts/{id}/tenures',
  '/v1/assignments',
  '/v1/changes?names=true',
]
const url = (path: string) => path.replace('{id}', contactId)

describe('PUBLIC_READ=false', () => {
  it.each(READS)('anonymous GET %s is 401 problem+json', async (path) => {
    const res = await t.app.inject({ method: 'GET', url: url(path) })
    expectUnauthorized(res, /token/)
    expect(res.body).not.toContain('Zhumabekov')
    expect(res.body).not.toContain('Kyrgyz')
  })

  it.each(['/healthz', '/readyz'])('anonymous GET %s still answers 200', async (path) => {
    const res = await t.app.inject({ method: 'GET', url: path })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ status: path === '/healthz' ? 'ok' : 'ready' })
  })

  it.each(['directory:read', 'directory:write', 'directory:admin', 'openid directory:read'])(
    'a token with %s reads (directory:read is granted or implied)',
    async (scope) => {
      const headers = await bearer(scope)
      const states = await t.app.inject({ method: 'GET', url: '/v1/states?limit=500', headers })
      expect(states.statusCode, states.body).toBe(200)
      expect(states.json().items).toContainEqual(expect.objectContaining({ code: 'KG', iso3: 'KGZ' }))
      const one = await t.app.inject({ method: 'GET', url: `/v1/contacts/${contactId}`, headers })
      expect(one.statusCode, one.body).toBe(200)
      expectFullContact(one.json())
    },
  )

  it.each([
    ['directory:import only', 'directory:import'],
    ['no scope', ''],
    ['unrelated scopes', 'openid profile'],
  ])('a valid token with %s is 403 on reads', async (_name, scope) => {
    const headers = await bearer(scope)
    for (const path of READS) {
      const res = await t.app.inject({ method: 'GET', url: url(path), headers })
      expectProblem(res, 403, /directory:read/)
      expect(res.body).not.toContain('Zhumabekov')
    }
  })

  it('an expired token is 401 on reads', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/states',
      headers: await bearer('directory:read', { expiresIn: -60 }),
    })
    expectUnauthorized(res, /expired/)
  })

  it('anonymous writes are 401 and change nothing', async () => {
    const before = snapshot(t.db)
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      payload: { familyName: 'Sadykov' },
    })
    expectUnauthorized(res)
    expect(snapshot(t.db)).toBe(before)
  })

  it('a write token still writes', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: await bearer('directory:write'),
      payload: { familyName: 'Sadykov' },
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ familyName: 'Sadykov', displayName: 'Sadykov' })
  })
})
