import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { ensureSearchIndex } from '../lib/search-index.js'
import type { Db } from './client.js'

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

/**
 * Whether the database has applied every migration in the journal, by drizzle's own rule: it
 * applies a migration only when it is newer (`when`) than the newest one recorded. Answering
 * from the journal alone spares a start on an up-to-date database from reading and hashing
 * every migration file (start-up is a measured bar). Anything unexpected answers false, and
 * drizzle's migrator then decides and reports as before.
 */
export function upToDate(db: Db): boolean {
  try {
    const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as {
      entries: { when: number }[]
    }
    const table = db.$client
      .prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'")
      .get()
    if (!table) return false
    const last = db.$client
      .prepare('select created_at from __drizzle_migrations order by created_at desc limit 1')
      .get() as { created_at: number | string } | undefined
    if (!last) return false
    const applied = Number(last.created_at)
    return journal.entries.every((entry) => typeof entry.when === 'number' && entry.when <= applied)
  } catch {
    return false
  }
}

export function runMigrations(db: Db): void {
  if (!upToDate(db)) migrate(db, { migrationsFolder })
  // Search documents are derived data: when their count shows some missing or folded by older
  // rules (a database from before search, or after the folding changed), they are rebuilt.
  ensureSearchIndex(db)
}
