import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, roleId, snapshot } from '../helpers/build-test-app.js'
import { expectProblem, type Headers, mergePatch, type TestApp } from './support.js'

let t: TestApp
let unrestricted: Headers
const kgOnly = () => bearer('directory:write', { states: ['KG'], sub: 'kg-coordinator' })

const post = async (url: string, payload: Record<string, unknown>, headers: Headers = unrestricted) => {
  const res = await t.app.inject({ method: 'POST', url, headers, payload })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id as string
}
const org = (name: string, stateCode: string | null, kind = stateCode ? 'government' : 'international') =>
  post('/v1/organizations', { name, kind, ...(stateCode ? { stateCode } : {}) })
const contact = (familyName: string) => post('/v1/contacts', { familyName })
const assign = (contactId: string, organizationId: string, extra: Record<string, unknown> = {}) =>
  post('/v1/assignments', {
    contactId,
    organizationId,
    roleId: roleId(t.db, 'technical-poc'),
    startDate: '2020-01-01',
    ...extra,
  })
const ENDED = { endDate: '2022-12-31', endReason: 'rotated' }

const patch = async (url: string, body: Record<string, unknown>, headers?: Headers) =>
  t.app.inject({
    method: 'PATCH',
    url,
    headers: mergePatch(headers ?? (await kgOnly())),
    payload: JSON.stringify(body),
  })
const del = async (url: string, headers?: Headers) =>
  t.app.inject({ method: 'DELETE', url, headers: headers ?? (await kgOnly()) })

/** Runs the request and proves it was refused with 403 and wrote nothing. */
async function expectForbidden(
  send: () => Promise<Awaited<ReturnType<typeof t.app.inject>>>,
  detail?: RegExp,
) {
  const before = snapshot(t.db)
  const res = await send()
  expectProblem(res, 403, detail)
  expect(snapshot(t.db)).toBe(before)
  return res
}

const f = {
  orgKG: '',
  orgKZ: '',
  orgKZEmpty: '',
  orgIntl: '',
  asgKG: '',
  asgKZ: '',
  contactNone: '',
  contactKG: '',
  contactEndedKG: '',
  contactKZ: '',
  contactEndedKZ: '',
  contactIntl: '',
}

beforeAll(async () => {
  t = await buildTestApp()
  unrestricted = await bearer('directory:write')
  f.orgKG = await org('Ministry of Foreign Affairs of Kyrgyzstan', 'KG')
  f.orgKZ = await org('Ministry of Foreign Affairs of Kazakhstan', 'KZ')
  f.orgKZEmpty = await org('Committee for National Security', 'KZ')
  f.orgIntl = await org('IAEA', null)
  f.contactNone = await contact('Nobody')
  f.contactKG = await contact('Kyrgyz')
  f.asgKG = await assign(f.contactKG, f.orgKG)
  f.contactEndedKG = await contact('Formerly Kyrgyz')
  await assign(f.contactEndedKG, f.orgKG, ENDED)
  await assign(f.contactEndedKG, f.orgKZ, { startDate: '2023-01-01' })
  f.contactKZ = await contact('Kazakh')
  f.asgKZ = await assign(f.contactKZ, f.orgKZ)
  await assign(f.contactKZ, f.orgKZ, { ...ENDED, roleId: roleId(t.db, 'alternate-poc') })
  f.contactEndedKZ = await contact('Formerly Kazakh')
  await assign(f.contactEndedKZ, f.orgKZ, ENDED)
  f.contactIntl = await contact('International')
  await assign(f.contactIntl, f.orgIntl)
})
afterAll(() => t.close())

