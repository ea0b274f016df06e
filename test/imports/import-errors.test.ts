import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  admin,
  directoryRows,
  expectProblem,
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
 * Bad imports: every bad row is named with its field and reason, and nothing is written;
 * what is wrong with the request itself (columns, syntax, emptiness, media type, size) is a
 * 400, 413 or 415 problem.
 */

const good = (n: number): Row => ({
  stateCode: 'KG',
  organization: 'Ministry of Foreign Affairs',
  role: 'national-poc',
  externalId: `kg-${n}`,
  givenName: 'Asan',
  familyName: `Zhumabekov${n}`,
  nameOriginal: 'Асан Жумабеков',
  email: `asan${n}@mfa.gov.kg`,
  phone: '0312 620545',
  startDate: '2024-03-01',
})

/** Rows 2 to 9 are bad, each in its own way; 1 and 10 are fine. */
const BAD_ROWS: Row[] = [
  good(1),
  { ...good(2), email: 'not-an-email' },
  { ...good(3), startDate: '2024-02-30' },
  { ...good(4), startDate: '2024-03-01', endDate: '2023-12-31' },
  { ...good(5), role: 'chief-poc' },
  (({ phone: _p, ...r }) => ({ ...r, stateCode: 'XX' }))(good(6)),
  (({ familyName: _f, ...r }) => r)(good(7)),
  // A Kazakh number is no number in Kyrgyzstan.
  { ...good(8), phone: '8 7172 720518' },
  { externalId: 'kg-9', familyName: 'Osmonov', stateCode: 'KG', organization: 'Ministry of Foreign Affairs' },
  good(10),
]

const EXPECTED_ERRORS = [
  { row: 2, field: 'email', message: expect.stringMatching(/email/i) },
  { row: 3, field: 'startDate', message: expect.stringMatching(/\S/) },
  { row: 4, field: 'endDate', message: expect.stringMatching(/startDate/) },
  { row: 5, field: 'role', message: expect.stringContaining('chief-poc') },
  { row: 6, field: 'stateCode', message: expect.stringContaining('XX') },
  { row: 7, field: 'familyName', message: expect.stringMatching(/\S/) },
  { row: 8, field: 'phone', message: expect.stringMatching(/phone/i) },
  { row: 9, field: 'role', message: expect.stringMatching(/required/) },
  { row: 9, field: 'startDate', message: expect.stringMatching(/required/) },
]

const byRowAndField = (a: Json, b: Json) => a.row - b.row || String(a.field).localeCompare(String(b.field))

let t: TestApp
let h: Headers
beforeAll(async () => {
  t = await buildTestApp()
  h = await importer()
})
afterAll(() => t.close())

describe('rejected rows (422)', () => {
  it('a CSV with bad rows lists every bad row with its field and reason, and writes nothing', async () => {
    const body = await expectRejected(t, importRequest(toCsv(BAD_ROWS), 'text/csv', h), 422)
    expect([...body.errors].sort(byRowAndField)).toEqual(EXPECTED_ERRORS)
    for (const e of body.errors) expect(Object.keys(e).sort()).toEqual(['field', 'message', 'row'])
    expect(body.detail).toMatch(/8 row/)
  })

  it('a dry run rejects the same rows the same way', async () => {
    const body = await expectRejected(t, importRequest(toCsv(BAD_ROWS), 'text/csv', h, '?dryRun=true'), 422)
    expect([...body.errors].sort(byRowAndField)).toEqual(EXPECTED_ERRORS)
  })

  it('a JSON array numbers rows by element (index + 1)', async () => {
    const body = await expectRejected(t, importRequest(BAD_ROWS, 'application/json', h), 422)
    expect([...body.errors].sort(byRowAndField)).toEqual(EXPECTED_ERRORS)
  })

  it('NDJSON numbers rows by non-empty line', async () => {
    const ndjson = toNdjson(BAD_ROWS, true)
    expect(ndjson.split('\n').length).toBeGreaterThan(BAD_ROWS.length + 3)
    const body = await expectRejected(t, importRequest(ndjson, 'application/x-ndjson', h), 422)
    expect([...body.errors].sort(byRowAndField)).toEqual(EXPECTED_ERRORS)
  })

  it('one bad row among 200 rejects the whole file (all-or-nothing)', async () => {
    const rows = directoryRows()
    rows[49] = { ...rows[49], email: 'kg at mfa' }
    rows[199] = { ...rows[199], endDate: '1999-01-01' }
    const body = await expectRejected(t, importRequest(toCsv(rows, { eol: '\r\n' }), 'text/csv', h), 422)
    expect(body.errors).toEqual([
      { row: 50, field: 'email', message: expect.any(String) },
      { row: 200, field: 'endDate', message: expect.any(String) },
    ])
  })

  it('an NDJSON line that is not JSON is a rejected row named by its number', async () => {
    const ndjson = [
      JSON.stringify(good(1)),
      '',
      '   ',
      '{"familyName": "Osmonov", "email": ',
      JSON.stringify(good(3)),
      '',
      '[1, 2]',
    ].join('\n')
    const body = await expectRejected(t, importRequest(ndjson, 'application/x-ndjson', h), 422)
    expect(body.errors).toEqual([
      { row: 2, field: expect.any(String), message: expect.stringMatching(/JSON/) },
      { row: 4, field: expect.any(String), message: expect.any(String) },
    ])
  })

  it('a JSON array element that is not an object is a rejected row, like such an NDJSON line', async () => {
    const rows = [good(1), 5, good(3), ['KG', 'Osmonov']]
    const fromNdjson = await expectRejected(
      t,
      importRequest(rows.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson', h),
      422,
    )
    const expected = [
      { row: 2, field: expect.any(String), message: expect.any(String) },
      { row: 4, field: expect.any(String), message: expect.any(String) },
    ]
    expect(fromNdjson.errors).toEqual(expected)
    const fromJson = await expectRejected(t, importRequest(rows, 'application/json', h), 422)
    expect(fromJson.errors).toEqual(expected)
  })

  it('a JSON value that is not text in a cell is a rejected row', async () => {
    const body = await expectRejected(
      t,
      importRequest(
        [good(1), { ...good(2), startDate: 20240301 }, { ...good(3), givenName: ['A'] }],
        'application/json',
        h,
      ),
      422,
    )
    expect(new Set(body.errors.map((e: Json) => e.row))).toEqual(new Set([2, 3]))
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { row: 2, field: 'startDate', message: 'must be text' },
        { row: 3, field: 'givenName', message: 'must be text' },
      ]),
    )
  })
})

