import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import { getJson, type Headers, type Json, type TestApp } from '../helpers/http.js'
import { expectProblem, write, writer } from '../memory/support.js'
import { event, holder, ministry, participate } from './support.js'

/**
 * The trained-coverage report against a hand count, on a fixed clock. Today is 2026-06-01, so
 * P3Y reaches back to 2023-06-01: a completion of an event ending that day counts, one ending
 * the day before does not.
 */
const TODAY = '2026-06-01'

let t: TestApp
let w: Headers
const people: Record<string, { contact: Json; assignment: Json }> = {}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(`${TODAY}T23:59:00.000Z`))
  t = await buildTestApp()
  w = await writer('planner-pia')
  const kz = await ministry(t, w, 'KZ')
  const tj = await ministry(t, w, 'TJ')
  const on = async (endDate: string) =>
    event(t, w, { title: `Course ending ${endDate}`, startDate: '2020-01-01', endDate })
  const atStart = await on('2023-06-01')
  const dayBefore = await on('2023-05-31')
  const recent = await on('2025-02-01')
  const older = await on('2024-03-03')

  people.alpha = await holder(t, w, kz, 'Alpha', '2019-01-01')
  people.bravo = await holder(t, w, kz, 'Bravo', '2019-01-01')
  people.charlie = await holder(t, w, kz, 'Charlie', '2019-01-01')
  people.delta = await holder(t, w, kz, 'Delta', '2019-01-01')
  // Trained, but no longer a holder: the tenure ends today.
  people.echo = await holder(t, w, kz, 'Echo', '2019-01-01', 'national-poc', TODAY)
  people.foxtrot = await holder(t, w, kz, 'Foxtrot', '2019-01-01', 'alternate-poc')
  // Trained in an earlier post, holding another now: the person is trained.
  const golfEarlier = await holder(t, w, kz, 'Golf', '2018-01-01', 'technical-poc', '2025-01-01')
  people.golf = {
    contact: golfEarlier.contact,
    assignment: await write(t, 'POST', '/v1/assignments', w, {
      contactId: golfEarlier.contact.id,
      roleId: (await getJson(t, '/v1/roles?limit=500')).items.find((r: Json) => r.key === 'alternate-poc').id,
      organizationId: kz.id,
      startDate: '2025-01-01',
    }),
  }
  people.tango = await holder(t, w, tj, 'Tango', '2019-01-01')

  const done = (p: string, ev: Json, status = 'completed') =>
    participate(t, w, { eventId: ev.id, contactId: people[p]?.contact.id, status })
  await done('alpha', atStart)
  await done('alpha', dayBefore, 'no-show')
  await done('bravo', dayBefore)
  await done('charlie', recent, 'attended') // attended, never completed
  await done('delta', recent, 'no-show')
  await done('delta', older, 'invited')
  await done('echo', recent)
  await done('foxtrot', dayBefore)
  await done('foxtrot', recent)
  await done('golf', older)
  await done('tango', recent)
  // A completion recorded and then deleted no longer counts.
  const removed = await done('delta', atStart)
  await write(t, 'DELETE', `/v1/participations/${removed.id}`, w)
})
afterAll(async () => {
  await t.close()
  vi.useRealTimers()
})

const untrained = (name: string, lastCompleted: string | null) => ({
  contactId: people[name]?.contact.id,
  displayName: `Test ${name[0]?.toUpperCase()}${name.slice(1)}`,
  assignmentId: people[name]?.assignment.id,
  lastCompleted,
})

describe('trained coverage', () => {
  it('matches the hand count for P3Y (the default): the period’s first day counts, the day before does not', async () => {
    const report = await getJson(t, '/v1/reports/trained-coverage?state=KZ')
    expect(report).toEqual({
      period: 'P3Y',
      since: '2023-06-01',
      items: [
        {
          stateCode: 'KZ',
          name: 'Kazakhstan',
          roles: [
            { role: 'alternate-poc', holders: 2, trained: 2, untrained: [] },
            {
              role: 'national-poc',
              holders: 4,
              trained: 1,
              untrained: [
                untrained('bravo', '2023-05-31'),
                untrained('charlie', null),
                untrained('delta', null),
              ],
            },
          ],
        },
      ],
      nextCursor: null,
    })
  })

  it('a shorter period moves older completions out', async () => {
    const report = await getJson(t, '/v1/reports/trained-coverage?state=KZ&role=alternate-poc&period=P1Y')
    expect(report).toEqual({
      period: 'P1Y',
      since: '2025-06-01',
      items: [
        {
          stateCode: 'KZ',
          name: 'Kazakhstan',
          roles: [
            {
              role: 'alternate-poc',
              holders: 2,
              trained: 0,
              untrained: [untrained('foxtrot', '2025-02-01'), untrained('golf', '2024-03-03')],
            },
          ],
        },
      ],
      nextCursor: null,
    })
  })

  it('without a state, every state with holders, a page at a time', async () => {
    const first = await getJson(t, '/v1/reports/trained-coverage?role=national-poc&limit=1')
    expect(first.items.map((i: Json) => i.stateCode)).toEqual(['KZ'])
    const second = await getJson(
      t,
      `/v1/reports/trained-coverage?role=national-poc&limit=1&cursor=${encodeURIComponent(first.nextCursor)}`,
    )
    expect(second).toEqual({
      period: 'P3Y',
      since: '2023-06-01',
      items: [
        {
          stateCode: 'TJ',
          name: 'Tajikistan',
          roles: [{ role: 'national-poc', holders: 1, trained: 1, untrained: [] }],
        },
      ],
      nextCursor: null,
    })
  })

  it('a state without holders has no items; bad filters are 400', async () => {
    expect((await getJson(t, '/v1/reports/trained-coverage?state=FR')).items).toEqual([])
    for (const [query, path] of [
      ['period=3Y', 'query.period'],
      ['role=no-such-role', 'query.role'],
      ['state=XX', 'query.state'],
      ['limit=0', 'query.limit'],
    ]) {
      expectProblem(
        await t.app.inject({ method: 'GET', url: `/v1/reports/trained-coverage?${query}` }),
        400,
        path,
      )
    }
  })
})
