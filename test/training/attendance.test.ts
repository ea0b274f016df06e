import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, snapshot } from '../helpers/build-test-app.js'
import { getJson, type Headers, type Json, type TestApp } from '../helpers/http.js'
import { expectProblem, expectRejected, reader, write, writer } from '../memory/support.js'
import { event, ministry } from './support.js'

/**
 * An event's attendance list, by the directory import's identity rules: externalId (or the
 * contact id), else e-mail. Dry run, real run, re-run, and files that write nothing.
 */
let t: TestApp
let w: Headers
let ev: Json
let asan: Json
let aigul: Json
let bolot: Json
let dana: Json
let posts: Record<string, string>

const csv = (...lines: string[]) => `${lines.join('\r\n')}\r\n`
const HEADER = 'externalId,email,familyName,status,certificateRef,notes'
const post = (headers: Headers, body: string, query = '', id = ev.id) => ({
  method: 'POST' as const,
  url: `/v1/training-events/${id}/attendance${query}`,
  headers: { ...headers, 'content-type': 'text/csv' },
  payload: body,
})

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('registrar-rosa')
  const kg = await ministry(t, w, 'KG')
  const kz = await ministry(t, w, 'KZ')
  const person = async (org: Json, fields: Json) => {
    const c = await write(t, 'POST', '/v1/contacts', w, fields)
    const a = await write(t, 'POST', '/v1/assignments', w, {
      contactId: c.id,
      roleId: (await getJson(t, '/v1/roles?limit=500')).items.find((r: Json) => r.key === 'alternate-poc').id,
      organizationId: org.id,
      startDate: '2024-01-01',
    })
    return { c, a }
  }
  const a1 = await person(kg, { givenName: 'Asan', familyName: 'Zhumabekov', externalId: 'kg-001' })
  const a2 = await person(kg, {
    givenName: 'Aigul',
    familyName: 'Sadykova',
    contactDetails: [{ type: 'email', value: 'a.sadykova@mfa.gov.kg' }],
  })
  const a3 = await person(kg, { givenName: 'Bolot', familyName: 'Osmonov' })
  const a4 = await person(kz, {
    givenName: 'Dana',
    familyName: 'Nurpeisova',
    contactDetails: [{ type: 'email', value: 'd.nurpeisova@mfa.gov.kz' }],
  })
  ;[asan, aigul, bolot, dana] = [a1.c, a2.c, a3.c, a4.c]
  posts = { asan: a1.a.id, aigul: a2.a.id, bolot: a3.a.id, dana: a4.a.id }
  ev = await event(t, w, {
    title: 'Regional course for Central Asia',
    kind: 'regional-course',
    hostStateCode: 'KG',
    startDate: '2025-04-07',
    endDate: '2025-04-11',
  })
})
afterAll(() => t.close())

const LIST = () =>
  csv(
    HEADER,
    'kg-001,,Zhumabekov,completed,RC-2025-01,',
    ',A.Sadykova@mfa.gov.kg,,,,"Arrived on day two, ""late"""',
    `${bolot.id},,,invited,,`,
  )

