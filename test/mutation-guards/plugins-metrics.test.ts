import { describe, expect, it } from 'vitest'
import { observeJob, readCacheLookups } from '../../src/plugins/metrics.js'
import { bearer, buildSeededApp } from '../helpers/build-test-app.js'

/**
 * src/plugins/metrics.ts with exact exposition lines: each metric's name, help, type, labels and
 * buckets, the feed head, what the /metrics route itself is (admin only, GET only, hidden from
 * the API document, outside the rate limit and the request metrics), and the process-wide
 * metrics shared by every app. Apps are built inside the tests; the first test runs before any
 * app of this file has made the shared metrics.
 */
async function withApp(check: (app: Awaited<ReturnType<typeof buildSeededApp>>) => Promise<void>, env = {}) {
  const built = await buildSeededApp({ METRICS: 'admin', ...env })
  try {
    await check(built)
  } finally {
    await built.app.close()
    built.db.$client.close()
  }
}

type App = Awaited<ReturnType<typeof buildSeededApp>>['app']
const scrape = async (app: App) => {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers: await bearer('directory:admin') })
  expect(res.statusCode, res.body).toBe(200)
  return res.body
}
/** The lines of one metric family (HELP, TYPE and samples), in order. */
const family = (body: string, name: string) =>
  body
    .split('\n')
    .filter(
      (l) =>
        l === `# HELP ${name} ${l.slice(8 + name.length)}` ||
        l.startsWith(`# TYPE ${name} `) ||
        l.startsWith(`${name}{`) ||
        l.startsWith(`${name}_`) ||
        l.startsWith(`${name} `),
    )

describe('before any app serves /metrics', () => {
  it('observations are dropped without an error', () => {
    expect(() => observeJob('import', 1)).not.toThrow()
    expect(() => readCacheLookups.inc({ result: 'hit' })).not.toThrow()
  })
})

