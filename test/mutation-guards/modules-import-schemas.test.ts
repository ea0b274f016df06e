import { describe, expect, it } from 'vitest'
import {
  IMPORT_COLUMNS,
  ImportQuery,
  ImportResult,
  ImportRow,
  ImportRowByKey,
} from '../../src/modules/imports/imports-schemas.js'

/**
 * The import's schemas (src/modules/imports/imports-schemas.ts): every rule of a row, called
 * directly with exact issues: each bound at the last allowed value and one past it, each
 * cross-field rule on and off; the query and the result's counts.
 */

// The operation and ImportResult as the contract states them: modules-import-routes.test.ts (it
// builds the app; kept out of this file so that each of this module's static mutants, which
// reload the file, costs seconds).
describe('the columns', () => {
  it('in export order', () => {
    expect(IMPORT_COLUMNS).toEqual([
      'stateCode',
      'organization',
      'organizationKind',
      'role',
      'externalId',
      'honorific',
      'givenName',
      'familyName',
      'nameOriginal',
      'positionTitle',
      'email',
      'phone',
      'startDate',
      'endDate',
      'emailVisibility',
      'phoneVisibility',
    ])
  })
})

type Issue = { path: string; message: string }
const issues = (schema: typeof ImportRow, row: Record<string, unknown>): Issue[] => {
  const r = schema.safeParse(row)
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
}
const person = { externalId: 'a-1', familyName: 'Osmonov' }
const TENURE_NEEDED = 'is required when organization, role or startDate is given'

