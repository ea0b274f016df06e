import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  createPrivateContact,
  expectFullContact,
  expectProblem,
  expectRedactedContact,
  mergePatch,
  type TestApp,
} from './support.js'

let t: TestApp
let contactId: string
beforeAll(async () => {
  t = await buildTestApp()
  contactId = await createPrivateContact(t, await bearer('directory:write'))
})
afterAll(() => t.close())

const readContact = async (scope: string) => {
  const headers = await bearer(scope)
  const one = await t.app.inject({ method: 'GET', url: `/v1/contacts/${contactId}`, headers })
  expect(one.statusCode, one.body).toBe(200)
  const list = await t.app.inject({ method: 'GET', url: '/v1/contacts', headers })
  expect(list.statusCode, list.body).toBe(200)
  const item = (list.json().items as Record<string, unknown>[]).find((c) => c.id === contactId)
  expect(item).toBeDefined()
  return { one: one.json() as Record<string, unknown>, item: item as Record<string, unknown> }
}

describe('directory:admin implies every scope', () => {
  const admin = () => bearer('directory:admin')

  it('reads restricted details and notes', async () => {
    const { one, item } = await readContact('directory:admin')
    expectFullContact(one)
    expectFullContact(item)
  })

  it('creates, changes and deletes a role', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/roles',
      headers: await admin(),
      payload: { key: 'sanctions-poc', name: 'Sanctions PoC', domain: 'finance' },
    })
    expect(created.statusCode, created.body).toBe(201)
    expect(created.json()).toMatchObject({ key: 'sanctions-poc', name: 'Sanctions PoC', version: 1 })
    const id = created.json().id as string
    expect(created.headers.location).toBe(`/v1/roles/${id}`)
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/roles/${id}`,
      headers: mergePatch(await admin()),
      payload: JSON.stringify({ description: 'Targeted financial sanctions' }),
    })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.json()).toMatchObject({ description: 'Targeted financial sanctions', version: 2 })
    const deleted = await t.app.inject({ method: 'DELETE', url: `/v1/roles/${id}`, headers: await admin() })
    expect(deleted.statusCode, deleted.body).toBe(204)
    const gone = await t.app.inject({ method: 'GET', url: `/v1/roles/${id}` })
    expectProblem(gone, 404)
  })

  it('changes a state', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/v1/states/KG',
      headers: mergePatch(await admin()),
      payload: JSON.stringify({ officialName: 'The Kyrgyz Republic' }),
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ code: 'KG', officialName: 'The Kyrgyz Republic' })
  })

  it('writes ordinary records (directory:write) including international ones', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/organizations',
      headers: await admin(),
      payload: { name: '1540 Committee', kind: 'international' },
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ name: '1540 Committee', kind: 'international', stateCode: null })
  })
})

describe('directory:write implies directory:read', () => {
  it('reads restricted details and notes in a read and in the list', async () => {
    const { one, item } = await readContact('directory:write')
    expectFullContact(one)
    expectFullContact(item)
  })

  it('a write answer shows the notes it wrote', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/v1/contacts/${contactId}`,
      headers: mergePatch(await bearer('directory:write')),
      payload: JSON.stringify({ positionTitle: 'Head of Division' }),
    })
    expect(res.statusCode, res.body).toBe(200)
    expectFullContact(res.json())
  })
})

describe('directory:read', () => {
  it('sees restricted details and notes', async () => {
    const { one, item } = await readContact('directory:read')
    expectFullContact(one)
    expectFullContact(item)
  })

  it('is found among other space-separated scopes', async () => {
    const { one } = await readContact('openid profile directory:read')
    expectFullContact(one)
  })
})

describe('directory:import alone', () => {
  it('does not grant write', async () => {
    const headers = await bearer('directory:import')
    const before = snapshot(t.db)
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers,
      payload: { familyName: 'Sadykov' },
    })
    expectProblem(res, 403, /directory:write/)
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/v1/contacts/${contactId}`,
      headers: mergePatch(headers),
      payload: JSON.stringify({ notes: null }),
    })
    expectProblem(patch, 403, /directory:write/)
    expect(snapshot(t.db)).toBe(before)
  })

  it('does not grant read: restricted details and notes stay hidden', async () => {
    const { one, item } = await readContact('directory:import')
    expectRedactedContact(one)
    expectRedactedContact(item)
  })
})

describe('a valid token without directory:read reads like an anonymous client', () => {
  it.each([
    ['no scope at all', ''],
    ['unrelated scopes', 'openid profile email'],
    ['look-alike scopes', 'directory:reader directory:write:self directory:admins'],
    ['scopes are case-sensitive', 'DIRECTORY:READ Directory:Admin'],
  ])('%s', async (_name, scope) => {
    const { one, item } = await readContact(scope)
    expectRedactedContact(one)
    expectRedactedContact(item)
  })

  it('answers the same body as an anonymous read', async () => {
    const anon = await t.app.inject({ method: 'GET', url: `/v1/contacts/${contactId}` })
    const scopeless = await t.app.inject({
      method: 'GET',
      url: `/v1/contacts/${contactId}`,
      headers: await bearer('openid'),
    })
    expect(scopeless.json()).toEqual(anon.json())
  })
})