describe('an attendance list', () => {
  it('dry run reports what it would record and writes nothing', async () => {
    const before = snapshot(t.db)
    const res = await t.app.inject(post(w, LIST(), '?dryRun=true'))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ dryRun: true, created: 3, updated: 0, unchanged: 0 })
    expect(snapshot(t.db)).toBe(before)
  })

  it('records each person once, with the post held at the event; a second run changes nothing', async () => {
    const res = await t.app.inject(post(w, LIST()))
    expect(res.json()).toEqual({ dryRun: false, created: 3, updated: 0, unchanged: 0 })
    const list = await getJson(t, `/v1/participations?event=${ev.id}`, w)
    const byContact = Object.fromEntries(list.items.map((p: Json) => [p.contactId, p]))
    const record = (contactId: string, assignmentId: string | undefined, fields: Json) => ({
      id: expect.any(String),
      eventId: ev.id,
      contactId,
      assignmentId,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      ...fields,
    })
    expect(byContact).toEqual({
      [asan.id]: record(asan.id, posts.asan, {
        status: 'completed',
        certificateRef: 'RC-2025-01',
        notes: null,
      }),
      [aigul.id]: record(aigul.id, posts.aigul, {
        status: 'attended',
        certificateRef: null,
        notes: 'Arrived on day two, "late"',
      }),
      [bolot.id]: record(bolot.id, posts.bolot, { status: 'invited', certificateRef: null, notes: null }),
    })
    const feed = await getJson(t, '/v1/changes?after=0&limit=1000')
    const revisions = feed.items.filter((r: Json) => r.entity === 'participation')
    expect(revisions.map((r: Json) => [r.action, r.actor])).toEqual([
      ['create', 'registrar-rosa'],
      ['create', 'registrar-rosa'],
      ['create', 'registrar-rosa'],
    ])
    const again = await t.app.inject(post(w, LIST()))
    expect(again.json()).toEqual({ dryRun: false, created: 0, updated: 0, unchanged: 3 })
  })

  it('updates only the cells given: an empty cell changes nothing', async () => {
    const res = await t.app.inject(post(w, csv(HEADER, `${bolot.id},,,completed,RC-2025-02,`, 'kg-001,,,,,')))
    expect(res.json()).toEqual({ dryRun: false, created: 0, updated: 1, unchanged: 1 })
    const bolots = await getJson(t, `/v1/participations?contact=${bolot.id}`)
    expect(bolots.items[0]).toMatchObject({ status: 'completed', certificateRef: 'RC-2025-02', version: 2 })
  })

  it('a file with malformed rows is 422 naming each, and writes nothing', async () => {
    const body = await expectRejected(
      t,
      post(w, csv(HEADER, 'kg-001,,,passed,,', ',,Sadykova,attended,,', ',not-an-email,,,,')),
      422,
    )
    expect(body).toMatchObject({
      type: 'urn:pocdir:problem:import-rows-rejected',
      detail: '3 row(s) rejected; nothing was imported',
      errors: [
        {
          row: 1,
          field: 'status',
          message: 'Invalid option: expected one of "invited"|"attended"|"completed"|"no-show"',
        },
        {
          row: 2,
          field: 'externalId',
          message: 'give externalId (or the contact id) or email to identify the person',
        },
        { row: 3, field: 'email', message: 'is not a valid email address' },
      ],
    })
  })

  it('rows naming nobody, the wrong person or one person twice differently are 422, and write nothing', async () => {
    const body = await expectRejected(
      t,
      post(
        w,
        csv(
          HEADER,
          ',nobody@mfa.gov.kg,,attended,,',
          'kg-001,,Sadykova,attended,,',
          `${aigul.id},,,attended,,`,
          ',a.sadykova@mfa.gov.kg,,no-show,,',
          'kg-404,,,attended,,',
        ),
      ),
      422,
    )
    expect(body.errors).toEqual([
      { row: 1, field: 'email', message: 'matches no person in the directory' },
      { row: 2, field: 'familyName', message: 'the matched person\'s family name is "Zhumabekov"' },
      { row: 3, field: 'status', message: 'row 4 gives the same person another status ("no-show")' },
      { row: 4, field: 'status', message: 'row 3 gives the same person another status ("attended")' },
      { row: 5, field: 'externalId', message: 'matches no person in the directory' },
    ])
  })

  it('unknown columns are 400 naming them; an empty file is 400', async () => {
    const body = await expectRejected(t, post(w, csv('email,grade', 'a.sadykova@mfa.gov.kg,A')), 400)
    expect(body.errors).toEqual([{ path: 'grade', message: 'is not a known column' }])
    await expectRejected(t, post(w, csv(HEADER)), 400)
  })

  it('takes a JSON array of rows too', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/training-events/${ev.id}/attendance`,
      headers: w,
      payload: [{ email: 'd.nurpeisova@mfa.gov.kz', status: 'attended' }],
    })
    expect(res.json()).toEqual({ dryRun: false, created: 1, updated: 0, unchanged: 0 })
    const danas = await getJson(t, `/v1/participations?contact=${dana.id}`)
    expect(danas.items.map((p: Json) => [p.eventId, p.assignmentId, p.status])).toEqual([
      [ev.id, posts.dana, 'attended'],
    ])
  })
})

describe('who may send an attendance list', () => {
  it('anonymous: 401; a read-only token: 403; an unknown event: 404; nothing written', async () => {
    expectProblem(await t.app.inject(post({}, LIST())), 401)
    await expectRejected(t, post({}, LIST()), 401)
    await expectRejected(t, post(await reader(), LIST()), 403)
    await expectRejected(t, post(w, LIST(), '', '0192f7a0-0000-7000-8000-000000000000'), 404)
  })

  it('a KG-limited token: KG people yes; a row naming a KZ person refuses the whole list (403, rows named)', async () => {
    const kgOnly = await writer('kg-registrar', { states: ['KG'] })
    const body = await expectRejected(
      t,
      post(kgOnly, csv(HEADER, 'kg-001,,,completed,,', ',d.nurpeisova@mfa.gov.kz,,completed,,')),
      403,
    )
    expect(body.errors).toEqual([
      {
        row: 2,
        field: 'email',
        message: 'matches a person assigned only in states this token may not change',
      },
    ])
    const ok = await t.app.inject(post(kgOnly, csv(HEADER, 'kg-001,,,completed,,')))
    expect(ok.json()).toEqual({ dryRun: false, created: 0, updated: 0, unchanged: 1 })
  })
})
