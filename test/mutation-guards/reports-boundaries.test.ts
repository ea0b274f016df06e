import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { encodeCursor } from '../../src/lib/pagination.js'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import { problemBody } from '../helpers/http.js'
import { getJson, type Headers, type Json, listAll, type TestApp, write, writer } from '../memory/support.js'

/**
 * Reports at their edges on a fixed clock (only Date is faked): coverage counts holders on
 * today ([startDate, endDate)), stale compares strictly before the cutoff.
 */
const TODAY = '2031-03-10'
const T0 = `${TODAY}T08:30:00.000Z`

let t: TestApp
let w: Headers

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(T0))
  t = await buildTestApp()
  w = await writer('reports-boundary-writer')
})
afterAll(async () => {
  await t.close()
  vi.useRealTimers()
})

describe('coverage counts today’s holders', () => {
  const coverage = async (state: string, roles = 'national-poc') =>
    (await getJson(t, `/v1/reports/coverage?state=${state}&roles=${roles}`)).items[0].roles as Json[]

  it('starting today and ending tomorrow count; ending today and starting tomorrow do not', async () => {
    const org = await write(t, 'POST', '/v1/organizations', w, {
      name: 'Coverage KZ',
      kind: 'government',
      stateCode: 'KZ',
    })
    const post = async (startDate: string, endDate: string | null) => {
      const c = await write(t, 'POST', '/v1/contacts', w, { familyName: `Cov ${startDate} ${endDate}` })
      await write(t, 'POST', '/v1/assignments', w, {
        contactId: c.id,
        roleId: roleId(t.db, 'national-poc'),
        organizationId: org.id,
        startDate,
        endDate,
      })
    }
    await post('2020-01-01', TODAY)
    await post('2031-03-11', null)
    expect(await coverage('KZ')).toEqual([{ role: 'national-poc', holders: 0, vacant: true }])
    await post(TODAY, null)
    expect(await coverage('KZ')).toEqual([{ role: 'national-poc', holders: 1, vacant: false }])
    await post('2020-01-01', '2031-03-11')
    expect(await coverage('KZ')).toEqual([{ role: 'national-poc', holders: 2, vacant: false }])
  })

  it('counts per state and role: another state or role does not count', async () => {
    const org = await write(t, 'POST', '/v1/organizations', w, {
      name: 'Coverage TJ',
      kind: 'government',
      stateCode: 'TJ',
    })
    const c = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Cov TJ' })
    await write(t, 'POST', '/v1/assignments', w, {
      contactId: c.id,
      roleId: roleId(t.db, 'legal-poc'),
      organizationId: org.id,
      startDate: '2020-01-01',
    })
    expect(await coverage('TJ', 'national-poc,legal-poc')).toEqual([
      { role: 'national-poc', holders: 0, vacant: true },
      { role: 'legal-poc', holders: 1, vacant: false },
    ])
    expect(await coverage('UZ', 'legal-poc')).toEqual([{ role: 'legal-poc', holders: 0, vacant: true }])
  })

  it('a role named twice (with blanks) is checked once', async () => {
    const report = await getJson(t, '/v1/reports/coverage?state=KZ&roles=national-poc,%20national-poc')
    expect(report.roles).toEqual(['national-poc'])
    expect(report.items).toHaveLength(1)
    expect(report.items[0]).toMatchObject({ stateCode: 'KZ', name: expect.any(String) })
    expect(report.items[0].roles).toHaveLength(1)
    expect(report.nextCursor).toBeNull()
  })
})

