import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import { expectGeneratedAsCommitted } from '../helpers/contract-part.js'
import { problemBody } from '../helpers/http.js'
import { getJson, type Headers, type Json, type TestApp, write, writer } from '../memory/support.js'

/**
 * src/modules/reports/reports-routes.ts and trained-coverage.ts through the app, a fresh app per
 * test on a fixed clock (only Date is faked): the coverage report's roles list (trimmed, named
 * once, by key or id), its state, OSCE and paging; the stale report's items and Link header;
 * the trained-coverage report's counts at the period's first day, holders ending or starting
 * today, its filters and paging. Every answer compared whole.
 */

const TODAY = '2031-03-10'
const NOW = `${TODAY}T08:30:00.000Z`

let t: TestApp
let w: Headers

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(NOW))
  t = await buildTestApp()
  w = await writer('reports-writer')
})
afterEach(async () => {
  await t.close()
  vi.useRealTimers()
})

const ministry = (stateCode: string) =>
  write(t, 'POST', '/v1/organizations', w, { name: `Ministry ${stateCode}`, kind: 'government', stateCode })

async function hold(
  org: Json,
  familyName: string,
  role = 'national-poc',
  startDate = '2020-01-01',
  endDate?: string,
) {
  const contact = await write(t, 'POST', '/v1/contacts', w, { givenName: 'Test', familyName })
  const assignment = await write(t, 'POST', '/v1/assignments', w, {
    contactId: contact.id,
    roleId: roleId(t.db, role),
    organizationId: org.id,
    startDate,
    ...(endDate ? { endDate } : {}),
  })
  return { contact, assignment }
}

const stateName = async (code: string) => (await getJson(t, `/v1/states/${code}`)).name as string

describe('the reports in the contract', () => {
  it('are generated exactly as committed', async () => {
    await expectGeneratedAsCommitted({
      prefix: '/v1/reports',
      paths: ['/v1/reports/coverage', '/v1/reports/stale', '/v1/reports/trained-coverage'],
      schemas: ['Coverage', 'StaleRecords', 'TrainedCoverage'],
    })
  })
})

