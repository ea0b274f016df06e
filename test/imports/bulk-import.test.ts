import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  admin,
  COLUMNS,
  CREATED_ALL,
  directoryRows,
  getJson,
  type Headers,
  INTL_ORG,
  importer,
  importOk,
  type Json,
  listAll,
  ORGANIZATIONS,
  ORGS,
  PEOPLE,
  person,
  ROWS,
  result,
  storedDirectory,
  type TestApp,
  tenures,
  toCsv,
  toNdjson,
  UNCHANGED_ALL,
} from './support.js'

/**
 * A realistic 200-row spreadsheet in, over HTTP: exact counts, the records behind them, one
 * request id and the importer as actor on every revision; the same data in every format gives
 * the same directory; a dry run tells exactly what the real run does and writes nothing.
 */

const rows = directoryRows()
const csv = toCsv(rows)

describe('a 200-row CSV import', () => {
  let t: TestApp
  let a: Headers
  let answer: Json
  let requestId: string
  let seqBefore: number

  beforeAll(async () => {
    t = await buildTestApp()
    a = await admin()
    seqBefore = (t.db.$client.prepare('select max(seq) as n from revisions').get() as { n: number }).n
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: { ...(await importer('importer-ines')), 'content-type': 'text/csv' },
      payload: csv,
    })
    expect(res.statusCode, res.body).toBe(200)
    answer = res.json()
    requestId = String(res.headers['x-request-id'])
  })
  afterAll(() => t.close())

  it('answers 200 with exact created counts (an organization or a person named by many rows counts once)', () => {
    expect(rows).toHaveLength(200)
    expect(answer).toEqual(CREATED_ALL)
    expect(answer).toEqual(result({ organizations: 21, contacts: 170, assignments: 200 }, {}, {}, false))
  })

  it('stores every organization once, under the first spelling of its name', async () => {
    const orgs = await listAll(t, '/v1/organizations?limit=500', a)
    expect(orgs).toHaveLength(ORGANIZATIONS)
    for (const state of ['KG', 'KZ', 'UZ', 'TJ', 'TM']) {
      const names = orgs.filter((o) => o.stateCode === state).map((o) => o.name)
      expect(names.sort()).toEqual([...ORGS].sort())
      for (const o of orgs.filter((x) => x.stateCode === state)) expect(o.kind).toBe('government')
    }
    const osce = orgs.find((o) => o.name === INTL_ORG)
    expect(osce).toMatchObject({ kind: 'international', stateCode: null })
  })

  it('stores every person once, with normalised details', async () => {
    const contacts = await listAll(t, '/v1/contacts?limit=500', a)
    expect(contacts).toHaveLength(PEOPLE)
    const byExternalId = new Map(contacts.map((c) => [c.externalId, c]))
    expect(byExternalId.size).toBe(PEOPLE)
    for (let p = 0; p < PEOPLE; p++) {
      const x = person(p)
      const c = byExternalId.get(x.externalId)
      expect(c, x.externalId).toBeDefined()
      expect(c).toMatchObject({
        honorific: x.honorific,
        givenName: x.givenName,
        familyName: x.familyName,
        nameOriginal: x.nameOriginal ?? null,
        positionTitle: x.positionTitle,
      })
      const expected: Json[] = []
      if (x.emailStored) {
        expected.push({
          type: 'email',
          value: x.emailStored,
          label: null,
          visibility: x.emailPublic ? 'public' : 'restricted',
        })
      }
      if (x.phoneE164) {
        expected.push({
          type: 'phone',
          value: x.phoneE164,
          label: null,
          visibility: x.phonePublic ? 'public' : 'restricted',
        })
      }
      expect(c?.contactDetails, x.externalId).toEqual(expected)
    }
    // "0312 620545"-style national numbers are read with the row's state as region.
    expect(byExternalId.get('kg-000')?.contactDetails).toContainEqual(
      expect.objectContaining({ type: 'phone', value: '+996312620000' }),
    )
    expect(byExternalId.get('kz-001')?.contactDetails).toContainEqual(
      expect.objectContaining({ type: 'phone', value: '+77172720001' }),
    )
    // A two-line cell survives as two lines.
    expect(byExternalId.get('kg-000')?.positionTitle).toBe(
      'Head of Division, Export Control\nNuclear Safety Unit',
    )
  })

  it('stores every tenure once: people in two roles have two assignments', async () => {
    const [assignments, contacts, orgs, roles] = await Promise.all([
      listAll(t, '/v1/assignments?limit=500', a),
      listAll(t, '/v1/contacts?limit=500', a),
      listAll(t, '/v1/organizations?limit=500', a),
      listAll(t, '/v1/roles?limit=500', a),
    ])
    expect(assignments).toHaveLength(ROWS)
    const externalIdOf = new Map(contacts.map((c) => [c.id, c.externalId]))
    const orgOf = new Map(orgs.map((o) => [o.id, o]))
    const roleKey = new Map(roles.map((r) => [r.id, r.key]))
    const got = assignments
      .map((x) => {
        const org = orgOf.get(x.organizationId)
        expect(x.stateCode).toBe(org?.stateCode ?? null)
        return `${externalIdOf.get(x.contactId)}|${roleKey.get(x.roleId)}|${org?.name}|${x.startDate}|${x.endDate ?? ''}`
      })
      .sort()
    const want = tenures()
      .map((x) => `${x.externalId}|${x.role}|${x.organization}|${x.startDate}|${x.endDate ?? ''}`)
      .sort()
    expect(got).toEqual(want)
    const kg000 = contacts.find((c) => c.externalId === 'kg-000')
    expect(assignments.filter((x) => x.contactId === kg000?.id)).toHaveLength(2)
  })

  it('writes one create revision per record, by the token sub, all with the import request id', async () => {
    const revisions: Json[] = []
    let after = seqBefore
    for (;;) {
      const page = await getJson(t, `/v1/changes?after=${after}&limit=1000`, a)
      if (page.items.length === 0) break
      revisions.push(...page.items)
      after = page.nextAfter
    }
    expect(revisions).toHaveLength(ORGANIZATIONS + PEOPLE + ROWS)
    expect(new Set(revisions.map((r) => r.actor))).toEqual(new Set(['importer-ines']))
    expect(new Set(revisions.map((r) => r.requestId))).toEqual(new Set([requestId]))
    expect(requestId).toMatch(/\S/)
    const byEntity = (entity: string) => revisions.filter((r) => r.entity === entity && r.action === 'create')
    expect(byEntity('organization')).toHaveLength(ORGANIZATIONS)
    expect(byEntity('contact')).toHaveLength(PEOPLE)
    expect(byEntity('assignment')).toHaveLength(ROWS)

    // The history of one record tells the same.
    const contacts = await listAll(t, '/v1/contacts?limit=500', a)
    const kg000 = contacts.find((c) => c.externalId === 'kg-000')
    const history = await getJson(t, `/v1/contacts/${kg000?.id}/history`, a)
    expect(history.items).toHaveLength(1)
    expect(history.items[0]).toMatchObject({ action: 'create', actor: 'importer-ines', requestId })
  })
})

