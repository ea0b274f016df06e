import type Database from 'better-sqlite3'
import { type Column, getTableColumns, getTableName, type Table } from 'drizzle-orm'
import type { Db } from '../db/client.js'

/**
 * Raw statements prepared once per connection and reused, for the hot paths (the write path,
 * the directory read) where drizzle's per-call query building costs more than SQLite's work.
 * They run on the caller's connection, so inside a drizzle transaction they are part of it.
 */
type Client = Database.Database
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0] | Db

const cache = new WeakMap<Client, Map<string, Database.Statement>>()
const pending = new WeakMap<Client, (() => void) | undefined>()

/**
 * Runs `work` (the write path's queued creates) before the next statement on the connection;
 * `undefined` cancels what was queued.
 */
export function beforeNextStatement(tx: Tx, work: (() => void) | undefined): void {
  pending.set(clientOf(tx), work)
}

export function clientOf(tx: Tx): Client {
  // A drizzle transaction runs on the same better-sqlite3 connection as its database.
  return '$client' in tx ? tx.$client : (tx as unknown as { session: { client: Client } }).session.client
}

export function statement(tx: Tx, key: string, build: () => string): Database.Statement {
  const client = clientOf(tx)
  const work = pending.get(client)
  if (work) {
    pending.delete(client)
    work()
  }
  let statements = cache.get(client)
  if (!statements) {
    statements = new Map()
    cache.set(client, statements)
  }
  let stmt = statements.get(key)
  if (!stmt) {
    stmt = client.prepare(build())
    statements.set(key, stmt)
  }
  return stmt
}

// Columns whose stored value is what the record holds (text, plain integers) skip drizzle's
// per-value mapping; JSON and boolean columns go through it. Only a shortcut: drizzle's mapping
// of text and integer columns returns the value as it is, so no test can tell these names apart.
// Stryker disable next-line ArrayDeclaration,StringLiteral: equivalent, see above
const needsMapping = (column: Column) => !['SQLiteText', 'SQLiteInteger'].includes(column.columnType)

/** `alias."column" as "alias.field"` for every column of a table, and the mapper back. */
export function tableColumns<T extends Table>(table: T, alias: string) {
  const columns = Object.entries(getTableColumns(table)).map(([field, column]) => ({
    field,
    label: `${alias}.${field}`,
    sql: `${alias}."${column.name}" as "${alias}.${field}"`,
    fromDriver: needsMapping(column)
      ? (v: unknown) => (v === null ? null : column.mapFromDriverValue(v))
      : (v: unknown) => v,
  }))
  return {
    select: columns.map((c) => c.sql).join(', '),
    read(raw: Record<string, unknown>): T['$inferSelect'] {
      const row: Record<string, unknown> = {}
      for (const c of columns) row[c.field] = c.fromDriver(raw[c.label])
      return row as T['$inferSelect']
    },
  }
}

const readers = new WeakMap<Table, ReturnType<typeof tableColumns>>()

function newReader(table: Table) {
  const reader = tableColumns(table, 't')
  readers.set(table, reader)
  return reader
}

/**
 * The live (not deleted) row of `table` whose `column` equals `value`, on a statement
 * prepared once: lookups by key run on every request and every import row.
 */
export function findLive<T extends Table>(
  tx: Tx,
  table: T,
  column: Column,
  value: unknown,
): T['$inferSelect'] | undefined {
  const reader = readers.get(table) ?? newReader(table)
  const name = getTableName(table)
  const raw = statement(
    tx,
    `find:${name}:${column.name}`,
    () => `select ${reader.select} from "${name}" t where t."${column.name}" = ? and t.deleted_at is null`,
  ).get(value) as Record<string, unknown> | undefined
  return raw && reader.read(raw)
}

/** Rows per multi-row INSERT. */
export const MANY = 100

/** Inserts rows a hundred per statement (far fewer statements on bulk writes), the rest in a few more. */
export function insertMany(tx: Tx, table: string, columns: string[], rows: unknown[][]): void {
  const values = (n: number) =>
    Array(n)
      .fill(`(${columns.map(() => '?').join(', ')})`)
      .join(', ')
  const into = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `
  let i = 0
  // One parameter array for every statement of the call (an import binds millions of values).
  // Pre-sizing it is only an allocation hint: an array of any size, or none, is filled the same
  // (the arithmetic is not disabled: a fractional size throws).
  // Stryker disable next-line ConditionalExpression,EqualityOperator,ArrayDeclaration: equivalent, see above
  const params: unknown[] = rows.length >= MANY ? new Array(MANY * columns.length) : []
  for (; i + MANY <= rows.length; i += MANY) {
    let p = 0
    for (let r = i; r < i + MANY; r++) for (const value of rows[r] as unknown[]) params[p++] = value
    statement(tx, `many:${table}:${columns.join(',')}`, () => into + values(MANY)).run(params)
  }
  // The rest in statements of 64, 32, ..., 1 rows: few statements, and few to prepare (one
  // statement per remainder count cost more to prepare, on every flush, than it saved).
  for (let n = 64; n >= 1; n /= 2) {
    if (i + n > rows.length) continue
    statement(tx, `${n}:${table}:${columns.join(',')}`, () => into + values(n)).run(
      rows.slice(i, i + n).flat(),
    )
    i += n
  }
}
