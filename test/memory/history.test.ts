import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  expectProblem,
  getJson,
  type Headers,
  type Json,
  type Revision,
  reader,
  readFeed,
  type TestApp,
  write,
  writer,
} from './support.js'

/**
 * History tells who changed what and when, but never shows an anonymous reader what the
 * record itself hides from them: restricted details and notes.
 */
let t: TestApp
let w: Headers
let r: Headers
const EMAIL = 'Restricted.Person@MFA.gov.kg'
const EMAIL_STORED = 'restricted.person@mfa.gov.kg'
const EMAIL2 = 'second.secret@mfa.gov.kg'
const PHONE = '+996 312 620545'
const PHONE_STORED = '+996312620545'
const NOTE = 'Speaks softly; home number on file'
const NOTE2 = 'Moved to the second floor'
let contact: Json

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('hist-writer')
  r = await reader()
  contact = await write(t, 'POST', '/v1/contacts', w, {
    givenName: 'Nurlan',
    familyName: 'Abdyldaev',
    contactDetails: [
      { type: 'email', value: EMAIL, visibility: 'restricted' },
      { type: 'phone', value: PHONE, visibility: 'public' },
    ],
    notes: NOTE,
  })
  await write(t, 'PATCH', `/v1/contacts/${contact.id}`, w, { notes: NOTE2 })
  await write(t, 'PATCH', `/v1/contacts/${contact.id}`, w, {
    positionTitle: 'Head of Division',
    contactDetails: [
      { type: 'email', value: EMAIL, visibility: 'restricted' },
      { type: 'email', value: EMAIL2 },
      { type: 'phone', value: PHONE, visibility: 'public' },
    ],
  })
})
afterAll(() => t.close())

const historyUrl = (id: string, query = '') => `/v1/contacts/${id}/history${query}`

describe('history privacy', () => {
  it('hides notes and restricted details from an anonymous reader', async () => {
    const res = await t.app.inject({ method: 'GET', url: historyUrl(contact.id) })
    expect(res.statusCode, res.body).toBe(200)
    for (const secret of [EMAIL_STORED, EMAIL.toLowerCase(), EMAIL2, NOTE, NOTE2, 'restricted']) {
      expect(res.body).not.toContain(secret)
    }
    const items = res.json().items as Revision[]
    expect(items.map((i) => i.action)).toEqual(['update', 'update', 'create'])
    for (const item of items) expect(item.changes).not.toHaveProperty('notes')
    // The public phone and the public changes are still told.
    expect(res.body).toContain(PHONE_STORED)
    const [latest, notesOnly, created] = items
    expect(latest?.changes.positionTitle).toEqual({ before: null, after: 'Head of Division' })
    // Only restricted details changed besides the title: the anonymous view of them did not.
    expect(latest?.changes).not.toHaveProperty('contactDetails')
    expect(notesOnly?.changes).toEqual({})
    expect(created?.changes.contactDetails?.after).toEqual([
      { type: 'phone', value: PHONE_STORED, label: null, visibility: 'public' },
    ])
  })

  it('shows notes and restricted details to a directory:read reader', async () => {
    const res = await t.app.inject({ method: 'GET', url: historyUrl(contact.id), headers: r })
    expect(res.statusCode, res.body).toBe(200)
    for (const secret of [EMAIL_STORED, EMAIL2, NOTE, NOTE2]) expect(res.body).toContain(secret)
    const [latest, notesOnly, created] = res.json().items as Revision[]
    expect(notesOnly?.changes).toEqual({ notes: { before: NOTE, after: NOTE2 } })
    expect(created?.changes.notes).toEqual({ before: null, after: NOTE })
    expect(latest?.changes.contactDetails?.after).toHaveLength(3)
    expect(latest?.actor).toBe('hist-writer')
  })

  it('a token without directory:read sees the anonymous history', async () => {
    const importer = await bearer('directory:import', { sub: 'imp' })
    const withToken = await getJson(t, historyUrl(contact.id), importer)
    const anonymous = await getJson(t, historyUrl(contact.id))
    expect(withToken).toEqual(anonymous)
  })

  it('the change feed redacts the same way', async () => {
    const mine = (feed: Revision[]) => feed.filter((x) => x.entityId === contact.id)
    const anonFeed = mine(await readFeed(t))
    const raw = JSON.stringify(anonFeed)
    for (const secret of [EMAIL_STORED, EMAIL2, NOTE, NOTE2]) expect(raw).not.toContain(secret)
    for (const item of anonFeed) expect(item.changes).not.toHaveProperty('notes')
    expect(raw).toContain(PHONE_STORED)
    // The feed and the history agree revision for revision.
    const anonHistory = (await getJson(t, historyUrl(contact.id))).items as Revision[]
    expect(anonFeed).toEqual([...anonHistory].reverse())

    const fullFeed = JSON.stringify(mine(await readFeed(t, r)))
    for (const secret of [EMAIL_STORED, EMAIL2, NOTE, NOTE2]) expect(fullFeed).toContain(secret)
  })

  it('redacts restricted organization details in history too', async () => {
    const org = await write(t, 'POST', '/v1/organizations', w, {
      name: 'State Customs Service',
      kind: 'government',
      stateCode: 'KG',
      contactDetails: [{ type: 'email', value: 'desk@customs.gov.kg' }],
    })
    const anon = await t.app.inject({ method: 'GET', url: `/v1/organizations/${org.id}/history` })
    expect(anon.statusCode).toBe(200)
    expect(anon.body).not.toContain('desk@customs.gov.kg')
    const full = await t.app.inject({ method: 'GET', url: `/v1/organizations/${org.id}/history`, headers: r })
    expect(full.body).toContain('desk@customs.gov.kg')
  })
})

