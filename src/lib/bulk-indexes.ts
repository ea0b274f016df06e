import { clientOf, type Tx } from './statements.js'

/**
 * Bulk loads: a table's non-unique secondary indexes dropped before many rows go in and created
 * again from their stored definitions after, in the caller's transaction. Building an index from
 * the finished table (one sort) costs far less than updating it row by row once the rows added
 * are many next to the rows already there. Unique indexes stay, so every constraint is checked
 * as each row goes in; the primary keys stay, so updates by key find their rows. A throw rolls
 * the drop back with everything else; other connections read their WAL snapshot, indexes
 * included, until the commit.
 *
 * Only for work that never looks rows of these tables up by a dropped index (an import matches
 * people, organizations and tenures in memory): a lookup would scan the table.
 */
export function withoutSecondaryIndexes<T>(tx: Tx, tables: readonly string[], work: () => T): T {
  const client = clientOf(tx)
  if (!client.inTransaction) throw new Error('withoutSecondaryIndexes runs inside a transaction')
  const indexes = client
    .prepare(
      `select name, sql from sqlite_schema where type = 'index' and sql is not null
         and tbl_name in (select value from json_each(?))`,
    )
    .all(JSON.stringify(tables)) as { name: string; sql: string }[]
  // SQLite stores the statement's first keywords normalized: `CREATE UNIQUE INDEX`, single spaces.
  const dropped = indexes.filter((i) => !/^create unique /i.test(i.sql))
  for (const { name } of dropped) client.exec(`drop index "${name.replaceAll('"', '""')}"`)
  const result = work()
  for (const { sql } of dropped) client.exec(sql)
  return result
}

/**
 * Whether adding `adding` rows to a table holding `existing` pays for rebuilding its indexes:
 * measured on a 20,000-row import (bench/README.md, "Import"), rebuilding wins once the rows
 * added are a sizeable share of the table.
 */
export const rebuildPays = (adding: number, existing: number): boolean =>
  adding >= 2_000 && adding * 2 >= existing
