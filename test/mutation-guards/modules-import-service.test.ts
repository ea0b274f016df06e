import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Db, openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { ProblemError } from '../../src/lib/problem.js'
import { answerImport, importRows } from '../../src/modules/imports/import-job.js'
import { type ParsedRows, parseImportBody } from '../../src/modules/imports/import-parse.js'
import {
  applyRows,
  Conflicts,
  checkRowStates,
  type ImportOptions,
  runImport,
  validateRows,
} from '../../src/modules/imports/import-service.js'

/**
 * The import service (src/modules/imports/import-service.ts) called directly on a fresh migrated
 * and seeded database, each test its own: counts, what is stored, every refusal's exact body.
 * The app-level import tests (test/imports/) show the same through HTTP and the worker.
 */

const open = () => {
  const db = openDatabase(':memory:')
  runMigrations(db)
  seed(db)
  return db
}
const ctx = { actor: 'importer-ines', requestId: 'req-import-1' }
const options = (o: Partial<ImportOptions> = {}): ImportOptions => ({
  dryRun: false,
  limitedTo: null,
  seesRestricted: true,
  ...o,
})
const csv = (db: Db, text: string, o: Partial<ImportOptions> = {}) =>
  runImport(db, ctx, parseImportBody('csv', text, 10_000), options(o))

const refusal = (f: () => unknown) => {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError)
    return (err as ProblemError).toBody()
  }
  throw new Error('not refused')
}

type Three = [number, number, number]
const counts = (created: Three, updated: Three = [0, 0, 0], unchanged: Three = [0, 0, 0], dryRun = false) => {
  const c = ([organizations, contacts, assignments]: Three) => ({ organizations, contacts, assignments })
  return { dryRun, created: c(created), updated: c(updated), unchanged: c(unchanged) }
}

const rejected = (rows: number, errors: unknown[]) => ({
  type: 'urn:pocdir:problem:import-rows-rejected',
  title: 'Unprocessable Content',
  status: 422,
  detail: `${rows} row(s) rejected; nothing was imported`,
  errors,
})

interface Person {
  externalId: string | null
  givenName: string | null
  familyName: string
  positionTitle: string | null
  details: { type: string; value: string; visibility: string }[]
}
/** Every live person, by family name. */
const people = (db: Db): Person[] =>
  (
    db.$client
      .prepare(
        `select external_id, given_name, family_name, position_title, contact_details from contacts
          where deleted_at is null order by family_name`,
      )
      .all() as {
      external_id: string | null
      given_name: string | null
      family_name: string
      position_title: string | null
      contact_details: string
    }[]
  ).map((r) => ({
    externalId: r.external_id,
    givenName: r.given_name,
    familyName: r.family_name,
    positionTitle: r.position_title,
    details: (JSON.parse(r.contact_details) as { type: string; value: string; visibility: string }[]).map(
      ({ type, value, visibility }) => ({ type, value, visibility }),
    ),
  }))
const orgs = (db: Db) =>
  db.$client
    .prepare(
      'select name, kind, state_code as stateCode from organizations where deleted_at is null order by name, state_code',
    )
    .all()
const tenures = (db: Db) =>
  db.$client
    .prepare(
      `select c.family_name as person, r.key as role, o.name as organization, a.state_code as stateCode,
              a.start_date as startDate, a.end_date as endDate
         from assignments a join contacts c on c.id = a.contact_id join roles r on r.id = a.role_id
         join organizations o on o.id = a.organization_id
        where a.deleted_at is null order by c.family_name, a.start_date, r.key, o.name`,
    )
    .all()
const revisions = (db: Db) => db.$client.prepare('select count(*) from revisions').pluck().get() as number
const idOf = (db: Db, familyName: string) =>
  db.$client.prepare('select id from contacts where family_name = ?').pluck().get(familyName) as string

const PERSON = 'externalId,givenName,familyName,email,phone,stateCode,emailVisibility,phoneVisibility'
const TENURE = 'externalId,familyName,stateCode,organization,organizationKind,role,startDate,endDate'

describe('counts', () => {
  it('creates people, organizations and tenures, each counted once with its strongest outcome', () => {
    const db = open()
    expect(
      csv(
        db,
        `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\na-1,Osmonov,KG,Ministry of Foreign Affairs,,alternate-poc,2024-01-01,\na-2,Beishenova,KZ,Ministry of Foreign Affairs,,national-poc,2024-02-01,2026-01-01\n`,
      ),
    ).toEqual(counts([2, 2, 3]))
    expect(orgs(db)).toEqual([
      { name: 'Ministry of Foreign Affairs', kind: 'government', stateCode: 'KG' },
      { name: 'Ministry of Foreign Affairs', kind: 'government', stateCode: 'KZ' },
    ])
    expect(tenures(db)).toEqual([
      {
        person: 'Beishenova',
        role: 'national-poc',
        organization: 'Ministry of Foreign Affairs',
        stateCode: 'KZ',
        startDate: '2024-02-01',
        endDate: '2026-01-01',
      },
      {
        person: 'Osmonov',
        role: 'alternate-poc',
        organization: 'Ministry of Foreign Affairs',
        stateCode: 'KG',
        startDate: '2024-01-01',
        endDate: null,
      },
      {
        person: 'Osmonov',
        role: 'national-poc',
        organization: 'Ministry of Foreign Affairs',
        stateCode: 'KG',
        startDate: '2024-01-01',
        endDate: null,
      },
    ])
    // The same file again changes nothing.
    const before = revisions(db)
    expect(
      csv(
        db,
        `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\na-1,Osmonov,KG,Ministry of Foreign Affairs,,alternate-poc,2024-01-01,\na-2,Beishenova,KZ,Ministry of Foreign Affairs,,national-poc,2024-02-01,2026-01-01\n`,
      ),
    ).toEqual(counts([0, 0, 0], [0, 0, 0], [2, 2, 3]))
    expect(revisions(db)).toBe(before)
  })

  it('a person updated by one row and unchanged by the next counts as updated; created then given more, as created', () => {
    const db = open()
    csv(db, 'externalId,familyName\na-1,Osmonov\n')
    expect(
      csv(
        db,
        'externalId,familyName,givenName\na-1,Osmonov,Almaz\na-1,Osmonov,\na-2,Beishenova,\na-2,Beishenova,Aida\n',
      ),
    ).toEqual(counts([0, 1, 0], [0, 1, 0]))
    // Unchanged first, then updated: updated.
    expect(csv(db, 'externalId,familyName,positionTitle\na-1,Osmonov,\na-1,Osmonov,Director\n')).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    expect(people(db).map((p) => [p.externalId, p.givenName, p.positionTitle])).toEqual([
      ['a-2', 'Aida', null],
      ['a-1', 'Almaz', 'Director'],
    ])
  })

  it('reports progress every 500 rows', () => {
    const db = open()
    const lines = Array.from({ length: 1000 }, (_, i) => `p-${i},Person ${i}`)
    const seen: [number, number][] = []
    const parsed = parseImportBody('csv', `externalId,familyName\n${lines.join('\n')}\n`, 10_000)
    const { valid } = validateRows(db, parsed, true)
    expect(
      applyRows(db, ctx, valid, { ...options(), onProgress: (done, total) => seen.push([done, total]) }),
    ).toEqual(counts([0, 1000, 0]))
    expect(seen).toEqual([
      [500, 1000],
      [1000, 1000],
    ])
  })
})

