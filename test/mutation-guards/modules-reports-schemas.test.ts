import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { expectGeneratedAsCommitted } from '../helpers/contract-part.js'

/**
 * The reports' schemas (src/modules/reports/reports-schemas.ts, trained-coverage-schemas.ts):
 * what the contract says of the three reports is what the code declares, and their queries'
 * defaults and bounds hold at the last allowed value and one past it.
 */

describe('the reports in the contract', () => {
  it('their operations and schemas are generated exactly as committed', async () => {
    await expectGeneratedAsCommitted({
      prefix: '/v1/reports',
      paths: ['/v1/reports/coverage', '/v1/reports/stale', '/v1/reports/trained-coverage'],
      schemas: ['Coverage', 'StaleRecords', 'TrainedCoverage'],
    })
  })
})

describe('the reports’ queries', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let h: Record<string, string>
  beforeAll(async () => {
    t = await buildTestApp()
    h = await bearer('directory:read')
  })
  afterAll(() => t.close())

  const get = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: h })
    return { status: res.statusCode, body: res.json() as Record<string, unknown> }
  }

  it('coverage: roles up to 1000 characters, the other parameters taken, unknown ones refused', async () => {
    const ok = await get(`/v1/reports/coverage?roles=national-poc&osce=true&state=KG&limit=1`)
    expect(ok.status).toBe(200)
    expect(ok.body.roles).toEqual(['national-poc'])
    const long = await get(`/v1/reports/coverage?roles=${'r'.repeat(1001)}`)
    expect(long.body.errors).toEqual([
      { path: 'query.roles', message: 'Too big: expected string to have <=1000 characters' },
    ])
    expect((await get('/v1/reports/coverage?role=x')).body.errors).toEqual([
      { path: 'query.role', message: 'is not a known field' },
    ])
  })

  it('stale: olderThan an ISO duration of at most 64 characters, P12M by default', async () => {
    expect((await get('/v1/reports/stale?limit=1')).status).toBe(200)
    expect((await get('/v1/reports/stale?olderThan=P1Y&limit=1')).status).toBe(200)
    expect((await get('/v1/reports/stale?olderThan=12M')).body.errors).toEqual([
      { path: 'query.olderThan', message: 'Invalid ISO duration' },
    ])
    expect((await get(`/v1/reports/stale?olderThan=P${'1'.repeat(63)}D`)).body.errors).toEqual([
      { path: 'query.olderThan', message: 'Too big: expected string to have <=64 characters' },
    ])
    expect((await get('/v1/reports/stale?older=P1Y')).body.errors).toEqual([
      { path: 'query.older', message: 'is not a known field' },
    ])
  })

  it('trained coverage: role of one to 64 characters, period P3Y by default', async () => {
    const ok = await get('/v1/reports/trained-coverage?state=KG&role=national-poc&limit=1')
    expect(ok.status).toBe(200)
    expect(ok.body.period).toBe('P3Y')
    expect((await get('/v1/reports/trained-coverage?period=P1Y')).body.period).toBe('P1Y')
    expect((await get(`/v1/reports/trained-coverage?role=${'r'.repeat(65)}`)).body.errors).toEqual([
      { path: 'query.role', message: 'Too big: expected string to have <=64 characters' },
    ])
    expect((await get('/v1/reports/trained-coverage?role=')).body.errors).toEqual([
      { path: 'query.role', message: 'Too small: expected string to have >=1 characters' },
    ])
    expect((await get('/v1/reports/trained-coverage?period=3Y')).body.errors).toEqual([
      { path: 'query.period', message: 'Invalid ISO duration' },
    ])
    expect((await get('/v1/reports/trained-coverage?roles=x')).body.errors).toEqual([
      { path: 'query.roles', message: 'is not a known field' },
    ])
  })
})
