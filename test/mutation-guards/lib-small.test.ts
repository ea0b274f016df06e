import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Db, openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { contacts, organizations } from '../../src/db/schema.js'
import { rebuildPays, withoutSecondaryIndexes } from '../../src/lib/bulk-indexes.js'
import { feedHead } from '../../src/lib/feed-head.js'
import { lazy } from '../../src/lib/lazy.js'
import {
  FOLDING_VERSION,
  foldedTokens,
  foldToken,
  MAX_QUERY_WORDS,
  plainTokens,
  queryWords,
  searchText,
  toLatin,
} from '../../src/lib/search-text.js'
import { serializerCompiler } from '../../src/lib/serializer.js'
import { FEW_UPDATED, updatedSinceFilter } from '../../src/lib/updated-since.js'
import { createRecord, updateRecord, withBulkCreates } from '../../src/lib/write-path.js'
import { WriteTurn, writeTurn } from '../../src/lib/write-turn.js'

/**
 * Small pieces of src/lib with exact values, each on its own real migrated database opened
 * inside the test: the feed head, the `updatedSince` plan, dropping and rebuilding indexes for
 * bulk loads, lazy modules, write turns.
 */

const ctx = { actor: 'tester', requestId: 'req-1' }

function fresh(): Db {
  const db = openDatabase(':memory:')
  runMigrations(db)
  return db
}

const contact = (id: string) => ({
  id,
  honorific: null,
  givenName: null,
  familyName: `Family ${id}`,
  displayName: `Family ${id}`,
  nameOriginal: null,
  nameLatin: null,
  positionTitle: null,
  languages: [],
  contactDetails: [],
  notes: null,
  externalId: null,
  lastVerifiedAt: null,
})

describe('feedHead', () => {
  it('is 0 for an empty feed, then the seq of the last revision', () => {
    const db = fresh()
    expect(feedHead(db)).toBe(0)
    const row = createRecord(db, ctx, 'contact', contact('a'))
    expect(feedHead(db)).toBe(1)
    updateRecord(db, ctx, 'contact', row, { familyName: 'B' })
    createRecord(db, ctx, 'contact', contact('b'))
    expect(feedHead(db)).toBe(3)
  })
})

