import { describe, expect, it } from 'vitest'
import { ProblemError } from '../../src/lib/problem.js'
import { nonEmptyLines, parseImportBody } from '../../src/modules/imports/import-parse.js'

/**
 * The import body's parsing (src/modules/imports/import-parse.ts), called directly with exact
 * results: rows and cells kept, row errors, and every refusal's status, type, detail and errors.
 * The app-level import tests (test/imports/) show the same through HTTP; these pin each branch.
 */

const refusal = (f: () => unknown) => {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(ProblemError)
    return (err as ProblemError).toBody()
  }
  throw new Error('not refused')
}

const ALL =
  'stateCode, organization, organizationKind, role, externalId, honorific, givenName, familyName, nameOriginal, positionTitle, email, phone, startDate, endDate, emailVisibility, phoneVisibility'
const malformed = (detail: string) => ({
  type: 'urn:pocdir:problem:bad-request',
  title: 'Bad Request',
  status: 400,
  detail,
})
const invalid = (detail: string, errors: unknown[]) => ({
  type: 'urn:pocdir:problem:validation-error',
  title: 'Validation failed',
  status: 400,
  detail,
  errors,
})

describe('CSV', () => {
  it('keeps given cells trimmed, drops empty ones, numbers rows from 1', () => {
    expect(
      parseImportBody('csv', 'externalId,familyName,email\n a-1 , Osmonov ,\n,Beishenova,b@x.kg\n'),
    ).toEqual({
      rows: [
        { row: 1, cells: { externalId: 'a-1', familyName: 'Osmonov' } },
        { row: 2, cells: { familyName: 'Beishenova', email: 'b@x.kg' } },
      ],
      errors: [],
    })
  })

  it('takes ; as separator when the header has more of them, with a BOM, CRLF and blank lines', () => {
    expect(parseImportBody('csv', '\uFEFFexternalId;familyName\r\n\r\na-1;"Osmonov, Jr"\r\n')).toEqual({
      rows: [{ row: 1, cells: { externalId: 'a-1', familyName: 'Osmonov, Jr' } }],
      errors: [],
    })
    // As many of each: a comma.
    expect(parseImportBody('csv', 'a;b,c\n1;2,3\n', Infinity, ['a;b', 'c']).rows).toEqual([
      { row: 1, cells: { 'a;b': '1;2', c: '3' } },
    ])
    // The separator is read from the header only, not from the data rows (LF or CRLF).
    for (const eol of ['\n', '\r\n']) {
      expect(parseImportBody('csv', `externalId,familyName${eol}"a;1;2;3",b${eol}`).rows).toEqual([
        { row: 1, cells: { externalId: 'a;1;2;3', familyName: 'b' } },
      ])
    }
    // A header with no line end at all.
    expect(refusal(() => parseImportBody('csv', 'externalId;familyName'))).toEqual(
      malformed('The import has no rows'),
    )
  })

  it("removes the one ' an export protects a formula with, and stores CRLF inside a cell as LF", () => {
    expect(
      parseImportBody('csv', "externalId,familyName,positionTitle\n'=a-1,''@b,\"Head\r\nof\r\nUnit\"\n").rows,
    ).toEqual([{ row: 1, cells: { externalId: '=a-1', familyName: "'@b", positionTitle: 'Head\nof\nUnit' } }])
  })

  it('refuses a malformed file, a row of the wrong width, unknown and repeated columns', () => {
    expect(refusal(() => parseImportBody('csv', 'externalId,familyName\n"a-1,b\n'))).toEqual(
      malformed('The CSV is malformed: Quoted field unterminated (line 2)'),
    )
    expect(refusal(() => parseImportBody('csv', 'externalId,familyName\na-1,b\na-2\n'))).toEqual(
      malformed('The CSV is malformed: data row 2 has 1 cells, the header 2'),
    )
    expect(refusal(() => parseImportBody('csv', 'externalId,famlyName\na,b\n'))).toEqual(
      invalid(`Unknown column famlyName; the columns are ${ALL.replaceAll(' ', '')}`.replaceAll(',', ', '), [
        { path: 'famlyName', message: 'is not a known column' },
      ]),
    )
    expect(refusal(() => parseImportBody('csv', 'x,externalId,y,x\na,b,c,d\n'))).toEqual(
      invalid(`Unknown columns x, y; the columns are ${ALL}`, [
        { path: 'x', message: 'is not a known column' },
        { path: 'y', message: 'is not a known column' },
      ]),
    )
    expect(refusal(() => parseImportBody('csv', ' email ,familyName,email\na,b,c\n'))).toEqual(
      invalid('Column email named more than once', [{ path: 'email', message: 'is named more than once' }]),
    )
    expect(
      refusal(() => parseImportBody('csv', 'email,familyName,email,familyName,email,z\na,b,c,d,e,f\n')),
    ).toEqual(
      invalid(`Unknown column z; the columns are ${ALL}; Columns email, familyName named more than once`, [
        { path: 'z', message: 'is not a known column' },
        { path: 'email', message: 'is named more than once' },
        { path: 'familyName', message: 'is named more than once' },
      ]),
    )
  })

  it('counts data rows against the limit before parsing: the last allowed and one past it', () => {
    const csv = 'externalId\na\n\nb\n  \n'
    // A line of spaces is not counted, though the parser gives it as a row without cells.
    expect(parseImportBody('csv', csv, 2).rows).toEqual([
      { row: 1, cells: { externalId: 'a' } },
      { row: 2, cells: { externalId: 'b' } },
      { row: 3, cells: {} },
    ])
    expect(refusal(() => parseImportBody('csv', csv, 1))).toEqual({
      type: 'urn:pocdir:problem:too-many-rows',
      title: 'Content Too Large',
      status: 413,
      detail:
        'The import has 2 rows; at most 1 are accepted at once (IMPORT_MAX_ROWS): split it into smaller imports',
    })
    expect(refusal(() => parseImportBody('csv', 'externalId\n'))).toEqual(malformed('The import has no rows'))
    expect(refusal(() => parseImportBody('csv', ''))).toEqual(malformed('The import has no rows'))
  })

  it('uses the columns it is given', () => {
    expect(parseImportBody('csv', 'a,b\n1,2\n', Infinity, ['a', 'b']).rows).toEqual([
      { row: 1, cells: { a: '1', b: '2' } },
    ])
  })
})