describe('a row', () => {
  it('a full row parses, trimmed, its e-mail lower-cased', () => {
    expect(
      ImportRow.parse({
        stateCode: 'KG',
        organization: ' Ministry of Foreign Affairs ',
        organizationKind: 'government',
        role: ' national-poc ',
        externalId: ' a-1 ',
        honorific: 'Mr',
        givenName: 'Almaz',
        familyName: 'Osmonov',
        nameOriginal: 'Алмаз Осмонов',
        positionTitle: 'Director',
        email: 'A.Osmonov@MFA.gov.kg',
        phone: ' 0312 620001 ',
        startDate: '2024-01-01',
        endDate: '2024-01-01',
        emailVisibility: 'public',
        phoneVisibility: 'restricted',
      }),
    ).toEqual({
      stateCode: 'KG',
      organization: 'Ministry of Foreign Affairs',
      organizationKind: 'government',
      role: 'national-poc',
      externalId: 'a-1',
      honorific: 'Mr',
      givenName: 'Almaz',
      familyName: 'Osmonov',
      nameOriginal: 'Алмаз Осмонов',
      positionTitle: 'Director',
      email: 'a.osmonov@mfa.gov.kg',
      phone: '0312 620001',
      startDate: '2024-01-01',
      endDate: '2024-01-01',
      emailVisibility: 'public',
      phoneVisibility: 'restricted',
    })
  })

  it('refuses unknown keys and needs a family name', () => {
    expect(issues(ImportRow, { externalId: 'a-1', colour: 'red' })).toEqual([
      { path: 'familyName', message: 'Invalid input: expected string, received undefined' },
      { path: '', message: 'Unrecognized key: "colour"' },
    ])
  })

  it('role, externalId and phone: one to 60, 200 and 60 characters after trimming', () => {
    for (const [field, max] of [
      ['role', 60],
      ['externalId', 200],
      ['phone', 60],
    ] as const) {
      const base = { externalId: 'a-1', familyName: 'Osmonov' }
      expect(issues(ImportRow, { ...base, [field]: ` ${'x'.repeat(max)} ` }), field).toEqual(
        field === 'role'
          ? [
              { path: 'organization', message: TENURE_NEEDED },
              { path: 'startDate', message: TENURE_NEEDED },
            ]
          : [],
      )
      expect(issues(ImportRow, { ...base, [field]: 'x'.repeat(max + 1) })[0], field).toEqual({
        path: field,
        message: `Too big: expected string to have <=${max} characters`,
      })
      expect(issues(ImportRow, { ...base, [field]: '   ' })[0], field).toEqual({
        path: field,
        message: 'Too small: expected string to have >=1 characters',
      })
    }
  })

  it('name and title bounds: honorific 40, names 200, nameOriginal 400, positionTitle 300, organization 300', () => {
    for (const [field, max] of [
      ['honorific', 40],
      ['givenName', 200],
      ['familyName', 200],
      ['nameOriginal', 400],
      ['positionTitle', 300],
      ['organization', 300],
    ] as const) {
      const extra =
        field === 'organization' ? { stateCode: 'KG', role: 'national-poc', startDate: '2024-01-01' } : {}
      expect(issues(ImportRow, { ...person, ...extra, [field]: 'x'.repeat(max) }), field).toEqual([])
      expect(issues(ImportRow, { ...person, ...extra, [field]: 'x'.repeat(max + 1) })[0]?.path, field).toBe(
        field,
      )
    }
  })

  it('an e-mail: a valid address of at most 320 characters', () => {
    const at = (n: number) => `${'a'.repeat(64)}@${'b'.repeat(n - 65 - 4)}.org`
    expect(at(320)).toHaveLength(320)
    expect(issues(ImportRow, { ...person, email: at(320) })).toEqual([])
    expect(issues(ImportRow, { ...person, email: at(321) })).toEqual([
      // zod's address check itself refuses more than 320 characters, before the bound.
      { path: 'email', message: 'is not a valid email address' },
    ])
    expect(issues(ImportRow, { ...person, email: 'not-an-address' })).toEqual([
      { path: 'email', message: 'is not a valid email address' },
    ])
  })

  it('organization, role and startDate: all three or none, naming each missing one', () => {
    const tenure = { stateCode: 'KG', organization: 'MFA', role: 'national-poc', startDate: '2024-01-01' }
    expect(issues(ImportRow, { ...person, ...tenure })).toEqual([])
    expect(issues(ImportRow, { ...person, stateCode: 'KG' })).toEqual([])
    expect(issues(ImportRow, { ...person, stateCode: 'KG', organization: 'MFA' })).toEqual([
      { path: 'role', message: TENURE_NEEDED },
      { path: 'startDate', message: TENURE_NEEDED },
    ])
    expect(
      issues(ImportRow, { ...person, stateCode: 'KG', organization: 'MFA', startDate: '2024-01-01' }),
    ).toEqual([{ path: 'role', message: TENURE_NEEDED }])
    expect(issues(ImportRow, { ...person, startDate: '2024-01-01' })).toEqual([
      { path: 'organization', message: TENURE_NEEDED },
      { path: 'role', message: TENURE_NEEDED },
    ])
  })

  it('needs a key: externalId, or an e-mail only where e-mails are keys', () => {
    expect(issues(ImportRow, { familyName: 'Osmonov', email: 'a@mfa.gov.kg' })).toEqual([])
    expect(issues(ImportRow, { familyName: 'Osmonov' })).toEqual([
      { path: 'externalId', message: 'give externalId or email to identify the person' },
    ])
    const blind =
      'give externalId (or the record id) to identify the person; without directory:read an email is not a match key'
    expect(issues(ImportRowByKey, { familyName: 'Osmonov', email: 'a@mfa.gov.kg' })).toEqual([
      { path: 'externalId', message: blind },
    ])
    expect(issues(ImportRowByKey, { familyName: 'Osmonov' })).toEqual([
      { path: 'externalId', message: blind },
    ])
    expect(issues(ImportRowByKey, { externalId: 'a-1', familyName: 'Osmonov' })).toEqual([])
  })

  it('an end date on the start date is allowed, one day before is not; an end date alone is kept', () => {
    const tenure = { stateCode: 'KG', organization: 'MFA', role: 'national-poc', startDate: '2024-03-01' }
    expect(issues(ImportRow, { ...person, ...tenure, endDate: '2024-03-01' })).toEqual([])
    expect(issues(ImportRow, { ...person, ...tenure, endDate: '2024-02-29' })).toEqual([
      { path: 'endDate', message: 'must not be before startDate' },
    ])
    expect(issues(ImportRow, { ...person, endDate: '2024-02-29' })).toEqual([])
  })

  it('the organization kind: government by default with a state, needed without one; no state for international or regional bodies', () => {
    const tenure = { organization: 'MFA', role: 'national-poc', startDate: '2024-01-01' }
    expect(issues(ImportRow, { ...person, ...tenure, stateCode: 'KG' })).toEqual([])
    expect(issues(ImportRow, { ...person, ...tenure })).toEqual([
      { path: 'organizationKind', message: 'is required for rows without a stateCode' },
    ])
    for (const kind of ['international', 'regional']) {
      expect(issues(ImportRow, { ...person, ...tenure, organizationKind: kind }), kind).toEqual([])
      expect(
        issues(ImportRow, { ...person, ...tenure, organizationKind: kind, stateCode: 'KG' }),
        kind,
      ).toEqual([{ path: 'stateCode', message: `must be empty for ${kind} organizations` }])
    }
    expect(issues(ImportRow, { ...person, ...tenure, organizationKind: 'government' })).toEqual([
      { path: 'stateCode', message: 'is required for government organizations' },
    ])
    for (const kind of ['ngo', 'academic', 'other']) {
      expect(issues(ImportRow, { ...person, ...tenure, organizationKind: kind }), kind).toEqual([])
      expect(
        issues(ImportRow, { ...person, ...tenure, organizationKind: kind, stateCode: 'KG' }),
        kind,
      ).toEqual([])
    }
    // A kind or a state without an organization is only kept.
    expect(issues(ImportRow, { ...person, organizationKind: 'international', stateCode: 'KG' })).toEqual([
      { path: 'stateCode', message: 'must be empty for international organizations' },
    ])
    expect(issues(ImportRow, { ...person, organizationKind: 'government' })).toEqual([
      { path: 'stateCode', message: 'is required for government organizations' },
    ])
  })
})

