import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import {
  expectRejected,
  getJson,
  importer,
  importOk,
  importRequest,
  type Row,
  result,
  type TestApp,
  toCsv,
} from './support.js'

/**
 * Names and titles in import rows follow the contacts API's rule (DESIGN "Text hygiene"): no
 * control characters but tab and newline. A bad cell is a 422 row error naming row and column,
 * nothing written; a line break inside a quoted CSV cell is stored as LF whatever the file's
 * line ends.
 */

const CONTROL = 'must not hold control characters other than tab and newline'

let t: TestApp
beforeEach(async () => {
  t = await buildTestApp()
})
afterEach(async () => {
  await t.close()
})

const row = (extra: Row = {}): Row => ({
  stateCode: 'KG',
  organization: 'Ministry of Foreign Affairs',
  role: 'national-poc',
  externalId: 'cc-1',
  givenName: 'Asan',
  familyName: 'Zhumabekov',
  startDate: '2024-03-01',
  ...extra,
})

const rejected = (status: number, errors: { row: number; field: string; message: string }[]) => ({
  type: 'urn:pocdir:problem:import-rows-rejected',
  title: 'Unprocessable Content',
  status,
  detail: `${new Set(errors.map((e) => e.row)).size} row(s) rejected; nothing was imported`,
  errors,
})

describe('control characters in import rows', () => {
  const cases: [string, Row][] = [
    ['givenName', { givenName: 'A\u001bB' }],
    ['familyName', { familyName: 'Zh\u0007' }],
    ['organization', { organization: 'Ministry\u0000 of Defence' }],
    ['honorific', { honorific: 'Mr.\u007f' }],
    ['nameOriginal', { nameOriginal: 'Асан\u0085Жумабеков' }],
    ['positionTitle', { positionTitle: 'Head\rUnit' }],
  ]
  for (const [field, extra] of cases) {
    it(`a CSV cell of ${field} with a control character is a 422 row error, nothing written`, async () => {
      const csv = toCsv([row({ externalId: 'ok-1' }), row(extra)])
      const body = await expectRejected(t, importRequest(csv, 'text/csv', await importer()), 422)
      expect(body).toMatchObject(rejected(422, [{ row: 2, field, message: CONTROL }]))
    })
  }

  it('JSON and NDJSON rows follow the same rule', async () => {
    for (const [body, type] of [
      [JSON.stringify([row({ givenName: 'A\u001bB' })]), 'application/json'],
      [`${JSON.stringify(row({ positionTitle: 'Head\r\nUnit' }))}\n`, 'application/x-ndjson'],
    ] as const) {
      const field = type === 'application/json' ? 'givenName' : 'positionTitle'
      expect(await expectRejected(t, importRequest(body, type, await importer()), 422)).toMatchObject(
        rejected(422, [{ row: 1, field, message: CONTROL }]),
      )
    }
  })

  it('a line break inside a quoted CSV cell is stored as LF, in a file with CRLF line ends too', async () => {
    const header = 'stateCode,organization,role,externalId,givenName,familyName,positionTitle,startDate'
    const csv = [
      header,
      'KG,Ministry of Foreign Affairs,national-poc,cc-1,Asan,Zhumabekov,"Head\r\nUnit",2024-03-01',
      'KG,Ministry of Foreign Affairs,alternate-poc,cc-2,Aida,Osmonova,"Head\nUnit",2024-03-01',
      '',
    ].join('\r\n')
    expect(await importOk(t, csv, 'text/csv', await importer())).toEqual(
      result({ organizations: 1, contacts: 2, assignments: 2 }),
    )
    const { items } = await getJson(t, '/v1/contacts?limit=10', await importer())
    expect(items.map((c: { positionTitle: string }) => c.positionTitle)).toEqual(['Head\nUnit', 'Head\nUnit'])
  })
})
