import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, buildTestApp, signToken, snapshot } from '../helpers/build-test-app.js'
import { getJson, type Headers, type Json, type TestApp } from '../helpers/http.js'
import { expectProblem, expectRejected, reader, send, write, writer } from '../memory/support.js'
import { created, event, holder, ministry, participate } from './support.js'

/**
 * Training records through the versioned write path (issue #16): events and participations,
 * the post held at the time surviving a handover, the states claim through the host state and
 * the person, and notes restricted like a contact's. The clock is fixed (only Date is faked).
 */
const TODAY = '2026-06-01'

let t: TestApp
let w: Headers
let kgOnly: Headers
let kgOrg: Json
let kzOrg: Json
let asan: { contact: Json; assignment: Json }
let dana: { contact: Json; assignment: Json }
let roundTable: Json
let kzCourse: Json

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(`${TODAY}T09:00:00.000Z`))
  t = await buildTestApp()
  w = await writer('trainer-tom')
  kgOnly = await writer('kg-coordinator', { states: ['KG'] })
  kgOrg = await ministry(t, w, 'KG')
  kzOrg = await ministry(t, w, 'KZ')
  asan = await holder(t, w, kgOrg, 'Zhumabekov', '2024-01-01')
  dana = await holder(t, w, kzOrg, 'Sadykova', '2023-05-01')
  roundTable = await event(t, w, {
    title: 'National round table on UNSCR 1540',
    kind: 'national-roundtable',
    organisers: ['OSCE CPC', 'UNODA'],
    hostStateCode: 'KG',
    location: 'Bishkek',
    startDate: '2025-09-16',
    endDate: '2025-09-17',
    languages: ['ru', 'en'],
  })
  kzCourse = await event(t, w, {
    title: 'Export control workshop',
    hostStateCode: 'KZ',
    startDate: '2025-10-01',
    endDate: '2025-10-01',
  })
})
afterAll(async () => {
  await t.close()
  vi.useRealTimers()
})

