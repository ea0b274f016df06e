import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { ensureSearchIndex } from '../lib/search-index.js'
import type { Db } from './client.js'

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

export function runMigrations(db: Db): void {
  migrate(db, { migrationsFolder })
  // Search documents are derived data: when their count shows some missing or folded by older
  // rules (a database from before search, or after the folding changed), they are rebuilt.
  ensureSearchIndex(db)
}