describe('refused requests (400)', () => {
  it('an unknown CSV column is refused, naming it', async () => {
    const csv = 'stateCode,familyName,emial,positon\nKG,Osmonov,b.osmonov@un.int,Counsellor\n'
    const body = await expectRejected(t, importRequest(csv, 'text/csv', h), 400)
    expect(body.detail).toContain('emial')
    expect(body.detail).toContain('positon')
    expect(body.errors.map((e: Json) => e.path).sort()).toEqual(['emial', 'positon'])
  })

  it('an unknown column is refused even when every cell of it is empty', async () => {
    const csv = 'familyName;Email Address\nOsmonov;\n'
    const body = await expectRejected(t, importRequest(csv, 'text/csv', h), 400)
    expect(body.detail).toContain('Email Address')
  })

  it('an unknown key in a JSON row is an unknown column', async () => {
    const body = await expectRejected(
      t,
      importRequest([good(1), { ...good(2), positon: 'Counsellor' }], 'application/json', h),
      400,
    )
    expect(body.detail).toContain('positon')
    expect(body.errors).toEqual([{ path: 'positon', message: expect.any(String) }])
  })

  it('an unknown key in an NDJSON row is an unknown column', async () => {
    const ndjson = toNdjson([good(1), { ...good(2), mobile: '0555 123456' }])
    const body = await expectRejected(t, importRequest(ndjson, 'application/x-ndjson', h), 400)
    expect(body.detail).toContain('mobile')
  })

  it('a malformed CSV (an unclosed quote) is a 400 problem', async () => {
    const csv = 'familyName,positionTitle\nOsmonov,"Counsellor\nSadykova,Third Secretary\n'
    const body = await expectRejected(t, importRequest(csv, 'text/csv', h), 400)
    expect(body.detail).toMatch(/CSV/)
  })

  it('a CSV row with more cells than the header is a 400 problem', async () => {
    const csv = 'familyName,positionTitle\nOsmonov,Counsellor,extra\n'
    const body = await expectRejected(t, importRequest(csv, 'text/csv', h), 400)
    expect(body.detail).toBe('The CSV is malformed: data row 1 has 3 cells, the header 2')
  })

  it('a CSV row with fewer cells than the header is a 400 problem naming the row', async () => {
    const csv = 'familyName;positionTitle;email\nOsmonov;Counsellor;o@mfa.kg\nSadykova;Third Secretary\n'
    const body = await expectRejected(t, importRequest(csv, 'text/csv', h), 400)
    expect(body.detail).toBe('The CSV is malformed: data row 2 has 2 cells, the header 3')
  })

  it('a quoted cell may hold the separator, a quote and a line break', async () => {
    const csv =
      'stateCode,organization,role,externalId,familyName,positionTitle,startDate\r\n' +
      'KG,"Ministry of Foreign Affairs, Kyrgyz Republic",national-poc,kg-q,Osmonov,"Head of ""Export""\nControl",2024-01-01\r\n'
    const res = await t.app.inject(importRequest(`${csv}`, 'text/csv', h))
    expect(res.statusCode, res.body).toBe(200)
    const people = (await t.app.inject({ url: '/v1/contacts?q=osmonov', headers: await admin() })).json()
      .items
    expect(people.map((p: Json) => p.positionTitle)).toContain('Head of "Export"\nControl')
  })

  const empties: [string, string, string][] = [
    ['an empty CSV body', '', 'text/csv'],
    ['a CSV with only a header row', 'stateCode,familyName,email\n', 'text/csv'],
    ['a CSV with a header row and blank lines', '\uFEFFstateCode;familyName\r\n\r\n\r\n', 'text/csv'],
    ['an empty NDJSON body', '', 'application/x-ndjson'],
    ['an NDJSON body of blank lines', '\n\n  \n', 'application/x-ndjson'],
    ['an empty JSON body', '', 'application/json'],
    ['an empty JSON array', '[]', 'application/json'],
  ]
  for (const [name, payload, type] of empties) {
    it(`${name} is a 400 problem`, async () => {
      await expectRejected(t, importRequest(payload, type, h), 400)
    })
  }

  const notArrays: [string, string][] = [
    ['an object', JSON.stringify(good(1))],
    ['a string', '"familyName\\nOsmonov"'],
    ['a number', '42'],
    ['malformed JSON', '[{"familyName": "Osmonov"'],
  ]
  for (const [name, payload] of notArrays) {
    it(`a JSON body that is ${name} is a 400 problem`, async () => {
      await expectRejected(t, importRequest(payload, 'application/json', h), 400)
    })
  }

  it('an unknown query parameter or a bad dryRun value is a 400 problem', async () => {
    await expectRejected(t, importRequest(toCsv([good(1)]), 'text/csv', h, '?dryRun=yes'), 400)
    await expectRejected(t, importRequest(toCsv([good(1)]), 'text/csv', h, '?dry_run=true'), 400)
  })
})

