import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { isCurrent, today } from '../../src/lib/tenure.js'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  expectRejected,
  getJson,
  type Headers,
  type Json,
  type TestApp,
  write,
  writer,
} from '../memory/support.js'

/**
 * The tenure boundary, pinned on a fixed day: a tenure covers [startDate, endDate), so an
 * assignment ending today is no longer current and one starting today already is. Only Date is
 * faked (timers stay real), so "today" is the same for the test and the service.
 */
const TODAY = '2030-05-15'
const YESTERDAY = '2030-05-14'
const TOMORROW = '2030-05-16'

let t: TestApp
let w: Headers
let org: Json
let intl: Json

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(`${TODAY}T12:00:00.000Z`))
  t = await buildTestApp()
  w = await writer('boundary-writer')
  org = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Boundary Ministry',
    kind: 'government',
    stateCode: 'KG',
  })
  intl = await write(t, 'POST', '/v1/organizations', w, { name: 'Boundary Agency', kind: 'international' })
})
afterAll(async () => {
  await t.close()
  vi.useRealTimers()
})

const person = async (familyName: string) => write(t, 'POST', '/v1/contacts', w, { familyName })

async function tenure(contactId: string, role: string, body: Json = {}) {
  return write(t, 'POST', '/v1/assignments', w, {
    contactId,
    roleId: roleId(t.db, role),
    organizationId: org.id,
    startDate: '2020-01-01',
    ...body,
  })
}

describe('isCurrent and today', () => {
  it('today() is the UTC calendar day', () => {
    expect(today()).toBe(TODAY)
    vi.setSystemTime(new Date(`${TODAY}T23:59:59.999Z`))
    expect(today()).toBe(TODAY)
    vi.setSystemTime(new Date(`${TODAY}T12:00:00.000Z`))
  })

  it('a tenure ending on the day is over; one ending the day after is current', () => {
    expect(isCurrent(null, TODAY)).toBe(true)
    expect(isCurrent(TODAY, TODAY)).toBe(false)
    expect(isCurrent(YESTERDAY, TODAY)).toBe(false)
    expect(isCurrent(TOMORROW, TODAY)).toBe(true)
  })

  it('defaults the day to today', () => {
    expect(isCurrent(TODAY)).toBe(false)
    expect(isCurrent(TOMORROW)).toBe(true)
    expect(isCurrent(null)).toBe(true)
  })
})

describe('current and ended lists split on today', () => {
  let who: Json
  const ids: Record<string, string> = {}
  beforeAll(async () => {
    who = await person('Boundary Lister')
    for (const [name, endDate] of [
      ['yesterday', YESTERDAY],
      ['today', TODAY],
      ['tomorrow', TOMORROW],
      ['open', null],
    ] as const) {
      ids[name] = (await tenure(who.id, 'national-poc', { endDate })).id
    }
  })
  const listed = async (current: boolean) =>
    ((await getJson(t, `/v1/assignments?contact=${who.id}&current=${current}`)).items as Json[])
      .map((a) => a.id)
      .sort()

  it('current=true: ending tomorrow or never', async () => {
    expect(await listed(true)).toEqual([ids.tomorrow, ids.open].sort())
  })

  it('a page with more after it links the next page; the last page has no Link', async () => {
    const url = `/v1/assignments?contact=${who.id}&limit=3`
    const first = await t.app.inject({ method: 'GET', url })
    const { nextCursor } = first.json()
    expect(nextCursor).toEqual(expect.any(String))
    const next = new URL(url, 'http://local')
    next.searchParams.set('cursor', nextCursor)
    expect(first.headers.link).toBe(`<${next.pathname}${next.search}>; rel="next"`)
    const last = await t.app.inject({ method: 'GET', url: `${url}&cursor=${encodeURIComponent(nextCursor)}` })
    expect(last.json().items).toHaveLength(1)
    expect(last.json().nextCursor).toBeNull()
    expect(last.headers.link).toBeUndefined()
  })

  it('current=false: ended yesterday or today', async () => {
    expect(await listed(false)).toEqual([ids.yesterday, ids.today].sort())
  })

  it('the directory without asOf shows tenures starting today and not those ending today', async () => {
    const p = await person('Boundary Starter')
    const q = await person('Boundary Future')
    await tenure(p.id, 'export-control-poc', { startDate: TODAY })
    await tenure(q.id, 'export-control-poc', { startDate: TOMORROW })
    await tenure((await person('Boundary Leaver')).id, 'export-control-poc', { endDate: TODAY })
    const names = (await getJson(t, '/v1/directory?state=KG&role=export-control-poc')).items.map(
      (i: Json) => i.contact.familyName,
    )
    expect(names).toEqual(['Boundary Starter'])
  })
})

