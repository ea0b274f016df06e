import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  admin,
  count,
  getJson,
  type Headers,
  importer,
  importOk,
  type Json,
  listAll,
  type Row,
  result,
  type TestApp,
  toCsv,
} from './support.js'

/**
 * How rows meet stored records: people by externalId, else by email; organizations by name
 * within their state, ignoring case and spacing; tenures by (person, role, organization,
 * startDate). An empty cell is "not given" and never clears anything.
 */

let t: TestApp
let h: Headers
let a: Headers

const ASAN: Row = {
  stateCode: 'KG',
  organization: 'Ministry of Foreign Affairs',
  role: 'national-poc',
  externalId: 'kg-001',
  honorific: 'Mr.',
  givenName: 'Asan',
  familyName: 'Zhumabekov',
  nameOriginal: 'Асан Жумабеков',
  positionTitle: 'Head of Export Control Division',
  email: 'a.zhumabekov@mfa.gov.kg',
  phone: '0312 620545',
  startDate: '2024-03-01',
}

const contactBy = async (externalId: string) => {
  const all = await listAll(t, '/v1/contacts?limit=500', a)
  const found = all.filter((c) => c.externalId === externalId)
  expect(found, externalId).toHaveLength(1)
  return found[0] as Json
}
const orgsOf = async (state: string) => listAll(t, `/v1/organizations?state=${state}&limit=500`, a)
const assignmentsOf = async (contactId: string) =>
  listAll(t, `/v1/assignments?contact=${contactId}&limit=500`, a)

beforeAll(async () => {
  t = await buildTestApp()
  h = await importer()
  a = await admin()
  expect(await importOk(t, toCsv([ASAN]), 'text/csv', h)).toEqual(
    result({ organizations: 1, contacts: 1, assignments: 1 }),
  )
})
afterAll(() => t.close())