describe('people', () => {
  it("stores the row's e-mail and phone (restricted unless the row says), the phone in E.164 for the row's state", () => {
    const db = open()
    expect(
      csv(
        db,
        `${PERSON}\na-1,Almaz,Osmonov,A@Mfa.Gov.Kg,0312 620001,KG,,\na-2,,Beishenova,b@mfa.kz,8 7172 720001,KZ,public,public\n`,
      ),
    ).toEqual(counts([0, 2, 0]))
    expect(people(db)).toEqual([
      {
        externalId: 'a-2',
        givenName: null,
        familyName: 'Beishenova',
        positionTitle: null,
        details: [
          { type: 'email', value: 'b@mfa.kz', visibility: 'public' },
          { type: 'phone', value: '+77172720001', visibility: 'public' },
        ],
      },
      {
        externalId: 'a-1',
        givenName: 'Almaz',
        familyName: 'Osmonov',
        positionTitle: null,
        details: [
          { type: 'email', value: 'a@mfa.gov.kg', visibility: 'restricted' },
          { type: 'phone', value: '+996312620001', visibility: 'restricted' },
        ],
      },
    ])
  })

  it('adds a new detail, keeps a known one (a number whatever its kind), and takes a given visibility', () => {
    const db = open()
    csv(db, `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,0312 620001,KG,,\n`)
    // Stored as a mobile: the same number given as a phone is the same detail.
    const id = idOf(db, 'Osmonov')
    db.$client
      .prepare(
        `update contacts set contact_details = replace(contact_details, '"type":"phone"', '"type":"mobile"') where id = ?`,
      )
      .run(id)
    expect(csv(db, `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,0312 620001,KG,,\n`)).toEqual(
      counts([0, 0, 0], [0, 0, 0], [0, 1, 0]),
    )
    // The same visibility given again: unchanged.
    expect(csv(db, `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,0312 620001,KG,restricted,restricted\n`)).toEqual(
      counts([0, 0, 0], [0, 0, 0], [0, 1, 0]),
    )
    // Another visibility for the phone only.
    expect(csv(db, `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,0312 620001,KG,,public\n`)).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    expect(people(db)[0]?.details).toEqual([
      { type: 'email', value: 'a@mfa.gov.kg', visibility: 'restricted' },
      { type: 'mobile', value: '+996312620001', visibility: 'public' },
    ])
    // Another visibility for the e-mail only.
    expect(csv(db, `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,,KG,public,\n`)).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    // A new e-mail and a new number are added after the known ones.
    expect(csv(db, `${PERSON}\na-1,,Osmonov,o@mfa.gov.kg,0312 620002,KG,,\n`)).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    expect(people(db)[0]?.details).toEqual([
      { type: 'email', value: 'a@mfa.gov.kg', visibility: 'public' },
      { type: 'mobile', value: '+996312620001', visibility: 'public' },
      { type: 'email', value: 'o@mfa.gov.kg', visibility: 'restricted' },
      { type: 'phone', value: '+996312620002', visibility: 'restricted' },
    ])
  })

  it('an e-mail equal to a stored number is not that detail', () => {
    const db = open()
    csv(db, `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,,KG,,\n`)
    db.$client
      .prepare(
        `update contacts set contact_details = '[{"type":"website","value":"b@mfa.gov.kg","label":null,"visibility":"public"}]'`,
      )
      .run()
    expect(csv(db, `${PERSON}\na-1,,Osmonov,b@mfa.gov.kg,,KG,public,\n`)).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    expect(people(db)[0]?.details).toEqual([
      { type: 'website', value: 'b@mfa.gov.kg', visibility: 'public' },
      { type: 'email', value: 'b@mfa.gov.kg', visibility: 'public' },
    ])
  })

  it('matched by record id: the id is not stored as externalId; by e-mail: the row may give an externalId', () => {
    const db = open()
    csv(db, 'familyName,email\nOsmonov,a@mfa.gov.kg\nBeishenova,b@mfa.kz\n')
    const id = idOf(db, 'Osmonov')
    expect(csv(db, `externalId,familyName,givenName\n${id},Osmonov,Almaz\n`)).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    expect(csv(db, 'externalId,familyName,email\nb-1,Beishenova,b@mfa.kz\n')).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    expect(people(db).map((p) => [p.externalId, p.givenName, p.familyName])).toEqual([
      ['b-1', null, 'Beishenova'],
      [null, 'Almaz', 'Osmonov'],
    ])
  })

  it('a stored person without a Latin name, or with a language twice, is rewritten (updated) by the same row', () => {
    const db = open()
    csv(db, 'externalId,familyName\na-1,Osmonov\na-2,Beishenova\n')
    db.$client.prepare(`update contacts set name_latin = null where external_id = 'a-1'`).run()
    db.$client.prepare(`update contacts set languages = '["ky","ky"]' where external_id = 'a-2'`).run()
    expect(csv(db, 'externalId,familyName\na-1,Osmonov\na-2,Beishenova\n')).toEqual(
      counts([0, 0, 0], [0, 2, 0]),
    )
    expect(
      db.$client
        .prepare('select external_id, name_latin, languages from contacts order by external_id')
        .all(),
    ).toEqual([
      { external_id: 'a-1', name_latin: 'Osmonov', languages: '[]' },
      { external_id: 'a-2', name_latin: 'Beishenova', languages: '["ky"]' },
    ])
    expect(csv(db, 'externalId,familyName\na-1,Osmonov\na-2,Beishenova\n')).toEqual(
      counts([0, 0, 0], [0, 0, 0], [0, 2, 0]),
    )
  })

  it('a row that changes one field of a person updates only that field', () => {
    const db = open()
    csv(db, 'externalId,givenName,familyName,positionTitle\na-1,Almaz,Osmonov,Director\n')
    expect(csv(db, 'externalId,familyName,positionTitle\na-1,Osmonov,Deputy Director\n')).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    expect(people(db).map((p) => [p.givenName, p.positionTitle])).toEqual([['Almaz', 'Deputy Director']])
  })

  it(`refuses a person past ${50} contact details, naming the column that overflows`, () => {
    const db = open()
    csv(db, 'externalId,familyName\na-1,Osmonov\na-2,Beishenova\n')
    const fill = (n: number) =>
      JSON.stringify(
        Array.from({ length: n }, (_, i) => ({
          type: 'website',
          value: `https://example.org/${i}`,
          label: null,
          visibility: 'public',
        })),
      )
    db.$client.prepare(`update contacts set contact_details = ? where external_id = 'a-1'`).run(fill(49))
    db.$client.prepare(`update contacts set contact_details = ? where external_id = 'a-2'`).run(fill(50))
    // 49 + e-mail = 50: allowed (dry run), 49 + e-mail + phone = 51: the phone overflows.
    expect(csv(db, 'externalId,familyName,email\na-1,Osmonov,a@mfa.gov.kg\n', { dryRun: true })).toEqual(
      counts([0, 0, 0], [0, 1, 0], [0, 0, 0], true),
    )
    expect(
      refusal(() =>
        csv(
          db,
          'externalId,familyName,email,phone,stateCode\na-1,Osmonov,a@mfa.gov.kg,0312 620001,KG\na-2,Beishenova,b@mfa.kz,,\n',
        ),
      ),
    ).toEqual(
      rejected(2, [
        { row: 1, field: 'phone', message: 'would give the person more than 50 contact details' },
        { row: 2, field: 'email', message: 'would give the person more than 50 contact details' },
      ]),
    )
    // A known detail does not count again.
    db.$client
      .prepare(`update contacts set contact_details = ? where external_id = 'a-2'`)
      .run(
        JSON.stringify([
          ...JSON.parse(fill(49)),
          { type: 'email', value: 'b@mfa.kz', label: null, visibility: 'restricted' },
        ]),
      )
    expect(csv(db, 'externalId,familyName,email\na-2,Beishenova,b@mfa.kz\n')).toEqual(
      counts([0, 0, 0], [0, 0, 0], [0, 1, 0]),
    )
  })
})