describe('deleting: ended tenures are history', () => {
  it('an assignment ending today is ended and is not deleted (409); one ending tomorrow is (204)', async () => {
    const who = await person('Boundary Deleted')
    const endsToday = await tenure(who.id, 'finance-poc', { endDate: TODAY })
    const endsTomorrow = await tenure(who.id, 'finance-poc', { endDate: TOMORROW })
    await expectRejected(t, { method: 'DELETE', url: `/v1/assignments/${endsToday.id}`, headers: w }, 409)
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/assignments/${endsTomorrow.id}`,
      headers: w,
    })
    expect(res.statusCode, res.body).toBe(204)
  })
})

describe('handover around the planned end date', () => {
  let successor: Json
  beforeAll(async () => {
    successor = await person('Boundary Successor')
  })
  const handover = (id: string, date: string) => ({
    method: 'POST' as const,
    url: `/v1/assignments/${id}/handover`,
    headers: w,
    payload: { contactId: successor.id, date },
  })

  it('on the planned end date itself: 201, the old tenure ends that day', async () => {
    const holder = await person('Boundary Planned')
    const a = await tenure(holder.id, 'biological-poc', { endDate: '2030-06-30' })
    const res = await t.app.inject(handover(a.id, '2030-06-30'))
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().ended).toMatchObject({
      id: a.id,
      endDate: '2030-06-30',
      succeededBy: res.json().started.id,
    })
    expect(res.json().started).toMatchObject({
      contactId: successor.id,
      startDate: '2030-06-30',
      endDate: null,
    })
  })

  it('one day after the planned end date: 400 naming date, nothing written', async () => {
    const holder = await person('Boundary Late')
    const a = await tenure(holder.id, 'chemical-poc', { endDate: '2030-06-30' })
    const body = await expectRejected(t, handover(a.id, '2030-07-01'), 400, 'date')
    expect(body.errors).toEqual([
      { path: 'date', message: "must not be after the tenure's planned end 2030-06-30" },
    ])
  })

  it('a tenure ending tomorrow may still be handed over tomorrow; one ending today is ended (409)', async () => {
    const holder = await person('Boundary Last Day')
    const endsTomorrow = await tenure(holder.id, 'nuclear-poc', { endDate: TOMORROW })
    const ok = await t.app.inject(handover(endsTomorrow.id, TOMORROW))
    expect(ok.statusCode, ok.body).toBe(201)
    const other = await person('Boundary Ended')
    const endsToday = await tenure(other.id, 'nuclear-poc', { endDate: TODAY })
    const body = await expectRejected(t, handover(endsToday.id, TODAY), 409)
    expect(body.detail).toBe(`The assignment already ended on ${TODAY}`)
  })

  it('the successor holding the role until today does not block; until tomorrow it does (409)', async () => {
    const holder = await person('Boundary Outgoing')
    const a = await tenure(holder.id, 'border-poc')
    const heldUntilToday = await person('Boundary Returning')
    await tenure(heldUntilToday.id, 'border-poc', { endDate: TODAY })
    const res = await t.app.inject({
      ...handover(a.id, TODAY),
      payload: { contactId: heldUntilToday.id, date: TODAY },
    })
    expect(res.statusCode, res.body).toBe(201)
    const b = await tenure((await person('Boundary Outgoing 2')).id, 'border-poc')
    const stillHolding = await person('Boundary Staying')
    await tenure(stillHolding.id, 'border-poc', { endDate: TOMORROW })
    const body = await expectRejected(
      t,
      { ...handover(b.id, TODAY), payload: { contactId: stillHolding.id, date: TODAY } },
      409,
    )
    expect(body.detail).toBe('The successor already holds this role there')
  })
})

describe('back-to-back primary holders', () => {
  const primary = async (role: string, startDate: string, endDate: string | null, organizationId = org.id) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/assignments',
      headers: w,
      payload: {
        contactId: (await person(`Primary ${role} ${startDate}`)).id,
        roleId: roleId(t.db, role),
        organizationId,
        startDate,
        endDate,
        isPrimary: true,
      },
    })

  it('a primary starting on the day the previous one ends is allowed; a day earlier is 409', async () => {
    expect((await primary('mission-poc', '2021-01-01', '2024-01-01')).statusCode).toBe(201)
    const next = await primary('mission-poc', '2024-01-01', null)
    expect(next.statusCode, next.body).toBe(201)
    const overlapping = await primary('mission-poc', '2023-12-31', '2024-01-01')
    expect(overlapping.statusCode, overlapping.body).toBe(409)
  })

  it('a primary ending on the day the next one starts is allowed; a day later is 409', async () => {
    expect((await primary('legal-poc', '2024-01-01', null)).statusCode).toBe(201)
    const before = await primary('legal-poc', '2022-01-01', '2024-01-01')
    expect(before.statusCode, before.body).toBe(201)
    const overlapping = await primary('legal-poc', '2023-06-01', '2024-01-02')
    expect(overlapping.statusCode, overlapping.body).toBe(409)
    expect(overlapping.json().detail).toMatch(/is the primary holder of this role for an overlapping period/)
  })

  it('international bodies: back to back per organization, overlap is 409', async () => {
    const first = await primary('mission-poc', '2021-01-01', '2024-01-01', intl.id)
    expect(first.statusCode, first.body).toBe(201)
    expect((await primary('mission-poc', '2024-01-01', null, intl.id)).statusCode).toBe(201)
    expect((await primary('mission-poc', '2023-12-31', '2024-01-01', intl.id)).statusCode).toBe(409)
  })
})

describe('handover at an international body (no state)', () => {
  it('the successor holding the role there until tomorrow blocks (409); until today does not', async () => {
    const post = async (familyName: string, endDate: string | null) => {
      const c = await person(familyName)
      const a = await write(t, 'POST', '/v1/assignments', w, {
        contactId: c.id,
        roleId: roleId(t.db, 'technical-poc'),
        organizationId: intl.id,
        startDate: '2020-01-01',
        endDate,
      })
      return { c, a }
    }
    const outgoing = await post('Intl Outgoing', null)
    const staying = await post('Intl Staying', TOMORROW)
    const req = (contactId: string) => ({
      method: 'POST' as const,
      url: `/v1/assignments/${outgoing.a.id}/handover`,
      headers: w,
      payload: { contactId, date: TODAY },
    })
    const body = await expectRejected(t, req(staying.c.id), 409)
    expect(body.detail).toBe('The successor already holds this role there')
    const leaving = await post('Intl Leaving', TODAY)
    const res = await t.app.inject(req(leaving.c.id))
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().started).toMatchObject({
      contactId: leaving.c.id,
      stateCode: null,
      organizationId: intl.id,
    })
  })
})
