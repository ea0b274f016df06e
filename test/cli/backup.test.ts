import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SignJWT } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { pocdir, startServer } from './run.js'

/**
 * `pocdir backup` while the server takes writes, `pocdir restore` into the stopped service's
 * data directory: the copy is consistent and holds every write acknowledged before it began.
 */

const SECRET = 'backup-test-secret-0123456789-abcdefghij'
const dir = mkdtempSync(join(tmpdir(), 'pocdir-backup-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const token = () =>
  new SignJWT({ scope: 'directory:write' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('load')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))

describe('backup under write load, restore into a stopped service', () => {
  it('restores to a database with integrity ok and every acknowledged write', {
    timeout: 300_000,
  }, async () => {
    const db = join(dir, 'data', 'pocdir.db')
    const env = { DATABASE_PATH: db, JWT_SECRET: SECRET }
    const server = startServer(env)
    const acked: string[] = []
    let stopLoad = false
    try {
      const url = await server.url
      const auth = `Bearer ${await token()}`
      let n = 0
      const writer = async () => {
        while (!stopLoad) {
          const i = n++
          const res = await fetch(`${url}/v1/contacts`, {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/json' },
            body: JSON.stringify({ givenName: 'Load', familyName: `Writer ${i}` }),
          })
          expect(res.status).toBe(201)
          acked.push(((await res.json()) as { id: string }).id)
        }
      }
      const writers = Promise.all([writer(), writer(), writer(), writer()])
      while (acked.length < 50) await new Promise((r) => setTimeout(r, 20))
      const ackedBefore = [...acked]
      const file = join(dir, 'backup.db')
      const run = await pocdir(['backup', file], env)
      const ackedDuring = acked.length - ackedBefore.length
      stopLoad = true
      await writers
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(
        new RegExp(`^Backed up ${db} to ${file} \\(\\d+ pages, \\d+ bytes, integrity ok\\)\\n$`),
      )
      // The load really ran while the copy was taken.
      expect(ackedDuring).toBeGreaterThan(0)
      expect(existsSync(`${file}-wal`)).toBe(false)

      // While the service runs, restore refuses and leaves the database alone.
      const refused = await pocdir(['restore', file], env)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toBe(
        `pocdir: ${db} is open in another process (is the service running?): stop it, then restore\n`,
      )
      expect(readdirSync(join(dir, 'data')).filter((f) => f.includes('restor'))).toEqual([])

      expect(await server.stop()).toBe(0)
      const restored = await pocdir(['restore', file], env)
      expect(restored.code, restored.stderr).toBe(0)
      expect(restored.stdout).toMatch(
        new RegExp(
          `^Restored ${file} to ${db}; the previous database is kept as ${db}\\.before-restore-\\S+\\n$`,
        ),
      )
      const copy = new Database(db, { readonly: true })
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok')
        const ids = new Set(
          (copy.prepare("select id from contacts where given_name = 'Load'").all() as { id: string }[]).map(
            (r) => r.id,
          ),
        )
        expect(ackedBefore.filter((id) => !ids.has(id))).toEqual([])
        // Consistent: every contact in the copy has its create revision, and nothing else is there.
        expect([...ids].every((id) => acked.includes(id))).toBe(true)
        const revised = copy
          .prepare(
            "select count(distinct entity_id) as n from revisions where entity = 'contact' and action = 'create'",
          )
          .get() as { n: number }
        expect(revised.n).toBe(ids.size)
      } finally {
        copy.close()
      }
      const checked = await pocdir(['check'], env)
      expect(checked.code, checked.stderr).toBe(0)
      expect(checked.stdout).toContain('integrity: ok\nmigrations: all applied\n')
    } finally {
      stopLoad = true
      await server.stop()
    }
  })
})