describe('NDJSON', () => {
  it('parses each non-blank line; a bad line, a non-object and non-text values are row errors', () => {
    const body =
      '\uFEFF{"externalId":"a-1","familyName":" Osmonov ","email":"","phone":null}\r\n\n' +
      '{"externalId":"a-2",\n' +
      '["a"]\n' +
      '{"externalId":3,"familyName":true,"email":"b@x.kg"}\n' +
      '  \n' +
      'null\n'
    expect(parseImportBody('ndjson', body)).toEqual({
      rows: [
        { row: 1, cells: { externalId: 'a-1', familyName: 'Osmonov' } },
        { row: 4, cells: { email: 'b@x.kg' } },
      ],
      errors: [
        { row: 2, field: '(row)', message: 'is not valid JSON' },
        { row: 3, field: '(row)', message: 'must be an object of columns' },
        { row: 4, field: 'externalId', message: 'must be text' },
        { row: 4, field: 'familyName', message: 'must be text' },
        { row: 5, field: '(row)', message: 'must be an object of columns' },
      ],
    })
  })

  it('only bad lines: rows are empty but errors are kept (no "no rows" refusal)', () => {
    expect(parseImportBody('ndjson', 'nope\n')).toEqual({
      rows: [],
      errors: [{ row: 1, field: '(row)', message: 'is not valid JSON' }],
    })
  })

  it('refuses a key named twice in a row, unknown keys, and more lines than allowed', () => {
    expect(refusal(() => parseImportBody('ndjson', '{"email":"a","familyName":"b","email":"c"}\n'))).toEqual(
      invalid('Column email named more than once', [{ path: 'email', message: 'is named more than once' }]),
    )
    // The same key in two rows, or in a nested object, is not named twice.
    expect(parseImportBody('ndjson', '{"email":"a"}\n{"email":"b"}\n').rows).toHaveLength(2)
    expect(refusal(() => parseImportBody('ndjson', '{"x":{"a":1,"a":2},"email":"a"}\n'))).toEqual(
      invalid(`Unknown column x; the columns are ${ALL}`, [{ path: 'x', message: 'is not a known column' }]),
    )
    expect(parseImportBody('ndjson', '{"a":"1"}\n{"a":"2"}\n', 2, ['a']).rows).toHaveLength(2)
    expect(refusal(() => parseImportBody('ndjson', '{"a":"1"}\n\n{"a":"2"}\n', 1, ['a'])).status).toBe(413)
    expect(refusal(() => parseImportBody('ndjson', '\n \n'))).toEqual(malformed('The import has no rows'))
  })

  it('a row error before a line that is not JSON: errors in row order', () => {
    expect(parseImportBody('ndjson', '{"email":1}\n{\n')).toEqual({
      rows: [{ row: 1, cells: {} }],
      errors: [
        { row: 1, field: 'email', message: 'must be text' },
        { row: 2, field: '(row)', message: 'is not valid JSON' },
      ],
    })
  })

  it('a BOM inside a value is kept, also when the body does not start with one', () => {
    expect(parseImportBody('ndjson', '{"email":"a\uFEFFb"}\n').rows).toEqual([
      { row: 1, cells: { email: 'a\uFEFFb' } },
    ])
    expect(parseImportBody('json', '[{"email":"a\uFEFFb"}]').rows).toEqual([
      { row: 1, cells: { email: 'a\uFEFFb' } },
    ])
    expect(parseImportBody('csv', 'email\na\uFEFFb\n').rows).toEqual([
      { row: 1, cells: { email: 'a\uFEFFb' } },
    ])
  })

  it('a BOM is dropped at the start only, kept inside a value', () => {
    expect(parseImportBody('ndjson', '\uFEFF{"email":"a\uFEFFb"}\n').rows).toEqual([
      { row: 1, cells: { email: 'a\uFEFFb' } },
    ])
    expect(parseImportBody('json', '\uFEFF[{"email":"a\uFEFFb"}]').rows).toEqual([
      { row: 1, cells: { email: 'a\uFEFFb' } },
    ])
    expect(parseImportBody('csv', '\uFEFFemail\na\uFEFFb\n').rows).toEqual([
      { row: 1, cells: { email: 'a\uFEFFb' } },
    ])
  })

  it("keys of objects nested in a row are not the row's; a key after a nested array is", () => {
    const columns = ['x', 'email']
    expect(parseImportBody('ndjson', '{"x":{"email":1,"email":2},"email":"a"}\n', Infinity, columns)).toEqual(
      {
        rows: [{ row: 1, cells: { email: 'a' } }],
        errors: [{ row: 1, field: 'x', message: 'must be text' }],
      },
    )
    expect(
      refusal(() => parseImportBody('json', '[{"x":[1],"email":"a","email":"b"}]', Infinity, columns)),
    ).toEqual(
      invalid('Column email named more than once', [{ path: 'email', message: 'is named more than once' }]),
    )
  })

  it('an escaped key is compared by its value', () => {
    expect(refusal(() => parseImportBody('ndjson', '{"email":"a","em\\u0061il":"b"}\n'))).toEqual(
      invalid('Column email named more than once', [{ path: 'email', message: 'is named more than once' }]),
    )
    // A string value that looks like a key is not one; an escaped quote does not end a string.
    expect(parseImportBody('ndjson', '{"email":"email","familyName":"a\\",\\"email"}\n').rows).toEqual([
      { row: 1, cells: { email: 'email', familyName: 'a","email' } },
    ])
  })

  it('refuses text that is not well-formed Unicode, naming row and column', () => {
    expect(
      refusal(() => parseImportBody('ndjson', '{"email":"a"}\n{"familyName":"\\ud800"}\n"\\udc00"\n')),
    ).toEqual(
      invalid(
        'row 2, familyName: is not well-formed Unicode (it holds an unpaired surrogate); row 3, (row): is not well-formed Unicode (it holds an unpaired surrogate)',
        [
          {
            row: 2,
            field: 'familyName',
            message: 'is not well-formed Unicode (it holds an unpaired surrogate)',
          },
          { row: 3, field: '(row)', message: 'is not well-formed Unicode (it holds an unpaired surrogate)' },
        ],
      ),
    )
  })
})

