import type Database from 'better-sqlite3'
import { getTableColumns, type Table } from 'drizzle-orm'
import type { Db } from '../db/client.js'

/**
 * Raw statements prepared once per connection and reused, for the hot paths (the write path,
 * the directory read) where drizzle's per-call query building costs more than SQLite's work.
 * They run on the caller's connection, so inside a drizzle transaction they are part of it.
 */
type Client = Database.Database
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0] | Db

const cache = new WeakMap<Client, Map<string, Database.Statement>>()

export function clientOf(tx: Tx): Client {
  // A drizzle transaction runs on the same better-sqlite3 connection as its database.
  return '$client' in tx ? tx.$client : (tx as unknown as { session: { client: Client } }).session.client
}

export function statement(tx: Tx, key: string, build: () => string): Database.Statement {
  const client = clientOf(tx)
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

/** `alias."column" as "alias.field"` for every column of a table, and the mapper back. */
export function tableColumns<T extends Table>(table: T, alias: string) {
  const columns = Object.entries(getTableColumns(table)).map(([field, column]) => ({
    field,
    label: `${alias}.${field}`,
    sql: `${alias}."${column.name}" as "${alias}.${field}"`,
    fromDriver: (v: unknown) => (v === null ? null : column.mapFromDriverValue(v)),
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
