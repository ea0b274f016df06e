import { afterEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { observeJob } from '../../src/plugins/metrics.js'
import { bearer, snapshot, TEST_SECRET } from '../helpers/build-test-app.js'

/**
 * METRICS, TRUST_PROXY and CORS_ORIGINS. The app is built as the server builds it (without
 * buildTestApp's contract check: /metrics and CORS preflights are outside the API document).
 */

const opened: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const a of opened.splice(0)) await a.close()
})

async function app(env: Record<string, string>) {
  const config = loadConfig({
    JWT_SECRET: TEST_SECRET,
    DATABASE_PATH: ':memory:',
    RATE_LIMIT_MAX: '0',
    ...env,
  })
  const db = openDatabase(':memory:')
  runMigrations(db)
  seed(db)
  const a = await buildApp({ config, db })
  opened.push({
    close: async () => {
      await a.close()
      db.$client.close()
    },
  })
  return { app: a, db }
}

/** The Prometheus text exposition format, line by line. */
const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?(\d+(\.\d+)?(e[+-]?\d+)?|[Nn]a[Nn]|\+Inf|-Inf)$/
const COMMENT =
  /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$/

describe('METRICS', () => {
  it('is off by default: /metrics is 404', async () => {
    const { app: a } = await app({})
    const res = await a.inject({ method: 'GET', url: '/metrics', headers: await bearer('directory:admin') })
    expect(res.statusCode).toBe(404)
  })

  it('admin: valid Prometheus text for a directory:admin token, with routes, statuses, the feed head and job durations', async () => {
    const { app: a, db } = await app({ METRICS: 'admin' })
    await a.inject({ method: 'GET', url: '/v1/states?limit=1' })
    await a.inject({ method: 'GET', url: '/v1/states/XX' })
    observeJob('import', 0.42)
    const res = await a.inject({ method: 'GET', url: '/metrics', headers: await bearer('directory:admin') })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    const lines = res.body.split('\n').filter(Boolean)
    expect(lines.filter((l) => !(l.startsWith('#') ? COMMENT : SAMPLE).test(l))).toEqual([])
    expect(res.body).toMatch(
      /^pocdir_http_request_duration_seconds_count\{method="GET",route="\/v1\/states",status_code="200"\} 1$/m,
    )
    expect(res.body).toMatch(
      /^pocdir_http_request_duration_seconds_count\{method="GET",route="\/v1\/states\/:id",status_code="404"\} 1$/m,
    )
    const head = db.$client.prepare('select max(seq) as n from revisions').get() as { n: number }
    expect(res.body).toContain(`\npocdir_feed_head_seq ${head.n}\n`)
    expect(res.body).toMatch(/^pocdir_job_duration_seconds_count\{kind="import",outcome="ok"\} [1-9]\d*$/m)
    expect(res.body).toMatch(/^pocdir_process_resident_memory_bytes \d+$/m)
  })

  it('admin: refused without a token (401) and to a token without directory:admin (403), as problems', async () => {
    const { app: a, db } = await app({ METRICS: 'admin' })
    const before = snapshot(db)
    const anonymous = await a.inject({ method: 'GET', url: '/metrics' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['content-type']).toBe('application/problem+json')
    expect(anonymous.json()).toMatchObject({ status: 401, title: 'Unauthorized' })
    const writer = await a.inject({
      method: 'GET',
      url: '/metrics',
      headers: await bearer('directory:write'),
    })
    expect(writer.statusCode).toBe(403)
    expect(writer.json()).toMatchObject({ status: 403, title: 'Forbidden' })
    expect(snapshot(db)).toBe(before)
  })
})

describe('TRUST_PROXY', () => {
  const twoClients = async (env: Record<string, string>) => {
    const { app: a } = await app({ RATE_LIMIT_MAX: '1', ...env })
    const from = (client: string) =>
      a.inject({
        method: 'GET',
        url: '/v1/roles',
        remoteAddress: '10.0.0.5',
        headers: { 'x-forwarded-for': client },
      })
    return [(await from('203.0.113.7')).statusCode, (await from('198.51.100.9')).statusCode]
  }

  it('off (default): clients behind one proxy share its address and its rate limit', async () => {
    expect(await twoClients({})).toEqual([200, 429])
  })

  it('a hop count or the proxy address: each client is itself for the rate limit', async () => {
    expect(await twoClients({ TRUST_PROXY: '1' })).toEqual([200, 200])
    expect(await twoClients({ TRUST_PROXY: '10.0.0.0/8' })).toEqual([200, 200])
    // A proxy that is not the trusted one: its forwarded header is ignored.
    expect(await twoClients({ TRUST_PROXY: '192.168.1.1' })).toEqual([200, 429])
  })

  it.each([
    ['0', 'off, a hop count'],
    ['true', 'off, a hop count'],
    ['11', 'off, a hop count'],
    ['10.0.0.0/33', 'off, a hop count'],
    ['proxy.example', 'off, a hop count'],
  ])('refuses %s with one line naming the variable', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(
      'Invalid configuration: TRUST_PROXY must be off, a hop count from 1 to 10, or a comma list of proxy addresses or CIDRs',
    )
  })

  it('parses off, a count and a list', () => {
    expect(loadConfig({}).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'off' }).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, fd00::/8' }).trustProxy).toEqual(['10.0.0.1', 'fd00::/8'])
  })
})

describe('CORS_ORIGINS', () => {
  const preflight = (origin: string) => ({
    method: 'OPTIONS' as const,
    url: '/v1/contacts',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    },
  })

  it('off by default: no CORS header, even for a simple read', async () => {
    const { app: a } = await app({})
    const res = await a.inject({
      method: 'GET',
      url: '/v1/roles',
      headers: { origin: 'https://tools.example.org' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('an allowed origin gets its preflight and reads; another origin gets no CORS header', async () => {
    const { app: a, db } = await app({ CORS_ORIGINS: 'https://tools.example.org,http://localhost:5173' })
    const before = snapshot(db)
    const ok = await a.inject(preflight('https://tools.example.org'))
    expect(ok.statusCode).toBe(204)
    expect(ok.headers['access-control-allow-origin']).toBe('https://tools.example.org')
    expect(ok.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PATCH, PUT, DELETE')
    const read = await a.inject({
      method: 'GET',
      url: '/v1/roles',
      headers: { origin: 'http://localhost:5173' },
    })
    expect(read.headers['access-control-allow-origin']).toBe('http://localhost:5173')
    expect(read.headers['access-control-expose-headers']).toContain('ETag')
    const other = await a.inject(preflight('https://evil.example'))
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
    expect(snapshot(db)).toBe(before)
  })

  it('refuses what is not an origin', () => {
    expect(() => loadConfig({ CORS_ORIGINS: 'https://tools.example.org/app' })).toThrow(
      'Invalid configuration: CORS_ORIGINS must be a comma list of origins like https://tools.example.org (https://tools.example.org/app is not one)',
    )
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow('CORS_ORIGINS must be a comma list of origins')
    expect(loadConfig({ CORS_ORIGINS: ' https://a.example , https://b.example:8443 ' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example:8443',
    ])
  })

  it('METRICS takes off or admin only', () => {
    expect(() => loadConfig({ METRICS: 'on' })).toThrow('Invalid configuration: METRICS must be off or admin')
  })
})