describe('a token limited to states: ["KG"]', () => {
  describe('contacts', () => {
    it('may create a contact, which belongs to no state yet, and then change it', async () => {
      const id = await post('/v1/contacts', { familyName: 'Sadykov', notes: 'new' }, await kgOnly())
      const res = await patch(`/v1/contacts/${id}`, { positionTitle: 'Adviser' })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toMatchObject({ id, positionTitle: 'Adviser', version: 2 })
    })

    it('may change a contact with no assignments', async () => {
      const res = await patch(`/v1/contacts/${f.contactNone}`, { positionTitle: 'Counsellor' })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().positionTitle).toBe('Counsellor')
    })

    it('may change a contact with a current assignment in KG', async () => {
      const res = await patch(`/v1/contacts/${f.contactKG}`, { positionTitle: 'Director' })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().positionTitle).toBe('Director')
    })

    it('may change a contact whose KG assignment has ended (and now serves KZ)', async () => {
      const res = await patch(`/v1/contacts/${f.contactEndedKG}`, { notes: 'moved to Astana' })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().notes).toBe('moved to Astana')
    })

    it('may not change a contact whose assignments are all in KZ', async () => {
      await expectForbidden(() => patch(`/v1/contacts/${f.contactKZ}`, { positionTitle: 'Hijacked' }))
      const now = await t.app.inject({ method: 'GET', url: `/v1/contacts/${f.contactKZ}` })
      expect(now.json()).toMatchObject({ positionTitle: null, version: 1 })
    })

    it('may not change a contact whose only assignment is at an international body', async () => {
      await expectForbidden(() => patch(`/v1/contacts/${f.contactIntl}`, { positionTitle: 'Hijacked' }))
    })

    it('may not delete a contact whose (ended) assignments are all in KZ', async () => {
      await expectForbidden(() => del(`/v1/contacts/${f.contactEndedKZ}`))
      const still = await t.app.inject({ method: 'GET', url: `/v1/contacts/${f.contactEndedKZ}` })
      expect(still.statusCode).toBe(200)
    })

    it('may delete a contact with no assignments', async () => {
      const id = await contact('Temporary')
      const res = await del(`/v1/contacts/${id}`)
      expect(res.statusCode, res.body).toBe(204)
    })
  })

  describe('organizations', () => {
    it('may create a KG organization', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: await kgOnly(),
        payload: { name: 'State Customs Service', kind: 'government', stateCode: 'KG' },
      })
      expect(res.statusCode, res.body).toBe(201)
      expect(res.json()).toMatchObject({ name: 'State Customs Service', stateCode: 'KG' })
    })

    it.each([
      ['a KZ organization', { name: 'Ministry of Energy', kind: 'government', stateCode: 'KZ' }, /KZ/],
      ['an international organization (no state)', { name: 'OPCW', kind: 'international' }, undefined],
      ['a regional organization (no state)', { name: 'CSTO', kind: 'regional' }, undefined],
      ['an NGO without a state', { name: 'VERTIC', kind: 'ngo' }, undefined],
    ])('may not create %s', async (_name, payload, detail) => {
      await expectForbidden(
        async () =>
          t.app.inject({ method: 'POST', url: '/v1/organizations', headers: await kgOnly(), payload }),
        detail,
      )
    })

    it('may change a KG organization', async () => {
      const res = await patch(`/v1/organizations/${f.orgKG}`, { acronym: 'MFA' })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toMatchObject({ acronym: 'MFA', stateCode: 'KG' })
    })

    it('may not change a KZ organization', async () => {
      await expectForbidden(() => patch(`/v1/organizations/${f.orgKZ}`, { acronym: 'X' }), /KZ/)
    })

    it('may not change an international organization', async () => {
      await expectForbidden(() => patch(`/v1/organizations/${f.orgIntl}`, { acronym: 'X' }))
    })

    it('may not move a KG organization to KZ', async () => {
      const id = await org('Ministry of Defence', 'KG')
      await expectForbidden(() => patch(`/v1/organizations/${id}`, { stateCode: 'KZ' }), /KZ/)
      const now = await t.app.inject({ method: 'GET', url: `/v1/organizations/${id}` })
      expect(now.json()).toMatchObject({ stateCode: 'KG', version: 1 })
      const moved = await patch(`/v1/organizations/${id}`, { stateCode: 'KZ' }, unrestricted)
      expect(moved.statusCode, moved.body).toBe(200)
    })

    it('may not turn a KG organization into an international one', async () => {
      const id = await org('Ministry of Health', 'KG')
      await expectForbidden(() =>
        patch(`/v1/organizations/${id}`, { kind: 'international', stateCode: null }),
      )
    })

    it('may delete a KG organization and not a KZ one', async () => {
      const id = await org('Temporary Commission', 'KG')
      const ok = await del(`/v1/organizations/${id}`)
      expect(ok.statusCode, ok.body).toBe(204)
      await expectForbidden(() => del(`/v1/organizations/${f.orgKZEmpty}`), /KZ/)
      const still = await t.app.inject({ method: 'GET', url: `/v1/organizations/${f.orgKZEmpty}` })
      expect(still.statusCode).toBe(200)
    })

    it('may not delete an international organization', async () => {
      const id = await org('UNODA', null)
      await expectForbidden(() => del(`/v1/organizations/${id}`))
    })
  })

  describe('assignments', () => {
    const body = (organizationId: string) => ({
      contactId: f.contactNone,
      organizationId,
      roleId: roleId(t.db, 'legal-poc'),
      startDate: '2024-05-01',
    })

    it('may create a KG assignment', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/assignments',
        headers: await kgOnly(),
        payload: body(f.orgKG),
      })
      expect(res.statusCode, res.body).toBe(201)
      expect(res.json()).toMatchObject({ stateCode: 'KG', organizationId: f.orgKG })
    })

    it.each([
      ['at a KZ organization', () => f.orgKZ, /KZ/],
      ['at an international organization', () => f.orgIntl, undefined],
    ])('may not create one %s', async (_name, orgId, detail) => {
      await expectForbidden(
        async () =>
          t.app.inject({
            method: 'POST',
            url: '/v1/assignments',
            headers: await kgOnly(),
            payload: body(orgId()),
          }),
        detail,
      )
    })

    it('may change a KG assignment', async () => {
      const res = await patch(`/v1/assignments/${f.asgKG}`, { designationRef: 'NV 12/345' })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toMatchObject({ designationRef: 'NV 12/345', stateCode: 'KG' })
    })

    it('may not change a KZ assignment', async () => {
      await expectForbidden(() => patch(`/v1/assignments/${f.asgKZ}`, { designationRef: 'X' }), /KZ/)
    })

    it('may not move a KG assignment to a KZ organization', async () => {
      const id = await assign(f.contactKG, f.orgKG, { roleId: roleId(t.db, 'border-poc') })
      await expectForbidden(
        () => patch(`/v1/assignments/${id}`, { organizationId: f.orgKZ, stateCode: 'KZ' }),
        /KZ/,
      )
      const now = await t.app.inject({ method: 'GET', url: `/v1/assignments/${id}` })
      expect(now.json()).toMatchObject({ organizationId: f.orgKG, stateCode: 'KG', version: 1 })
      // The same patch is valid: an unrestricted token may make it.
      const moved = await patch(
        `/v1/assignments/${id}`,
        { organizationId: f.orgKZ, stateCode: 'KZ' },
        unrestricted,
      )
      expect(moved.statusCode, moved.body).toBe(200)
    })

    it('may delete a KG assignment and not a KZ one', async () => {
      const id = await assign(f.contactKG, f.orgKG, { roleId: roleId(t.db, 'finance-poc') })
      const ok = await del(`/v1/assignments/${id}`)
      expect(ok.statusCode, ok.body).toBe(204)
      await expectForbidden(() => del(`/v1/assignments/${f.asgKZ}`), /KZ/)
      const still = await t.app.inject({ method: 'GET', url: `/v1/assignments/${f.asgKZ}` })
      expect(still.statusCode).toBe(200)
    })
  })
})

