import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, roleId, snapshot } from '../helpers/build-test-app.js'
import {
  expectRejected,
  getJson,
  type Headers,
  type Json,
  maxSeq,
  send,
  type TestApp,
  write,
  writer,
} from './support.js'

/** POST /v1/assignments/{id}/handover: refusals that write nothing, and what a handover carries. */
let t: TestApp
let w: Headers
let mfa: Json
let kzOrg: Json
let holder: Json
let successor: Json

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('ho-writer')
  mfa = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Ministry of Foreign Affairs',
    kind: 'government',
    stateCode: 'KG',
  })
  kzOrg = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Ministry of Foreign Affairs of Kazakhstan',
    kind: 'government',
    stateCode: 'KZ',
  })
  holder = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Holder' })
  successor = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Successor' })
})
afterAll(() => t.close())

async function tenure(body: Json = {}) {
  return write(t, 'POST', '/v1/assignments', w, {
    contactId: holder.id,
    roleId: roleId(t.db, 'national-poc'),
    organizationId: mfa.id,
    startDate: '2020-06-01',
    ...body,
  })
}

const handover = (id: string, payload: Json, headers: Headers = w) => ({
  method: 'POST' as const,
  url: `/v1/assignments/${id}/handover`,
  headers,
  payload,
})

describe('handover refusals write nothing', () => {
  let a: Json
  beforeAll(async () => {
    a = await tenure({ roleId: roleId(t.db, 'alternate-poc'), isPrimary: true })
  })

  it('409 when the successor is the current holder', async () => {
    await expectRejected(t, handover(a.id, { contactId: holder.id, date: '2024-01-01' }), 409)
  })

  it('409 when the successor already holds the role there', async () => {
    const other = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Already There' })
    await write(t, 'POST', '/v1/assignments', w, {
      contactId: other.id,
      roleId: roleId(t.db, 'alternate-poc'),
      organizationId: mfa.id,
      startDate: '2021-01-01',
    })
    await expectRejected(t, handover(a.id, { contactId: other.id, date: '2024-01-01' }), 409)
  })

  it('400 when the date is before the tenure started', async () => {
    await expectRejected(t, handover(a.id, { contactId: successor.id, date: '2020-05-31' }), 400, 'date')
  })

  it('400 for an unknown successor contactId', async () => {
    await expectRejected(
      t,
      handover(a.id, { contactId: 'no-such-contact', date: '2024-01-01' }),
      400,
      'contactId',
    )
  })

  it('400 for a deleted successor', async () => {
    const gone = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Gone' })
    await write(t, 'DELETE', `/v1/contacts/${gone.id}`, w)
    await expectRejected(t, handover(a.id, { contactId: gone.id, date: '2024-01-01' }), 400, 'contactId')
  })

  it.each([
    [{ date: '2024-01-01' }, 'contactId'],
    [{ contactId: 'x' }, 'date'],
    [{ contactId: 'x', date: '2024-13-01' }, 'date'],
    [{ contactId: 'x', date: '2024-01-01', roleId: 'x' }, 'roleId'],
  ])('400 for a malformed body %j', async (payload, path) => {
    await expectRejected(t, handover(a.id, payload), 400, path)
  })

  it('404 for an unknown or deleted assignment', async () => {
    await expectRejected(
      t,
      handover('no-such-assignment', { contactId: successor.id, date: '2024-01-01' }),
      404,
    )
    const doomed = await tenure({ roleId: roleId(t.db, 'legal-poc') })
    await write(t, 'DELETE', `/v1/assignments/${doomed.id}`, w)
    await expectRejected(t, handover(doomed.id, { contactId: successor.id, date: '2024-01-01' }), 404)
  })

  it('403 for a token limited to another state; 401 without a token; 403 for a read token', async () => {
    const kz = await bearer('directory:write', { sub: 'kz-coordinator', states: ['KZ'] })
    await expectRejected(t, handover(a.id, { contactId: successor.id, date: '2024-01-01' }, kz), 403)
    await expectRejected(t, handover(a.id, { contactId: successor.id, date: '2024-01-01' }, {}), 401)
    const read = await bearer('directory:read')
    await expectRejected(t, handover(a.id, { contactId: successor.id, date: '2024-01-01' }, read), 403)
  })

  it('412 for a stale If-Match; the current tag is accepted', async () => {
    const stale = { ...w, 'if-match': `"${a.version + 1}"` }
    await expectRejected(t, handover(a.id, { contactId: successor.id, date: '2024-01-01' }, stale), 412)
    const before = snapshot(t.db)
    const fresh = { ...w, 'if-match': `"${a.version}"` }
    const res = await t.app.inject(handover(a.id, { contactId: successor.id, date: '2024-01-01' }, fresh))
    expect(res.statusCode, res.body).toBe(201)
    expect(snapshot(t.db)).not.toBe(before)
  })

  it('409 for an assignment that already ended', async () => {
    await expectRejected(t, handover(a.id, { contactId: holder.id, date: '2024-06-01' }), 409)
  })

  it('409 for a second handover of a tenure handed over on a future date (still current until then)', async () => {
    const post = await tenure({ roleId: roleId(t.db, 'technical-poc') })
    const future = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Future Successor' })
    const first = await t.app.inject(handover(post.id, { contactId: future.id, date: '2099-01-01' }))
    expect(first.statusCode, first.body).toBe(201)
    const startedId = first.json().started.id
    const third = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Third' })
    const body = await expectRejected(t, handover(post.id, { contactId: third.id, date: '2098-01-01' }), 409)
    expect(body.detail).toBe(`The assignment is already handed over to assignment ${startedId}`)
    expect((await getJson(t, `/v1/assignments/${post.id}`)).succeededBy).toBe(startedId)
  })
})