describe('the same rows in every format', () => {
  let reference: unknown

  const freshImport = async (body: string | object, contentType: string) => {
    const t = await buildTestApp()
    try {
      const answer = await importOk(t, body, contentType, await importer())
      return { answer, stored: storedDirectory(t) }
    } finally {
      await t.close()
    }
  }

  beforeAll(async () => {
    const { answer, stored } = await freshImport(csv, 'text/csv')
    expect(answer).toEqual(CREATED_ALL)
    reference = stored
  })

  it('NDJSON with blank lines stores the same directory', async () => {
    const ndjson = toNdjson(rows, true)
    expect(ndjson).toMatch(/\n\s*\n/)
    const { answer, stored } = await freshImport(ndjson, 'application/x-ndjson')
    expect(answer).toEqual(CREATED_ALL)
    expect(stored).toEqual(reference)
  })

  it('NDJSON with a BOM and CRLF line ends stores the same directory', async () => {
    const ndjson = `\uFEFF${toNdjson(rows, true).replace(/\n/g, '\r\n')}`
    const { answer, stored } = await freshImport(ndjson, 'application/x-ndjson')
    expect(answer).toEqual(CREATED_ALL)
    expect(stored).toEqual(reference)
  })

  it('a JSON array stores the same directory', async () => {
    const { answer, stored } = await freshImport(rows, 'application/json')
    expect(answer).toEqual(CREATED_ALL)
    expect(stored).toEqual(reference)
  })

  it('a JSON array with empty strings and nulls for missing cells stores the same directory', async () => {
    const padded = rows.map((r) => ({ phone: null, endDate: '', nameOriginal: '  ', ...r }))
    const { answer, stored } = await freshImport(padded, 'application/json')
    expect(answer).toEqual(CREATED_ALL)
    expect(stored).toEqual(reference)
  })

  const variants: [string, Parameters<typeof toCsv>[1]][] = [
    ['a BOM and CRLF line ends', { bom: true, eol: '\r\n' }],
    ["';' separators", { separator: ';' }],
    ["';' separators, a BOM and CRLF line ends", { separator: ';', bom: true, eol: '\r\n' }],
    ['every cell quoted', { quoteAll: true, eol: '\r\n' }],
    ['the columns in another order', { columns: [...COLUMNS].reverse() }],
  ]
  for (const [name, options] of variants) {
    it(`CSV with ${name} stores the same directory`, async () => {
      const text = toCsv(rows, options)
      // Quoted cells carry the other separator and line breaks.
      expect(text).toContain('"Head of Division, Export Control\nNuclear Safety Unit"')
      expect(text).toContain('"Counsellor; Non-proliferation Desk"')
      expect(text).toContain('"Deputy Director, ""Strategic Goods"" Department"')
      const { answer, stored } = await freshImport(text, 'text/csv')
      expect(answer).toEqual(CREATED_ALL)
      expect(stored).toEqual(reference)
    })
  }

  it('CSV with a charset parameter on the content type is still CSV', async () => {
    const { answer, stored } = await freshImport(csv, 'text/csv; charset=utf-8')
    expect(answer).toEqual(CREATED_ALL)
    expect(stored).toEqual(reference)
  })
})

