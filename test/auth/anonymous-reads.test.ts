import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import {
  createPrivateContact,
  expectFullContact,
  expectRedactedContact,
  RESTRICTED_EMAIL,
  SECRET_NOTE,
  type TestApp,
} from './support.js'

let t: TestApp
let contactId: string
let bareContactId: string
let orgId: string
beforeAll(async () => {
  t = await buildTestApp()
  const writer = await bearer('directory:write')
  contactId = await createPrivateContact(t, writer)
  const bare = await t.app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: writer,
    payload: {
      familyName: 'Omarova',
      contactDetails: [{ type: 'mobile', value: '+996 555 123456' }],
      notes: 'only restricted data',
    },
  })
  expect(bare.statusCode, bare.body).toBe(201)
  bareContactId = bare.json().id
  const org = await t.app.inject({
    method: 'POST',
    url: '/v1/organizations',
    headers: writer,
    payload: {
      name: 'Ministry of Foreign Affairs',
      kind: 'government',
      stateCode: 'KG',
      contactDetails: [
        { type: 'website', value: 'https://mfa.gov.kg', visibility: 'public' },
        { type: 'phone', value: '+996 312 620000', label: 'duty officer' },
      ],
    },
  })
  expect(org.statusCode, org.body).toBe(201)
  orgId = org.json().id
})
afterAll(() => t.close())

describe('anonymous reads hide restricted contact details and notes', () => {
  it('GET /v1/contacts/{id}', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/contacts/${contactId}` })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      id: contactId,
      familyName: 'Zhumabekov',
      displayName: 'Asan Zhumabekov',
    })
    expectRedactedContact(res.json())
  })

  it('GET /v1/contacts/{id} of a contact with only restricted details answers an empty list', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/contacts/${bareContactId}` })
    expect(res.statusCode).toBe(200)
    expect(res.json().contactDetails).toEqual([])
    expect(res.json()).not.toHaveProperty('notes')
    expect(res.body).not.toContain('+996555123456')
  })

  it('GET /v1/contacts (the list)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/contacts' })
    expect(res.statusCode).toBe(200)
    const items = res.json().items as Record<string, unknown>[]
    expect(items.map((c) => c.id).sort()).toEqual([contactId, bareContactId].sort())
    const full = items.find((c) => c.id === contactId)
    expect(full).toBeDefined()
    expectRedactedContact(full as Record<string, unknown>)
    for (const item of items) expect(item).not.toHaveProperty('notes')
    for (const secret of [SECRET_NOTE, RESTRICTED_EMAIL, 'only restricted data', '+996555123456']) {
      expect(res.body).not.toContain(secret)
    }
  })

  it('GET /v1/contacts paged one by one', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/v1/contacts?limit=1' })
    expect(first.statusCode).toBe(200)
    const cursor = first.json().nextCursor as string
    expect(cursor).toEqual(expect.any(String))
    const second = await t.app.inject({
      method: 'GET',
      url: `/v1/contacts?limit=1&cursor=${encodeURIComponent(cursor)}`,
    })
    expect(second.statusCode).toBe(200)
    for (const page of [first, second]) {
      expect(page.json().items).toHaveLength(1)
      expect(page.json().items[0]).not.toHaveProperty('notes')
      expect(page.body).not.toContain(SECRET_NOTE)
      expect(page.body).not.toContain(RESTRICTED_EMAIL)
    }
  })

  it('restricted organization contact details are hidden too (read and list)', async () => {
    const one = await t.app.inject({ method: 'GET', url: `/v1/organizations/${orgId}` })
    expect(one.statusCode).toBe(200)
    expect(one.json().contactDetails).toEqual([
      { type: 'website', value: 'https://mfa.gov.kg', label: null, visibility: 'public' },
    ])
    const list = await t.app.inject({ method: 'GET', url: '/v1/organizations' })
    expect(list.statusCode).toBe(200)
    expect(list.json().items[0].contactDetails).toEqual([
      { type: 'website', value: 'https://mfa.gov.kg', label: null, visibility: 'public' },
    ])
    expect(list.body).not.toContain('+996312620000')
  })

  it('control: a directory:read token sees everything', async () => {
    const headers = await bearer('directory:read')
    const one = await t.app.inject({ method: 'GET', url: `/v1/contacts/${contactId}`, headers })
    expect(one.statusCode).toBe(200)
    expectFullContact(one.json())
    const list = await t.app.inject({ method: 'GET', url: '/v1/contacts', headers })
    const item = (list.json().items as Record<string, unknown>[]).find((c) => c.id === contactId)
    expectFullContact(item as Record<string, unknown>)
    const org = await t.app.inject({ method: 'GET', url: `/v1/organizations/${orgId}`, headers })
    expect(org.json().contactDetails).toHaveLength(2)
  })
})