describe('people', () => {
  it('are matched by externalId: a changed positionTitle is one updated contact', async () => {
    const before = await contactBy('kg-001')
    const body = await importOk(
      t,
      toCsv([{ ...ASAN, positionTitle: 'Director, Department of Export Control' }]),
      'text/csv',
      h,
    )
    expect(body).toEqual(result({}, { contacts: 1 }, { organizations: 1, assignments: 1 }))
    const after = await contactBy('kg-001')
    expect(after.id).toBe(before.id)
    expect(after.positionTitle).toBe('Director, Department of Export Control')
    expect(after.version).toBe(before.version + 1)
    expect(count(t, 'contacts')).toBe(1)
  })

  it('are matched by externalId even when the email changed (the new email is added)', async () => {
    const body = await importOk(
      t,
      toCsv([
        {
          ...ASAN,
          positionTitle: 'Director, Department of Export Control',
          email: 'asan.zhumabekov@mfa.gov.kg',
        },
      ]),
      'text/csv',
      h,
    )
    expect(body).toEqual(result({}, { contacts: 1 }, { organizations: 1, assignments: 1 }))
    const c = await contactBy('kg-001')
    expect(c.contactDetails.filter((d: Json) => d.type === 'email').map((d: Json) => d.value)).toEqual([
      'a.zhumabekov@mfa.gov.kg',
      'asan.zhumabekov@mfa.gov.kg',
    ])
    expect(count(t, 'contacts')).toBe(1)
  })

  it('without externalId, are matched by email (any case): unchanged, then updated, never a new contact', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: a,
      payload: {
        givenName: 'Nurlan',
        familyName: 'Abdyldaev',
        contactDetails: [{ type: 'email', value: 'N.Abdyldaev@mfa.gov.kg' }],
      },
    })
    expect(res.statusCode, res.body).toBe(201)
    const created = res.json()
    const contacts = count(t, 'contacts')

    const same: Row = { givenName: 'Nurlan', familyName: 'Abdyldaev', email: 'n.abdyldaev@MFA.gov.kg' }
    const before = snapshot(t.db)
    expect(await importOk(t, toCsv([same]), 'text/csv', h)).toEqual(result({}, {}, { contacts: 1 }))
    expect(snapshot(t.db)).toBe(before)

    expect(await importOk(t, toCsv([{ ...same, positionTitle: 'Chief Expert' }]), 'text/csv', h)).toEqual(
      result({}, { contacts: 1 }),
    )
    const updated = await getJson(t, `/v1/contacts/${created.id}`, a)
    expect(updated).toMatchObject({ positionTitle: 'Chief Expert', version: created.version + 1 })
    expect(updated.contactDetails).toHaveLength(1)

    // With a tenure, the tenure is the matched person's.
    const withTenure: Row = {
      ...same,
      stateCode: 'KG',
      organization: 'Ministry of Foreign Affairs',
      role: 'alternate-poc',
      startDate: '2023-09-15',
    }
    expect(await importOk(t, toCsv([withTenure]), 'text/csv', h)).toEqual(
      result({ assignments: 1 }, {}, { organizations: 1, contacts: 1 }),
    )
    expect(count(t, 'contacts')).toBe(contacts)
    expect(await assignmentsOf(created.id)).toHaveLength(1)
  })

  it('an empty cell never clears a stored value', async () => {
    const stored = await contactBy('kg-001')
    expect(stored.positionTitle).toMatch(/\S/)
    const blanked: Row = {
      ...ASAN,
      honorific: '',
      givenName: '',
      nameOriginal: '',
      positionTitle: '',
      email: '',
      phone: '',
      emailVisibility: '',
    }
    const before = snapshot(t.db)
    for (const [body, type] of [
      [toCsv([blanked]), 'text/csv'],
      [toCsv([blanked], { separator: ';', quoteAll: true }), 'text/csv'],
      [[blanked], 'application/json'],
      [[{ ...blanked, positionTitle: null, nameOriginal: '   ' }], 'application/json'],
    ] as const) {
      expect(await importOk(t, body, type, h)).toEqual(
        result({}, {}, { organizations: 1, contacts: 1, assignments: 1 }),
      )
    }
    expect(snapshot(t.db)).toBe(before)
    const after = await contactBy('kg-001')
    expect(after).toEqual(stored)
    expect(after.positionTitle).toBe('Director, Department of Export Control')
    expect(after.honorific).toBe('Mr.')
    expect(after.contactDetails).toHaveLength(3)
  })
})

describe('organizations', () => {
  it('are matched within their state ignoring case and spacing', async () => {
    const [mfa] = await orgsOf('KG')
    const body = await importOk(
      t,
      toCsv([
        {
          stateCode: 'KG',
          organization: '  ministry of  FOREIGN affairs ',
          role: 'technical-poc',
          externalId: 'kg-002',
          familyName: 'Sadykova',
          startDate: '2023-09-15',
        },
      ]),
      'text/csv',
      h,
    )
    expect(body).toEqual(result({ contacts: 1, assignments: 1 }, {}, { organizations: 1 }))
    const kgOrgs = await orgsOf('KG')
    expect(kgOrgs).toHaveLength(1)
    expect(kgOrgs[0]).toEqual(mfa)
    const sadykova = await contactBy('kg-002')
    const [tenure] = await assignmentsOf(sadykova.id)
    expect(tenure?.organizationId).toBe(mfa?.id)
  })

  it('are not matched across states: the same name in another state is another organization', async () => {
    const body = await importOk(
      t,
      toCsv([
        {
          stateCode: 'KZ',
          organization: 'Ministry of Foreign Affairs',
          role: 'national-poc',
          externalId: 'kz-001',
          familyName: 'Dzhumabekov',
          phone: '8 7172 720518',
          startDate: '2021-05-04',
        },
      ]),
      'text/csv',
      h,
    )
    expect(body).toEqual(result({ organizations: 1, contacts: 1, assignments: 1 }))
    const [kzMfa] = await orgsOf('KZ')
    const [kgMfa] = await orgsOf('KG')
    expect(kzMfa).toMatchObject({ name: 'Ministry of Foreign Affairs', stateCode: 'KZ', kind: 'government' })
    expect(kzMfa?.id).not.toBe(kgMfa?.id)
    const kz = await contactBy('kz-001')
    expect(kz.contactDetails).toEqual([
      { type: 'phone', value: '+77172720518', label: null, visibility: 'restricted' },
    ])
  })

  it('an international body matches by name without a state', async () => {
    const osce: Row = {
      organization: 'OSCE Secretariat',
      organizationKind: 'international',
      role: 'technical-poc',
      externalId: 'osce-001',
      familyName: 'Dupont',
      phone: '+43 1 514 36 6000',
      startDate: '2023-01-01',
    }
    expect(await importOk(t, toCsv([osce]), 'text/csv', h)).toEqual(
      result({ organizations: 1, contacts: 1, assignments: 1 }),
    )
    expect(
      await importOk(
        t,
        toCsv([{ ...osce, organization: 'osce  secretariat', externalId: 'osce-002', familyName: 'Müller' }]),
        'text/csv',
        h,
      ),
    ).toEqual(result({ contacts: 1, assignments: 1 }, {}, { organizations: 1 }))
  })
})

