/** Shared pieces of the command-line scripts: the local database and printing problems. */
import { loadConfig } from '../src/config.js'
import { type Db, openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'
import { seed } from '../src/db/seed.js'
import { ProblemError } from '../src/lib/problem.js'

/** The database the server would use (DATABASE_PATH), migrated and seeded. */
export function openLocalDatabase(): Db {
  const config = loadConfig(process.env)
  const db = openDatabase(config.databasePath)
  runMigrations(db)
  seed(db)
  return db
}

interface ProblemLike {
  status: number
  title: string
  detail: string
  errors?: ({ row: number; field: string; message: string } | { path: string; message: string })[]
}

/** Prints a problem readably, one line per bad row or field. */
export function printProblem(problem: ProblemLike): void {
  console.error(`${problem.status} ${problem.title}: ${problem.detail}`)
  for (const e of problem.errors ?? []) {
    if ('row' in e) console.error(`  row ${e.row}, ${e.field}: ${e.message}`)
    else console.error(`  ${e.path}: ${e.message}`)
  }
}

export function problemOf(err: unknown): ProblemLike | undefined {
  if (err instanceof ProblemError) return err.toBody()
  return undefined
}
