import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rebuildPays, withoutSecondaryIndexes } from '../../src/lib/bulk-indexes.js'
import { buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  admin,
  getJson,
  type Headers,
  importer,
  postImport,
  type Row,
  type TestApp,
  toCsv,
} from './support.js'

/**
 * A large import into a small directory drops the big tables' non-unique indexes and builds
 * them again at the end of its transaction (src/lib/bulk-indexes.ts). The schema after any
 * import, committed, refused or a dry run, is exactly the schema before; the database stays
 * consistent; the connection's PRAGMAs come back.
 */

const SIZE = 2_000 // the smallest import that rebuilds (rebuildPays)

const rows = (n: number, prefix = 'bulk'): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    stateCode: i % 2 === 0 ? 'KG' : 'KZ',
    organization: `Agency ${i % 7}`,
    role: i % 3 === 0 ? 'national-poc' : 'alternate-poc',
    externalId: `${prefix}-${i}`,
    givenName: 'Aibek',
    familyName: `Bulkov${i}`,
    email: `${prefix}.${i}@example.org`,
    startDate: '2024-01-01',
  }))

const schemaOf = (t: TestApp) =>
  t.db.$client.prepare('select type, name, tbl_name, sql from sqlite_schema order by type, name').all()

const pragmas = (t: TestApp) => ({
  cacheSize: t.db.$client.pragma('cache_size', { simple: true }),
  tempStore: t.db.$client.pragma('temp_store', { simple: true }),
  autocheckpoint: t.db.$client.pragma('wal_autocheckpoint', { simple: true }),
})

const indexNames = (t: TestApp, table: string) =>
  t.db.$client
    .prepare("select name from sqlite_schema where type = 'index' and tbl_name = ? order by name")
    .pluck()
    .all(table)

describe('a 2,000-row import into an empty directory', () => {
  let t: TestApp
  let h: Headers
  let schemaBefore: unknown
  let pragmasBefore: ReturnType<typeof pragmas>

  beforeAll(async () => {
    t = await buildTestApp()
    h = await importer()
    schemaBefore = schemaOf(t)
    pragmasBefore = pragmas(t)
  })
  afterAll(() => t.close())

  it('refused in its last row (a conflict found after every insert), writes nothing and keeps every index', async () => {
    const before = snapshot(t.db)
    const bad = [...rows(SIZE - 1), { ...rows(1)[0], givenName: 'Other' } as Row]
    const res = await postImport(t, toCsv(bad), 'text/csv', h)
    expect(res.statusCode, res.body).toBe(422)
    expect(res.json().errors).toEqual([
      {
        row: 1,
        field: 'givenName',
        message: `row ${SIZE} gives the same person another givenName ("Other")`,
      },
      { row: SIZE, field: 'givenName', message: 'row 1 gives the same person another givenName ("Aibek")' },
    ])
    expect(snapshot(t.db)).toBe(before)
    expect(schemaOf(t)).toEqual(schemaBefore)
    expect(pragmas(t)).toEqual(pragmasBefore)
  })

  it('as a dry run, counts exactly, writes nothing and keeps every index', async () => {
    const before = snapshot(t.db)
    const res = await postImport(t, toCsv(rows(SIZE)), 'text/csv', h, '?dryRun=true')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      dryRun: true,
      created: { organizations: 14, contacts: SIZE, assignments: SIZE },
      updated: { organizations: 0, contacts: 0, assignments: 0 },
      unchanged: { organizations: 0, contacts: 0, assignments: 0 },
    })
    expect(snapshot(t.db)).toBe(before)
    expect(schemaOf(t)).toEqual(schemaBefore)
  })

  it('committed, leaves the schema as it was, every index complete and the database consistent', async () => {
    const res = await postImport(t, toCsv(rows(SIZE)), 'text/csv', h)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().created).toEqual({ organizations: 14, contacts: SIZE, assignments: SIZE })
    expect(schemaOf(t)).toEqual(schemaBefore)
    expect(pragmas(t)).toEqual(pragmasBefore)
    expect(t.db.$client.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }])
    expect(t.db.$client.pragma('foreign_key_check')).toEqual([])
    // The rebuilt indexes answer the queries that use them.
    const byIndex = (sql: string, index: string) => {
      const plan = t.db.$client.prepare(`explain query plan ${sql}`).all() as { detail: string }[]
      expect(plan.map((p) => p.detail).join('\n')).toContain(index)
      return t.db.$client.prepare(sql).pluck().get()
    }
    expect(
      byIndex(
        "select count(*) from assignments indexed by assignments_state_id_idx where state_code = 'KG'",
        'assignments_state_id_idx',
      ),
    ).toBe(SIZE / 2)
    expect(
      byIndex(
        "select count(*) from revisions indexed by revisions_entity_idx where entity = 'contact'",
        'revisions_entity_idx',
      ),
    ).toBe(SIZE)
    expect(
      byIndex(
        "select count(*) from contacts indexed by contacts_updated_id_idx where updated_at > '2000'",
        'contacts_updated_id_idx',
      ),
    ).toBe(SIZE)
    t.db.$client.prepare(`insert into search_index(search_index, rank) values ('integrity-check', 1)`).run()
    const found = await getJson(t, '/v1/contacts?q=bulkov1999', await admin())
    expect(found.items.map((c: { externalId: string }) => c.externalId)).toEqual(['bulk-1999'])
  })

  it('re-imported, changes nothing (each row matched through the maps, not the dropped indexes)', async () => {
    const res = await postImport(t, toCsv(rows(SIZE)), 'text/csv', h)
    expect(res.json()).toEqual({
      dryRun: false,
      created: { organizations: 0, contacts: 0, assignments: 0 },
      updated: { organizations: 0, contacts: 0, assignments: 0 },
      unchanged: { organizations: 14, contacts: SIZE, assignments: SIZE },
    })
    expect(schemaOf(t)).toEqual(schemaBefore)
  })
})

