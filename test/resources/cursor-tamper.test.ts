import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { TEST_SECRET } from '../helpers/build-test-app.js'
import { problemBody } from '../helpers/http.js'

/** Cursors are tamper-evident and signed with the database's key, so they outlive restarts. */
const dir = mkdtempSync(join(tmpdir(), 'pocdir-cursor-'))
const path = join(dir, 'cursor.db')
const start = async () => {
  const config = loadConfig({
    JWT_SECRET: TEST_SECRET,
    DATABASE_PATH: path,
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'silent',
  })
  const db = openDatabase(path)
  runMigrations(db)
  seed(db)
  const app = await buildApp({ config, db })
  const close = async () => {
    await app.close()
    db.$client.close()
  }
  return { app, close }
}
let first: string

beforeAll(async () => {
  const s = await start()
  first = (await s.app.inject({ method: 'GET', url: '/v1/states?limit=2' })).json().nextCursor
  await s.close()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('cursors', () => {
  it('one issued before a restart still pages on', async () => {
    const s = await start()
    try {
      const res = await s.app.inject({ method: 'GET', url: `/v1/states?limit=2&cursor=${first}` })
      expect(res.statusCode).toBe(200)
      expect(res.json().items.map((i: { code: string }) => i.code)).toEqual(['AF', 'AG'])
    } finally {
      await s.close()
    }
  })

  it('one whose key was altered, its signature kept, is 400', async () => {
    const [payload, mac] = first.split('.')
    const key = JSON.parse(Buffer.from(payload as string, 'base64url').toString()).k as string
    const altered = Buffer.from(JSON.stringify({ k: `${key}Z` })).toString('base64url')
    const s = await start()
    try {
      const res = await s.app.inject({ method: 'GET', url: `/v1/states?limit=2&cursor=${altered}.${mac}` })
      const body = problemBody(res, 400)
      expect(body.errors).toEqual([{ path: 'cursor', message: 'is not a cursor this service issued' }])
      // The unsigned form of a real cursor is refused too.
      problemBody(await s.app.inject({ method: 'GET', url: `/v1/states?limit=2&cursor=${payload}` }), 400)
    } finally {
      await s.close()
    }
  })
})
