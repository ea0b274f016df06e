import { getTableName, gte, inArray, type SQL } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import { statement, type Tx } from './statements.js'

/** At most this many records in an `updatedSince` window are listed by sorting their ids. */
export const FEW_UPDATED = 2000

/**
 * The `updatedSince` condition of a list that pages by id. A window of fewer than FEW_UPDATED
 * records (a partner's sync since its last run, the usual case) is read from the (updated_at, id)
 * index and its ids taken in order, so a page costs the window, not the table; a wider window
 * walks the ids and filters as it goes, where at least one record in every table/FEW_UPDATED
 * matches. Counting up to FEW_UPDATED entries of that index decides, for each page.
 */
export function updatedSinceFilter(db: Tx, id: SQLiteColumn, updatedAt: SQLiteColumn, since: string): SQL {
  const table = getTableName(updatedAt.table)
  const window = statement(
    db,
    `updated-since:${table}`,
    () => `select count(*) from (select 1 from "${table}" where updated_at >= ? limit ${FEW_UPDATED})`,
  )
    .pluck()
    .get(since) as number
  if (window >= FEW_UPDATED) return gte(updatedAt, since)
  return inArray(
    id,
    db
      .select({ id })
      .from(updatedAt.table as SQLiteTable)
      .where(gte(updatedAt, since)),
  )
}