describe('the exposition', () => {
  it('job durations: help, type, every bucket, and the outcome ok by default', async () => {
    await withApp(async ({ app }) => {
      observeJob('import', 0.07)
      observeJob('export', 3, 'failed')
      const lines = family(await scrape(app), 'pocdir_job_duration_seconds')
      const buckets = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120', '+Inf']
      expect(lines).toEqual([
        '# HELP pocdir_job_duration_seconds Duration of imports and exports',
        '# TYPE pocdir_job_duration_seconds histogram',
        ...buckets.map(
          (le) =>
            `pocdir_job_duration_seconds_bucket{le="${le}",kind="import",outcome="ok"} ${le === '0.05' ? 0 : 1}`,
        ),
        'pocdir_job_duration_seconds_sum{kind="import",outcome="ok"} 0.07',
        'pocdir_job_duration_seconds_count{kind="import",outcome="ok"} 1',
        ...buckets.map(
          (le) =>
            `pocdir_job_duration_seconds_bucket{le="${le}",kind="export",outcome="failed"} ${Number(le) < 3 ? 0 : 1}`,
        ),
        'pocdir_job_duration_seconds_sum{kind="export",outcome="failed"} 3',
        'pocdir_job_duration_seconds_count{kind="export",outcome="failed"} 1',
      ])
    })
  })

  it('page-cache lookups, and the feed head, with help and type', async () => {
    await withApp(async ({ app, db }) => {
      readCacheLookups.inc({ result: 'miss' })
      const body = await scrape(app)
      expect(family(body, 'pocdir_read_cache_lookups_total')).toEqual([
        '# HELP pocdir_read_cache_lookups_total Reads of lists, the directory, reports, history and the feed, by how the page cache answered',
        '# TYPE pocdir_read_cache_lookups_total counter',
        'pocdir_read_cache_lookups_total{result="miss"} 1',
      ])
      const head = db.$client.prepare('select max(seq) from revisions').pluck().get() as number
      expect(head).toBeGreaterThan(0)
      expect(family(body, 'pocdir_feed_head_seq')).toEqual([
        '# HELP pocdir_feed_head_seq The newest revision sequence number (the change feed head)',
        '# TYPE pocdir_feed_head_seq gauge',
        `pocdir_feed_head_seq ${head}`,
      ])
    })
  })

  it('the shared metrics are the same in a second app; its feed head is its own', async () => {
    const count = (body: string) =>
      /^pocdir_job_duration_seconds_count\{kind="export",outcome="ok"\} (\d+)$/m.exec(body)?.[1]
    let first: string | undefined
    await withApp(async ({ app }) => {
      observeJob('export', 0.5)
      first = count(await scrape(app))
      expect(Number(first)).toBeGreaterThan(0)
    })
    await withApp(async ({ app, db }) => {
      db.$client.prepare('delete from revisions where seq > 3').run()
      const body = await scrape(app)
      expect(count(body)).toBe(first)
      expect(body).toContain('\npocdir_feed_head_seq 3\n')
    })
  })

  it('request metrics by method, route and status, under their own names; the process metrics prefixed', async () => {
    await withApp(async ({ app }) => {
      await app.inject({ method: 'GET', url: '/v1/states?limit=1' })
      await scrape(app)
      const body = await scrape(app)
      expect(body).toMatch(
        /^pocdir_http_request_duration_seconds_count\{method="GET",route="\/v1\/states",status_code="200"\} 1$/m,
      )
      expect(body).toMatch(
        /^pocdir_http_request_summary_seconds_count\{method="GET",route="\/v1\/states",status_code="200"\} 1$/m,
      )
      expect(body).toMatch(/^# TYPE pocdir_process_resident_memory_bytes gauge$/m)
      expect(body).toMatch(/^pocdir_nodejs_eventloop_lag_seconds [\d.e-]+$/m)
      // The scrapes themselves are not counted.
      expect(body).not.toContain('route="/metrics"')
      expect(body).not.toMatch(/^http_request/m)
    })
  })
})

describe('the route', () => {
  it('admin only: 401 anonymous, 403 to a read or write token', async () => {
    await withApp(async ({ app }) => {
      const anonymous = await app.inject({ method: 'GET', url: '/metrics' })
      expect(anonymous.statusCode).toBe(401)
      for (const scope of ['directory:read', 'directory:write']) {
        const res = await app.inject({ method: 'GET', url: '/metrics', headers: await bearer(scope) })
        expect(res.statusCode).toBe(403)
        expect(res.headers['content-type']).toBe('application/problem+json')
      }
    })
  })

  it('GET only: HEAD is 404', async () => {
    await withApp(async ({ app }) => {
      const res = await app.inject({
        method: 'HEAD',
        url: '/metrics',
        headers: await bearer('directory:admin'),
      })
      expect(res.statusCode).toBe(404)
    })
  })

  it('is outside the rate limit: no limit headers and no 429', async () => {
    await withApp(
      async ({ app }) => {
        for (let i = 0; i < 3; i++) {
          const res = await app.inject({
            method: 'GET',
            url: '/metrics',
            headers: await bearer('directory:admin'),
          })
          expect(res.statusCode).toBe(200)
          expect(res.headers['x-ratelimit-limit']).toBeUndefined()
        }
        const limited = await app.inject({ method: 'GET', url: '/v1/states?limit=1' })
        expect(limited.headers['x-ratelimit-limit']).toBe('1')
      },
      { RATE_LIMIT_MAX: '1' },
    )
  })

  it('is not in the API document', async () => {
    await withApp(async ({ app }) => {
      const doc = await app.inject({ method: 'GET', url: '/openapi.json' })
      expect(doc.statusCode).toBe(200)
      expect(Object.keys(doc.json().paths)).not.toContain('/metrics')
      expect(Object.keys(doc.json().paths)).toContain('/v1/states')
    })
  })
})
