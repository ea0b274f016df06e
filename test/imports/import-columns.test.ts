import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import {
  admin,
  expectRejected,
  type Headers,
  importer,
  importOk,
  importRequest,
  type Json,
  result,
  type TestApp,
} from './support.js'

/**
 * A column named twice is refused (400 naming it, nothing written), as an unknown column is:
 * keeping one of the two would drop the other's data silently. In JSON and NDJSON a key is a
 * column, so a key named twice in a row is refused too (JSON.parse would keep the last).
 *
 * A CSV cell an export protected against spreadsheet formulas (a leading `'` before `=`, `+`,
 * `-`, `@`, tab or CR) loses exactly that one `'` on import; any other `'` is data, and JSON and
 * NDJSON values are never changed (no export writes them; a JSON value is not a spreadsheet cell).
 */

let t: TestApp
let h: Headers
beforeAll(async () => {
  t = await buildTestApp()
  h = await importer()
})
afterAll(() => t.close())

const twice = (column: string) => ({
  status: 400,
  type: 'urn:pocdir:problem:validation-error',
  title: 'Validation failed',
  detail: `Column ${column} named more than once`,
  errors: [{ path: column, message: 'is named more than once' }],
})

describe('a column named twice (400, nothing written)', () => {
  const csvs: [string, string, string][] = [
    [
      'email twice',
      'email',
      'externalId,familyName,email,email\nkg-1,Osmonov,b.osmonov@mfa.gov.kg,osmonov@gmail.com\n',
    ],
    [
      'a header that differs only by spaces, semicolon separated, with a BOM',
      'familyName',
      '\uFEFFexternalId; familyName ;familyName\r\nkg-1;Osmonov;Osmonova\r\n',
    ],
    [
      'a repeated column whose cells are all empty',
      'positionTitle',
      'externalId,positionTitle,familyName,positionTitle\nkg-1,,Osmonov,\n',
    ],
  ]
  for (const [name, column, csv] of csvs) {
    it(`CSV: ${name}`, async () => {
      for (const query of ['', '?dryRun=true']) {
        const problem = await expectRejected(t, importRequest(csv, 'text/csv', h, query), 400)
        expect(problem).toMatchObject(twice(column))
      }
    })
  }

  it('CSV: unknown and repeated columns are named together; a column in another case is unknown', async () => {
    const csv = 'externalId,familyName,Email,email,email,emial,emial\nkg-1,Osmonov,a@b.kg,a@b.kg,a@b.kg,x,x\n'
    const problem = await expectRejected(t, importRequest(csv, 'text/csv', h), 400)
    expect(problem.detail).toBe(
      'Unknown columns Email, emial; the columns are stateCode, organization, organizationKind, role, ' +
        'externalId, honorific, givenName, familyName, nameOriginal, positionTitle, email, phone, ' +
        'startDate, endDate, emailVisibility, phoneVisibility; Column email named more than once',
    )
    expect(problem.errors).toEqual([
      { path: 'Email', message: 'is not a known column' },
      { path: 'emial', message: 'is not a known column' },
      { path: 'email', message: 'is named more than once' },
    ])
  })

  it('a JSON array: a key named twice in a row (also when spelled with an escape)', async () => {
    const json =
      '[{"externalId":"kg-1","familyName":"Osmonov"},' +
      '{"externalId":"kg-2","familyName":"Sadykov","email":"s@mfa.kg","em\\u0061il":"sadykov@gmail.com"}]'
    for (const query of ['', '?dryRun=true']) {
      const problem = await expectRejected(t, importRequest(json, 'application/json', h, query), 400)
      expect(problem).toMatchObject(twice('email'))
    }
  })

  it('NDJSON: a key named twice in a row (keys inside a value do not count)', async () => {
    const ndjson =
      '{"externalId":"kg-1","familyName":"Osmonov","givenName":"Bakyt"}\n' +
      '{"externalId":"kg-2","familyName":"Sadykov", "familyName" : "Sadykova"}\n'
    const problem = await expectRejected(t, importRequest(ndjson, 'application/x-ndjson', h), 400)
    expect(problem).toMatchObject(twice('familyName'))
  })

  it('keys repeated across rows, or inside a nested value, are not named twice', async () => {
    const json =
      '[{"externalId":"kg-3","familyName":"Osmonov"},{"externalId":"kg-4","familyName":"Sadykov",' +
      '"givenName":{"a":"x","a":"y"}}]'
    const problem = await expectRejected(t, importRequest(json, 'application/json', h), 422)
    expect(problem.errors).toEqual([{ row: 2, field: 'givenName', message: 'must be text' }])
    const ok =
      '[{"externalId":"kg-3","familyName":"Osmonov \\"{,\\" [x]"},{"externalId":"kg-4","familyName":"Sadykov"}]'
    expect(await importOk(t, ok, 'application/json', h)).toEqual(result({ contacts: 2 }))
  })
})

