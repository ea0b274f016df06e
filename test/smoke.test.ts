import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, roleId } from './helpers/build-test-app.js'

let t: Awaited<ReturnType<typeof buildTestApp>>
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(() => t.close())

describe('smoke: create an organization, a contact and an assignment', () => {
  it('walks the core write path', async () => {
    const auth = await bearer('directory:write')
    const org = await t.app.inject({
      method: 'POST',
      url: '/v1/organizations',
      headers: auth,
      payload: { name: 'Ministry of Foreign Affairs', kind: 'government', stateCode: 'KG' },
    })
    expect(org.statusCode, org.body).toBe(201)
    const contact = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: auth,
      payload: {
        givenName: 'Asan',
        familyName: 'Zhumabekov',
        nameOriginal: 'Асан Жумабеков',
        contactDetails: [
          { type: 'email', value: 'A.Zhumabekov@MFA.gov.kg', visibility: 'public' },
          { type: 'phone', value: '+996 312 620545' },
        ],
        notes: 'prefers Russian',
      },
    })
    expect(contact.statusCode, contact.body).toBe(201)
    const c = contact.json()
    expect(c.contactDetails[0].value).toBe('a.zhumabekov@mfa.gov.kg')
    expect(c.contactDetails[1].value).toBe('+996312620545')
    expect(c.nameLatin).toBe('Asan Zhumabekov')
    const asg = await t.app.inject({
      method: 'POST',
      url: '/v1/assignments',
      headers: auth,
      payload: {
        contactId: c.id,
        roleId: roleId(t.db, 'national-poc'),
        organizationId: org.json().id,
        startDate: '2024-01-01',
        isPrimary: true,
      },
    })
    expect(asg.statusCode, asg.body).toBe(201)
    expect(asg.json().stateCode).toBe('KG')

    const anon = await t.app.inject({ method: 'GET', url: `/v1/contacts/${c.id}` })
    expect(anon.statusCode).toBe(200)
    expect(anon.json().contactDetails).toHaveLength(1)
    expect(anon.json()).not.toHaveProperty('notes')

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/contacts/${c.id}`,
      headers: { ...auth, 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
      payload: JSON.stringify({ positionTitle: 'Director', notes: null }),
    })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.headers.etag).toBe('"2"')
    expect(patched.json()).toMatchObject({ positionTitle: 'Director', notes: null, version: 2 })
  })
})
