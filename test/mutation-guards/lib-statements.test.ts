import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { describe, expect, it, vi } from 'vitest'
import { type Db, openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { organizations } from '../../src/db/schema.js'
import {
  beforeNextStatement,
  clientOf,
  findLive,
  insertMany,
  statement,
  type Tx,
  tableColumns,
} from '../../src/lib/statements.js'

/**
 * src/lib/statements.ts called directly, each test on its own in-memory database: the statement
 * cache per connection, the queued work run before the next statement, the keyed live read and
 * its column mapping, and the multi-row insert's statement sizes (read from the SQL the
 * connection is asked to prepare).
 */

function plain(): Db {
  const db = openDatabase(':memory:')
  db.$client.exec(
    `create table things (id text primary key, name text not null, size integer, flag integer,
       tags text, deleted_at text);
     create table others (id text primary key, name text not null, deleted_at text)`,
  )
  return db
}

// A table of every kind of column tableColumns maps: plain text and integer pass through, JSON
// and boolean go through drizzle's mapping, with SQL null kept as null.
const things = sqliteTable('things', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  size: integer('size'),
  flag: integer('flag', { mode: 'boolean' }),
  tags: text('tags', { mode: 'json' }).$type<string[]>(),
  deletedAt: text('deleted_at'),
})
const others = sqliteTable('others', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  deletedAt: text('deleted_at'),
})

/** The SQL texts the connection is asked to prepare from now on (the calls go through). */
function prepared(db: Db): string[] {
  const texts: string[] = []
  const original = db.$client.prepare.bind(db.$client)
  vi.spyOn(db.$client, 'prepare').mockImplementation(((source: string) => {
    texts.push(source)
    return original(source)
  }) as typeof db.$client.prepare)
  return texts
}

describe('clientOf', () => {
  it('is the database connection, for the database and for a transaction on it', () => {
    const db = plain()
    expect(clientOf(db)).toBe(db.$client)
    db.transaction((tx) => {
      expect(clientOf(tx)).toBe(db.$client)
    })
  })

  it('reads $client when there is one, the session client otherwise', () => {
    const a = openDatabase(':memory:').$client
    const b = openDatabase(':memory:').$client
    expect(clientOf({ $client: a } as unknown as Tx)).toBe(a)
    expect(clientOf({ session: { client: b } } as unknown as Tx)).toBe(b)
  })
})

describe('statement', () => {
  it('prepares once per key and connection and hands back the same statement', () => {
    const db = plain()
    const other = plain()
    const texts = prepared(db)
    const build = vi.fn(() => 'select 1 as one')
    const first = statement(db, 'k1', build)
    expect(first.get()).toEqual({ one: 1 })
    expect(statement(db, 'k1', build)).toBe(first)
    expect(statement(db, 'k1', () => 'select 2')).toBe(first)
    expect(build).toHaveBeenCalledTimes(1)
    expect(texts).toEqual(['select 1 as one'])

    const second = statement(db, 'k2', () => 'select 2 as two')
    expect(second).not.toBe(first)
    expect(second.get()).toEqual({ two: 2 })
    expect(texts).toEqual(['select 1 as one', 'select 2 as two'])

    // Another connection has its own cache.
    const elsewhere = statement(other, 'k1', () => 'select 3 as three')
    expect(elsewhere).not.toBe(first)
    expect(elsewhere.get()).toEqual({ three: 3 })
    expect(statement(db, 'k1', build)).toBe(first)
    expect(build).toHaveBeenCalledTimes(1)
  })

  it('inside a transaction runs on the same connection and cache as the database', () => {
    const db = plain()
    const outside = statement(db, 'count', () => 'select count(*) as n from things')
    db.transaction((tx) => {
      expect(statement(tx, 'count', () => 'select 99')).toBe(outside)
      db.$client.prepare(`insert into things (id, name) values ('a', 'A')`).run()
      expect(statement(tx, 'count', () => 'select 99').get()).toEqual({ n: 1 })
    })
  })
})

describe('beforeNextStatement', () => {
  it('runs the queued work once, before the next statement, on that connection only', () => {
    const db = plain()
    const other = plain()
    const order: string[] = []
    const work = vi.fn(() => {
      order.push('work')
      db.$client.prepare(`insert into things (id, name) values ('w', 'W')`).run()
    })
    beforeNextStatement(db, work)
    expect(work).not.toHaveBeenCalled()
    statement(other, 'count', () => 'select count(*) as n from things').get()
    expect(work).not.toHaveBeenCalled()

    const count = statement(db, 'count', () => {
      order.push('build')
      return 'select count(*) as n from things'
    })
    expect(order).toEqual(['work', 'build'])
    expect(count.get()).toEqual({ n: 1 })
    statement(db, 'count', () => 'select 0')
    statement(db, 'other', () => 'select 0')
    expect(work).toHaveBeenCalledTimes(1)
  })

  it('through a transaction queues on the database connection', () => {
    const db = plain()
    const work = vi.fn()
    db.transaction((tx) => beforeNextStatement(tx, work))
    statement(db, 'one', () => 'select 1')
    expect(work).toHaveBeenCalledTimes(1)
  })

  it('without work cancels what was queued; the latest work replaces earlier work', () => {
    const db = plain()
    const cancelled = vi.fn()
    beforeNextStatement(db, cancelled)
    beforeNextStatement(db, undefined)
    statement(db, 'one', () => 'select 1')
    expect(cancelled).not.toHaveBeenCalled()

    const earlier = vi.fn()
    const later = vi.fn()
    beforeNextStatement(db, earlier)
    beforeNextStatement(db, later)
    statement(db, 'one', () => 'select 1')
    expect(earlier).not.toHaveBeenCalled()
    expect(later).toHaveBeenCalledTimes(1)
  })
})