describe("a CSV cell protected by an export loses exactly its one leading '", () => {
  const header = 'externalId,familyName,givenName,positionTitle,honorific,nameOriginal\n'
  const stored = async (externalId: string) => {
    const res = await t.app.inject({ url: '/v1/contacts?q=quotes&limit=500', headers: await admin() })
    return (res.json().items as Json[]).find((c) => c.externalId === externalId) as Json
  }

  it("= + - @ and tab after the ' are the value without it; '' before one of them keeps one '", async () => {
    const csv = `${header}'-q-1,Quotes,'@home,"'=HYPERLINK(""http://x"")",'+Dr.,''=1+2\n`
    expect(await importOk(t, csv, 'text/csv', h)).toEqual(result({ contacts: 1 }))
    expect(await stored('-q-1')).toMatchObject({
      externalId: '-q-1',
      givenName: '@home',
      positionTitle: '=HYPERLINK("http://x")',
      honorific: '+Dr.',
      nameOriginal: "'=1+2",
    })
    // The same cells again are the same values: unchanged.
    expect(await importOk(t, csv, 'text/csv', h)).toEqual(result({}, {}, { contacts: 1 }))
  })

  it("a ' before anything else is data; a tab or CR after it leaves the trimmed rest", async () => {
    const csv = `${header}q-2,Quotes,'t Hooft,"'\tHead of Unit",'',"'\r"\n`
    expect(await importOk(t, csv, 'text/csv', h)).toEqual(result({ contacts: 1 }))
    const c = await stored('q-2')
    expect(c).toMatchObject({ givenName: "'t Hooft", positionTitle: 'Head of Unit', honorific: "''" })
    // A cell of only a protecting ' and a CR is empty: not given.
    expect(c.nameOriginal).toBeNull()
  })

  it('JSON and NDJSON values keep their quote', async () => {
    const rows = [{ externalId: 'q-3', familyName: 'Quotes', positionTitle: "'=1+2" }]
    expect(await importOk(t, rows, 'application/json', h)).toEqual(result({ contacts: 1 }))
    expect((await stored('q-3')).positionTitle).toBe("'=1+2")
    const nd = `${JSON.stringify({ externalId: 'q-4', familyName: 'Quotes', givenName: "'@x" })}\n`
    expect(await importOk(t, nd, 'application/x-ndjson', h)).toEqual(result({ contacts: 1 }))
    expect((await stored('q-4')).givenName).toBe("'@x")
  })
})

describe('JSON and NDJSON rows that are not well-formed Unicode (400 naming row and column, nothing written)', () => {
  // An escaped unpaired surrogate parses into a string that has no UTF-8 form.
  const rows =
    '{"externalId":"kg-1","familyName":"Osmonov"}|{"externalId":"kg-2","givenName":"Asan\\ud800","familyName":"Z"}'
  const errors = [
    { row: 2, field: 'givenName', message: 'is not well-formed Unicode (it holds an unpaired surrogate)' },
  ]
  for (const [format, type, body] of [
    ['a JSON array', 'application/json', `[${rows.replace('|', ',')}]`],
    ['NDJSON', 'application/x-ndjson', `${rows.replace('|', '\n\n')}\n`],
  ] as const) {
    it(format, async () => {
      for (const query of ['', '?dryRun=true']) {
        const problem = await expectRejected(t, importRequest(body, type, h, query), 400)
        expect(problem).toMatchObject({
          type: 'urn:pocdir:problem:validation-error',
          detail: 'row 2, givenName: is not well-formed Unicode (it holds an unpaired surrogate)',
          errors,
        })
      }
    })
  }
})