describe('privacy of a token without directory:read', () => {
  it('counts a person as updated when a given detail is not among their public ones, whether stored or not', () => {
    const db = open()
    csv(db, `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,0312 620001,KG,restricted,public\n`)
    const blind = { seesRestricted: false }
    // The restricted e-mail, given again: unchanged in fact, updated to this token.
    expect(csv(db, 'externalId,familyName,email\na-1,Osmonov,a@mfa.gov.kg\n', blind)).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    // The public phone, given again: unchanged to anyone.
    expect(csv(db, 'externalId,familyName,phone,stateCode\na-1,Osmonov,0312 620001,KG\n', blind)).toEqual(
      counts([0, 0, 0], [0, 0, 0], [0, 1, 0]),
    )
    // Nothing given but the key: unchanged.
    expect(csv(db, 'externalId,familyName\na-1,Osmonov\n', blind)).toEqual(
      counts([0, 0, 0], [0, 0, 0], [0, 1, 0]),
    )
    // A reader sees it as it is.
    expect(csv(db, 'externalId,familyName,email\na-1,Osmonov,a@mfa.gov.kg\n')).toEqual(
      counts([0, 0, 0], [0, 0, 0], [0, 1, 0]),
    )
    const before = revisions(db)
    // Made public, then given again by the blind token: now unchanged to it too.
    csv(db, 'externalId,familyName,email,emailVisibility\na-1,Osmonov,a@mfa.gov.kg,public\n')
    expect(revisions(db)).toBe(before + 1)
    expect(csv(db, 'externalId,familyName,email\na-1,Osmonov,a@mfa.gov.kg\n', blind)).toEqual(
      counts([0, 0, 0], [0, 0, 0], [0, 1, 0]),
    )
  })

  it('a visibility change the blind token makes counts as updated (the write happens)', () => {
    const db = open()
    csv(db, `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,,KG,restricted,\n`)
    expect(
      csv(db, 'externalId,familyName,email,emailVisibility\na-1,Osmonov,a@mfa.gov.kg,public\n', {
        seesRestricted: false,
      }),
    ).toEqual(counts([0, 0, 0], [0, 1, 0]))
    expect(people(db)[0]?.details).toEqual([{ type: 'email', value: 'a@mfa.gov.kg', visibility: 'public' }])
  })

  it('does not match by e-mail', () => {
    const db = open()
    csv(db, 'familyName,email\nOsmonov,a@mfa.gov.kg\n')
    expect(
      csv(db, 'externalId,familyName,email\na-9,Osmonov,a@mfa.gov.kg\n', { seesRestricted: false }),
    ).toEqual(counts([0, 1, 0]))
    expect(
      refusal(() => csv(db, 'familyName,email\nOsmonov,a@mfa.gov.kg\n', { seesRestricted: false })),
    ).toEqual(
      rejected(1, [
        {
          row: 1,
          field: 'externalId',
          message:
            'give externalId (or the record id) to identify the person; without directory:read an email is not a match key',
        },
      ]),
    )
  })
})