describe('training events', () => {
  it('are created with every field and read back', async () => {
    expect(roundTable).toEqual({
      id: expect.any(String),
      title: 'National round table on UNSCR 1540',
      kind: 'national-roundtable',
      organisers: ['OSCE CPC', 'UNODA'],
      hostStateCode: 'KG',
      location: 'Bishkek',
      startDate: '2025-09-16',
      endDate: '2025-09-17',
      languages: ['ru', 'en'],
      description: null,
      externalRef: null,
      ...created,
    })
    expect(await getJson(t, `/v1/training-events/${roundTable.id}`)).toEqual(roundTable)
  })

  it('end on or after their start: the same day is fine, the day before is 400', async () => {
    const oneDay = await event(t, w, { title: 'One day', startDate: '2025-01-10', endDate: '2025-01-10' })
    expect(oneDay.endDate).toBe('2025-01-10')
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/training-events',
        headers: w,
        payload: { title: 'Backwards', kind: 'other', startDate: '2025-01-10', endDate: '2025-01-09' },
      },
      400,
      'endDate',
    )
  })

  it('refuses an unknown kind or host state (400, nothing written)', async () => {
    const base = { title: 'X', startDate: '2025-01-10', endDate: '2025-01-10' }
    await expectRejected(
      t,
      { method: 'POST', url: '/v1/training-events', headers: w, payload: { ...base, kind: 'lecture' } },
      400,
      'kind',
    )
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/training-events',
        headers: w,
        payload: { ...base, kind: 'other', hostStateCode: 'XX' },
      },
      400,
      'hostStateCode',
    )
  })

  it('keep a history like every record', async () => {
    const ev = await event(t, w, { title: 'Draft', startDate: '2025-02-01', endDate: '2025-02-02' })
    await write(t, 'PATCH', `/v1/training-events/${ev.id}`, w, { title: 'Final', location: 'Vienna' })
    const history = await getJson(t, `/v1/training-events/${ev.id}/history`)
    expect(history.items.map((r: Json) => [r.action, r.entity, r.version, r.actor])).toEqual([
      ['update', 'training-event', 2, 'trainer-tom'],
      ['create', 'training-event', 1, 'trainer-tom'],
    ])
    expect(history.items[0].changes).toEqual({
      title: { before: 'Draft', after: 'Final' },
      location: { before: null, after: 'Vienna' },
    })
  })

  it('with participations are not deleted (409); without, they are (204, then 404)', async () => {
    const ev = await event(t, w, { title: 'Busy', startDate: '2025-03-01', endDate: '2025-03-01' })
    const p = await participate(t, w, { eventId: ev.id, contactId: asan.contact.id, status: 'invited' })
    await expectRejected(t, { method: 'DELETE', url: `/v1/training-events/${ev.id}`, headers: w }, 409)
    await write(t, 'DELETE', `/v1/participations/${p.id}`, w)
    await write(t, 'DELETE', `/v1/training-events/${ev.id}`, w)
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/training-events/${ev.id}` }), 404)
  })
})

describe('a participation names the post held at the time', () => {
  let p: Json

  beforeAll(async () => {
    p = await participate(t, w, {
      eventId: roundTable.id,
      contactId: asan.contact.id,
      status: 'completed',
      certificateRef: 'RT-2025-001',
      notes: 'Asked for the Russian materials',
    })
  })

  it('inferred: the assignment the contact held on the event’s start date', () => {
    expect(p).toEqual({
      id: expect.any(String),
      eventId: roundTable.id,
      contactId: asan.contact.id,
      assignmentId: asan.assignment.id,
      status: 'completed',
      certificateRef: 'RT-2025-001',
      notes: 'Asked for the Russian materials',
      ...created,
    })
  })

  it('survives a handover: still the old post, which the handover ended; the successor has no record', async () => {
    const bolot = await write(t, 'POST', '/v1/contacts', w, { givenName: 'Bolot', familyName: 'Osmonov' })
    const handover = await write(t, 'POST', `/v1/assignments/${asan.assignment.id}/handover`, w, {
      contactId: bolot.id,
      date: '2026-01-15',
    })
    expect(handover.ended).toMatchObject({ id: asan.assignment.id, endDate: '2026-01-15' })
    const after = await getJson(t, `/v1/participations/${p.id}`, w)
    expect(after).toEqual(p)
    const post = await getJson(t, `/v1/assignments/${after.assignmentId}`)
    expect(post).toMatchObject({
      contactId: asan.contact.id,
      startDate: '2024-01-01',
      endDate: '2026-01-15',
      succeededBy: handover.started.id,
    })
    expect(await getJson(t, `/v1/contacts/${asan.contact.id}/training`, w)).toEqual({
      items: [{ event: roundTable, participation: p }],
      nextCursor: null,
    })
    expect(await getJson(t, `/v1/contacts/${bolot.id}/training`)).toEqual({ items: [], nextCursor: null })
    const report = await getJson(t, '/v1/reports/trained-coverage?state=KG&role=national-poc')
    expect(report.items).toEqual([
      {
        stateCode: 'KG',
        name: 'Kyrgyzstan',
        roles: [
          {
            role: 'national-poc',
            holders: 1,
            trained: 0,
            untrained: [
              {
                contactId: bolot.id,
                displayName: 'Bolot Osmonov',
                assignmentId: handover.started.id,
                lastCompleted: null,
              },
            ],
          },
        ],
      },
    ])
  })

  it("an event's participants are the list filtered by event", async () => {
    const list = await getJson(t, `/v1/participations?event=${roundTable.id}`, w)
    expect(list).toEqual({ items: [p], nextCursor: null })
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: '/v1/participations?event=0192f7a0-0000-7000-8000-000000000000',
      }),
      400,
      'query.event',
    )
  })

  it('one per person and event (409); a given post must be the person’s and held during the event (400)', async () => {
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/participations',
        headers: w,
        payload: { eventId: roundTable.id, contactId: asan.contact.id, status: 'attended' },
      },
      409,
    )
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/participations',
        headers: w,
        payload: {
          eventId: roundTable.id,
          contactId: dana.contact.id,
          assignmentId: asan.assignment.id,
          status: 'attended',
        },
      },
      400,
      'assignmentId',
    )
    const late = await holder(t, w, kgOrg, 'Latecomer', '2025-09-18', 'alternate-poc')
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/participations',
        headers: w,
        payload: {
          eventId: roundTable.id,
          contactId: late.contact.id,
          assignmentId: late.assignment.id,
          status: 'attended',
        },
      },
      400,
      'assignmentId',
    )
    // Without a post given, a person who held none then is recorded without one.
    const none = await participate(t, w, {
      eventId: roundTable.id,
      contactId: late.contact.id,
      status: 'no-show',
    })
    expect(none.assignmentId).toBeNull()
  })
})

describe('notes are restricted like a contact’s', () => {
  let p: Json

  beforeAll(async () => {
    p = await participate(t, w, {
      eventId: kzCourse.id,
      contactId: dana.contact.id,
      status: 'attended',
      notes: 'Left early: family matter',
    })
    await write(t, 'PATCH', `/v1/participations/${p.id}`, w, {
      notes: 'Left on day two',
      status: 'completed',
    })
  })

  it('absent for public readers in the record, the list, the training record, history and the feed', async () => {
    const { notes: _n, ...publicView } = { ...p, notes: null, status: 'completed', version: 2 }
    const record = await getJson(t, `/v1/participations/${p.id}`)
    expect(record).toEqual({ ...publicView, updatedAt: expect.any(String) })
    expect(record).not.toHaveProperty('notes')
    const list = await getJson(t, `/v1/participations?contact=${dana.contact.id}`)
    expect(list.items).toEqual([record])
    const training = await getJson(t, `/v1/contacts/${dana.contact.id}/training`)
    expect(training.items[0].participation).toEqual(record)
    const history = await getJson(t, `/v1/participations/${p.id}/history`)
    expect(history.items.map((r: Json) => r.changes)).toEqual([
      { status: { before: 'attended', after: 'completed' } },
      {
        id: { before: null, after: p.id },
        eventId: { before: null, after: kzCourse.id },
        contactId: { before: null, after: dana.contact.id },
        assignmentId: { before: null, after: dana.assignment.id },
        status: { before: null, after: 'attended' },
        certificateRef: { before: null, after: null },
      },
    ])
    const feed = await getJson(t, '/v1/changes?after=0&limit=1000')
    const mine = feed.items.filter((r: Json) => r.entity === 'participation' && r.entityId === p.id)
    expect(mine.map((r: Json) => r.changes)).toEqual([...history.items.map((r: Json) => r.changes)].reverse())
    expect(JSON.stringify(feed)).not.toContain('Left')
  })

  it('present for readers with directory:read, in history and the feed too', async () => {
    const r = await reader()
    expect((await getJson(t, `/v1/participations/${p.id}`, r)).notes).toBe('Left on day two')
    const history = await getJson(t, `/v1/participations/${p.id}/history`, r)
    expect(history.items[0].changes.notes).toEqual({
      before: 'Left early: family matter',
      after: 'Left on day two',
    })
    const feed = await getJson(t, '/v1/changes?after=0&limit=1000', r)
    expect(JSON.stringify(feed)).toContain('Left early: family matter')
  })
})

describe('who may write', () => {
  const newEvent = { title: 'Denied', kind: 'workshop', startDate: '2025-05-05', endDate: '2025-05-05' }

  it('anonymous and expired tokens: 401; a read-only token: 403; nothing written', async () => {
    const expired = {
      authorization: `Bearer ${await signToken({ scope: 'directory:write', expiresIn: -60 })}`,
    }
    const readOnly = await reader()
    for (const [headers, status] of [
      [{}, 401],
      [expired, 401],
      [readOnly, 403],
    ] as const) {
      await expectRejected(
        t,
        { method: 'POST', url: '/v1/training-events', headers, payload: newEvent },
        status,
      )
      await expectRejected(
        t,
        {
          method: 'POST',
          url: '/v1/participations',
          headers,
          payload: { eventId: roundTable.id, contactId: dana.contact.id, status: 'attended' },
        },
        status,
      )
      await expectRejected(
        t,
        {
          method: 'PATCH',
          url: `/v1/training-events/${roundTable.id}`,
          headers,
          payload: { title: 'Renamed' },
        },
        status,
      )
    }
  })

  it('a KG-limited token writes KG-hosted events, not KZ-hosted or unhosted ones', async () => {
    const kg = await write(t, 'POST', '/v1/training-events', kgOnly, { ...newEvent, hostStateCode: 'KG' })
    expect(kg.hostStateCode).toBe('KG')
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/training-events',
        headers: kgOnly,
        payload: { ...newEvent, hostStateCode: 'KZ' },
      },
      403,
    )
    await expectRejected(
      t,
      { method: 'POST', url: '/v1/training-events', headers: kgOnly, payload: newEvent },
      403,
    )
    await expectRejected(
      t,
      {
        method: 'PATCH',
        url: `/v1/training-events/${kzCourse.id}`,
        headers: { ...kgOnly, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ title: 'Hijacked' }),
      },
      403,
    )
    // Moving its own event to KZ is moving it out of its states: 403, never 400.
    await expectRejected(
      t,
      {
        method: 'PATCH',
        url: `/v1/training-events/${kg.id}`,
        headers: { ...kgOnly, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ hostStateCode: 'KZ' }),
      },
      403,
    )
    await expectRejected(
      t,
      { method: 'DELETE', url: `/v1/training-events/${kzCourse.id}`, headers: kgOnly },
      403,
    )
  })

  it('a KG-limited token records KG people’s participation, even at a KZ event, never a KZ person’s', async () => {
    const kgPerson = await holder(t, w, kgOrg, 'Kadyrov', '2020-01-01', 'technical-poc')
    const atKz = await write(t, 'POST', '/v1/participations', kgOnly, {
      eventId: kzCourse.id,
      contactId: kgPerson.contact.id,
      status: 'attended',
    })
    expect(atKz.assignmentId).toBe(kgPerson.assignment.id)
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/participations',
        headers: kgOnly,
        payload: { eventId: roundTable.id, contactId: dana.contact.id, status: 'completed' },
      },
      403,
    )
    const danas = await getJson(t, `/v1/participations?contact=${dana.contact.id}`)
    const id = danas.items[0].id
    await expectRejected(
      t,
      {
        method: 'PATCH',
        url: `/v1/participations/${id}`,
        headers: { ...kgOnly, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ status: 'no-show' }),
      },
      403,
    )
    // Pointing its own record at a KZ person is attaching: refused too.
    await expectRejected(
      t,
      {
        method: 'PATCH',
        url: `/v1/participations/${atKz.id}`,
        headers: { ...kgOnly, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ contactId: dana.contact.id, assignmentId: null }),
      },
      403,
    )
    await expectRejected(t, { method: 'DELETE', url: `/v1/participations/${id}`, headers: kgOnly }, 403)
  })

  it('a limited admin token is bound by the states claim too', async () => {
    const kgAdmin = await bearer('directory:admin', { sub: 'kg-admin', states: ['KG'] })
    const before = snapshot(t.db)
    const res = await send(t, 'POST', '/v1/training-events', kgAdmin, { ...newEvent, hostStateCode: 'KZ' })
    expectProblem(res, 403)
    expect(snapshot(t.db)).toBe(before)
  })
})

describe("a person's training record", () => {
  it('pages newest event first; a cursor not issued here is 400; an unknown person 404', async () => {
    const p = await holder(t, w, kgOrg, 'Pager', '2015-01-01', 'legal-poc')
    const starts = ['2021-05-01', '2023-05-01', '2022-05-01']
    for (const startDate of starts) {
      const ev = await event(t, w, { title: `Course ${startDate}`, startDate, endDate: startDate })
      await participate(t, w, { eventId: ev.id, contactId: p.contact.id, status: 'completed' })
    }
    const url = `/v1/contacts/${p.contact.id}/training`
    const first = await getJson(t, `${url}?limit=2`)
    expect(first.items.map((i: Json) => i.event.startDate)).toEqual(['2023-05-01', '2022-05-01'])
    const second = await getJson(t, `${url}?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)
    expect(second.items.map((i: Json) => i.event.startDate)).toEqual(['2021-05-01'])
    expect(second.nextCursor).toBeNull()
    expectProblem(
      await t.app.inject({ method: 'GET', url: `${url}?cursor=${first.nextCursor}x` }),
      400,
      'cursor',
    )
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: '/v1/contacts/0192f7a0-0000-7000-8000-000000000000/training',
      }),
      404,
    )
  })
})
