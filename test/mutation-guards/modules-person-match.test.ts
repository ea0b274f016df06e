import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'

/**
 * The import's identity rules (src/modules/imports/person-match.ts, docs/imports-exports.md "How
 * rows are matched"), each condition shown deciding: a record id names only a person without
 * externalId; an e-mail names only a person without another externalId; the first person holding
 * an e-mail keeps it when a person created in the same file holds it too; and the field a refused
 * row is blamed on says which column matched.
 */

let t: Awaited<ReturnType<typeof buildTestApp>>
beforeEach(async () => {
  t = await buildTestApp()
})
afterEach(() => t.close())

const admin = () => bearer('directory:admin', { sub: 'admin-alice' })
const importer = (claims: Record<string, unknown> = {}) =>
  bearer('directory:import directory:read', { sub: 'importer-ines', ...claims })

const post = async (
  lines: string[],
  headers: Record<string, string>,
  columns = 'externalId,familyName,email',
) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/imports',
    headers: { ...headers, 'content-type': 'text/csv' },
    payload: `${columns}\n${lines.join('\n')}\n`,
  })

const counts = (created: number, updated: number, unchanged = 0) => ({
  dryRun: false,
  created: { organizations: 0, contacts: created, assignments: 0 },
  updated: { organizations: 0, contacts: updated, assignments: 0 },
  unchanged: { organizations: 0, contacts: unchanged, assignments: 0 },
})

/** Every live person as [externalId, familyName, e-mails], by family name. */
const people = () =>
  (
    t.db.$client
      .prepare('select external_id, family_name, contact_details from contacts where deleted_at is null')
      .all() as { external_id: string | null; family_name: string; contact_details: string }[]
  )
    .map((r) => [
      r.external_id,
      r.family_name,
      (JSON.parse(r.contact_details) as { type: string; value: string }[])
        .filter((d) => d.type === 'email')
        .map((d) => d.value),
    ])
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])))

const idOf = (familyName: string) =>
  t.db.$client.prepare('select id from contacts where family_name = ?').pluck().get(familyName) as string

describe('a row names a person', () => {
  it('by the record id only when that person has no externalId of their own', async () => {
    const h = await admin()
    expect((await post(['a-1,Abdyrakhmanov,a@mfa.gov.kg', ',Beishenova,b@mfa.gov.kg'], h)).json()).toEqual(
      counts(2, 0),
    )
    const keyed = idOf('Abdyrakhmanov')
    const unkeyed = idOf('Beishenova')
    // The id of a person keyed by externalId "a-1" names nobody: a new person, keyed by that text.
    expect((await post([`${keyed},Chynybaev,`], h)).json()).toEqual(counts(1, 0))
    // The id of a person without externalId names them, and is not stored as their externalId.
    expect((await post([`${unkeyed},Beishenova-Toktogulova,`], h)).json()).toEqual(counts(0, 1))
    expect(people()).toEqual([
      ['a-1', 'Abdyrakhmanov', ['a@mfa.gov.kg']],
      [null, 'Beishenova-Toktogulova', ['b@mfa.gov.kg']],
      [keyed, 'Chynybaev', []],
    ])
  })

  it('by e-mail only when that person has no other externalId', async () => {
    const h = await importer()
    expect((await post(['a-1,Abdyrakhmanov,a@mfa.gov.kg', ',Beishenova,b@mfa.gov.kg'], h)).json()).toEqual(
      counts(2, 0),
    )
    // a@ belongs to a person keyed "a-1": a row keyed "x-9" with that e-mail is someone else.
    expect((await post(['x-9,Chynybaev,a@mfa.gov.kg'], h)).json()).toEqual(counts(1, 0))
    // b@ belongs to a person without externalId: the row names them and gives them "b-2".
    expect((await post(['b-2,Beishenova,b@mfa.gov.kg'], h)).json()).toEqual(counts(0, 1))
    expect(people()).toEqual([
      ['a-1', 'Abdyrakhmanov', ['a@mfa.gov.kg']],
      ['b-2', 'Beishenova', ['b@mfa.gov.kg']],
      ['x-9', 'Chynybaev', ['a@mfa.gov.kg']],
    ])
  })

  it('by e-mail: the person who held it first, not one the same file created with it', async () => {
    const h = await importer()
    expect((await post(['a-1,Abdyrakhmanov,a@mfa.gov.kg'], h)).json()).toEqual(counts(1, 0))
    // Row 1 creates "x-9" with a@ too (a@'s holder is keyed otherwise); row 2, by e-mail alone,
    // still names the first holder.
    expect(
      (await post(['x-9,Chynybaev,a@mfa.gov.kg', ',Abdyrakhmanov-Uulu,a@mfa.gov.kg'], h)).json(),
    ).toEqual(counts(1, 1))
    expect(people()).toEqual([
      ['a-1', 'Abdyrakhmanov-Uulu', ['a@mfa.gov.kg']],
      ['x-9', 'Chynybaev', ['a@mfa.gov.kg']],
    ])
  })
})

describe('a states-limited token refused a person assigned elsewhere: the column that matched', () => {
  const tenure = 'stateCode,organization,role,externalId,familyName,email,startDate'
  const refusal = (field: string) => [
    { row: 1, field, message: 'matches a person assigned only in states this token may not change' },
  ]

  async function refused(line: string, field: string) {
    const kg = await importer({ states: ['KG'] })
    const before = snapshot(t.db)
    const res = await post([line], kg, tenure)
    expect(res.statusCode).toBe(403)
    expect(res.json().errors).toEqual(refusal(field))
    expect(snapshot(t.db)).toBe(before)
  }

  beforeEach(async () => {
    const h = await admin()
    const res = await post(
      [
        'KZ,MFA,national-poc,kz-1,Iskakova,d.iskakova@mfa.kz,2024-01-01',
        'KZ,MFA,alternate-poc,,Nurlanov,n@mfa.kz,2024-01-01',
      ],
      h,
      tenure,
    )
    expect(res.statusCode).toBe(200)
  })

  it('by externalId: externalId', async () => {
    await refused('KG,MFA,national-poc,kz-1,Iskakova,,2024-02-01', 'externalId')
  })

  it('by record id: externalId', async () => {
    await refused(`KG,MFA,national-poc,${idOf('Nurlanov')},Nurlanov,,2024-02-01`, 'externalId')
  })

  it('by e-mail: email', async () => {
    await refused('KG,MFA,national-poc,,Nurlanov,n@mfa.kz,2024-02-01', 'email')
  })
})