describe('a states-limited token', () => {
  const setUp = (db: Db) =>
    csv(
      db,
      `${TENURE}\nkz-1,Abenov,KZ,Ministry of Foreign Affairs,,national-poc,2024-01-01,\nkg-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\nboth,Beishenova,KZ,Ministry of Foreign Affairs,,alternate-poc,2024-01-01,\nboth,Beishenova,KG,Ministry of Foreign Affairs,,alternate-poc,2024-01-01,\nio-1,Ivanova,,OSCE Secretariat,international,technical-poc,2024-01-01,\nfree,Free,,,,,,\n`,
    )

  it('may change people assigned in its states or nowhere, and is refused the others, naming the column', () => {
    const db = open()
    setUp(db)
    const kg = { limitedTo: ['KG'] }
    expect(
      csv(
        db,
        'externalId,familyName,givenName,stateCode\nkg-1,Osmonov,Almaz,KG\nboth,Beishenova,Aida,KG\nfree,Free,Erkin,KG\n',
        kg,
      ),
    ).toEqual(counts([0, 0, 0], [0, 3, 0]))
    const before = revisions(db)
    expect(
      refusal(() =>
        csv(
          db,
          'externalId,familyName,givenName,stateCode\nkz-1,Abenov,Arman,KG\nkg-1,Osmonov,Almaz,KG\nio-1,Ivanova,Irina,KG\n',
          kg,
        ),
      ),
    ).toEqual({
      type: 'urn:pocdir:problem:forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'The import would change people of states this token may not change; nothing was imported',
      errors: [
        {
          row: 1,
          field: 'externalId',
          message: 'matches a person assigned only in states this token may not change',
        },
        {
          row: 3,
          field: 'externalId',
          message: 'matches a person assigned only in states this token may not change',
        },
      ],
    })
    expect(revisions(db)).toBe(before)
    // Matched by e-mail: the e-mail column is named.
    csv(db, 'externalId,familyName,email\nkz-1,Abenov,kz@mfa.kz\n')
    expect(refusal(() => csv(db, 'familyName,email,stateCode\nAbenov,kz@mfa.kz,KG\n', kg))).toMatchObject({
      status: 403,
      errors: [
        {
          row: 1,
          field: 'email',
          message: 'matches a person assigned only in states this token may not change',
        },
      ],
    })
  })

  it('conflicting rows are refused (422) before people of other states (403)', () => {
    const db = open()
    setUp(db)
    expect(
      refusal(() =>
        csv(
          db,
          'externalId,familyName,givenName,stateCode\nkz-1,Abenov,Arman,KG\nkg-1,Osmonov,Almaz,KG\nkg-1,Osmonov,Azamat,KG\n',
          {
            limitedTo: ['KG'],
          },
        ),
      ),
    ).toMatchObject({ status: 422 })
  })

  it('rows are checked against its states before anything is applied', () => {
    expect(() => checkRowStates(null, [{ row: 1, data: { familyName: 'X' } }])).not.toThrow()
    expect(() =>
      checkRowStates(['KG'], [{ row: 1, data: { familyName: 'X', stateCode: 'KG' } }]),
    ).not.toThrow()
    expect(
      refusal(() =>
        checkRowStates(
          ['KG', 'KZ'],
          [
            { row: 1, data: { familyName: 'X', stateCode: 'KG' } },
            { row: 2, data: { familyName: 'Y', stateCode: 'UZ' } },
            { row: 3, data: { familyName: 'Z' } },
            { row: 4, data: { familyName: 'W', stateCode: 'KZ' } },
          ],
        ),
      ),
    ).toEqual({
      type: 'urn:pocdir:problem:forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'The import has rows of states this token may not change; nothing was imported',
      errors: [
        { row: 2, field: 'stateCode', message: 'the token may not import rows of state UZ' },
        {
          row: 3,
          field: 'stateCode',
          message: 'rows without a state need a token that is not limited to states',
        },
      ],
    })
  })
})

describe('organizations and tenures', () => {
  it('matches an organization within its state by name, in any case and spacing; a new kind updates it', () => {
    const db = open()
    csv(db, `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\n`)
    expect(
      csv(
        db,
        `${TENURE}\na-1,Osmonov,KG,  ministry  OF foreign   affairs ,,alternate-poc,2024-01-01,\na-1,Osmonov,KZ,Ministry of Foreign Affairs,,alternate-poc,2024-01-01,\n`,
      ),
    ).toEqual(counts([1, 0, 2], [0, 0, 0], [1, 1, 0]))
    expect(
      csv(db, `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,other,national-poc,2024-01-01,\n`),
    ).toEqual(counts([0, 0, 0], [1, 0, 0], [0, 1, 1]))
    expect(
      csv(
        db,
        `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,other,national-poc,2024-01-01,\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\n`,
      ),
    ).toEqual(counts([0, 0, 0], [0, 0, 0], [1, 1, 1]))
    expect(orgs(db)).toEqual([
      { name: 'Ministry of Foreign Affairs', kind: 'other', stateCode: 'KG' },
      { name: 'Ministry of Foreign Affairs', kind: 'government', stateCode: 'KZ' },
    ])
    // An international body has no state.
    expect(
      csv(db, `${TENURE}\na-1,Osmonov,,OSCE Secretariat,international,technical-poc,2024-01-01,\n`),
    ).toEqual(counts([1, 0, 1], [0, 0, 0], [0, 1, 0]))
    expect(orgs(db)).toContainEqual({ name: 'OSCE Secretariat', kind: 'international', stateCode: null })
  })

  it('a tenure is (person, role, organization, start): another start is another tenure; an end date updates it', () => {
    const db = open()
    csv(db, `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\n`)
    expect(
      csv(
        db,
        `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2020-01-01,2023-12-31\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,2025-06-30\n`,
      ),
    ).toEqual(counts([0, 0, 1], [0, 0, 1], [1, 1, 0]))
    // The same end date, or none: unchanged (an empty cell does not clear it).
    expect(
      csv(db, `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,2025-06-30\n`),
    ).toEqual(counts([0, 0, 0], [0, 0, 0], [1, 1, 1]))
    expect(
      csv(db, `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\n`),
    ).toEqual(counts([0, 0, 0], [0, 0, 0], [1, 1, 1]))
    // Another person, role or organization with the same start: a new tenure each.
    expect(
      csv(
        db,
        `${TENURE}\na-2,Beishenova,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\na-1,Osmonov,KG,Ministry of Foreign Affairs,,border-poc,2024-01-01,\na-1,Osmonov,KG,State Customs Service,,national-poc,2024-01-01,\n`,
      ),
    ).toEqual(counts([1, 1, 3], [0, 0, 0], [1, 1, 0]))
    expect(tenures(db)).toEqual([
      {
        person: 'Beishenova',
        role: 'national-poc',
        organization: 'Ministry of Foreign Affairs',
        stateCode: 'KG',
        startDate: '2024-01-01',
        endDate: null,
      },
      {
        person: 'Osmonov',
        role: 'national-poc',
        organization: 'Ministry of Foreign Affairs',
        stateCode: 'KG',
        startDate: '2020-01-01',
        endDate: '2023-12-31',
      },
      {
        person: 'Osmonov',
        role: 'border-poc',
        organization: 'Ministry of Foreign Affairs',
        stateCode: 'KG',
        startDate: '2024-01-01',
        endDate: null,
      },
      {
        person: 'Osmonov',
        role: 'national-poc',
        organization: 'Ministry of Foreign Affairs',
        stateCode: 'KG',
        startDate: '2024-01-01',
        endDate: '2025-06-30',
      },
      {
        person: 'Osmonov',
        role: 'national-poc',
        organization: 'State Customs Service',
        stateCode: 'KG',
        startDate: '2024-01-01',
        endDate: null,
      },
    ])
  })

  it('a row with a tenure created in the same file is found again by the next row', () => {
    const db = open()
    expect(
      csv(
        db,
        `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,2025-01-01\n`,
      ),
    ).toEqual(counts([1, 1, 1]))
    expect(tenures(db)).toMatchObject([{ endDate: '2025-01-01' }])
  })

  it('an organization whose kind a file changed is found with its new kind by the next row', () => {
    const db = open()
    csv(db, `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\n`)
    expect(
      csv(
        db,
        `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,other,national-poc,2024-01-01,\na-2,Beishenova,KG,Ministry of Foreign Affairs,other,national-poc,2024-01-01,\n`,
      ),
    ).toEqual(counts([0, 1, 1], [1, 0, 0], [0, 1, 1]))
    expect(
      db.$client.prepare(`select count(*) from revisions where entity = 'organization'`).pluck().get(),
    ).toBe(2)
  })
})