describe('stale: strictly older than the duration', () => {
  it('a record exactly as old as olderThan is not stale; one millisecond older is', async () => {
    vi.setSystemTime(new Date('2031-03-10T09:00:00.000Z'))
    const c = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Stale Edge' })
    const o = await write(t, 'POST', '/v1/organizations', w, { name: 'Stale Edge Agency', kind: 'ngo' })
    const ids = async (olderThan: string) =>
      (await getJson(t, `/v1/reports/stale?olderThan=${olderThan}&limit=500`)).items.map((i: Json) => i.id)
    vi.setSystemTime(new Date('2031-03-10T09:00:02.000Z'))
    expect(await ids('PT2S')).not.toContain(c.id)
    expect(await ids('PT2S')).not.toContain(o.id)
    vi.setSystemTime(new Date('2031-03-10T09:00:02.001Z'))
    expect(await ids('PT2S')).toEqual(expect.arrayContaining([c.id, o.id]))
    // Verifying counts from the verification, not the creation.
    await write(t, 'POST', `/v1/contacts/${c.id}/verify`, w)
    vi.setSystemTime(new Date('2031-03-10T09:00:04.001Z'))
    expect(await ids('PT2S')).not.toContain(c.id)
    vi.setSystemTime(new Date('2031-03-10T09:00:04.002Z'))
    const stale = await getJson(t, '/v1/reports/stale?olderThan=PT2S&limit=500')
    expect(stale.items.find((i: Json) => i.id === c.id)).toEqual({
      entity: 'contact',
      id: c.id,
      name: c.displayName,
      lastVerifiedAt: '2031-03-10T09:00:02.001Z',
    })
    // Stalest first: the organization (created 09:00:00) before the contact (verified 09:00:02.001).
    const order = stale.items.map((i: Json) => i.id).filter((id: string) => id === c.id || id === o.id)
    expect(order).toEqual([o.id, c.id])
  })
})

describe('stale: a cursor this report did not issue', () => {
  it.each([
    ['not JSON inside', 'nope'],
    ['a two-part key', '["2031-01-01","contact"]'],
    ['a key of numbers', '[1,2,3]'],
  ])('%s is a 400 naming cursor', async (_name, key) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/reports/stale?cursor=${encodeCursor(t.db, key)}`,
    })
    expect(problemBody(res, 400).errors).toEqual([
      { path: 'cursor', message: 'is not a cursor this service issued' },
    ])
  })
})

describe('stale: ties at one instant, paged', () => {
  // Its own app: the stale statements are built on a connection's first stale read, so this
  // test builds them (and mutation testing counts it as covering them).
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(() => t.close())

  it('same since: contacts before organizations, then by id; every page size gives the same sequence', async () => {
    // Six records created at one instant (only Date is faked): the tie is broken by entity, then id.
    vi.setSystemTime(new Date('2031-03-10T10:00:00.000Z'))
    const w = await writer('reports-tie-writer')
    const made: Json[] = []
    for (const n of [1, 2, 3]) {
      made.push(await write(t, 'POST', '/v1/organizations', w, { name: `Tie Agency ${n}`, kind: 'ngo' }))
      made.push(await write(t, 'POST', '/v1/contacts', w, { familyName: `Tie ${n}` }))
    }
    vi.setSystemTime(new Date('2031-03-10T10:00:02.000Z'))
    const contacts = made.filter((m) => m.displayName !== undefined).map((m) => m.id as string)
    const orgs = made.filter((m) => m.displayName === undefined).map((m) => m.id as string)
    const expected = [...contacts.sort(), ...orgs.sort()]
    const full = await listAll(t, '/v1/reports/stale?olderThan=PT1S&limit=500')
    const mine = (items: Json[]) => items.map((i) => i.id as string).filter((id) => expected.includes(id))
    // The tie is the newest instant, so it ends the report, in exactly this order.
    expect(full.slice(-6).map((i) => i.id)).toEqual(expected)
    expect(full.slice(-6).map((i) => i.entity)).toEqual([
      'contact',
      'contact',
      'contact',
      'organization',
      'organization',
      'organization',
    ])
    for (const limit of [2, 3, 4]) {
      const paged = await listAll(t, `/v1/reports/stale?olderThan=PT1S&limit=${limit}`)
      expect(
        paged.map((i) => i.id),
        `limit ${limit}`,
      ).toEqual(full.map((i) => i.id))
      expect(mine(paged)).toEqual(expected)
    }
    // Strictly older: exactly two seconds old, none of the six is stale.
    expect(mine(await listAll(t, '/v1/reports/stale?olderThan=PT2S&limit=500'))).toEqual([])
  })
})