describe('the rules of a row', () => {
  it('each is an issue of code custom', () => {
    const codes = (schema: typeof ImportRow, row: Record<string, unknown>) => {
      const r = schema.safeParse(row)
      return r.success ? [] : r.error.issues.map((i) => `${i.code} ${i.path.join('.')}`)
    }
    expect(
      codes(ImportRow, { ...person, stateCode: 'KG', organization: 'MFA', role: 'national-poc' }),
    ).toEqual(['custom startDate'])
    expect(codes(ImportRow, { familyName: 'Osmonov' })).toEqual(['custom externalId'])
    expect(codes(ImportRow, { ...person, startDate: '2024-03-01', endDate: '2024-02-29' })).toEqual([
      'custom organization',
      'custom role',
      'custom endDate',
    ])
    expect(
      codes(ImportRow, { ...person, organization: 'MFA', role: 'national-poc', startDate: '2024-01-01' }),
    ).toEqual(['custom organizationKind'])
    expect(codes(ImportRow, { ...person, organizationKind: 'regional', stateCode: 'KG' })).toEqual([
      'custom stateCode',
    ])
    expect(codes(ImportRow, { ...person, organizationKind: 'government' })).toEqual(['custom stateCode'])
  })
})

describe('the query and the result', () => {
  it('as the contract describes them', () => {
    expect(ImportQuery.shape.dryRun.description).toBe(
      'Validate and report what would change, writing nothing',
    )
    expect(ImportResult.meta()).toEqual({ id: 'ImportResult' })
  })

  it('dryRun is the only parameter, a boolean string', () => {
    expect(ImportQuery.parse({})).toEqual({})
    expect(ImportQuery.parse({ dryRun: 'true' })).toEqual({ dryRun: true })
    expect(ImportQuery.parse({ dryRun: 'false' })).toEqual({ dryRun: false })
    expect(ImportQuery.safeParse({ dryrun: 'true' }).success).toBe(false)
  })

  it('counts are whole numbers from 0', () => {
    const c = { organizations: 0, contacts: 2_147_483_647, assignments: 1 }
    const r = { dryRun: false, created: c, updated: c, unchanged: c }
    expect(ImportResult.parse(r)).toEqual(r)
    expect(ImportResult.safeParse({ ...r, created: { ...c, organizations: -1 } }).success).toBe(false)
    expect(ImportResult.safeParse({ ...r, created: { ...c, organizations: 1.5 } }).success).toBe(false)
    expect(ImportResult.safeParse({ ...r, created: { ...c, organizations: 2_147_483_648 } }).success).toBe(
      false,
    )
  })
})