describe('conflicting rows', () => {
  it("two rows giving one person's field different values are both rejected, naming each other", () => {
    const db = open()
    expect(
      refusal(() =>
        csv(
          db,
          'externalId,familyName,givenName,positionTitle\na-1,Osmonov,,\na-1,Osmonov,Almaz,Director\na-1,Osmonov,Azamat,\na-1,Osmonov,Almaz,Director\na-1,Osmonov,,Deputy\n',
        ),
      ),
    ).toEqual(
      rejected(3, [
        { row: 2, field: 'givenName', message: 'row 3 gives the same person another givenName ("Azamat")' },
        {
          row: 2,
          field: 'positionTitle',
          message: 'row 5 gives the same person another positionTitle ("Deputy")',
        },
        { row: 3, field: 'givenName', message: 'row 2 gives the same person another givenName ("Almaz")' },
        {
          row: 5,
          field: 'positionTitle',
          message: 'row 2 gives the same person another positionTitle ("Director")',
        },
      ]),
    )
    expect(people(db)).toEqual([])
    expect(revisions(db)).toBe(
      db.$client.prepare(`select count(*) from revisions where actor != 'importer-ines'`).pluck().get(),
    )
  })

  it('the first row of a record gives a field first: named by its own number', () => {
    const c = new Conflicts()
    c.note('p', 'it', 'a', 1, 'x')
    c.note('p', 'it', 'a', 2, undefined)
    c.note('p', 'it', 'a', 3, 'y')
    c.note('q', 'that', 'a', 4, 'z')
    c.note('p', 'it', 'b', 5, 'u')
    c.note('p', 'it', 'b', 6, 'v')
    expect(c.errors).toEqual([
      { row: 1, field: 'a', message: 'row 3 gives it another a ("y")' },
      { row: 3, field: 'a', message: 'row 1 gives it another a ("x")' },
      { row: 5, field: 'b', message: 'row 6 gives it another b ("v")' },
      { row: 6, field: 'b', message: 'row 5 gives it another b ("u")' },
    ])
  })

  it("visibilities conflict per detail; an organization's kind and a tenure's end date too", () => {
    const db = open()
    expect(
      refusal(() =>
        csv(
          db,
          `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,0312 620001,KG,public,public\na-1,,Osmonov,a@mfa.gov.kg,0312 620001,KG,restricted,restricted\na-1,,Osmonov,o@mfa.gov.kg,0312 620002,KG,restricted,restricted\n`,
        ),
      ),
    ).toEqual(
      rejected(2, [
        {
          row: 1,
          field: 'emailVisibility',
          message: `row 2 gives the same person's email another emailVisibility ("restricted")`,
        },
        {
          row: 1,
          field: 'phoneVisibility',
          message: `row 2 gives the same person's phone another phoneVisibility ("restricted")`,
        },
        {
          row: 2,
          field: 'emailVisibility',
          message: `row 1 gives the same person's email another emailVisibility ("public")`,
        },
        {
          row: 2,
          field: 'phoneVisibility',
          message: `row 1 gives the same person's phone another phoneVisibility ("public")`,
        },
      ]),
    )
    expect(
      refusal(() =>
        csv(
          db,
          `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,other,national-poc,2024-01-01,2025-01-01\na-2,Beishenova,KG,Ministry of Foreign Affairs,government,border-poc,2024-01-01,\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,2025-02-01\n`,
        ),
      ),
    ).toEqual(
      rejected(3, [
        {
          row: 1,
          field: 'organizationKind',
          message: 'row 2 gives the same organization another organizationKind ("government")',
        },
        {
          row: 1,
          field: 'endDate',
          message: 'row 3 gives the same assignment another endDate ("2025-02-01")',
        },
        {
          row: 2,
          field: 'organizationKind',
          message: 'row 1 gives the same organization another organizationKind ("other")',
        },
        {
          row: 3,
          field: 'endDate',
          message: 'row 1 gives the same assignment another endDate ("2025-01-01")',
        },
      ]),
    )
    expect(orgs(db)).toEqual([])
  })
})