describe('dry runs and re-imports', () => {
  let t: TestApp
  let h: Headers
  beforeAll(async () => {
    t = await buildTestApp()
    h = await importer()
  })
  afterAll(() => t.close())

  it('a dry run answers exactly what the real run then answers, and writes nothing', async () => {
    const before = snapshot(t.db)
    const dry = await importOk(t, csv, 'text/csv', h, '?dryRun=true')
    expect(snapshot(t.db), 'a dry run writes nothing').toBe(before)
    const real = await importOk(t, csv, 'text/csv', h)
    expect(real).toEqual(CREATED_ALL)
    expect(dry).toEqual({ ...real, dryRun: true })
    expect(snapshot(t.db)).not.toBe(before)
  })

  it('re-importing the same file changes nothing: all unchanged, no new revisions', async () => {
    const before = snapshot(t.db)
    for (const [body, type] of [
      [csv, 'text/csv'],
      [toNdjson(rows), 'application/x-ndjson'],
      [rows, 'application/json'],
    ] as const) {
      expect(await importOk(t, body, type, h)).toEqual(UNCHANGED_ALL)
    }
    expect(await importOk(t, csv, 'text/csv', h, '?dryRun=true')).toEqual({ ...UNCHANGED_ALL, dryRun: true })
    expect(snapshot(t.db), 'a re-import writes nothing').toBe(before)
  })

  it('a dry run of a file with changes matches the real run, and dryRun=false is a real run', async () => {
    const changed = directoryRows().map((r, i) => {
      if (i >= 30 && i < 35) return { ...r, positionTitle: `Acting ${r.positionTitle}` }
      if (i >= 10 && i < 13 && !r.endDate) return { ...r, endDate: '2025-06-30' }
      return r
    })
    changed.push(
      {
        stateCode: 'KG',
        organization: 'State Committee for National Security',
        role: 'border-poc',
        externalId: 'kg-900',
        familyName: 'Toktogulov',
        nameOriginal: 'Токтогулов',
        startDate: '2025-02-01',
      },
      { externalId: 'kg-901', familyName: 'Asanova', email: 'asanova@mfa.gov.kg' },
    )
    const text = toCsv(changed)
    const before = snapshot(t.db)
    const dry = await importOk(t, text, 'text/csv', h, '?dryRun=true')
    expect(snapshot(t.db)).toBe(before)
    const real = await importOk(t, text, 'text/csv', h, '?dryRun=false')
    const expected = result(
      { organizations: 1, contacts: 2, assignments: 1 },
      { contacts: 5, assignments: 3 },
      { organizations: ORGANIZATIONS, contacts: PEOPLE - 5, assignments: ROWS - 3 },
    )
    expect(real).toEqual(expected)
    expect(dry).toEqual({ ...expected, dryRun: true })
  })
})