describe('history of records', () => {
  it('serves the history of a deleted record, the delete revision first', async () => {
    const gone = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Gone' })
    await write(t, 'PATCH', `/v1/contacts/${gone.id}`, w, { positionTitle: 'Retired' })
    await write(t, 'DELETE', `/v1/contacts/${gone.id}`, await writer('deleter'))
    const read = await t.app.inject({ method: 'GET', url: `/v1/contacts/${gone.id}` })
    expectProblem(read, 404)
    const history = await getJson(t, historyUrl(gone.id))
    expect(history.items.map((i: Revision) => [i.action, i.actor])).toEqual([
      ['delete', 'deleter'],
      ['update', 'hist-writer'],
      ['create', 'hist-writer'],
    ])
    expect(history.items[0]).toMatchObject({ entity: 'contact', entityId: gone.id, changes: {} })
    expect(history.nextCursor).toBeNull()
  })

  it('answers 404 problem for an id that never existed, and for another entity’s id', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: historyUrl('no-such-contact') }), 404)
    // A contact id is not an organization.
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/organizations/${contact.id}/history` }), 404)
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/states/XX/history' }), 404)
  })

  it('pages newest first with limit=1 and the cursor, with a Link header', async () => {
    const full = (await getJson(t, historyUrl(contact.id), r)).items as Revision[]
    expect(full.length).toBe(3)
    const seqs = full.map((i) => i.seq)
    expect([...seqs].sort((x, y) => y - x)).toEqual(seqs)

    const paged: Revision[] = []
    let url: string | null = historyUrl(contact.id, '?limit=1')
    while (url) {
      const res = await t.app.inject({ method: 'GET', url, headers: r })
      expect(res.statusCode, res.body).toBe(200)
      const page = res.json()
      expect(page.items).toHaveLength(1)
      paged.push(...page.items)
      if (page.nextCursor) {
        expect(res.headers.link).toContain('rel="next"')
        expect(res.headers.link).toContain(`cursor=${encodeURIComponent(page.nextCursor)}`)
        url = historyUrl(contact.id, `?limit=1&cursor=${encodeURIComponent(page.nextCursor)}`)
      } else {
        expect(res.headers.link).toBeUndefined()
        url = null
      }
    }
    expect(paged).toEqual(full)
  })

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?cursor=not-a-cursor', 'cursor'],
    ['?after=1', 'after'],
    // Well-formed base64url JSON, but not a key this service issues (history keys are seqs).
    [`?cursor=${Buffer.from(JSON.stringify({ k: 'abc' })).toString('base64url')}`, 'cursor'],
  ])('refuses %s with 400', async (query, path) => {
    expectProblem(await t.app.inject({ method: 'GET', url: historyUrl(contact.id, query) }), 400, path)
  })

  it('serves a seeded state’s history by code', async () => {
    const kg = await getJson(t, '/v1/states/KG/history')
    expect(kg.items).toHaveLength(1)
    expect(kg.items[0]).toMatchObject({
      action: 'create',
      entity: 'state',
      entityId: 'KG',
      actor: 'system:seed',
      changes: {
        code: { before: null, after: 'KG' },
        osceParticipating: { before: null, after: true },
        unMember: { before: null, after: true },
      },
    })
  })

  it('serves a seeded role’s and an assignment’s history', async () => {
    const role = await getJson(t, `/v1/roles/${roleId(t.db, 'national-poc')}/history`)
    expect(role.items).toHaveLength(1)
    expect(role.items[0]).toMatchObject({
      action: 'create',
      actor: 'system:seed',
      changes: { key: { before: null, after: 'national-poc' } },
    })
    const org = await write(t, 'POST', '/v1/organizations', w, {
      name: 'MFA',
      kind: 'government',
      stateCode: 'KG',
    })
    const asg = await write(t, 'POST', '/v1/assignments', w, {
      contactId: contact.id,
      roleId: roleId(t.db, 'national-poc'),
      organizationId: org.id,
      startDate: '2024-01-01',
    })
    const history = await getJson(t, `/v1/assignments/${asg.id}/history`)
    expect(history.items).toHaveLength(1)
    expect(history.items[0].changes.contactId).toEqual({ before: null, after: contact.id })
  })
})