describe('tableColumns', () => {
  it('selects every column under its alias and field name', () => {
    expect(tableColumns(things, 'x').select).toBe(
      'x."id" as "x.id", x."name" as "x.name", x."size" as "x.size", x."flag" as "x.flag", ' +
        'x."tags" as "x.tags", x."deleted_at" as "x.deletedAt"',
    )
  })

  it('maps JSON and boolean columns, keeps text and integers as stored, SQL null as null', () => {
    const { read } = tableColumns(things, 'x')
    expect(
      read({
        'x.id': 'a',
        'x.name': '["not", "parsed"]',
        'x.size': 7,
        'x.flag': 1,
        'x.tags': '["p","q"]',
        'x.deletedAt': null,
      }),
    ).toEqual({ id: 'a', name: '["not", "parsed"]', size: 7, flag: true, tags: ['p', 'q'], deletedAt: null })
    const nulls = read({
      'x.id': 'b',
      'x.name': 'B',
      'x.size': null,
      'x.flag': null,
      'x.tags': null,
      'x.deletedAt': '2026-01-01',
    })
    expect(nulls).toEqual({ id: 'b', name: 'B', size: null, flag: null, tags: null, deletedAt: '2026-01-01' })
    expect(read({ 'x.id': 'c', 'x.name': 'C', 'x.size': 0, 'x.flag': 0, 'x.tags': '[]' })).toEqual({
      id: 'c',
      name: 'C',
      size: 0,
      flag: false,
      tags: [],
      deletedAt: undefined,
    })
  })

  it('reads a row selected with its select list', () => {
    const db = plain()
    db.$client.prepare(`insert into things values ('a', 'Alpha', 3, 0, '["t"]', null)`).run()
    const cols = tableColumns(things, 'q')
    const raw = db.$client.prepare(`select ${cols.select} from things q`).get() as Record<string, unknown>
    expect(cols.read(raw)).toEqual({
      id: 'a',
      name: 'Alpha',
      size: 3,
      flag: false,
      tags: ['t'],
      deletedAt: null,
    })
  })
})

describe('findLive', () => {
  it('finds the live row by any column, mapped; a deleted or missing one is undefined', () => {
    const db = plain()
    db.$client.exec(
      `insert into things values ('a', 'Alpha', 3, 1, '["x","y"]', null);
       insert into things values ('b', 'Beta', null, null, null, '2026-12-01T00:00:00Z');
       insert into things values ('c', 'Beta', 5, 0, '[]', null);
       insert into others values ('a', 'Other A', null)`,
    )
    expect(findLive(db, things, things.id, 'a')).toEqual({
      id: 'a',
      name: 'Alpha',
      size: 3,
      flag: true,
      tags: ['x', 'y'],
      deletedAt: null,
    })
    expect(findLive(db, things, things.id, 'b')).toBeUndefined()
    expect(findLive(db, things, things.id, 'zz')).toBeUndefined()
    // Another column of the same table, and another table, each on its own statement.
    expect(findLive(db, things, things.name, 'Beta')).toEqual({
      id: 'c',
      name: 'Beta',
      size: 5,
      flag: false,
      tags: [],
      deletedAt: null,
    })
    expect(findLive(db, others, others.id, 'a')).toEqual({ id: 'a', name: 'Other A', deletedAt: null })
    expect(findLive(db, things, things.id, 'a')?.name).toBe('Alpha')
    expect(findLive(db, things, things.name, 'Alpha')?.id).toBe('a')
  })

  it('works on a migrated database and inside a transaction', () => {
    const db = openDatabase(':memory:')
    runMigrations(db)
    db.$client.exec(
      `insert into organizations (id, name, kind, contact_details, version, created_at, updated_at)
       values ('o1', 'Org One', 'international', '[{"type":"email","value":"a@b.c"}]', 2, 't0', 't1')`,
    )
    db.transaction((tx) => {
      const row = findLive(tx, organizations, organizations.id, 'o1')
      expect(row).toMatchObject({
        id: 'o1',
        name: 'Org One',
        kind: 'international',
        contactDetails: [{ type: 'email', value: 'a@b.c' }],
        version: 2,
        createdAt: 't0',
        updatedAt: 't1',
        deletedAt: null,
        stateCode: null,
      })
    })
  })
})

