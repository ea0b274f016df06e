import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { migrationsFolder, runMigrations, upToDate } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'

describe('migrations', () => {
  it('are current: drizzle-kit generate over the committed ones adds nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'pocdir-migrations-'))
    try {
      cpSync(migrationsFolder, out, { recursive: true })
      const before = readdirSync(out, { recursive: true }).sort()
      execFileSync(join('node_modules', '.bin', 'drizzle-kit'), ['generate'], {
        // drizzle-kit prefixes the out folder with './', so it must be relative.
        env: { ...process.env, DRIZZLE_OUT: relative(process.cwd(), out) },
        stdio: 'pipe',
      })
      expect(readdirSync(out, { recursive: true }).sort()).toEqual(before)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })

  it('apply to a file database in WAL mode with foreign keys on, and seeding twice adds nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocdir-db-'))
    try {
      const db = openDatabase(join(dir, 'nested', 'pocdir.db'))
      runMigrations(db)
      runMigrations(db)
      expect(db.$client.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(seed(db)).toEqual({ states: 194, roles: 11 })
      expect(seed(db)).toEqual({ states: 0, roles: 0 })
      const revisions = db.$client.prepare('select count(*) n from revisions').get() as { n: number }
      expect(revisions.n).toBe(194 + 11)
      db.$client.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("skip the migrator only when the newest applied migration is at least the journal's newest", () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocdir-db-'))
    try {
      const db = openDatabase(join(dir, 'pocdir.db'))
      expect(upToDate(db)).toBe(false)
      runMigrations(db)
      expect(upToDate(db)).toBe(true)
      const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
        entries: { when: number }[]
      }
      const newest = Math.max(...journal.entries.map((e) => e.when))
      const applied = db.$client.prepare('select count(*) n from __drizzle_migrations').get() as { n: number }
      expect(applied.n).toBe(journal.entries.length)
      const setNewest = (at: number) =>
        db.$client
          .prepare(
            'update __drizzle_migrations set created_at = ? where created_at = (select max(created_at) from __drizzle_migrations)',
          )
          .run(at)
      setNewest(newest - 1)
      expect(upToDate(db)).toBe(false)
      setNewest(newest)
      expect(upToDate(db)).toBe(true)
      db.$client.prepare('delete from __drizzle_migrations').run()
      expect(upToDate(db)).toBe(false)
      db.$client.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
