import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  admin,
  expectRejected,
  type Headers,
  importer,
  importOk,
  importRequest,
  type Json,
  type Row,
  result,
  type TestApp,
  toCsv,
  toNdjson,
} from './support.js'

/**
 * Two rows of one file that identify the same person (by externalId, or by email), the same
 * organization or the same assignment must not give it conflicting values: different non-empty
 * values for one field. Such a file used to be accepted and to flip-flop on every import (one
 * row's value, then the other's: two revisions a run, never `unchanged`). Now: 422 naming both
 * rows, nothing written, in a dry run as in a real one. Rows that repeat the person with the
 * same values, or leave a cell empty ("not given"), are the normal shape of a spreadsheet with
 * one row per person in a role, and are fine.
 */

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
/** Asan again, in a second role (another row of the same spreadsheet). */
const ASAN_2: Row = { ...ASAN, role: 'alternate-poc', startDate: '2024-06-01' }

let t: TestApp
let h: Headers
beforeAll(async () => {
  t = await buildTestApp()
  h = await importer()
})
afterAll(() => t.close())

const revisions = () => t.db.$client.prepare('select count(*) from revisions').pluck().get() as number

/** Posts `rows` as CSV, NDJSON and a JSON array, dry and real: each is the same 422, writing nothing. */
async function rejectedEverywhere(rows: Row[], errors: Json[], headers: Headers = h) {
  for (const [body, type] of [
    [toCsv(rows), 'text/csv'],
    [toNdjson(rows), 'application/x-ndjson'],
    [rows, 'application/json'],
  ] as const) {
    for (const query of ['', '?dryRun=true']) {
      const problem = await expectRejected(t, importRequest(body, type, headers, query), 422)
      expect(problem.type).toBe('urn:pocdir:problem:import-rows-rejected')
      expect(problem.errors, `${type}${query}`).toEqual(errors)
      expect(problem.detail).toBe(
        `${new Set(errors.map((e) => e.row)).size} row(s) rejected; nothing was imported`,
      )
    }
  }
}

describe('one person, two rows with conflicting values (422 naming both rows)', () => {
  it('the same externalId with another familyName: both rows named, nothing written', async () => {
    await rejectedEverywhere(
      [ASAN, { ...ASAN_2, familyName: 'Zhumabekova' }],
      [
        {
          row: 1,
          field: 'familyName',
          message: 'row 2 gives the same person another familyName ("Zhumabekova")',
        },
        {
          row: 2,
          field: 'familyName',
          message: 'row 1 gives the same person another familyName ("Zhumabekov")',
        },
      ],
    )
  })

  it('a stored person too: the file that used to flip-flop on every re-import is refused', async () => {
    await importOk(t, toCsv([{ ...ASAN, externalId: 'kg-002', email: 'asan2@mfa.gov.kg' }]), 'text/csv', h)
    const flipFlop: Row[] = [
      { ...ASAN, externalId: 'kg-002', email: '', positionTitle: 'Counsellor' },
      { ...ASAN_2, externalId: 'kg-002', email: '', positionTitle: 'Third Secretary' },
    ]
    const before = revisions()
    await rejectedEverywhere(flipFlop, [
      {
        row: 1,
        field: 'positionTitle',
        message: 'row 2 gives the same person another positionTitle ("Third Secretary")',
      },
      {
        row: 2,
        field: 'positionTitle',
        message: 'row 1 gives the same person another positionTitle ("Counsellor")',
      },
    ])
    expect(revisions()).toBe(before)
  })

  it('rows naming the person by email (no externalId) are the same person', async () => {
    const byEmail = (r: Row): Row => ({ ...r, externalId: '', email: 'g.iskakova@mfa.gov.kg' })
    await rejectedEverywhere(
      [
        byEmail({ ...ASAN, givenName: 'Gulnara', familyName: 'Iskakova' }),
        byEmail({ ...ASAN_2, givenName: 'Gulnara', familyName: 'Iskakova', honorific: 'Ms.' }),
      ],
      [
        { row: 1, field: 'honorific', message: 'row 2 gives the same person another honorific ("Ms.")' },
        { row: 2, field: 'honorific', message: 'row 1 gives the same person another honorific ("Mr.")' },
      ],
    )
  })

  it('every conflicting field of every conflicting pair is named; agreeing rows are not', async () => {
    const other: Row = { ...ASAN, externalId: 'kg-010', email: 'other@mfa.gov.kg', familyName: 'Osmonov' }
    await rejectedEverywhere(
      [
        ASAN,
        other,
        // Agrees with row 1 (and leaves cells empty).
        { ...ASAN_2, givenName: '', nameOriginal: '', phone: '' },
        { ...ASAN, role: 'technical-poc', givenName: 'Asanbek', nameOriginal: 'Асанбек Жумабеков' },
        { ...other, role: 'technical-poc' },
      ],
      [
        { row: 1, field: 'givenName', message: 'row 4 gives the same person another givenName ("Asanbek")' },
        {
          row: 1,
          field: 'nameOriginal',
          message: 'row 4 gives the same person another nameOriginal ("Асанбек Жумабеков")',
        },
        { row: 4, field: 'givenName', message: 'row 1 gives the same person another givenName ("Asan")' },
        {
          row: 4,
          field: 'nameOriginal',
          message: 'row 1 gives the same person another nameOriginal ("Асан Жумабеков")',
        },
      ],
    )
  })

  it('the same email of one person with another emailVisibility', async () => {
    await rejectedEverywhere(
      [
        { ...ASAN, externalId: 'kg-020', emailVisibility: 'public' },
        { ...ASAN_2, externalId: 'kg-020', emailVisibility: 'restricted' },
      ],
      [
        {
          row: 1,
          field: 'emailVisibility',
          message: `row 2 gives the same person's email another emailVisibility ("restricted")`,
        },
        {
          row: 2,
          field: 'emailVisibility',
          message: `row 1 gives the same person's email another emailVisibility ("public")`,
        },
      ],
    )
  })
})