describe('JSON', () => {
  it('as text: rows, row errors, a key named twice in a row (not across rows or deeper)', () => {
    expect(parseImportBody('json', '\uFEFF[{"email":"a","familyName":" "},{"email":"b"},7]')).toEqual({
      rows: [
        { row: 1, cells: { email: 'a' } },
        { row: 2, cells: { email: 'b' } },
      ],
      errors: [{ row: 3, field: '(row)', message: 'must be an object of columns' }],
    })
    expect(refusal(() => parseImportBody('json', '[{"email":"a"},{"phone":"1","phone":"2"}]'))).toEqual(
      invalid('Column phone named more than once', [{ path: 'phone', message: 'is named more than once' }]),
    )
    // Depth 2 only: keys of the array's objects, not of objects inside them.
    expect(refusal(() => parseImportBody('json', '[{"x":[{"a":1,"a":2}],"email":"a"}]'))).toEqual(
      invalid(`Unknown column x; the columns are ${ALL}`, [{ path: 'x', message: 'is not a known column' }]),
    )
    // After a nested array closes, the next token is a key again only after a comma.
    expect(parseImportBody('json', '[{"familyName":"b","email":"a"},{"familyName":"email"}]').rows).toEqual([
      { row: 1, cells: { familyName: 'b', email: 'a' } },
      { row: 2, cells: { familyName: 'email' } },
    ])
  })

  it('as a parsed array: no key check is possible, the rest is the same', () => {
    expect(parseImportBody('json', [{ email: 'a' }, null, [1]])).toEqual({
      rows: [{ row: 1, cells: { email: 'a' } }],
      errors: [
        { row: 2, field: '(row)', message: 'must be an object of columns' },
        { row: 3, field: '(row)', message: 'must be an object of columns' },
      ],
    })
  })

  it('refuses text that is not JSON, a body that is not an array, too many rows, no rows', () => {
    expect(refusal(() => parseImportBody('json', '[{"email":'))).toEqual({
      type: 'urn:pocdir:problem:malformed-body',
      title: 'Bad Request',
      status: 400,
      detail: `The request body is not valid JSON: ${(() => {
        try {
          JSON.parse('[{"email":')
        } catch (err) {
          return (err as Error).message
        }
      })()}`,
    })
    expect(refusal(() => parseImportBody('json', '{"email":"a"}'))).toEqual(
      malformed('A JSON import body must be an array of rows'),
    )
    expect(refusal(() => parseImportBody('json', { email: 'a' }))).toEqual(
      malformed('A JSON import body must be an array of rows'),
    )
    expect(parseImportBody('json', '[{"a":"1"},{"a":"2"}]', 2, ['a']).rows).toHaveLength(2)
    expect(refusal(() => parseImportBody('json', '[{"a":"1"},{"a":"2"}]', 1, ['a']))).toEqual({
      type: 'urn:pocdir:problem:too-many-rows',
      title: 'Content Too Large',
      status: 413,
      detail:
        'The import has 2 rows; at most 1 are accepted at once (IMPORT_MAX_ROWS): split it into smaller imports',
    })
    expect(refusal(() => parseImportBody('json', '[]'))).toEqual(malformed('The import has no rows'))
  })
})

describe('nonEmptyLines', () => {
  it('counts lines holding anything but spaces, tabs, CR and a BOM, with or without a last line end', () => {
    expect(nonEmptyLines('')).toBe(0)
    expect(nonEmptyLines('a')).toBe(1)
    expect(nonEmptyLines('a\n')).toBe(1)
    expect(nonEmptyLines('a\nb')).toBe(2)
    expect(nonEmptyLines('\uFEFF\n \t\r\n\r\nx\n\n')).toBe(1)
    expect(nonEmptyLines(' x \n\ty\r\n')).toBe(2)
    expect(nonEmptyLines('\n\n\n')).toBe(0)
    expect(nonEmptyLines('"a\nb"\n')).toBe(2)
  })
})
