import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'
import { expectProblem, postImport, type TestApp } from './support.js'

/**
 * An import writes its creates in flushes of about 400 revisions; a flush on the way writes whole
 * hundreds of tenures, revisions and search documents and keeps the rest for the next one, and an
 * import that creates 2,000 organizations or more rebuilds their indexes at its end. Files larger
 * than one flush must read exactly as if every row had been written on its own, and stay
 * all-or-nothing.
 */
const HEADER =
  'stateCode,organization,role,externalId,givenName,familyName,positionTitle,email,startDate,endDate'
const MINISTRIES = ['Ministry of Foreign Affairs', 'Ministry of Defence', 'Customs Service']
const PEOPLE = 600

/** Person i (1-based): one tenure in one of three ministries. */
const personRow = (i: number, givenName = 'Asan') =>
  `KG,${MINISTRIES[i % 3]},national-poc,kg-${i},${givenName},Family${i},,p${i}@mfa.kg,2022-01-01,`

const importer = () => bearer('directory:import directory:read', { sub: 'importer' })
const csv = (rows: string[]) => `${HEADER}\n${rows.join('\n')}\n`
const sql = (t: TestApp, query: string, ...params: unknown[]) =>
  t.db.$client
    .prepare(query)
    .pluck()
    .all(...params)
const indexes = (t: TestApp) =>
  sql(t, "select name || ': ' || sql from sqlite_schema where type = 'index' order by name")

describe('a file of many flushes', () => {
  let t: TestApp
  let seqBefore: number
  let body: Record<string, unknown>

  beforeAll(async () => {
    t = await buildTestApp()
    seqBefore = sql(t, 'select coalesce(max(seq), 0) from revisions')[0] as number
    const rows = Array.from({ length: PEOPLE }, (_, i) => personRow(i + 1))
    // After every flush: the tenures of person 350 (written) and of the last person (still
    // queued) end, and person 1 gets a title (their row gave none).
    rows.push(
      `KG,${MINISTRIES[350 % 3]},national-poc,kg-350,Asan,Family350,,p350@mfa.kg,2022-01-01,2024-06-30`,
      `KG,${MINISTRIES[PEOPLE % 3]},national-poc,kg-${PEOPLE},Asan,Family${PEOPLE},,p${PEOPLE}@mfa.kg,2022-01-01,2024-06-30`,
      'KG,,,kg-1,Asan,Family1,Minister,,,',
    )
    const res = await postImport(t, csv(rows), 'text/csv', await importer())
    expect(res.statusCode, res.body).toBe(200)
    body = res.json()
  })
  afterAll(() => t.close())

  it('answers exact counts', () => {
    expect(body).toEqual({
      dryRun: false,
      created: { organizations: 3, contacts: PEOPLE, assignments: PEOPLE },
      // Created, then changed in the same file: counted once, as created.
      updated: { organizations: 0, contacts: 0, assignments: 0 },
      unchanged: { organizations: 0, contacts: 0, assignments: 0 },
    })
  })

  it('writes one create revision per record and the three updates after them, gapless', () => {
    const seqs = sql(t, 'select seq from revisions where seq > ? order by seq', seqBefore) as number[]
    expect(seqs).toHaveLength(3 + PEOPLE + PEOPLE + 3)
    expect(seqs.every((s, i) => s === seqBefore + i + 1)).toBe(true)
    const actions = t.db.$client
      .prepare(
        'select entity, action, count(*) as n from revisions where seq > ? group by entity, action order by entity, action',
      )
      .all(seqBefore)
    expect(actions).toEqual([
      { entity: 'assignment', action: 'create', n: PEOPLE },
      { entity: 'assignment', action: 'update', n: 2 },
      { entity: 'contact', action: 'create', n: PEOPLE },
      { entity: 'contact', action: 'update', n: 1 },
      { entity: 'organization', action: 'create', n: 3 },
    ])
    // Every record's history starts with its create, which names what was stored.
    expect(
      sql(
        t,
        `select count(*) from contacts c where (select json_extract(changes, '$.familyName.after')
           from revisions r where r.entity = 'contact' and r.entity_id = c.id and r.action = 'create') = c.family_name`,
      ),
    ).toEqual([PEOPLE])
  })

  it('stores the updates over the creates, each at version 2 after its create', () => {
    for (const person of ['kg-350', `kg-${PEOPLE}`]) {
      const tenure = t.db.$client
        .prepare(
          `select a.id, a.end_date as endDate, a.version from assignments a join contacts c on c.id = a.contact_id
            where c.external_id = ?`,
        )
        .get(person) as { id: string; endDate: string; version: number }
      expect(tenure).toMatchObject({ endDate: '2024-06-30', version: 2 })
      expect(
        sql(
          t,
          "select action from revisions where entity = 'assignment' and entity_id = ? order by seq",
          tenure.id,
        ),
      ).toEqual(['create', 'update'])
    }
    expect(
      t.db.$client
        .prepare("select position_title as title, version from contacts where external_id = 'kg-1'")
        .get(),
    ).toEqual({ title: 'Minister', version: 2 })
  })

  it('references every person and organization from their tenures, and indexes every record for search', async () => {
    expect(
      sql(
        t,
        'select count(*) from assignments a join contacts c on c.id = a.contact_id join organizations o on o.id = a.organization_id',
      ),
    ).toEqual([PEOPLE])
    expect(sql(t, 'select count(*) from search_documents')).toEqual([3 + PEOPLE])
    t.db.$client.prepare(`insert into search_index(search_index, rank) values ('integrity-check', 1)`).run()
    for (const i of [1, 399, 400, 401, PEOPLE]) {
      const found = await t.app.inject({
        url: `/v1/contacts?q=family${i}`,
        headers: await bearer('directory:read'),
      })
      // A prefix search: family1 finds family10 too.
      expect(found.json().items.map((c: { externalId: string }) => c.externalId)).toContain(`kg-${i}`)
    }
  })
})

