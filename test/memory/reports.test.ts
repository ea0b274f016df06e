import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  expectProblem,
  getJson,
  type Headers,
  type Json,
  sleep,
  type TestApp,
  withCursor,
  write,
  writer,
} from './support.js'

/** The gap and staleness reports: coverage per state and role, and records nobody verified. */
const OSCE =
  'AL AD AM AT AZ BY BE BA BG CA HR CY CZ DK EE FI FR GE DE GR VA HU IS IE IT KZ KG LV LI LT LU MT MD MC MN ME NL MK NO PL PT RO RU SM RS SK SI ES SE CH TJ TR TM UA GB US UZ'.split(
    ' ',
  )

let t: TestApp
let w: Headers
beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('report-writer')
})
afterAll(() => t.close())

async function holder(state: string, role: string, body: Json = {}) {
  const org = await write(t, 'POST', '/v1/organizations', w, {
    name: `Ministry ${state} ${role}`,
    kind: 'government',
    stateCode: state,
  })
  const person = await write(t, 'POST', '/v1/contacts', w, { familyName: `${state} ${role}` })
  return write(t, 'POST', '/v1/assignments', w, {
    contactId: person.id,
    roleId: roleId(t.db, role),
    organizationId: org.id,
    startDate: '2020-01-01',
    ...body,
  })
}

type CoverageItem = {
  stateCode: string
  name: string
  roles: { role: string; holders: number; vacant: boolean }[]
}

