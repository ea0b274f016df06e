import { and, desc, eq, lt } from 'drizzle-orm'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { type Db, openDatabase } from '../../db/client.js'
import { paginate } from '../../lib/pagination.js'
import { invalidField } from '../../lib/problem.js'
import { statement, type Tx } from '../../lib/statements.js'

/**
 * The delivery log lives in a SQLite file of its own beside the service's database
 * (`<DATABASE_PATH>-deliveries`), written only by the delivery loop. SQLite has one write lock
 * per file: in the service's database every attempt's row (twenty a write with twenty
 * subscriptions) was a write that request writes queued behind; here the delivery worker, at
 * the lowest CPU priority, writes and prunes its log without ever holding a lock a request
 * needs. It is a diagnostic record bounded by WEBHOOK_LOG_KEEP: what a subscription's delivery
 * depends on (its position and retry state) stays in the service's database.
 *
 * A database in memory (the tests' default), which no second connection can open, keeps its log
 * in itself: one thread uses it, and the loop runs on that thread (delivery-runner.ts).
 *
 * Drizzle does not manage this table (drizzle.config.ts reads src/db/schema.ts only): the
 * declaration types the queries, `createTable` creates it.
 */
export const webhookDeliveries = sqliteTable('webhook_deliveries', {
  // Stryker disable next-line StringLiteral: drizzle names a column by its key when the name is empty
  id: integer('id').primaryKey(),
  webhookId: text('webhook_id').notNull(),
  // Stryker disable next-line StringLiteral,ObjectLiteral,ArrayDeclaration: named by its key when the name is empty; the enum only types it (drizzle checks none at run time)
  kind: text('kind', { enum: ['change', 'ping'] }).notNull(),
  /** The feed seq (the webhook-id header); null for a ping. */
  // Stryker disable next-line StringLiteral: drizzle names a column by its key when the name is empty
  seq: integer('seq'),
  // Stryker disable next-line StringLiteral: drizzle names a column by its key when the name is empty
  attempt: integer('attempt').notNull(),
  // Stryker disable next-line StringLiteral: drizzle names a column by its key when the name is empty
  at: text('at').notNull(),
  /** The target's HTTP status; null when no answer came. */
  // Stryker disable next-line StringLiteral: drizzle names a column by its key when the name is empty
  status: integer('status'),
  durationMs: integer('duration_ms').notNull(),
  // Stryker disable next-line StringLiteral: drizzle names a column by its key when the name is empty
  error: text('error'),
})

export type DeliveryRow = typeof webhookDeliveries.$inferSelect
export type NewDelivery = Omit<DeliveryRow, 'id'>

/** The log's file for a service database file. */
export const deliveryLogPath = (databasePath: string): string => `${databasePath}-deliveries`

/** The log's table and the index its reads and prunes walk (a subscription's rows by id). */
function createTable(client: Db['$client']): void {
  client.exec(
    'create table if not exists webhook_deliveries (id integer primary key autoincrement, webhook_id text not null, kind text not null, seq integer, attempt integer not null, at text not null, status integer, duration_ms integer not null, error text);' +
      'create index if not exists webhook_deliveries_webhook_idx on webhook_deliveries (webhook_id, id);',
  )
}

/**
 * The delivery log of the service database `db`: its own connection to its own file, or, for a
 * database in memory, `db` itself.
 */
export function openDeliveryLog(db: Db): Db {
  if (!db.$client.memory) return openDeliveryLogFile(deliveryLogPath(db.$client.name))
  createTable(db.$client)
  return db
}

/** The log's own connection, with the service database's pragmas (WAL: the API reads it while the worker writes). */
export function openDeliveryLogFile(path: string): Db {
  const log = openDatabase(path)
  createTable(log.$client)
  return log
}

/** Closes the log's connection, unless it is the service database's own (in memory). */
export function closeDeliveryLog(log: Db, db: Db): void {
  if (log !== db && log.$client.open) log.$client.close()
}

/** Logs an attempt and drops the subscription's entries beyond the newest `keep`. */
export function logDelivery(tx: Tx, entry: NewDelivery, keep: number): DeliveryRow {
  const row = tx.insert(webhookDeliveries).values(entry).returning().get()
  pruneDeliveries(tx, entry.webhookId, keep)
  return row
}

/** Logs attempts without reading them back (the delivery loop's batches). */
export function insertDelivery(tx: Tx, entry: NewDelivery): void {
  // One prepared single-row insert per row: a multi-row VALUES measured slower in SQLite.
  statement(
    tx,
    // Stryker disable next-line StringLiteral: a statement cache key; any key no other statement uses does
    'webhook-log-insert',
    () =>
      'insert into webhook_deliveries (webhook_id, kind, seq, attempt, at, status, duration_ms, error) values (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(
    entry.webhookId,
    entry.kind,
    entry.seq,
    entry.attempt,
    entry.at,
    entry.status,
    entry.durationMs,
    entry.error,
  )
}

/** Drops the subscription's log entries beyond the newest `keep`. */
export function pruneDeliveries(tx: Tx, webhookId: string, keep: number): void {
  statement(
    tx,
    // Stryker disable next-line StringLiteral: a statement cache key; any key no other statement uses does
    'webhook-log-prune',
    () =>
      'delete from webhook_deliveries where webhook_id = ? and id <= (select id from webhook_deliveries where webhook_id = ? order by id desc limit 1 offset ?)',
  ).run(webhookId, webhookId, keep)
}

/** Drops a subscription's whole log (it was deleted). */
export function forgetDeliveries(tx: Tx, webhookId: string): void {
  tx.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId)).run()
}

/** The subscriptions that have log entries. */
export function loggedWebhooks(db: Tx): string[] {
  return statement(db, 'webhook-log-ids', () => 'select distinct webhook_id from webhook_deliveries')
    .pluck()
    .all() as string[]
}

/** The delivery log, newest first; cursors are signed with the service database's key (`db`). */
export function listDeliveries(
  db: Db,
  log: Db,
  webhookId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  return paginate(
    db,
    query,
    (r: DeliveryRow) => String(r.id),
    (after, take) => {
      if (after !== undefined && !/^\d{1,15}$/.test(after)) {
        throw invalidField('cursor', 'is not a cursor this service issued')
      }
      return log
        .select()
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.webhookId, webhookId),
            after ? lt(webhookDeliveries.id, Number(after)) : undefined,
          ),
        )
        .orderBy(desc(webhookDeliveries.id))
        .limit(take)
        .all()
    },
  )
}