describe('tenures', () => {
  it('are matched by (person, role, organization, startDate): a new endDate is one updated assignment', async () => {
    const asan = await contactBy('kg-001')
    const [before] = await assignmentsOf(asan.id)
    expect(before?.endDate).toBeNull()
    const ended = { ...ASAN, positionTitle: '', endDate: '2025-01-31' }
    const body = await importOk(t, toCsv([ended]), 'text/csv', h)
    expect(body).toEqual(result({}, { assignments: 1 }, { organizations: 1, contacts: 1 }))
    const after = await assignmentsOf(asan.id)
    expect(after).toHaveLength(1)
    expect(after[0]).toMatchObject({
      id: before?.id,
      endDate: '2025-01-31',
      version: (before?.version ?? 0) + 1,
    })

    // The same again changes nothing; an empty endDate does not reopen the tenure.
    const snap = snapshot(t.db)
    expect(await importOk(t, toCsv([ended, { ...ASAN, positionTitle: '' }]), 'text/csv', h)).toEqual(
      result({}, {}, { organizations: 1, contacts: 1, assignments: 1 }),
    )
    expect(snapshot(t.db)).toBe(snap)
    expect((await assignmentsOf(asan.id))[0]?.endDate).toBe('2025-01-31')
  })

  it('another startDate or another role is another tenure', async () => {
    const asan = await contactBy('kg-001')
    const body = await importOk(
      t,
      toCsv([
        { ...ASAN, positionTitle: '', startDate: '2025-02-01' },
        { ...ASAN, positionTitle: '', role: 'alternate-poc', startDate: '2024-03-01' },
      ]),
      'text/csv',
      h,
    )
    expect(body).toEqual(result({ assignments: 2 }, {}, { organizations: 1, contacts: 1 }))
    const tenures = await assignmentsOf(asan.id)
    expect(tenures.map((x) => `${x.startDate}|${x.endDate}`).sort()).toEqual([
      '2024-03-01|2025-01-31',
      '2024-03-01|null',
      '2025-02-01|null',
    ])
  })

  it('organizationKind given for a stored organization of another kind updates it', async () => {
    const [kzMfa] = await orgsOf('KZ')
    expect(kzMfa?.kind).toBe('government')
    const body = await importOk(
      t,
      toCsv([
        {
          stateCode: 'KZ',
          organization: 'Ministry of Foreign Affairs',
          organizationKind: 'other',
          role: 'national-poc',
          externalId: 'kz-001',
          familyName: 'Dzhumabekov',
          startDate: '2021-05-04',
        },
      ]),
      'text/csv',
      h,
    )
    expect(body).toEqual(result({}, { organizations: 1 }, { contacts: 1, assignments: 1 }))
    expect((await orgsOf('KZ'))[0]).toMatchObject({
      id: kzMfa?.id,
      kind: 'other',
      version: (kzMfa?.version ?? 0) + 1,
    })
  })
})
