import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import { getJson, type Headers, type Json, listAll, type TestApp, write, writer } from './support.js'

/**
 * The directory page is read segment by segment (role, then primary or not) along an index:
 * every page size must still yield exactly the pinned order, across segment and role edges, for
 * every scope (state, organization, state + organization, role, all states), on past dates too.
 */
let t: TestApp
let w: Headers
const orgs: Record<string, Json> = {}
const expected: {
  role: string
  primary: boolean
  startDate: string
  id: string
  state: string
  org: string
}[] = []
const AS_OF = '2024-06-01'

// Holders per (state, organization, role): [isPrimary, startDate, endDate?].
const PLAN: [string, string, string, [boolean, string, string?][]][] = [
  [
    'KG',
    'kg-mfa',
    'national-poc',
    [
      [true, '2021-01-01'],
      [false, '2022-03-01'],
      [false, '2020-05-05'],
    ],
  ],
  [
    'KG',
    'kg-mfa',
    'alternate-poc',
    [
      [false, '2023-01-01'],
      [false, '2023-01-01'],
      [false, '2019-01-01', '2020-01-01'],
    ],
  ],
  [
    'KG',
    'kg-customs',
    'technical-poc',
    [
      [true, '2022-01-01'],
      [false, '2024-06-01'],
      [false, '2024-06-02'],
    ],
  ],
  [
    'KG',
    'kg-customs',
    'national-poc',
    [
      [false, '2018-01-01', '2024-06-01'],
      [false, '2018-01-01', '2024-06-02'],
    ],
  ],
  [
    'KZ',
    'kz-mfa',
    'national-poc',
    [
      [true, '2020-01-01'],
      [false, '2021-01-01'],
    ],
  ],
  ['KZ', 'kz-mfa', 'mission-poc', [[false, '2020-01-01']]],
]

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('paging-writer')
  for (const [state, key] of [
    ['KG', 'kg-mfa'],
    ['KG', 'kg-customs'],
    ['KZ', 'kz-mfa'],
  ] as const) {
    orgs[key] = await write(t, 'POST', '/v1/organizations', w, {
      name: key,
      kind: 'government',
      stateCode: state,
    })
  }
  let n = 0
  for (const [state, org, role, holders] of PLAN) {
    for (const [isPrimary, startDate, endDate] of holders) {
      const person = await write(t, 'POST', '/v1/contacts', w, { familyName: `Holder ${++n}` })
      const a = await write(t, 'POST', '/v1/assignments', w, {
        contactId: person.id,
        organizationId: orgs[org]?.id,
        roleId: roleId(t.db, role),
        startDate,
        isPrimary,
        ...(endDate ? { endDate } : {}),
      })
      // Held on AS_OF: started on or before it and not ended on or before it.
      if (startDate <= AS_OF && (!endDate || endDate > AS_OF)) {
        expected.push({ role, primary: isPrimary, startDate, id: a.id, state, org })
      }
    }
  }
  expected.sort(
    (a, b) =>
      (a.role < b.role ? -1 : a.role > b.role ? 1 : 0) ||
      Number(b.primary) - Number(a.primary) ||
      (a.startDate < b.startDate ? -1 : a.startDate > b.startDate ? 1 : 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  )
})
afterAll(() => t.close())

const ids = (items: Json[]) => items.map((i) => i.assignment.id as string)

describe('directory paging follows the pinned order at every page size', () => {
  const scopes: [string, (e: (typeof expected)[number]) => boolean, () => string][] = [
    ['state', (e) => e.state === 'KG', () => 'state=KG'],
    ['organization', (e) => e.org === 'kg-customs', () => `organization=${orgs['kg-customs']?.id}`],
    [
      'state and organization',
      (e) => e.org === 'kg-mfa',
      () => `state=KG&organization=${orgs['kg-mfa']?.id}`,
    ],
    ['role', (e) => e.state === 'KG' && e.role === 'national-poc', () => 'state=KG&role=national-poc'],
    ['every state', () => true, () => ''],
  ]
  for (const [name, keep, query] of scopes) {
    it(`${name}: pages of 1 to 7 concatenate to the whole ordered list`, async () => {
      const want = expected.filter(keep).map((e) => e.id)
      expect(want.length).toBeGreaterThan(1)
      for (let limit = 1; limit <= 7; limit++) {
        const got = ids(await listAll(t, `/v1/directory?${query()}&asOf=${AS_OF}&limit=${limit}`))
        expect(got, `limit=${limit}`).toEqual(want)
      }
    })
  }

  it('a page that ends exactly at a segment edge gives the next segment on the next page', async () => {
    // KG alternate-poc has two non-primary holders on AS_OF, then national-poc starts.
    const first = await getJson(t, `/v1/directory?state=KG&asOf=${AS_OF}&limit=2`)
    expect(first.items.map((i: Json) => i.role.key)).toEqual(['alternate-poc', 'alternate-poc'])
    const next = await getJson(
      t,
      `/v1/directory?state=KG&asOf=${AS_OF}&limit=2&cursor=${encodeURIComponent(first.nextCursor)}`,
    )
    expect(next.items.map((i: Json) => [i.role.key, i.assignment.isPrimary])).toEqual([
      ['national-poc', true],
      ['national-poc', false],
    ])
  })
})

describe('the directory page is read along an index, never sorted', () => {
  it('no directory statement plans a temporary sort or a scan of assignments', async () => {
    // A fresh app, so every directory statement is prepared (and planned) while we watch.
    const fresh = await buildTestApp()
    const client = fresh.db.$client
    const sqls: string[] = []
    const prepare = client.prepare.bind(client)
    client.prepare = ((sql: string) => {
      if (/assignments a\b/.test(sql)) sqls.push(sql)
      return prepare(sql)
    }) as typeof client.prepare
    try {
      const fw = await writer('plan-writer')
      const org = await write(fresh, 'POST', '/v1/organizations', fw, {
        name: 'MFA',
        kind: 'government',
        stateCode: 'KG',
      })
      for (const [i, role] of ['national-poc', 'national-poc', 'alternate-poc'].entries()) {
        const person = await write(fresh, 'POST', '/v1/contacts', fw, { familyName: `P${i}` })
        await write(fresh, 'POST', '/v1/assignments', fw, {
          contactId: person.id,
          organizationId: org.id,
          roleId: roleId(fresh.db, role),
          startDate: '2020-01-01',
          isPrimary: i === 0,
        })
      }
      sqls.length = 0
      for (const query of ['state=KG', `organization=${org.id}`, '', 'state=KG&role=national-poc']) {
        await listAll(fresh, `/v1/directory?${query}&limit=1`)
      }
      // The first page's roles query, the cursor's two segment queries and the later roles query.
      expect(sqls.length).toBeGreaterThanOrEqual(8)
      for (const sql of sqls) {
        const names = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], null]))
        const args = sql.includes('?') ? [null] : [names]
        const plan = (prepare(`explain query plan ${sql}`).all(...args) as { detail: string }[]).map(
          (r) => r.detail,
        )
        expect(plan.join(' | '), sql).not.toMatch(/TEMP B-TREE|SCAN a\b/)
      }
    } finally {
      client.prepare = prepare as typeof client.prepare
      await fresh.close()
    }
  })
})
