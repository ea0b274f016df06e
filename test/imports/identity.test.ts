import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'

let t: Awaited<ReturnType<typeof buildTestApp>>
beforeEach(async () => {
  t = await buildTestApp()
})
afterEach(() => t.close())

const csv = (lines: string[]) =>
  `stateCode,organization,role,externalId,familyName,startDate,email\n${lines.join('\n')}\n`
const importCsv = async (body: string, headers: Record<string, string>) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/imports',
    headers: { ...headers, 'content-type': 'text/csv' },
    payload: body,
  })

describe('who a row is', () => {
  it('a row with neither externalId nor email is rejected, so re-importing never duplicates a person', async () => {
    const admin = await bearer('directory:admin')
    const before = snapshot(t.db)
    const res = await importCsv(csv(['KG,MFA,national-poc,,Osmonov,2024-01-01,']), admin)
    expect(res.statusCode).toBe(422)
    expect(res.json().errors).toEqual([
      { row: 1, field: 'externalId', message: 'give externalId or email to identify the person' },
    ])
    expect(snapshot(t.db)).toBe(before)
  })

  it('a states-limited reader may not change, through a matching email, a person assigned only elsewhere', async () => {
    const admin = await bearer('directory:admin')
    expect(
      (await importCsv(csv(['KZ,MFA,national-poc,kz-1,Iskakova,2024-01-01,d.iskakova@mfa.kz']), admin))
        .statusCode,
    ).toBe(200)
    // It may read restricted e-mails, so an e-mail names a person (an import-only token's may not:
    // see import-privacy.test.ts).
    const kg = await bearer('directory:import directory:read', { states: ['KG'] })
    const before = snapshot(t.db)
    const res = await importCsv(csv(['KG,MFA,national-poc,,Renamed,2024-01-01,d.iskakova@mfa.kz']), kg)
    expect(res.statusCode).toBe(403)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().errors).toEqual([
      {
        row: 1,
        field: 'email',
        message: 'matches a person assigned only in states this token may not change',
      },
    ])
    expect(snapshot(t.db)).toBe(before)
    // A person with a KG tenure too is the token's to change.
    expect((await importCsv(csv(['KG,MFA,national-poc,kz-1,Iskakova,2024-02-01,']), admin)).statusCode).toBe(
      200,
    )
    expect(
      (await importCsv(csv(['KG,MFA,alternate-poc,,Iskakova-Sadykova,2024-03-01,d.iskakova@mfa.kz']), kg))
        .statusCode,
    ).toBe(200)
  })
})