describe('updatedSinceFilter', () => {
  /** The ids the filter selects, and whether it took the window's ids (`in (select …)`). */
  function select(db: Db, since: string) {
    const query = db
      .select({ id: contacts.id })
      .from(contacts)
      .where(updatedSinceFilter(db, contacts.id, contacts.updatedAt, since))
      .orderBy(contacts.id)
    return { ids: query.all().map((r) => r.id), byIds: /\bin \(select\b/i.test(query.toSQL().sql) }
  }

  it('selects records updated at or after the instant; a window under 2,000 is read by its ids', () => {
    const db = fresh()
    expect(FEW_UPDATED).toBe(2_000)
    const a = createRecord(db, ctx, 'contact', contact('a'))
    createRecord(db, ctx, 'contact', contact('b'))
    const at = a.updatedAt
    db.$client.prepare("update contacts set updated_at = '2024-01-01T00:00:00.000Z' where id = 'a'").run()
    db.$client.prepare("update contacts set updated_at = '2024-01-02T00:00:00.000Z' where id = 'b'").run()
    expect(select(db, '2024-01-01T00:00:00.000Z')).toEqual({ ids: ['a', 'b'], byIds: true })
    expect(select(db, '2024-01-01T00:00:00.001Z')).toEqual({ ids: ['b'], byIds: true })
    expect(select(db, '2024-01-02T00:00:00.000Z')).toEqual({ ids: ['b'], byIds: true })
    expect(select(db, '2024-01-02T00:00:00.001Z')).toEqual({ ids: [], byIds: true })
    expect(at).toMatch(/Z$/)
    // Each table counts its own window.
    const orgs = db
      .select({ id: organizations.id })
      .from(organizations)
      .where(updatedSinceFilter(db, organizations.id, organizations.updatedAt, '2024-01-01T00:00:00.000Z'))
    expect(orgs.all()).toEqual([])
  })

  it('a window of 2,000 or more walks the ids with the condition; 1,999 is still read by its ids', () => {
    const db = fresh()
    withBulkCreates(db, () => {
      for (let i = 0; i < 2_001; i++)
        createRecord(db, ctx, 'contact', contact(`c${String(i).padStart(4, '0')}`))
    })
    db.$client.prepare("update contacts set updated_at = '2024-01-01T00:00:00.000Z'").run()
    db.$client
      .prepare("update contacts set updated_at = '2025-01-01T00:00:00.000Z' where id >= 'c0002'")
      .run()
    // 1,999 at 2025, 2,001 at or after 2024.
    const late = select(db, '2025-01-01T00:00:00.000Z')
    expect(late.byIds).toBe(true)
    expect(late.ids).toHaveLength(1_999)
    db.$client.prepare("update contacts set updated_at = '2025-01-01T00:00:00.000Z' where id = 'c0001'").run()
    const two = select(db, '2025-01-01T00:00:00.000Z')
    expect(two.byIds).toBe(false)
    expect(two.ids).toHaveLength(2_000)
    expect(two.ids[0]).toBe('c0001')
    const all = select(db, '2024-01-01T00:00:00.000Z')
    expect(all).toEqual({ ids: expect.any(Array), byIds: false })
    expect(all.ids).toHaveLength(2_001)
    // Each table counts its own window: no organization was updated, so theirs is read by ids.
    const orgs = db
      .select({ id: organizations.id })
      .from(organizations)
      .where(updatedSinceFilter(db, organizations.id, organizations.updatedAt, '2024-01-01T00:00:00.000Z'))
    expect(orgs.all()).toEqual([])
    expect(orgs.toSQL().sql).toMatch(/\bin \(select\b/i)
  })
})

describe('withoutSecondaryIndexes and rebuildPays', () => {
  const indexes = (db: Db) =>
    db.$client
      .prepare("select name, tbl_name as tbl, sql from sqlite_schema where type = 'index' order by name")
      .all() as { name: string; tbl: string; sql: string | null }[]

  it('drops the listed tables’ non-unique indexes for the work, keeps unique ones, and builds them again', () => {
    const db = fresh()
    const before = indexes(db)
    const nonUnique = (tables: string[]) =>
      before
        .filter((i) => tables.includes(i.tbl) && i.sql !== null && !/create\s+unique/i.test(i.sql))
        .map((i) => i.name)
    expect(nonUnique(['contacts']).length).toBeGreaterThan(0)
    expect(nonUnique(['assignments']).length).toBeGreaterThan(0)
    let during: string[] = []
    const result = db.transaction(() =>
      withoutSecondaryIndexes(db, ['contacts', 'assignments'], () => {
        during = indexes(db).map((i) => i.name)
        return 'done'
      }),
    )
    expect(result).toBe('done')
    expect(during).toEqual(
      before.map((i) => i.name).filter((n) => !nonUnique(['contacts', 'assignments']).includes(n)),
    )
    // Unique indexes, automatic ones and other tables' indexes stayed.
    expect(during).toContain('contacts_external_id_uq')
    expect(during).toContain('organizations_state_id_idx')
    expect(indexes(db)).toEqual(before)
  })

  it('a throw rolls the drop back; outside a transaction it refuses to run', () => {
    const db = fresh()
    const before = indexes(db)
    expect(() =>
      db.transaction(() =>
        withoutSecondaryIndexes(db, ['contacts'], () => {
          throw new Error('boom')
        }),
      ),
    ).toThrow('boom')
    expect(indexes(db)).toEqual(before)
    expect(() => withoutSecondaryIndexes(db, ['contacts'], () => 1)).toThrow(
      new Error('withoutSecondaryIndexes runs inside a transaction'),
    )
    expect(db.transaction(() => withoutSecondaryIndexes(db, [], () => 2))).toBe(2)
    expect(indexes(db)).toEqual(before)
  })

  it('an index whose name or definition spacing is unusual is dropped and rebuilt too', () => {
    const db = fresh()
    db.$client.exec('create   index "odd ""name"" idx" on contacts (family_name)')
    db.$client.exec('create  unique  index "odd_uq" on contacts (id, family_name)')
    // A non-unique index whose name reads like the unique keyword is still dropped.
    db.$client.exec('create index "create unique trap" on contacts (given_name)')
    const before = indexes(db)
    let during: string[] = []
    db.transaction(() =>
      withoutSecondaryIndexes(db, ['contacts'], () => {
        during = indexes(db).map((i) => i.name)
      }),
    )
    expect(during).not.toContain('odd "name" idx')
    expect(during).not.toContain('create unique trap')
    expect(during).toContain('odd_uq')
    expect(indexes(db)).toEqual(before)
  })

  it('rebuildPays: from 2,000 rows added, when they are at least half the rows already there', () => {
    expect(rebuildPays(1_999, 0)).toBe(false)
    expect(rebuildPays(2_000, 0)).toBe(true)
    expect(rebuildPays(2_000, 4_000)).toBe(true)
    expect(rebuildPays(2_000, 4_001)).toBe(false)
    expect(rebuildPays(3_000, 6_000)).toBe(true)
    expect(rebuildPays(3_000, 6_001)).toBe(false)
  })
})

describe('lazy', () => {
  it('loads the module on first use, once, and a missing one only fails when used', () => {
    const load = lazy<typeof path>('node:path')
    expect(load()).toBe(path)
    expect(load()).toBe(path)
    const missing = lazy('pocdir-no-such-module')
    expect(() => missing()).toThrow(/Cannot find module 'pocdir-no-such-module'/)
  })
})

describe('WriteTurn', () => {
  it('runs each turn after the earlier ones have settled, and hands each caller its own result or error', async () => {
    const turn = new WriteTurn()
    const events: string[] = []
    let release: (value: string) => void = () => undefined
    const first = turn.run(
      () =>
        new Promise<string>((resolve) => {
          events.push('first starts')
          release = resolve
        }),
    )
    const failing = turn.run(() => {
      events.push('failing runs')
      throw new Error('refused')
    })
    const third = turn.run(() => {
      events.push('third runs')
      return 3
    })
    // Let every queued callback that could run, run.
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
    expect(events).toEqual(['first starts'])
    release('one')
    await expect(first).resolves.toBe('one')
    await expect(failing).rejects.toThrow('refused')
    await expect(third).resolves.toBe(3)
    expect(events).toEqual(['first starts', 'failing runs', 'third runs'])
  })

  it('writeTurn: one turn per database connection', () => {
    const a = fresh()
    const b = fresh()
    expect(writeTurn(a)).toBe(writeTurn(a))
    expect(writeTurn(a)).toBeInstanceOf(WriteTurn)
    expect(writeTurn(b)).not.toBe(writeTurn(a))
  })
})

describe('search-text', () => {
  it('toLatin: printable ASCII as it is, other text transliterated', () => {
    expect(toLatin('Asan Zhumabekov')).toBe('Asan Zhumabekov')
    expect(toLatin('Жумабеков')).toBe('Zhumabekov')
    expect(toLatin('tab\there')).toBe('tab\there')
    expect(toLatin('')).toBe('')
    expect(toLatin('Müller ~')).toBe('Muller ~')
  })

  it('searchText: every distinct token once, in order; empty and missing values skipped', () => {
    expect(searchText(['Asan Zhumabekov', null, undefined, '', 'asan  ASAN', 'Ivanov'], plainTokens)).toBe(
      'asan zhumabekov ivanov',
    )
    expect(searchText(['Dzhumabekov', 'Zhumabekov'], foldedTokens)).toBe('jumabekov')
    expect(searchText([], plainTokens)).toBe('')
    expect(searchText([null], plainTokens)).toBe('')
  })

  it('plain and folded tokens: lower-case ASCII words, apostrophes dropped, NFC first', () => {
    expect(plainTokens("O'Neil  Ǵ-test__x")).toEqual(['oneil', 'g', 'test', 'x'])
    expect(plainTokens('Й')).toEqual(plainTokens('И\u0306'))
    expect(plainTokens('ћ ђ ә ə')).toEqual(['c', 'd', 'a', 'a'])
    expect(foldedTokens('ћ ђ ә ə č ć š ž đ є ё')).toEqual([
      'ch',
      'j',
      'a',
      'a',
      'ch',
      'ch',
      'sh',
      'j',
      'j',
      'e',
      'e',
    ])
    expect(plainTokens('a’b`c´d‘e ʼf ʻg ʹh')).toEqual(['abcde', 'f', 'g', 'h'])
    expect(plainTokens('   ')).toEqual([])
    expect(plainTokens('ABC123')).toEqual(['abc123'])
    // The same text twice answers the same tokens (memoized).
    expect(foldedTokens('Yusupova')).toEqual(['iusupova'])
    expect(foldedTokens('Yusupova')).toEqual(['iusupova'])
  })

  it('foldToken: each rule, in order', () => {
    expect(foldToken('dzhumabekov')).toBe('jumabekov')
    expect(foldToken('djordje')).toBe('jorje')
    expect(foldToken('zhanna')).toBe('jana')
    expect(foldToken('khasanov')).toBe('hasanov')
    expect(foldToken('tsoy')).toBe('coi')
    expect(foldToken('fyodorov')).toBe('fedorov')
    expect(foldToken('yevgeniy')).toBe('evgeni')
    expect(foldToken('mukhammad')).toBe('muhamad')
    expect(foldToken('aaabbb')).toBe('ab')
    expect(foldToken('a11')).toBe('a11')
    expect(foldToken('')).toBe('')
  })

  it('queryWords: split on any white space; words with nothing searchable are dropped', () => {
    expect(queryWords('  Asan\tZhumabekov\n ')).toEqual([
      { plain: ['asan'], folded: ['asan'] },
      { plain: ['zhumabekov'], folded: ['jumabekov'] },
    ])
    expect(queryWords('- ... Ivanov')).toEqual([{ plain: ['ivanov'], folded: ['ivanov'] }])
    expect(queryWords('')).toEqual([])
    expect(MAX_QUERY_WORDS).toBe(16)
    expect(FOLDING_VERSION).toBe(2)
  })
})

let idRuns = 0
const newIdSuffix = () => `${process.pid}x${++idRuns}x${Date.now()}`

describe('serializer', () => {
  const compile = (schema: z.ZodType) => {
    const serialize = serializerCompiler({ schema, method: 'GET', url: '/test', httpStatus: '200' }) as (
      data: unknown,
    ) => string | Buffer
    return (data: unknown) => serialize(data).toString()
  }

  it('a page whose first field is optional and absent starts with the next one (no leading comma)', () => {
    const page = compile(
      z.object({
        note: z.string().optional(),
        items: z.array(z.object({ id: z.string() })),
        nextCursor: z.string().nullable(),
      }),
    )
    expect(page({ items: [{ id: 'a', x: 1 }, { id: 'b' }], nextCursor: null, extra: 'no' })).toBe(
      '{"items":[{"id":"a"},{"id":"b"}],"nextCursor":null}',
    )
    expect(page({ note: 'n', items: [], nextCursor: 'c' })).toBe('{"note":"n","items":[],"nextCursor":"c"}')
    expect(page({ note: 'n', items: [{ id: 'a' }], nextCursor: null })).toBe(
      '{"note":"n","items":[{"id":"a"}],"nextCursor":null}',
    )
    expect(() => page({ note: 'n', nextCursor: null })).toThrow('"items" is required!')
  })

  it('a page with an id (a `$ref` at its root) and items with one: bytes, item by item, other arrays whole', () => {
    // Ids must be unique in zod's registry; each run makes new schemas.
    const run = newIdSuffix()
    const Person = z.object({ id: z.string() }).meta({ id: `LibSmallPerson${run}` })
    const page = serializerCompiler({
      schema: z
        .object({
          tags: z.array(z.string()),
          items: z.array(Person),
          nextCursor: z.string().nullable(),
        })
        .meta({ id: `LibSmallPage${run}` }),
      method: 'GET',
      url: '/test',
      httpStatus: '200',
    }) as (data: unknown) => string | Buffer
    const out = page({ tags: ['a', 'b'], items: [{ id: 'p', secret: 1 }, { id: 'q' }], nextCursor: null })
    expect(Buffer.isBuffer(out)).toBe(true)
    expect(out.toString()).toBe('{"tags":["a","b"],"items":[{"id":"p"},{"id":"q"}],"nextCursor":null}')
  })

  it('an object whose `items` is not an array, and an array, use the whole-object serializer', () => {
    expect(compile(z.object({ items: z.string(), n: z.number() }))({ items: 'x', n: 1, y: 2 })).toBe(
      '{"items":"x","n":1}',
    )
    expect(compile(z.array(z.object({ id: z.string() })))([{ id: 'a', y: 1 }])).toBe('[{"id":"a"}]')
    expect(compile(z.object({ id: z.string() }).meta({ id: 'LibSmallRecord' }))({ id: 'a', y: 1 })).toBe(
      '{"id":"a"}',
    )
  })
})