describe('validation', () => {
  it('refuses unknown or deleted states and roles, and numbers invalid for the row state', () => {
    const db = open()
    db.$client
      .prepare(`update roles set deleted_at = '2026-01-01T00:00:00.000Z' where key = 'legal-poc'`)
      .run()
    db.$client.prepare(`update states set deleted_at = '2026-01-01T00:00:00.000Z' where code = 'TM'`).run()
    const parsed = parseImportBody(
      'csv',
      `${TENURE.replace('endDate', 'phone')}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,legal-poc,2024-01-01,0312 620001\na-2,Beishenova,TM,Ministry of Foreign Affairs,,no-such-role,2024-01-01,\na-3,Abenov,KZ,Ministry of Foreign Affairs,,national-poc,2024-01-01,0312 620001\na-4,Ivanova,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,0312 620001\na-5,Petrova,KZ,Ministry of Foreign Affairs,,national-poc,2024-01-01,0312 620001\n`,
      100,
    )
    const { valid, errors } = validateRows(db, parsed, true)
    expect(errors).toEqual([
      { row: 1, field: 'role', message: 'no role with key legal-poc' },
      { row: 2, field: 'stateCode', message: 'no state TM' },
      { row: 2, field: 'role', message: 'no role with key no-such-role' },
      { row: 3, field: 'phone', message: "is not a valid phone number for the row's state" },
      { row: 5, field: 'phone', message: "is not a valid phone number for the row's state" },
    ])
    expect(valid.map((v) => [v.row, v.phone])).toEqual([[4, '+996312620001']])
    expect(valid[0]?.data).toEqual({
      externalId: 'a-4',
      familyName: 'Ivanova',
      stateCode: 'KG',
      organization: 'Ministry of Foreign Affairs',
      role: 'national-poc',
      startDate: '2024-01-01',
      phone: '0312 620001',
    })
  })

  it('a valid number is valid again in the same state and not in another', () => {
    const db = open()
    const parsed = parseImportBody(
      'csv',
      'externalId,familyName,stateCode,phone\na-1,A,KZ,8 7172 720001\na-2,B,KG,8 7172 720001\na-3,C,KZ,8 7172 720001\n',
      100,
    )
    const { valid, errors } = validateRows(db, parsed, true)
    expect(errors).toEqual([
      { row: 2, field: 'phone', message: "is not a valid phone number for the row's state" },
    ])
    expect(valid.map((v) => [v.row, v.phone])).toEqual([
      [1, '+77172720001'],
      [3, '+77172720001'],
    ])
  })

  it("row errors: the schema's, named by field (unknown keys together, a row that is no object as (row)), sorted by row", () => {
    const db = open()
    const parsed: ParsedRows = {
      rows: [
        { row: 2, cells: { familyName: 'A', externalId: 'a', colour: 'red', size: 'L' } },
        { row: 4, cells: null as unknown as Record<string, string> },
        { row: 5, cells: { familyName: 'B', externalId: 'b', stateCode: 'XX' } },
        { row: 6, cells: { familyName: 'C', email: 'c@mfa.kz' } },
      ],
      errors: [
        { row: 3, field: 'email', message: 'parsed' },
        { row: 1, field: 'phone', message: 'parsed' },
      ],
    }
    const { valid, errors } = validateRows(db, parsed, false)
    expect(valid).toEqual([])
    expect(errors).toEqual([
      { row: 1, field: 'phone', message: 'parsed' },
      { row: 2, field: 'colour,size', message: 'Unrecognized keys: "colour", "size"' },
      { row: 3, field: 'email', message: 'parsed' },
      { row: 4, field: '(row)', message: 'Invalid input: expected object, received null' },
      { row: 5, field: 'stateCode', message: expect.any(String) },
      {
        row: 6,
        field: 'externalId',
        message:
          'give externalId (or the record id) to identify the person; without directory:read an email is not a match key',
      },
    ])
    // The same row with a token that may read restricted values is valid.
    expect(
      validateRows(db, { rows: [parsed.rows[3] as ParsedRows['rows'][number]], errors: [] }, true),
    ).toEqual({
      valid: [{ row: 6, data: { familyName: 'C', email: 'c@mfa.kz' }, phone: undefined }],
      errors: [],
    })
  })

  it('runImport refuses invalid rows (422, naming each row once) and writes nothing', () => {
    const db = open()
    const before = revisions(db)
    expect(
      refusal(() => csv(db, 'externalId,familyName,stateCode,role\na-1,A,XX,\na-2,B,KG,nope\na-3,C,KG,\n')),
    ).toEqual(
      rejected(2, [
        { row: 1, field: 'stateCode', message: expect.any(String) },
        {
          row: 2,
          field: 'organization',
          message: 'is required when organization, role or startDate is given',
        },
        { row: 2, field: 'startDate', message: 'is required when organization, role or startDate is given' },
      ]),
    )
    expect(revisions(db)).toBe(before)
  })
})

describe('a dry run', () => {
  it('reports exactly what a real run does, writes nothing, and is marked as a dry run', () => {
    const db = open()
    const before = revisions(db)
    const file = `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\n`
    expect(csv(db, file, { dryRun: true })).toEqual(counts([1, 1, 1], [0, 0, 0], [0, 0, 0], true))
    expect(revisions(db)).toBe(before)
    expect(people(db)).toEqual([])
    expect(csv(db, file)).toEqual(counts([1, 1, 1]))
  })

  it('through the job entry (what the worker runs): the same parse and service', () => {
    const db = open()
    expect(
      importRows(db, {
        format: 'csv',
        body: 'externalId,familyName\na-1,Osmonov\n',
        ctx,
        options: { dryRun: false, limitedTo: null, seesRestricted: true },
        maxRows: 1,
      }),
    ).toEqual(counts([0, 1, 0]))
    expect(
      refusal(() =>
        importRows(db, {
          format: 'csv',
          body: 'externalId,familyName\na-1,Osmonov\na-2,B\n',
          ctx,
          options: { dryRun: false, limitedTo: null, seesRestricted: true },
          maxRows: 1,
        }),
      ),
    ).toMatchObject({ status: 413 })
  })
})