describe('a refusal after many flushes', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(() => t.close())

  it('a person given another name by a row after several flushes: 422 naming both rows, nothing written', async () => {
    const rows = Array.from({ length: PEOPLE }, (_, i) => personRow(i + 1))
    rows.push(personRow(1, 'Bakyt'))
    const before = snapshot(t.db)
    const res = await postImport(t, csv(rows), 'text/csv', await importer())
    expect(expectProblem(res, 422).errors).toEqual([
      {
        row: 1,
        field: 'givenName',
        message: `row ${PEOPLE + 1} gives the same person another givenName ("Bakyt")`,
      },
      {
        row: PEOPLE + 1,
        field: 'givenName',
        message: 'row 1 gives the same person another givenName ("Asan")',
      },
    ])
    expect(snapshot(t.db)).toBe(before)
  })

  it('2,000 new organizations and a conflict in the last row: 422, nothing written, every index as it was', async () => {
    const organizations = 2_000
    const rows = Array.from(
      { length: organizations },
      (_, i) => `KG,Agency ${i + 1},national-poc,kg-${i + 1},Asan,Family${i + 1},,,2022-01-01,`,
    )
    rows.push(`KG,Agency 1,national-poc,kg-1,Bakyt,Family1,,,2022-01-01,`)
    const before = snapshot(t.db)
    const schema = indexes(t)
    const res = await postImport(t, csv(rows), 'text/csv', await importer())
    expect(expectProblem(res, 422).errors).toEqual([
      {
        row: 1,
        field: 'givenName',
        message: `row ${organizations + 1} gives the same person another givenName ("Bakyt")`,
      },
      {
        row: organizations + 1,
        field: 'givenName',
        message: 'row 1 gives the same person another givenName ("Asan")',
      },
    ])
    expect(snapshot(t.db)).toBe(before)
    expect(indexes(t)).toEqual(schema)
  })
})

describe('2,000 new organizations in one file', () => {
  let t: TestApp
  let schema: unknown[]
  let body: Record<string, unknown>
  const organizations = 2_000

  beforeAll(async () => {
    t = await buildTestApp()
    schema = indexes(t)
    const rows = Array.from(
      { length: organizations },
      (_, i) => `KG,Agency ${i + 1},national-poc,kg-${i + 1},Asan,Family${i + 1},,,2022-01-01,`,
    )
    // The first organization named again, in other spacing and case: the same one.
    rows.push(`KG,agency  1,alternate-poc,kg-2001,Dana,Family2001,,,2023-01-01,`)
    const res = await postImport(t, csv(rows), 'text/csv', await importer())
    expect(res.statusCode, res.body).toBe(200)
    body = res.json()
  })
  afterAll(() => t.close())

  it('answers exact counts and stores each organization once', () => {
    expect(body).toEqual({
      dryRun: false,
      created: { organizations, contacts: organizations + 1, assignments: organizations + 1 },
      updated: { organizations: 0, contacts: 0, assignments: 0 },
      unchanged: { organizations: 0, contacts: 0, assignments: 0 },
    })
    expect(sql(t, "select count(*) from organizations where state_code = 'KG'")).toEqual([organizations])
    expect(sql(t, "select count(*) from revisions where entity = 'organization'")).toEqual([organizations])
  })

  it('leaves every index as the migrations define it, sound and in use', () => {
    expect(indexes(t)).toEqual(schema)
    expect(sql(t, 'pragma integrity_check')).toEqual(['ok'])
    const plan = t.db.$client
      .prepare("explain query plan select id from organizations where state_code = 'KG'")
      .all() as { detail: string }[]
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX organizations_state/)
  })
})