describe('media types (415)', () => {
  for (const type of ['text/plain', 'application/xml', 'application/vnd.ms-excel']) {
    it(`${type} is a 415 problem`, async () => {
      await expectRejected(t, importRequest(toCsv([good(1)]), type, h), 415)
    })
  }
})

describe('body limits (413)', () => {
  let small: TestApp
  let split: TestApp
  beforeAll(async () => {
    small = await buildTestApp({ IMPORT_BODY_LIMIT: '4096' })
    split = await buildTestApp({ BODY_LIMIT: '2048', IMPORT_BODY_LIMIT: '1000000' })
  })
  afterAll(async () => {
    await small.close()
    await split.close()
  })

  const rowsOfSize = (bytes: number) => {
    const rows: Row[] = []
    for (let n = 1; toCsv(rows).length < bytes; n++) rows.push(good(n))
    return rows
  }

  it('an import over IMPORT_BODY_LIMIT is a 413 problem in every format, and writes nothing', async () => {
    const rows = rowsOfSize(5000)
    for (const [body, type] of [
      [toCsv(rows), 'text/csv'],
      [toNdjson(rows), 'application/x-ndjson'],
      [JSON.stringify(rows), 'application/json'],
    ] as const) {
      expect(Buffer.byteLength(body)).toBeGreaterThan(4096)
      await expectRejected(small, importRequest(body, type, h), 413)
    }
  })

  it('an import under IMPORT_BODY_LIMIT is accepted', async () => {
    const rows = rowsOfSize(2000)
    expect(Buffer.byteLength(toCsv(rows))).toBeLessThan(4096)
    expect(await importOk(small, toCsv(rows), 'text/csv', h)).toEqual(
      result({ organizations: 1, contacts: rows.length, assignments: rows.length }),
    )
  })

  it('a JSON body over BODY_LIMIT on another route is still a 413 problem', async () => {
    const w = await bearer('directory:write')
    const before = snapshot(split.db)
    const res = await split.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: w,
      payload: { familyName: 'Osmonov', positionTitle: 'x'.repeat(3000) },
    })
    expectProblem(res, 413)
    expect(snapshot(split.db)).toBe(before)
  })

  it('an import bigger than BODY_LIMIT but under IMPORT_BODY_LIMIT is accepted in every format', async () => {
    const rows = rowsOfSize(6000)
    const expected = result({ organizations: 1, contacts: rows.length, assignments: rows.length })
    const body = JSON.stringify(rows)
    expect(Buffer.byteLength(body)).toBeGreaterThan(2048)
    expect(await importOk(split, body, 'application/json', h)).toEqual(expected)
    const unchanged = result({}, {}, { organizations: 1, contacts: rows.length, assignments: rows.length })
    expect(await importOk(split, toCsv(rows), 'text/csv', h)).toEqual(unchanged)
    expect(await importOk(split, toNdjson(rows), 'application/x-ndjson', h)).toEqual(unchanged)
  })
})
