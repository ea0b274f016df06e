import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { bearer, TEST_SECRET } from '../helpers/build-test-app.js'

/** Imports and exports record their durations, by outcome, in /metrics. */
let a: Awaited<ReturnType<typeof buildApp>>
let db: ReturnType<typeof openDatabase>
beforeAll(async () => {
  const config = loadConfig({
    JWT_SECRET: TEST_SECRET,
    DATABASE_PATH: ':memory:',
    RATE_LIMIT_MAX: '0',
    METRICS: 'admin',
  })
  db = openDatabase(':memory:')
  runMigrations(db)
  seed(db)
  a = await buildApp({ config, db })
})
afterAll(async () => {
  await a.close()
  db.$client.close()
})

const count = async (kind: string, outcome: string) => {
  const res = await a.inject({ method: 'GET', url: '/metrics', headers: await bearer('directory:admin') })
  const match = new RegExp(
    `^pocdir_job_duration_seconds_count\\{kind="${kind}",outcome="${outcome}"\\} (\\d+)$`,
    'm',
  ).exec(res.body)
  return Number(match?.[1] ?? 0)
}

describe('job durations', () => {
  it('an accepted and a refused import, and an export read to its end, are each counted once', async () => {
    const before = [await count('import', 'ok'), await count('import', 'failed'), await count('export', 'ok')]
    const h = { ...(await bearer('directory:admin')), 'content-type': 'text/csv' }
    const ok = await a.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: h,
      payload: 'familyName,externalId\nA,m-1\n',
    })
    expect(ok.statusCode).toBe(200)
    const refused = await a.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: h,
      payload: 'familyName,externalId\n,m-2\n',
    })
    expect(refused.statusCode).toBe(422)
    const csv = await a.inject({ method: 'GET', url: '/v1/contacts', headers: { accept: 'text/csv' } })
    expect(csv.statusCode).toBe(200)
    expect(csv.body).toContain('m-1')
    expect([
      await count('import', 'ok'),
      await count('import', 'failed'),
      await count('export', 'ok'),
    ]).toEqual([(before[0] as number) + 1, (before[1] as number) + 1, (before[2] as number) + 1])
  })
})

describe('page cache', () => {
  it('a first read is a miss, the same read again a hit, and a matching If-None-Match a 304', async () => {
    const lookups = async () => {
      const res = await a.inject({ method: 'GET', url: '/metrics', headers: await bearer('directory:admin') })
      return Object.fromEntries(
        ['hit', 'miss', 'not-modified'].map((r) => [
          r,
          Number(
            new RegExp(`^pocdir_read_cache_lookups_total\\{result="${r}"\\} (\\d+)$`, 'm').exec(
              res.body,
            )?.[1] ?? 0,
          ),
        ]),
      )
    }
    const before = await lookups()
    const first = await a.inject({ method: 'GET', url: '/v1/roles?limit=3' })
    await a.inject({ method: 'GET', url: '/v1/roles?limit=3' })
    await a.inject({
      method: 'GET',
      url: '/v1/roles?limit=3',
      headers: { 'if-none-match': first.headers.etag as string },
    })
    expect(await lookups()).toEqual({
      hit: (before.hit as number) + 1,
      miss: (before.miss as number) + 1,
      'not-modified': (before['not-modified'] as number) + 1,
    })
  })
})
