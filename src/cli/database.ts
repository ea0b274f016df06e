/** `pocdir backup`, `pocdir restore` and `pocdir check`: the SQLite file itself. */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { migrationsFolder } from '../db/migrate.js'
import { CliError, config, progress } from './common.js'

function databasePath(): string {
  const path = config().databasePath
  if (path === ':memory:') throw new CliError('DATABASE_PATH is :memory:, there is no file to work on')
  return path
}

function integrity(db: Database.Database): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[]
  return rows.map((r) => r.integrity_check).join('; ')
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * SQLite's online backup API while the service runs. The pages are copied in one step, inside
 * one read transaction: under WAL the service keeps writing meanwhile, and the copy is the
 * database as of one commit (a copy in several steps restarts whenever another process writes,
 * so under steady load it might never finish). The copy is checked, synced and renamed into place.
 */
export async function backup(file: string, opts: { force: boolean }): Promise<string> {
  const source = databasePath()
  if (!existsSync(source)) throw new CliError(`no database at ${source} (DATABASE_PATH)`)
  if (existsSync(file) && !opts.force)
    throw new CliError(`${file} exists: choose another name or add --force`)
  const partial = `${file}.partial`
  rmSync(partial, { force: true })
  const db = new Database(source, { fileMustExist: true })
  const bar = progress('backing up', 'pages')
  try {
    db.pragma('busy_timeout = 5000')
    await db.backup(partial, {
      progress: ({ totalPages, remainingPages }) => {
        bar.start(totalPages)
        bar.update(totalPages - remainingPages, totalPages)
        return Number.MAX_SAFE_INTEGER
      },
    })
  } catch (err) {
    rmSync(partial, { force: true })
    throw new CliError(`backup failed: ${(err as Error).message}`)
  } finally {
    bar.stop()
    db.close()
  }
  const copy = new Database(partial, { fileMustExist: true })
  let pages: number
  let check: string
  try {
    check = integrity(copy)
    pages = copy.pragma('page_count', { simple: true }) as number
    // The copy is standalone: no -wal beside it.
    copy.pragma('journal_mode = DELETE')
  } finally {
    copy.close()
  }
  if (check !== 'ok') {
    rmSync(partial, { force: true })
    throw new CliError(`the copy failed its integrity check: ${check}`)
  }
  fsyncFile(partial)
  renameSync(partial, file)
  return `Backed up ${source} to ${file} (${pages} pages, ${statSync(file).size} bytes, integrity ok)`
}

/**
 * True when another process has the database open. In WAL mode every open connection keeps a
 * shared lock on the database file, so an exclusive lock with no waiting fails while the
 * service runs (or any other tool holds it).
 */
function inUse(path: string): boolean {
  const db = new Database(path, { fileMustExist: true })
  try {
    db.pragma('busy_timeout = 0')
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE; COMMIT')
    // Fold the WAL into the file before it is set aside, so the old copy is whole on its own.
    db.pragma('wal_checkpoint(TRUNCATE)')
    return false
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return true
    throw err
  } finally {
    db.close()
  }
}

/**
 * Puts a backup in place of DATABASE_PATH for a stopped service. Refused while the database is
 * open elsewhere; the database it replaces is kept beside it as <name>.before-restore-<time>.
 */
export function restore(file: string): string {
  const target = databasePath()
  if (!existsSync(file)) throw new CliError(`${file} does not exist`)
  const source = new Database(file, { fileMustExist: true, readonly: true })
  let check: string
  try {
    check = integrity(source)
  } catch (err) {
    throw new CliError(`${file} is not a SQLite database: ${(err as Error).message}`)
  } finally {
    source.close()
  }
  if (check !== 'ok') throw new CliError(`${file} failed its integrity check: ${check}`)

  let kept: string | undefined
  if (existsSync(target)) {
    if (inUse(target)) {
      throw new CliError(
        `${target} is open in another process (is the service running?): stop it, then restore`,
      )
    }
    kept = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`
    renameSync(target, kept)
  }
  // A WAL or shared-memory file left beside the old database must not be replayed into the new.
  rmSync(`${target}-wal`, { force: true })
  rmSync(`${target}-shm`, { force: true })
  const partial = `${target}.restoring`
  writeFileSync(partial, readFileSync(file), { mode: 0o600 })
  fsyncFile(partial)
  renameSync(partial, target)
  return `Restored ${file} to ${target}${kept ? `; the previous database is kept as ${kept}` : ''}`
}

/** Migrations in the folder that the database has not applied, by drizzle's journal. */
function pendingMigrations(db: Database.Database): string[] {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string; when: number }[]
  }
  const hasTable = db
    .prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'")
    .get()
  const applied = hasTable
    ? new Set(
        (db.prepare('select created_at as at from __drizzle_migrations').all() as { at: number }[]).map((r) =>
          Number(r.at),
        ),
      )
    : new Set<number>()
  return journal.entries.filter((e) => !applied.has(e.when)).map((e) => e.tag)
}

/** integrity_check and pending migrations, read-only. Returns [exit code, lines]. */
export function check(): [number, string[]] {
  const path = databasePath()
  if (!existsSync(path)) throw new CliError(`no database at ${path} (DATABASE_PATH)`)
  const db = new Database(path, { fileMustExist: true, readonly: true })
  try {
    const result = integrity(db)
    const pending = pendingMigrations(db)
    const lines = [
      `database: ${path}`,
      `integrity: ${result}`,
      pending.length
        ? `migrations: ${pending.length} pending (${pending.join(', ')}); the server applies them when it starts`
        : 'migrations: all applied',
    ]
    return [result === 'ok' ? 0 : 1, lines]
  } finally {
    db.close()
  }
}
