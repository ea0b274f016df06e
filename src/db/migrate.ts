import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { ensureSearchIndex } from '../lib/search-index.js'
import type { Db } from './client.js'

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

export function runMigrations(db: Db): void {
  migrate(db, { migrationsFolder })
  // Search documents are derived data: fill in any that are missing or folded by older rules.
  ensureSearchIndex(db)
}