describe('coverage', () => {
  it('one state: each required role once, trimmed, by key or id, with its holders today', async () => {
    const kz = await ministry('KZ')
    await hold(kz, 'One')
    await hold(kz, 'Two')
    await hold(kz, 'Ended', 'national-poc', '2020-01-01', TODAY)
    await hold(kz, 'Later', 'national-poc', '2031-03-11')
    await hold(kz, 'Mission', 'mission-poc', TODAY)
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/reports/coverage?state=KZ&roles=${encodeURIComponent(` national-poc ,${roleId(t.db, 'mission-poc')},national-poc,technical-poc`)}`,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      roles: ['national-poc', 'mission-poc', 'technical-poc'],
      items: [
        {
          stateCode: 'KZ',
          name: await stateName('KZ'),
          roles: [
            { role: 'national-poc', holders: 2, vacant: false },
            { role: 'mission-poc', holders: 1, vacant: false },
            { role: 'technical-poc', holders: 0, vacant: true },
          ],
        },
      ],
      nextCursor: null,
    })
    expect(res.headers.link).toBeUndefined()
  })

  it('by default national-poc; without a state, the states in code order, a page at a time with a Link header', async () => {
    const ad = await ministry('AD')
    await hold(ad, 'Andorra')
    const res = await t.app.inject({ method: 'GET', url: '/v1/reports/coverage?limit=2' })
    const body = res.json() as Json
    const codes = (await getJson(t, '/v1/states?limit=3')).items.map((s: Json) => s.code)
    expect(body).toEqual({
      roles: ['national-poc'],
      items: [
        {
          stateCode: codes[0],
          name: await stateName(codes[0]),
          roles: [{ role: 'national-poc', holders: codes[0] === 'AD' ? 1 : 0, vacant: codes[0] !== 'AD' }],
        },
        {
          stateCode: codes[1],
          name: await stateName(codes[1]),
          roles: [{ role: 'national-poc', holders: codes[1] === 'AD' ? 1 : 0, vacant: codes[1] !== 'AD' }],
        },
      ],
      nextCursor: expect.any(String),
    })
    expect(body.items.map((i: Json) => i.stateCode)).toContain('AD')
    expect(res.headers.link).toBe(
      `</v1/reports/coverage?limit=2&cursor=${encodeURIComponent(body.nextCursor)}>; rel="next"`,
    )
    const next = await getJson(
      t,
      `/v1/reports/coverage?limit=1&cursor=${encodeURIComponent(body.nextCursor)}`,
    )
    expect(next.items.map((i: Json) => i.stateCode)).toEqual([codes[2]])
  })

  it('osce=true keeps to OSCE participating States, osce=false to the others', async () => {
    const osce = await getJson(t, '/v1/reports/coverage?osce=true&limit=100')
    expect(osce.items).toHaveLength(57)
    expect(osce.items.map((i: Json) => i.stateCode)).toContain('KZ')
    const others = await getJson(t, '/v1/reports/coverage?osce=false&limit=3')
    for (const i of others.items) expect(osce.items.map((o: Json) => o.stateCode)).not.toContain(i.stateCode)
    expect(others.items).toHaveLength(3)
  })

  it('an unknown role or state is a 400 naming it', async () => {
    const cases: [string, string, string][] = [
      ['roles=national-poc,nope', 'query.roles', 'no role nope with this identifier'],
      ['state=KX', 'query.state', 'no state with this identifier'],
    ]
    for (const [query, path, message] of cases) {
      const body = problemBody(
        await t.app.inject({ method: 'GET', url: `/v1/reports/coverage?${query}` }),
        400,
      )
      expect(body.errors, query).toEqual([{ path, message }])
    }
  })
})

describe('stale', () => {
  it('every stale record as entity, id, name and lastVerifiedAt, stalest first, with a Link header', async () => {
    vi.setSystemTime(new Date('2030-01-01T00:00:00.000Z'))
    const o = await write(t, 'POST', '/v1/organizations', w, { name: 'Old Agency', kind: 'ngo' })
    vi.setSystemTime(new Date('2030-02-01T00:00:00.000Z'))
    const c = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Oldov' })
    await write(t, 'POST', `/v1/contacts/${c.id}/verify`, w)
    vi.setSystemTime(new Date('2031-01-01T00:00:00.000Z'))
    await write(t, 'POST', '/v1/contacts', w, { familyName: 'Newer' })
    vi.setSystemTime(new Date(NOW))
    const res = await t.app.inject({ method: 'GET', url: '/v1/reports/stale?limit=1' })
    const body = res.json() as Json
    expect(body).toEqual({
      items: [{ entity: 'organization', id: o.id, name: 'Old Agency', lastVerifiedAt: null }],
      nextCursor: expect.any(String),
    })
    expect(res.headers.link).toBe(
      `</v1/reports/stale?limit=1&cursor=${encodeURIComponent(body.nextCursor)}>; rel="next"`,
    )
    // The default olderThan is P12M: the contact made in 2031 is not stale.
    expect(
      await getJson(t, `/v1/reports/stale?limit=5&cursor=${encodeURIComponent(body.nextCursor)}`),
    ).toEqual({
      items: [{ entity: 'contact', id: c.id, name: 'Oldov', lastVerifiedAt: '2030-02-01T00:00:00.000Z' }],
      nextCursor: null,
    })
    // P1M: the 2031 contact is too.
    expect((await getJson(t, '/v1/reports/stale?olderThan=P1M')).items.map((i: Json) => i.name)).toEqual(
      ['Old Agency', 'Oldov', 'Test Newer'].slice(0, 2).concat(['Newer']),
    )
  })

  it('an olderThan that reaches before the calendar is a 400 naming it', async () => {
    const body = problemBody(
      await t.app.inject({ method: 'GET', url: '/v1/reports/stale?olderThan=P999999Y' }),
      400,
    )
    expect(body.errors).toEqual([{ path: 'query.olderThan', message: 'reaches beyond the calendar' }])
  })
})

describe('trained coverage', () => {
  async function course(endDate: string) {
    return write(t, 'POST', '/v1/training-events', w, {
      title: `Course ${endDate}`,
      kind: 'workshop',
      startDate: '2020-01-01',
      endDate,
    })
  }
  const complete = (ev: Json, contactId: string, status = 'completed') =>
    write(t, 'POST', '/v1/participations', w, { eventId: ev.id, contactId, status })
  const untrained = (p: { contact: Json; assignment: Json }, lastCompleted: string | null) => ({
    contactId: p.contact.id,
    displayName: p.contact.displayName,
    assignmentId: p.assignment.id,
    lastCompleted,
  })

  it('counts today’s holders trained within the period: its first day counts, the day before does not', async () => {
    const kz = await ministry('KZ')
    const onFirstDay = await course('2028-03-10')
    const dayBefore = await course('2028-03-09')
    const a = await hold(kz, 'Alpha')
    const b = await hold(kz, 'Bravo')
    const c = await hold(kz, 'Charlie', 'national-poc', TODAY)
    const d = await hold(kz, 'Delta', 'mission-poc')
    await hold(kz, 'Ending', 'national-poc', '2020-01-01', TODAY)
    await hold(kz, 'Starting', 'national-poc', '2031-03-11')
    await complete(onFirstDay, a.contact.id)
    await complete(dayBefore, b.contact.id)
    await complete(onFirstDay, c.contact.id, 'attended')
    await complete(onFirstDay, d.contact.id)
    const res = await t.app.inject({ method: 'GET', url: '/v1/reports/trained-coverage?state=KZ' })
    expect(res.json()).toEqual({
      period: 'P3Y',
      since: '2028-03-10',
      items: [
        {
          stateCode: 'KZ',
          name: await stateName('KZ'),
          roles: [
            { role: 'mission-poc', holders: 1, trained: 1, untrained: [] },
            {
              role: 'national-poc',
              holders: 3,
              trained: 1,
              untrained: [untrained(b, '2028-03-09'), untrained(c, null)],
            },
          ],
        },
      ],
      nextCursor: null,
    })
    expect(res.headers.link).toBeUndefined()
    // One role only, and a shorter period.
    expect(await getJson(t, '/v1/reports/trained-coverage?state=KZ&role=mission-poc&period=P1Y')).toEqual({
      period: 'P1Y',
      since: '2030-03-10',
      items: [
        {
          stateCode: 'KZ',
          name: await stateName('KZ'),
          roles: [{ role: 'mission-poc', holders: 1, trained: 0, untrained: [untrained(d, '2028-03-10')] }],
        },
      ],
      nextCursor: null,
    })
  })

  it('without a state: only states with today’s holders (of the role), by code, a page at a time', async () => {
    const kz = await ministry('KZ')
    const tj = await ministry('TJ')
    const kg = await ministry('KG')
    const ad = await ministry('AD')
    const k = await hold(kz, 'Kazakh')
    const tjm = await hold(tj, 'Tajik', 'mission-poc')
    await hold(kg, 'Ended', 'national-poc', '2020-01-01', TODAY)
    await hold(ad, 'Later', 'national-poc', '2031-03-11')
    const res = await t.app.inject({ method: 'GET', url: '/v1/reports/trained-coverage?limit=1' })
    const first = res.json() as Json
    expect(first).toEqual({
      period: 'P3Y',
      since: '2028-03-10',
      items: [
        {
          stateCode: 'KZ',
          name: await stateName('KZ'),
          roles: [{ role: 'national-poc', holders: 1, trained: 0, untrained: [untrained(k, null)] }],
        },
      ],
      nextCursor: expect.any(String),
    })
    expect(res.headers.link).toBe(
      `</v1/reports/trained-coverage?limit=1&cursor=${encodeURIComponent(first.nextCursor)}>; rel="next"`,
    )
    const second = await getJson(
      t,
      `/v1/reports/trained-coverage?limit=1&cursor=${encodeURIComponent(first.nextCursor)}`,
    )
    expect(second).toEqual({
      period: 'P3Y',
      since: '2028-03-10',
      items: [
        {
          stateCode: 'TJ',
          name: await stateName('TJ'),
          roles: [{ role: 'mission-poc', holders: 1, trained: 0, untrained: [untrained(tjm, null)] }],
        },
      ],
      nextCursor: null,
    })
    // One page with both states: each state holds only its own holders.
    expect(await getJson(t, '/v1/reports/trained-coverage')).toEqual({
      period: 'P3Y',
      since: '2028-03-10',
      items: [first.items[0], second.items[0]],
      nextCursor: null,
    })
    // With role=national-poc, TJ has none.
    expect(
      (await getJson(t, '/v1/reports/trained-coverage?role=national-poc')).items.map(
        (i: Json) => i.stateCode,
      ),
    ).toEqual(['KZ'])
    expect((await getJson(t, '/v1/reports/trained-coverage?state=KG')).items).toEqual([])
  })

  it('an unknown state or role is a 400 naming it', async () => {
    const cases: [string, string, string][] = [
      ['state=KX', 'query.state', 'no state with this identifier'],
      ['role=nope', 'query.role', 'no role with this identifier'],
      ['period=P999999Y', 'query.period', 'reaches beyond the calendar'],
    ]
    for (const [query, path, message] of cases) {
      const body = problemBody(
        await t.app.inject({ method: 'GET', url: `/v1/reports/trained-coverage?${query}` }),
        400,
      )
      expect(body.errors, query).toEqual([{ path, message }])
    }
  })
})