describe("the worker's answer (answerImport)", () => {
  const job = (body: string) => ({
    format: 'csv' as const,
    body,
    ctx,
    options: { dryRun: false, limitedTo: null, seesRestricted: true },
    maxRows: 1,
  })

  it('answers done with the result, under the request id', () => {
    const db = open()
    expect(answerImport(db, { id: 41, job: job('externalId,familyName\na-1,Osmonov\n') })).toEqual({
      id: 41,
      kind: 'done',
      result: counts([0, 1, 0]),
    })
    expect(people(db).map((p) => p.familyName)).toEqual(['Osmonov'])
  })

  it('answers failed with a refusal whole (status, detail, headers), writing nothing', () => {
    const db = open()
    const before = revisions(db)
    const reply = answerImport(db, { id: 7, job: job('externalId,familyName\na-1,Osmonov\na-2,B\n') })
    expect(reply).toMatchObject({ id: 7, kind: 'failed', error: { problem: { status: 413 }, headers: {} } })
    expect(reply.kind === 'failed' && 'problem' in reply.error && reply.error.problem.detail).toBe(
      refusal(() => importRows(db, job('externalId,familyName\na-1,Osmonov\na-2,B\n'))).detail,
    )
    expect(revisions(db)).toBe(before)
  })

  it('answers failed with the message of an unexpected error', () => {
    const db = open()
    db.$client.close()
    const reply = answerImport(db, { id: 9, job: job('externalId,familyName\na-1,Osmonov\n') })
    expect(reply.id).toBe(9)
    expect(reply.kind).toBe('failed')
    expect(reply.kind === 'failed' && 'message' in reply.error && reply.error.message).toMatch(
      /^TypeError: The database connection is not open/,
    )
  })
})