describe('coverage report', () => {
  beforeAll(async () => {
    await holder('KG', 'national-poc', { isPrimary: true })
    await holder('KZ', 'national-poc', { isPrimary: true })
    // KG's mission PoC ended: the role is vacant again.
    await holder('KG', 'mission-poc', { endDate: '2023-12-31' })
    // A deleted current holder does not count either.
    const deleted = await holder('AL', 'national-poc')
    await write(t, 'DELETE', `/v1/assignments/${deleted.id}`, w)
    // A future tenure does not count yet.
    await holder('AM', 'national-poc', { startDate: '2999-01-01' })
    // Two current national PoCs in Germany (one primary): holders is a count.
    await holder('DE', 'national-poc', { isPrimary: true })
    await holder('DE', 'national-poc')
  })

  it('lists only the OSCE participating States over pages, with each required role', async () => {
    const url = '/v1/reports/coverage?osce=true&roles=national-poc,mission-poc&limit=50'
    const items: CoverageItem[] = []
    let next: string | null = url
    let pages = 0
    while (next) {
      const res: Awaited<ReturnType<TestApp['app']['inject']>> = await t.app.inject({
        method: 'GET',
        url: next,
      })
      expect(res.statusCode, res.body).toBe(200)
      const page: Json = res.json()
      expect(page.roles).toEqual(['national-poc', 'mission-poc'])
      expect(page.items.length).toBeLessThanOrEqual(50)
      items.push(...page.items)
      if (page.nextCursor) expect(res.headers.link).toContain('rel="next"')
      next = page.nextCursor ? withCursor(url, page.nextCursor) : null
      pages++
    }
    expect(pages).toBe(2)
    expect(items).toHaveLength(57)
    expect(items.map((i) => i.stateCode).sort()).toEqual([...OSCE].sort())
    const by = new Map(items.map((i) => [i.stateCode, i]))
    expect(by.get('KG')).toEqual({
      stateCode: 'KG',
      name: 'Kyrgyzstan',
      roles: [
        { role: 'national-poc', holders: 1, vacant: false },
        { role: 'mission-poc', holders: 0, vacant: true },
      ],
    })
    expect(by.get('KZ')?.roles).toEqual([
      { role: 'national-poc', holders: 1, vacant: false },
      { role: 'mission-poc', holders: 0, vacant: true },
    ])
    for (const code of ['AL', 'AM', 'US']) {
      expect(by.get(code)?.roles, code).toEqual([
        { role: 'national-poc', holders: 0, vacant: true },
        { role: 'mission-poc', holders: 0, vacant: true },
      ])
    }
    expect(by.get('DE')?.roles[0]).toEqual({ role: 'national-poc', holders: 2, vacant: false })
    const filled = items.filter((i) => i.roles.some((r) => !r.vacant)).map((i) => i.stateCode)
    expect(filled.sort()).toEqual(['DE', 'KG', 'KZ'])
  })

  it('osce=false lists the other states', async () => {
    const first = await getJson(t, '/v1/reports/coverage?osce=false&limit=500')
    expect(first.items).toHaveLength(194 - 57)
    for (const item of first.items) expect(OSCE).not.toContain(item.stateCode)
  })

  it('state=KG gives one item; the default role set is national-poc', async () => {
    const kg = await getJson(t, '/v1/reports/coverage?state=KG')
    expect(kg).toEqual({
      roles: ['national-poc'],
      items: [
        { stateCode: 'KG', name: 'Kyrgyzstan', roles: [{ role: 'national-poc', holders: 1, vacant: false }] },
      ],
      nextCursor: null,
    })
    const all = await getJson(t, '/v1/reports/coverage?limit=500')
    expect(all.roles).toEqual(['national-poc'])
    expect(all.items).toHaveLength(194)
    expect(all.nextCursor).toBeNull()
  })

  it('accepts a role id in the roles list and answers the key', async () => {
    const res = await getJson(t, `/v1/reports/coverage?state=KG&roles=${roleId(t.db, 'mission-poc')}`)
    expect(res.roles).toEqual(['mission-poc'])
    expect(res.items[0].roles).toEqual([{ role: 'mission-poc', holders: 0, vacant: true }])
  })

  it.each([
    ['?roles=national-poc,no-such-role', 'roles'],
    ['?roles=', 'roles'],
    ['?state=QQ', 'state'],
    ['?state=kg', 'state'],
    ['?osce=yes', 'osce'],
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?cursor=garbage', 'cursor'],
    ['?role=national-poc', 'role'],
  ])('refuses %s with 400', async (query, path) => {
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/reports/coverage${query}` }), 400, path)
  })
})

describe('stale report', () => {
  it('lists records not verified within the duration, and not the ones just verified', async () => {
    const contacts = []
    for (const name of ['Unverified A', 'Unverified B', 'Verified C']) {
      contacts.push(await write(t, 'POST', '/v1/contacts', w, { familyName: name }))
    }
    const orgs = []
    for (const name of ['Old Agency', 'Fresh Agency']) {
      orgs.push(await write(t, 'POST', '/v1/organizations', w, { name, kind: 'ngo' }))
    }
    await sleep(2500)
    const verifiedContact = await write(t, 'POST', `/v1/contacts/${contacts[2]?.id}/verify`, w)
    const verifiedOrg = await write(t, 'POST', `/v1/organizations/${orgs[1]?.id}/verify`, w)
    expect(verifiedContact.lastVerifiedAt).toEqual(expect.any(String))

    const stale = await getJson(t, '/v1/reports/stale?olderThan=PT2S&limit=500')
    const entries = new Map(stale.items.map((i: Json) => [i.id, i]))
    for (const c of contacts.slice(0, 2)) {
      expect(entries.get(c.id)).toEqual({
        entity: 'contact',
        id: c.id,
        name: c.displayName,
        lastVerifiedAt: null,
      })
    }
    expect(entries.get(orgs[0]?.id)).toEqual({
      entity: 'organization',
      id: orgs[0]?.id,
      name: 'Old Agency',
      lastVerifiedAt: null,
    })
    expect(entries.has(verifiedContact.id)).toBe(false)
    expect(entries.has(verifiedOrg.id)).toBe(false)
    for (const item of stale.items)
      expect(Object.keys(item).sort()).toEqual(['entity', 'id', 'lastVerifiedAt', 'name'])

    const year = await getJson(t, '/v1/reports/stale?olderThan=P1Y')
    const yearIds = year.items.map((i: Json) => i.id)
    for (const record of [...contacts, ...orgs]) expect(yearIds).not.toContain(record.id)

    // Deleted records are not reported.
    await write(t, 'DELETE', `/v1/contacts/${contacts[0]?.id}`, w)
    const after = await getJson(t, '/v1/reports/stale?olderThan=PT2S&limit=500')
    expect(after.items.map((i: Json) => i.id)).not.toContain(contacts[0]?.id)
  })

  it('pages stalest first with the cursor', async () => {
    const all = await getJson(t, '/v1/reports/stale?olderThan=PT1S&limit=500')
    expect(all.items.length).toBeGreaterThanOrEqual(3)
    const seen: string[] = []
    let url: string | null = '/v1/reports/stale?olderThan=PT1S&limit=2'
    while (url) {
      const page = await getJson(t, url)
      seen.push(...page.items.map((i: Json) => i.id))
      url = page.nextCursor ? withCursor('/v1/reports/stale?olderThan=PT1S&limit=2', page.nextCursor) : null
    }
    expect(seen).toEqual(all.items.map((i: Json) => i.id))
  })

  it.each(['12M', 'P', 'PT', 'P1Q', '', 'P1Y2', '1Y', 'p1y', 'P-1D'])(
    'refuses olderThan=%s',
    async (duration) => {
      const res = await t.app.inject({
        method: 'GET',
        url: `/v1/reports/stale?olderThan=${encodeURIComponent(duration)}`,
      })
      expectProblem(res, 400, 'olderThan')
    },
  )

  it.each(['P12M', 'P30D', 'P1W', 'PT36H', 'P1Y2M3DT4H5M6S'])('accepts olderThan=%s', async (duration) => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/reports/stale?olderThan=${duration}` })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ items: [], nextCursor: null })
  })

  it.each(['P300000Y', 'P99999999999999999999D'])(
    'refuses olderThan=%s, a duration beyond the calendar, with 400 (not a 500)',
    async (duration) => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/reports/stale?olderThan=${duration}` })
      expectProblem(res, 400, 'olderThan')
    },
  )

  it('refuses unknown parameters and bad limits', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/reports/stale?since=P1Y' }), 400, 'since')
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/reports/stale?limit=0' }), 400, 'limit')
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/reports/stale?limit=501' }), 400, 'limit')
  })
})