describe('withoutSecondaryIndexes', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(() => t.close())

  it('drops the non-unique indexes for the work, keeps unique ones, and builds them again', () => {
    const all = indexNames(t, 'contacts')
    expect(all).toEqual([
      'contacts_external_id_uq',
      'contacts_stale_idx',
      'contacts_updated_id_idx',
      'sqlite_autoindex_contacts_1',
    ])
    const during = t.db.transaction((tx) =>
      withoutSecondaryIndexes(tx, ['contacts'], () => indexNames(t, 'contacts')),
    )
    expect(during).toEqual(['contacts_external_id_uq', 'sqlite_autoindex_contacts_1'])
    expect(indexNames(t, 'contacts')).toEqual(all)
    // Other tables keep theirs.
    expect(
      t.db.transaction((tx) => withoutSecondaryIndexes(tx, ['contacts'], () => indexNames(t, 'revisions'))),
    ).toEqual(['revisions_entity_idx'])
  })

  it('a throw in the work rolls the drop back with the transaction', () => {
    const schema = schemaOf(t)
    expect(() =>
      t.db.transaction((tx) =>
        withoutSecondaryIndexes(tx, ['assignments', 'revisions'], () => {
          throw new Error('refused')
        }),
      ),
    ).toThrow('refused')
    expect(schemaOf(t)).toEqual(schema)
  })

  it('refuses to run outside a transaction', () => {
    expect(() => withoutSecondaryIndexes(t.db, ['contacts'], () => 1)).toThrow(
      'withoutSecondaryIndexes runs inside a transaction',
    )
    expect(indexNames(t, 'contacts')).toHaveLength(4)
  })
})

describe('rebuildPays', () => {
  it('from 2,000 rows added, when they are at least half the rows already there', () => {
    expect(rebuildPays(1_999, 0)).toBe(false)
    expect(rebuildPays(2_000, 0)).toBe(true)
    expect(rebuildPays(2_000, 4_000)).toBe(true)
    expect(rebuildPays(2_000, 4_001)).toBe(false)
    expect(rebuildPays(20_000, 40_000)).toBe(true)
    expect(rebuildPays(20_000, 40_001)).toBe(false)
  })
})