describe('the connection around an import', () => {
  it('gets its checkpoint and temp-store settings back, after a commit, a dry run and a refusal', () => {
    const db = open()
    db.$client.pragma('wal_autocheckpoint = 777')
    db.$client.pragma('temp_store = file')
    csv(db, 'externalId,familyName\na-1,Osmonov\n')
    csv(db, 'externalId,familyName\na-2,Beishenova\n', { dryRun: true })
    refusal(() => csv(db, 'externalId,familyName,givenName\na-3,C,X\na-3,C,Y\n'))
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(777)
    expect(db.$client.pragma('temp_store', { simple: true })).toBe(1)
  })

  it('checkpoints the WAL into the database file after a commit, unless the connection was closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-service-'))
    try {
      const db = openDatabase(join(dir, 'pocdir.db'))
      runMigrations(db)
      seed(db)
      db.$client.pragma('wal_checkpoint(TRUNCATE)')
      const size = statSync(join(dir, 'pocdir.db')).size
      const lines = Array.from(
        { length: 300 },
        (_, i) => `p-${i},Person ${i},A rather long position title ${i}`,
      )
      csv(db, `externalId,familyName,positionTitle\n${lines.join('\n')}\n`)
      expect(statSync(join(dir, 'pocdir.db')).size).toBe(size)
      await new Promise((resolve) => setImmediate(resolve))
      expect(statSync(join(dir, 'pocdir.db')).size).toBeGreaterThan(size)
      // A dry run commits nothing, so it runs no checkpoint (what other writes left in the WAL stays there).
      db.$client.pragma('wal_checkpoint(TRUNCATE)')
      const after = statSync(join(dir, 'pocdir.db')).size
      db.$client.exec(
        'create table pad(x); insert into pad select randomblob(1000) from (with recursive c(i) as (select 1 union all select i + 1 from c limit 200) select i from c)',
      )
      csv(db, 'externalId,familyName\nq-1,Q\n', { dryRun: true })
      await new Promise((resolve) => setImmediate(resolve))
      expect(statSync(join(dir, 'pocdir.db')).size).toBe(after)
      // Closed before the checkpoint runs: no error.
      csv(db, 'externalId,familyName\nq-2,Q\n')
      db.$client.close()
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('with automatic checkpoints off, leaves the WAL to whoever turned them off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-service-'))
    try {
      const db = openDatabase(join(dir, 'pocdir.db'))
      runMigrations(db)
      seed(db)
      db.$client.pragma('wal_checkpoint(TRUNCATE)')
      db.$client.pragma('wal_autocheckpoint = 0')
      const size = statSync(join(dir, 'pocdir.db')).size
      const lines = Array.from({ length: 300 }, (_, i) => `p-${i},Person ${i}`)
      csv(db, `externalId,familyName\n${lines.join('\n')}\n`)
      await new Promise((resolve) => setImmediate(resolve))
      expect(statSync(join(dir, 'pocdir.db')).size).toBe(size)
      db.$client.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('index rebuilds (speed only, but decided per table)', () => {
  /** The rowids of a table's non-unique indexes in sqlite_schema: a rebuilt index gets new ones. */
  const indexRows = (db: Db, table: string) =>
    db.$client
      .prepare(
        `select rowid, name from sqlite_schema where type = 'index' and tbl_name = ? and sql is not null
           and sql not like 'CREATE UNIQUE%' order by name`,
      )
      .all(table)

  it('a large import rebuilds the indexes of the tables it fills, and only those', () => {
    const db = open()
    const snapshot = () => ({
      contacts: indexRows(db, 'contacts'),
      assignments: indexRows(db, 'assignments'),
      revisions: indexRows(db, 'revisions'),
    })
    const first = snapshot()
    expect(first.contacts).not.toEqual([])
    expect(first.assignments).not.toEqual([])
    expect(first.revisions).not.toEqual([])
    const people = Array.from({ length: 2000 }, (_, i) => `p-${i},Person ${i}`)
    expect(csv(db, `externalId,familyName\n${people.join('\n')}\n`)).toEqual(counts([0, 2000, 0]))
    const second = snapshot()
    expect(second.contacts).not.toEqual(first.contacts)
    expect(second.assignments).toEqual(first.assignments)
    expect(second.revisions).not.toEqual(first.revisions)
    // The same people unchanged, each given a tenure: the tenures' table and the revisions too.
    const withTenures = Array.from(
      { length: 2000 },
      (_, i) => `p-${i},Person ${i},KG,Ministry of Foreign Affairs,national-poc,2024-01-01`,
    )
    expect(
      csv(db, `externalId,familyName,stateCode,organization,role,startDate\n${withTenures.join('\n')}\n`),
    ).toEqual(counts([1, 0, 2000], [0, 0, 0], [0, 2000, 0]))
    const third = snapshot()
    expect(third.contacts).not.toEqual(second.contacts)
    expect(third.assignments).not.toEqual(second.assignments)
    expect(third.revisions).not.toEqual(second.revisions)
    // A small import rebuilds nothing.
    expect(csv(db, 'externalId,familyName\np-0,Person 0\n')).toEqual(counts([0, 0, 0], [0, 0, 0], [0, 1, 0]))
    expect(snapshot()).toEqual(third)
  })
})

describe('edges the schema keeps out, and stored data it did not write', () => {
  it('applyRows writes a tenure only for a row giving organization, role and startDate', () => {
    const db = open()
    const row = (n: number, data: Record<string, string>) => ({
      row: n,
      data: { externalId: `a-${n}`, familyName: `Person ${n}`, stateCode: 'KG', ...data },
    })
    expect(
      applyRows(
        db,
        ctx,
        [
          row(1, { organization: 'Ministry of Foreign Affairs' }),
          row(2, { role: 'national-poc' }),
          row(3, { startDate: '2024-01-01' }),
          row(4, { organization: 'Ministry of Foreign Affairs', role: 'national-poc' }),
          row(5, { role: 'national-poc', startDate: '2024-01-01' }),
          row(6, { organization: 'Ministry of Foreign Affairs', startDate: '2024-01-01' }),
        ],
        options(),
      ),
    ).toEqual(counts([0, 6, 0]))
    expect(orgs(db)).toEqual([])
  })

  it('a visibility without its detail gives nothing and conflicts with nothing', () => {
    const db = open()
    expect(
      csv(
        db,
        'externalId,familyName,emailVisibility,phoneVisibility\na-1,Osmonov,public,public\na-1,Osmonov,restricted,restricted\n',
      ),
    ).toEqual(counts([0, 1, 0]))
    expect(people(db)[0]?.details).toEqual([])
  })

  it('a number that does not parse at all is a row error', () => {
    const db = open()
    const { valid, errors } = validateRows(
      db,
      parseImportBody('csv', 'externalId,familyName,stateCode,phone\na-1,A,KG,x\na-2,B,,++1\n', 100),
      true,
    )
    expect(valid).toEqual([])
    expect(errors).toEqual([
      { row: 1, field: 'phone', message: "is not a valid phone number for the row's state" },
      { row: 2, field: 'phone', message: "is not a valid phone number for the row's state" },
    ])
  })

  it('a stored organization name with stray spaces is still matched; new tenures are never primary', () => {
    const db = open()
    csv(db, `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,national-poc,2024-01-01,\n`)
    db.$client.prepare(`update organizations set name = ' Ministry  of Foreign Affairs '`).run()
    expect(
      csv(db, `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,,alternate-poc,2024-01-01,\n`),
    ).toEqual(counts([0, 0, 1], [0, 0, 0], [1, 1, 0]))
    expect(db.$client.prepare('select count(*) from organizations').pluck().get()).toBe(1)
    expect(db.$client.prepare('select is_primary from assignments').pluck().all()).toEqual([0, 0])
  })
})

describe('more edges', () => {
  it('organization names differing in where a space falls are different organizations', () => {
    const db = open()
    expect(
      csv(
        db,
        `${TENURE}\na-1,Osmonov,KG,State Customs Service,,national-poc,2024-01-01,\na-1,Osmonov,KG,StateCustoms Service,,national-poc,2024-01-01,\n`,
      ),
    ).toEqual(counts([2, 1, 2]))
  })

  it('two organizations given different kinds in one file do not conflict; an organization stores no details', () => {
    const db = open()
    expect(
      csv(
        db,
        `${TENURE}\na-1,Osmonov,KG,Ministry of Foreign Affairs,government,national-poc,2024-01-01,\na-1,Osmonov,KG,Academy of Sciences,academic,national-poc,2024-01-01,\n`,
      ),
    ).toEqual(counts([2, 1, 2]))
    expect(db.$client.prepare('select contact_details from organizations').pluck().all()).toEqual([
      '[]',
      '[]',
    ])
  })

  it('a stored fax is the same number as a given phone; an e-mail is never a number', () => {
    const db = open()
    csv(db, 'externalId,familyName\na-1,Osmonov\n')
    db.$client.prepare('update contacts set contact_details = ?').run(
      JSON.stringify([
        { type: 'fax', value: '+996312620001', label: null, visibility: 'public' },
        { type: 'fax', value: 'a@mfa.gov.kg', label: null, visibility: 'public' },
      ]),
    )
    expect(csv(db, `${PERSON}\na-1,,Osmonov,a@mfa.gov.kg,0312 620001,KG,,\n`)).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    expect(people(db)[0]?.details).toEqual([
      { type: 'fax', value: '+996312620001', visibility: 'public' },
      { type: 'fax', value: 'a@mfa.gov.kg', visibility: 'public' },
      { type: 'email', value: 'a@mfa.gov.kg', visibility: 'restricted' },
    ])
  })

  it('to a blind token, a restricted e-mail is not vouched for by another public e-mail, nor by a public detail of that text', () => {
    const db = open()
    csv(db, 'externalId,familyName\na-1,Osmonov\n')
    db.$client.prepare('update contacts set contact_details = ?').run(
      JSON.stringify([
        { type: 'email', value: 'public@mfa.gov.kg', label: null, visibility: 'public' },
        { type: 'website', value: 'hidden@mfa.gov.kg', label: null, visibility: 'public' },
        { type: 'email', value: 'hidden@mfa.gov.kg', label: null, visibility: 'restricted' },
      ]),
    )
    const blind = { seesRestricted: false }
    expect(csv(db, 'externalId,familyName,email\na-1,Osmonov,hidden@mfa.gov.kg\n', blind)).toEqual(
      counts([0, 0, 0], [0, 1, 0]),
    )
    expect(csv(db, 'externalId,familyName,email\na-1,Osmonov,public@mfa.gov.kg\n', blind)).toEqual(
      counts([0, 0, 0], [0, 0, 0], [0, 1, 0]),
    )
  })

  it('takes the write lock at its start: an import that would write nothing still waits for another writer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-service-'))
    try {
      const db = openDatabase(join(dir, 'pocdir.db'))
      runMigrations(db)
      seed(db)
      csv(db, 'externalId,familyName\na-1,Osmonov\n')
      const other = openDatabase(join(dir, 'pocdir.db'))
      db.$client.pragma('busy_timeout = 0')
      other.$client.exec('begin immediate')
      try {
        expect(() => csv(db, 'externalId,familyName\na-1,Osmonov\n')).toThrow(/database is locked/)
      } finally {
        other.$client.exec('rollback')
        other.$client.close()
      }
      expect(csv(db, 'externalId,familyName\na-1,Osmonov\n')).toEqual(counts([0, 0, 0], [0, 0, 0], [0, 1, 0]))
      db.$client.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
