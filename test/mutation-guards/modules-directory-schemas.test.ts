import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import { expectGeneratedAsCommitted } from '../helpers/contract-part.js'

/**
 * The directory's schemas (src/modules/directory/directory-schemas.ts): what the contract says of
 * its three operations is what the code declares, and the query's bounds hold at the last allowed
 * value and one past it.
 */

describe('the directory in the contract', () => {
  it('its operations and schemas are generated exactly as committed', async () => {
    await expectGeneratedAsCommitted({
      paths: ['/v1/directory', '/v1/contacts/{id}/tenures', '/v1/organizations/{id}/tenures'],
      schemas: ['Directory', 'DirectoryEntry', 'TenureList'],
    })
  })
})

describe('the directory query', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(() => t.close())

  const get = async (query: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/directory${query}` })
    return { status: res.statusCode, body: res.json() as Record<string, unknown> }
  }

  it('takes each of its parameters', async () => {
    const res = await get('?state=KG&role=national-poc&asOf=2024-01-01&q=x&limit=1')
    expect(res.status).toBe(200)
    expect(res.body.items).toEqual([])
    expect(res.body.asOf).toBe('2024-01-01')
  })

  it('role: one to 64 characters (64 is looked up, 65 and empty are refused by the schema)', async () => {
    const at64 = await get(`?role=${'r'.repeat(64)}`)
    expect(at64.status).toBe(400)
    expect(at64.body.errors).toEqual([{ path: 'query.role', message: 'no role with this identifier' }])
    const at65 = await get(`?role=${'r'.repeat(65)}`)
    expect(at65.status).toBe(400)
    expect(at65.body.errors).toEqual([
      { path: 'query.role', message: 'Too big: expected string to have <=64 characters' },
    ])
    const empty = await get('?role=')
    expect(empty.status).toBe(400)
    expect(empty.body.errors).toEqual([
      { path: 'query.role', message: 'Too small: expected string to have >=1 characters' },
    ])
  })

  it('refuses an unknown parameter', async () => {
    const res = await get('?stat=KG')
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual([{ path: 'query.stat', message: 'is not a known field' }])
  })

  it('tenures take the paging parameters and nothing else', async () => {
    const id = '00000000-0000-7000-8000-000000000000'
    for (const owner of ['contacts', 'organizations']) {
      const paged = await t.app.inject({ method: 'GET', url: `/v1/${owner}/${id}/tenures?limit=1` })
      expect(paged.statusCode, owner).toBe(404)
      const other = await t.app.inject({ method: 'GET', url: `/v1/${owner}/${id}/tenures?state=KG` })
      expect(other.statusCode, owner).toBe(400)
      expect(other.json().errors).toEqual([{ path: 'query.state', message: 'is not a known field' }])
    }
  })
})
