import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pageCostId as id, OLD, populatePageCost, RECENT } from '../../bench/list-page-cost.js'
import { FEW_UPDATED } from '../../src/lib/updated-since.js'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import { getJson, type Json, listAll, type TestApp } from './support.js'

/**
 * The lists that page along an index (issue #11, item 2) answer the same records whichever way a
 * page is read. Their cost over 20 and over 20,000 records is measured by the bench
 * (`bench/list-page-cost.ts`), their query plans by `list-plans.test.ts`.
 */
let large: TestApp
// More records than FEW_UPDATED, so both ways of reading an updatedSince window can be tried.
const LARGE = FEW_UPDATED + 100

beforeAll(async () => {
  // The read cache is keyed by the feed head, which the direct updates below do not move.
  large = await buildTestApp({ READ_CACHE_MB: '0' })
  populatePageCost(large.db, LARGE)
}, 120_000)
afterAll(async () => {
  await large?.close()
})

describe('updatedSince: the narrow window and the wide one list the same records', () => {
  /** The SQL of the page read for `url`, to see which way it went. */
  async function pageSql(url: string): Promise<string> {
    const client = large.db.$client
    const prepare = client.prepare
    const seen: string[] = []
    client.prepare = ((sql: string) => {
      seen.push(sql)
      return prepare.call(client, sql)
    }) as typeof client.prepare
    try {
      await getJson(large, url)
    } finally {
      client.prepare = prepare
    }
    return seen.filter((sql) => /from "contacts"/.test(sql)).join('\n')
  }
  const setRecent = (count: number) => {
    const c = large.db.$client
    c.prepare('update contacts set updated_at = ?').run(OLD)
    c.prepare(
      `update contacts set updated_at = ? where id in (select id from contacts order by id desc limit ?)`,
    ).run(RECENT, count)
  }
  afterAll(() => setRecent(20))

  it.each([
    [FEW_UPDATED - 1, true],
    [FEW_UPDATED, false],
  ])(
    '%i records updated since: read from the updated_at index: %s; every page matches',
    async (count, narrow) => {
      setRecent(count)
      const url = `/v1/contacts?updatedSince=${RECENT}&limit=500`
      expect(/"id" in \(select/.test(await pageSql(url))).toBe(narrow)
      const expected = large.db.$client
        .prepare('select id from contacts where updated_at >= ? order by id')
        .pluck()
        .all(RECENT)
      expect(expected).toHaveLength(count)
      expect((await listAll(large, url)).map((r: Json) => r.id)).toEqual(expected)
    },
  )
})

describe('contacts through their tenures: the index walk lists what the subquery listed', () => {
  let t: TestApp
  const today = new Date().toISOString().slice(0, 10)
  const orgs = [id('b', 1), id('b', 2), id('b', 3)] // two in KG, one in KZ

  beforeAll(async () => {
    t = await buildTestApp()
    const c = t.db.$client
    const roles = ['national-poc', 'alternate-poc', 'technical-poc'].map((k) => roleId(t.db, k))
    // A fixed pseudo-random mix: several tenures per person, across organizations and roles,
    // ended before, on and after today, some tombstoned, some people tombstoned too.
    let seed = 7
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return (seed >>> 16) % n // the low bits of this generator repeat too soon
    }
    c.transaction(() => {
      for (const [i, org] of orgs.entries()) {
        c.prepare(
          `insert into organizations (id, name, kind, state_code, contact_details, created_at, updated_at)
           values (?, ?, 'government', ?, '[]', ?, ?)`,
        ).run(org, `Ministry ${i}`, i < 2 ? 'KG' : 'KZ', OLD, OLD)
      }
      let a = 0
      for (let i = 1; i <= 120; i++) {
        c.prepare(
          `insert into contacts (id, family_name, display_name, languages, contact_details, created_at, updated_at, deleted_at)
           values (?, ?, ?, '[]', '[]', ?, ?, ?)`,
        ).run(id('c', i), `Person ${i}`, `Person ${i}`, OLD, next(3) ? OLD : RECENT, next(20) ? null : RECENT)
        for (let k = next(4); k > 0; k--) {
          const org = orgs[next(3)] as string
          const end = [null, '2020-01-01', today, '2999-01-01'][next(4)] ?? null
          c.prepare(
            `insert into assignments (id, contact_id, role_id, organization_id, state_code, start_date, end_date, created_at, updated_at, deleted_at)
             values (?, ?, ?, ?, ?, '2019-01-01', ?, ?, ?, ?)`,
          ).run(
            id('a', ++a),
            id('c', i),
            roles[next(3)],
            org,
            org === orgs[2] ? 'KZ' : 'KG',
            end,
            OLD,
            OLD,
            next(8) ? null : RECENT,
          )
        }
      }
    })()
  })
  afterAll(() => t.close())

  const filters: Record<string, string>[] = []
  for (const state of [undefined, 'KG'])
    for (const organization of [undefined, orgs[1], orgs[2]])
      for (const role of [undefined, 'alternate-poc'])
        for (const current of [undefined, 'false'])
          for (const updatedSince of [undefined, RECENT]) {
            if (!state && !organization && !role) continue
            const f: Record<string, string> = {}
            for (const [k, v] of Object.entries({ state, organization, role, current, updatedSince }))
              if (v) f[k] = v
            filters.push(f)
          }

  it.each(filters)('%o, seven to a page', async (f) => {
    const where = ['deleted_at is null']
    const args: Record<string, string> = {}
    if (f.current !== 'false') where.push(`(end_date is null or end_date > '${today}')`)
    for (const [param, column, value] of [
      ['state', 'state_code', f.state],
      ['organization', 'organization_id', f.organization],
      ['role', 'role_id', f.role && roleId(t.db, f.role)],
    ] as const) {
      if (!value) continue
      where.push(`${column} = @${param}`)
      args[param] = value
    }
    const since = f.updatedSince ? 'and updated_at >= @updatedSince' : ''
    if (f.updatedSince) args.updatedSince = f.updatedSince
    const expected = t.db.$client
      .prepare(
        `select id from contacts where deleted_at is null
           and id in (select contact_id from assignments where ${where.join(' and ')}) ${since} order by id`,
      )
      .pluck()
      .all(args)
    const listed = await listAll(t, `/v1/contacts?${new URLSearchParams({ ...f, limit: '7' })}`)
    expect(listed.map((r: Json) => r.id)).toEqual(expected)
  })

  it('the mix holds people on every side of each filter', () => {
    const count = (sql: string) => t.db.$client.prepare(sql).pluck().get() as number
    expect(count('select count(*) from contacts where deleted_at is not null')).toBeGreaterThan(0)
    expect(count('select count(*) from assignments where deleted_at is not null')).toBeGreaterThan(0)
    expect(count(`select count(*) from assignments where end_date = '${today}'`)).toBeGreaterThan(0)
    expect(
      count(
        'select count(*) from (select contact_id from assignments group by contact_id having count(*) > 2)',
      ),
    ).toBeGreaterThan(0)
  })
})
