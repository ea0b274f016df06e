import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import type { Db } from './client.js'

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

export function runMigrations(db: Db): void {
  migrate(db, { migrationsFolder })
}