describe('other states claims', () => {
  it('states: ["KG", "KZ"] may change records of both', async () => {
    const both = await bearer('directory:write', { states: ['KG', 'KZ'] })
    const kz = await patch(`/v1/organizations/${f.orgKZ}`, { website: 'https://mfa.gov.kz' }, both)
    expect(kz.statusCode, kz.body).toBe(200)
    const contactKZ = await patch(`/v1/contacts/${f.contactKZ}`, { positionTitle: 'Ambassador' }, both)
    expect(contactKZ.statusCode, contactKZ.body).toBe(200)
    await expectForbidden(() => patch(`/v1/organizations/${f.orgIntl}`, { acronym: 'X' }, both))
  })

  it('states: [] is limited to no state at all, not unrestricted', async () => {
    const none = await bearer('directory:write', { states: [] })
    await expectForbidden(() =>
      t.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: none,
        payload: { name: 'Ministry of Justice', kind: 'government', stateCode: 'KG' },
      }),
    )
    await expectForbidden(() => patch(`/v1/contacts/${f.contactKG}`, { positionTitle: 'X' }, none))
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: none,
      payload: { familyName: 'Stateless' },
    })
    expect(created.statusCode, created.body).toBe(201)
  })

  it('control: a token without a states claim changes KZ and international records', async () => {
    const kz = await patch(`/v1/organizations/${f.orgKZ}`, { acronym: 'MFA KZ' }, unrestricted)
    expect(kz.statusCode, kz.body).toBe(200)
    const intl = await patch(`/v1/organizations/${f.orgIntl}`, { acronym: 'IAEA' }, unrestricted)
    expect(intl.statusCode, intl.body).toBe(200)
    const c = await patch(`/v1/contacts/${f.contactIntl}`, { positionTitle: 'Inspector' }, unrestricted)
    expect(c.statusCode, c.body).toBe(200)
  })
})