describe('a successful handover', () => {
  it('writes exactly two revisions in one request and answers both tenures', async () => {
    const a = await tenure({ isPrimary: true, designationRef: 'NV 1/2020' })
    const seqBefore = maxSeq(t)
    const res = await t.app.inject(
      handover(a.id, {
        contactId: successor.id,
        date: '2023-09-01',
        endReason: 'Rotated',
        designationRef: 'NV 9/2023',
        designationDate: '2023-08-20',
      }),
    )
    expect(res.statusCode, res.body).toBe(201)
    const { ended, started } = res.json()
    expect(Object.keys(res.json()).sort()).toEqual(['ended', 'started'])
    expect(ended).toMatchObject({
      id: a.id,
      contactId: holder.id,
      endDate: '2023-09-01',
      endReason: 'Rotated',
      succeededBy: started.id,
      isPrimary: true,
      version: a.version + 1,
      designationRef: 'NV 1/2020',
    })
    expect(started).toMatchObject({
      contactId: successor.id,
      roleId: a.roleId,
      organizationId: a.organizationId,
      stateCode: 'KG',
      startDate: '2023-09-01',
      endDate: null,
      endReason: null,
      isPrimary: true,
      succeededBy: null,
      designationRef: 'NV 9/2023',
      designationDate: '2023-08-20',
      version: 1,
    })
    expect(res.headers.location).toBe(`/v1/assignments/${started.id}`)
    const feed = await getJson(t, `/v1/changes?after=${seqBefore}`)
    expect(feed.items.map((r: Json) => [r.action, r.entityId])).toEqual([
      ['create', started.id],
      ['update', a.id],
    ])
    expect(new Set(feed.items.map((r: Json) => r.requestId)).size).toBe(1)
    expect(feed.items[0].requestId).toBe(res.headers['x-request-id'])
    expect(feed.items[1].changes).toEqual({
      endDate: { before: null, after: '2023-09-01' },
      endReason: { before: null, after: 'Rotated' },
      succeededBy: { before: null, after: started.id },
    })
    // The answers are what a read gives.
    expect(await getJson(t, `/v1/assignments/${a.id}`)).toEqual(ended)
    expect(await getJson(t, `/v1/assignments/${started.id}`)).toEqual(started)
  })

  it('hands a non-primary assignment over as non-primary', async () => {
    const a = await tenure({ roleId: roleId(t.db, 'technical-poc'), isPrimary: false })
    const res = await t.app.inject(handover(a.id, { contactId: successor.id, date: '2024-02-01' }))
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().started.isPrimary).toBe(false)
    expect(res.json().ended.isPrimary).toBe(false)
  })

  it('a states-limited token of the assignment’s state may hand over', async () => {
    const kg = await bearer('directory:write', { sub: 'kg-coordinator', states: ['KG'] })
    const a = await tenure({ roleId: roleId(t.db, 'nuclear-poc') })
    const res = await t.app.inject(handover(a.id, { contactId: successor.id, date: '2024-02-01' }, kg))
    expect(res.statusCode, res.body).toBe(201)
    const history = await getJson(t, `/v1/assignments/${a.id}/history`)
    expect(history.items[0]).toMatchObject({ action: 'update', actor: 'kg-coordinator' })
  })

  it('on the handover date the directory shows only the successor; the day before only the holder', async () => {
    const role = 'export-control-poc'
    const a = await tenure({ roleId: roleId(t.db, role), isPrimary: true, organizationId: kzOrg.id })
    await write(t, 'POST', `/v1/assignments/${a.id}/handover`, w, {
      contactId: successor.id,
      date: '2024-04-15',
    })
    const on = async (day: string) =>
      (await getJson(t, `/v1/directory?state=KZ&role=${role}&asOf=${day}`)).items.map(
        (i: Json) => i.contact.familyName,
      )
    expect(await on('2024-04-14')).toEqual(['Holder'])
    expect(await on('2024-04-15')).toEqual(['Successor'])
    expect(await on('2099-01-01')).toEqual(['Successor'])
    expect(await on('2020-05-31')).toEqual([])
  })

  it('hands over a current tenure that has a planned end date later on', async () => {
    // Current means not ended by today (src/lib/tenure.ts); a planned end does not make it ended.
    const a = await tenure({ roleId: roleId(t.db, 'biological-poc'), endDate: '2999-06-30' })
    const res = await t.app.inject(handover(a.id, { contactId: successor.id, date: '2024-07-01' }))
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().ended).toMatchObject({ id: a.id, endDate: '2024-07-01' })
    expect(res.json().started).toMatchObject({ startDate: '2024-07-01', endDate: null })
  })

  it('a handover on the start date itself is allowed (an empty tenure)', async () => {
    const a = await tenure({ roleId: roleId(t.db, 'finance-poc'), startDate: '2024-05-05' })
    const res = await t.app.inject(handover(a.id, { contactId: successor.id, date: '2024-05-05' }))
    expect(res.statusCode, res.body).toBe(201)
    const directory = await getJson(t, '/v1/directory?state=KG&role=finance-poc&asOf=2024-05-05')
    expect(directory.items.map((i: Json) => i.contact.familyName)).toEqual(['Successor'])
  })

  it('keeps the successor of an international body without a state', async () => {
    const intl = await write(t, 'POST', '/v1/organizations', w, { name: 'UNODA', kind: 'international' })
    const a = await tenure({ roleId: roleId(t.db, 'mission-poc'), organizationId: intl.id, isPrimary: true })
    expect(a.stateCode).toBeNull()
    const kg = await bearer('directory:write', { sub: 'kg-coordinator', states: ['KG'] })
    await expectRejected(t, handover(a.id, { contactId: successor.id, date: '2024-01-01' }, kg), 403)
    const res = await send(t, 'POST', `/v1/assignments/${a.id}/handover`, w, {
      contactId: successor.id,
      date: '2024-01-01',
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().started).toMatchObject({ stateCode: null, organizationId: intl.id, isPrimary: true })
  })
})