describe('insertMany', () => {
  const rowsOf = (n: number, from = 0) =>
    Array.from({ length: n }, (_, k) => [`id${String(from + k).padStart(4, '0')}`, `name ${from + k}`])
  const rowCounts = (texts: string[]) =>
    texts.filter((t) => t.startsWith('insert')).map((t) => (t.match(/\(\?, \?\)/g) ?? []).length)

  it('writes the rows in statements of 100, then 64, 32, …, 1 rows', () => {
    for (const [count, sizes] of [
      [0, []],
      [1, [1]],
      [99, [64, 32, 2, 1]],
      [100, [100]],
      [101, [100, 1]],
      [127, [100, 16, 8, 2, 1]],
      [200, [100, 100]],
      [264, [100, 100, 64]],
    ] as [number, number[]][]) {
      const db = plain()
      const texts = prepared(db)
      const rows = rowsOf(count)
      insertMany(db, 'things', ['id', 'name'], rows)
      expect(db.$client.prepare('select id, name from things order by id').raw().all()).toEqual(rows)
      // Each size prepared once (the second hundred reuses the first's statement).
      expect(rowCounts(texts)).toEqual([...new Set(sizes)])
      expect(texts.filter((t) => t.startsWith('insert'))[0] ?? '').toMatch(
        count === 0 ? /^$/ : /^insert into "things" \("id", "name"\) values \(\?, \?\)(, \(\?, \?\))*$/,
      )
    }
  })

  it('reuses its statements per table, column list and size, and binds one column too', () => {
    const db = plain()
    const texts = prepared(db)
    insertMany(db, 'things', ['id', 'name'], rowsOf(101))
    insertMany(db, 'others', ['id', 'name'], rowsOf(101))
    insertMany(db, 'things', ['id', 'name'], rowsOf(101, 1000))
    insertMany(db, 'others', ['name', 'id'], [['swapped', 'zz']])
    expect(
      texts
        .filter((t) => t.startsWith('insert'))
        .map((t) => `${t.replace(/ values .*/s, '')} × ${(t.match(/\(\?, \?\)/g) ?? []).length}`),
    ).toEqual([
      'insert into "things" ("id", "name") × 100',
      'insert into "things" ("id", "name") × 1',
      'insert into "others" ("id", "name") × 100',
      'insert into "others" ("id", "name") × 1',
      'insert into "others" ("name", "id") × 1',
    ])
    expect(db.$client.prepare('select count(*) from things').pluck().get()).toBe(202)
    expect(db.$client.prepare('select count(*) from others').pluck().get()).toBe(102)
    expect(db.$client.prepare(`select name from others where id = 'zz'`).pluck().get()).toBe('swapped')

    db.$client.exec('create table ones (v integer)')
    const values = Array.from({ length: 150 }, (_, k) => [k])
    insertMany(db, 'ones', ['v'], values)
    expect(db.$client.prepare('select v from ones order by rowid').raw().all()).toEqual(values)
  })

  it('keeps column lists that run together apart (ab,c is not a,bc), for hundreds and the rest', () => {
    const db = plain()
    db.$client.exec('create table cols (a text, ab text, bc text, c text)')
    const rows = (n: number, tag: string) =>
      Array.from({ length: n }, (_, k) => [`${tag}1-${k}`, `${tag}2-${k}`])
    insertMany(db, 'cols', ['ab', 'c'], rows(101, 'x'))
    insertMany(db, 'cols', ['a', 'bc'], rows(101, 'y'))
    const read = db.$client.prepare(
      'select a, ab, bc, c from cols where rowid in (1, 101, 102, 202) order by rowid',
    )
    expect(read.raw().all()).toEqual([
      [null, 'x1-0', null, 'x2-0'],
      [null, 'x1-100', null, 'x2-100'],
      ['y1-0', null, 'y2-0', null],
      ['y1-100', null, 'y2-100', null],
    ])
  })

  it('binds three columns a hundred rows at a time', () => {
    const db = plain()
    db.$client.exec('create table three (a integer, b integer, c integer)')
    const rows = Array.from({ length: 203 }, (_, k) => [k, k * 2, k * 3])
    insertMany(db, 'three', ['a', 'b', 'c'], rows)
    expect(db.$client.prepare('select a, b, c from three order by rowid').raw().all()).toEqual(rows)
  })

  it('inside a transaction is part of it', () => {
    const db = plain()
    expect(() =>
      db.transaction((tx) => {
        insertMany(tx, 'things', ['id', 'name'], rowsOf(150))
        throw new Error('roll back')
      }),
    ).toThrow('roll back')
    expect(db.$client.prepare('select count(*) from things').pluck().get()).toBe(0)
  })
})