describe('one assignment or organization, two rows with conflicting values (422 naming both rows)', () => {
  it('the same tenure (person, role, organization, startDate) with another endDate', async () => {
    await rejectedEverywhere(
      [
        { ...ASAN, externalId: 'kg-030', endDate: '2024-12-31' },
        { ...ASAN, externalId: 'kg-030', endDate: '2025-01-31' },
      ],
      [
        {
          row: 1,
          field: 'endDate',
          message: 'row 2 gives the same assignment another endDate ("2025-01-31")',
        },
        {
          row: 2,
          field: 'endDate',
          message: 'row 1 gives the same assignment another endDate ("2024-12-31")',
        },
      ],
    )
  })

  it('the same organization (name within the state, any case and spacing) with another organizationKind', async () => {
    await rejectedEverywhere(
      [
        { ...ASAN, organization: 'Kyrgyz Atomic Academy', organizationKind: 'academic' },
        { ...ASAN_2, organization: 'kyrgyz  atomic academy', organizationKind: 'ngo' },
      ],
      [
        {
          row: 1,
          field: 'organizationKind',
          message: 'row 2 gives the same organization another organizationKind ("ngo")',
        },
        {
          row: 2,
          field: 'organizationKind',
          message: 'row 1 gives the same organization another organizationKind ("academic")',
        },
      ],
    )
  })
})

describe('rows that agree are fine', () => {
  it('a person repeated with the same values or empty cells, a tenure repeated, several emails: imported, then unchanged', async () => {
    const rows: Row[] = [
      { ...ASAN, externalId: 'kg-040', email: 'kg040@mfa.gov.kg', endDate: '2024-12-31' },
      // The same tenure again, with the endDate not given.
      { ...ASAN, externalId: 'kg-040', email: 'kg040@mfa.gov.kg', givenName: '', positionTitle: '' },
      // A second role; a second address and visibility of the first address not given.
      { ...ASAN_2, externalId: 'kg-040', email: 'asan.zh@mfa.gov.kg', phone: '' },
      { ...ASAN_2, externalId: 'kg-040', email: 'kg040@mfa.gov.kg', emailVisibility: 'restricted' },
    ]
    const body = toCsv(rows)
    expect(await importOk(t, body, 'text/csv', h, '?dryRun=true')).toEqual(
      result({ contacts: 1, assignments: 2 }, {}, { organizations: 1 }, true),
    )
    expect(await importOk(t, body, 'text/csv', h)).toEqual(
      result({ contacts: 1, assignments: 2 }, {}, { organizations: 1 }),
    )
    const before = snapshot(t.db)
    expect(await importOk(t, body, 'text/csv', h)).toEqual(
      result({}, {}, { organizations: 1, contacts: 1, assignments: 2 }),
    )
    expect(snapshot(t.db), 'a re-import writes nothing').toBe(before)
    const found = (
      await t.app.inject({ url: '/v1/contacts?q=zhumabekov&limit=500', headers: await admin() })
    ).json().items as Json[]
    const kg040 = found.find((c) => c.externalId === 'kg-040') as Json
    expect(kg040.contactDetails.map((d: Json) => d.value)).toEqual([
      'kg040@mfa.gov.kg',
      '+996312620545',
      'asan.zh@mfa.gov.kg',
    ])
  })
})
