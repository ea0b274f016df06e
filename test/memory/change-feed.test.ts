import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_ROLES } from '../../src/db/seed.js'
import { bearer, buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  admin,
  expectProblem,
  getJson,
  type Headers,
  type Json,
  listAll,
  maxSeq,
  type Revision,
  reader,
  readFeed,
  type TestApp,
  write,
  writer,
} from './support.js'

/**
 * The change feed is how partners keep a copy: paging it from 0 must visit every revision
 * once, in order, and replaying it must rebuild exactly what the list endpoints answer.
 */
let t: TestApp
let w: Headers
let a: Headers
const RESTRICTED_EMAIL = 'secret.person@mfa.gov.kg'
const RESTRICTED_PHONE = '+996312620999'
const SECRET_NOTE = 'Prefers calls after six; do not share'

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer()
  a = await admin()
})
afterAll(() => t.close())

/** A mix of writes across every entity, as a real day of edits would look. */
async function populate() {
  // Roles (admin): create, update, create and delete one that is unused.
  const customs = await write(t, 'POST', '/v1/roles', a, {
    key: 'customs-poc',
    name: 'Customs point of contact',
    domain: 'export-control',
  })
  await write(t, 'PATCH', `/v1/roles/${customs.id}`, a, { description: 'Customs liaison' })
  const temp = await write(t, 'POST', '/v1/roles', a, { key: 'temp-poc', name: 'Temp', domain: 'general' })
  await write(t, 'DELETE', `/v1/roles/${temp.id}`, a)
  // A seeded state changed by an admin.
  await write(t, 'PATCH', '/v1/states/KG', a, { officialName: 'The Kyrgyz Republic' })

  // Organizations.
  const mfa = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Ministry of Foreign Affairs',
    kind: 'government',
    stateCode: 'KG',
    website: 'https://mfa.gov.kg',
    contactDetails: [
      { type: 'phone', value: '+996 312 620545', visibility: 'public' },
      { type: 'email', value: 'registry@mfa.gov.kg' },
    ],
  })
  await write(t, 'PATCH', `/v1/organizations/${mfa.id}`, w, { acronym: 'MFA' })
  const intl = await write(t, 'POST', '/v1/organizations', w, {
    name: 'OSCE Conflict Prevention Centre',
    acronym: 'CPC',
    kind: 'international',
  })
  const gone = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Temporary Agency',
    kind: 'government',
    stateCode: 'KZ',
  })
  await write(t, 'DELETE', `/v1/organizations/${gone.id}`, w)

  // Contacts.
  const c1 = await write(t, 'POST', '/v1/contacts', w, {
    givenName: 'Asan',
    familyName: 'Zhumabekov',
    nameOriginal: 'Асан Жумабеков',
    languages: ['ky', 'ru'],
    contactDetails: [
      { type: 'email', value: 'a.zhumabekov@mfa.gov.kg', visibility: 'public' },
      { type: 'phone', value: RESTRICTED_PHONE },
    ],
    notes: SECRET_NOTE,
  })
  await write(t, 'PATCH', `/v1/contacts/${c1.id}`, w, { positionTitle: 'Director', notes: `${SECRET_NOTE}!` })
  const c2 = await write(t, 'POST', '/v1/contacts', w, { givenName: 'Aigul', familyName: 'Sadykova' })
  await write(t, 'PATCH', `/v1/contacts/${c2.id}`, w, {
    contactDetails: [
      { type: 'email', value: RESTRICTED_EMAIL, visibility: 'restricted' },
      { type: 'website', value: 'https://example.org/sadykova', visibility: 'public' },
    ],
  })
  const c3 = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Osmonov', honorific: 'Mr.' })
  const c4 = await write(t, 'POST', '/v1/contacts', w, { familyName: 'Deleted Person' })
  await write(t, 'DELETE', `/v1/contacts/${c4.id}`, w)

  // Assignments: create, update, delete a current one, hand one over.
  const a1 = await write(t, 'POST', '/v1/assignments', w, {
    contactId: c1.id,
    roleId: roleId(t.db, 'national-poc'),
    organizationId: mfa.id,
    startDate: '2020-01-15',
    isPrimary: true,
  })
  const a2 = await write(t, 'POST', '/v1/assignments', w, {
    contactId: c2.id,
    roleId: roleId(t.db, 'technical-poc'),
    organizationId: mfa.id,
    startDate: '2021-03-01',
  })
  await write(t, 'PATCH', `/v1/assignments/${a2.id}`, w, { designationRef: 'NV 7/2021' })
  await write(t, 'POST', '/v1/assignments', w, {
    contactId: c3.id,
    roleId: roleId(t.db, 'mission-poc'),
    organizationId: intl.id,
    startDate: '2022-02-02',
  })
  const a4 = await write(t, 'POST', '/v1/assignments', w, {
    contactId: c3.id,
    roleId: customs.id,
    organizationId: mfa.id,
    startDate: '2024-01-01',
  })
  await write(t, 'DELETE', `/v1/assignments/${a4.id}`, w)
  await write(t, 'POST', `/v1/assignments/${a1.id}/handover`, w, {
    contactId: c3.id,
    date: '2023-05-01',
    endReason: 'Rotated',
  })
  // Verifications.
  await write(t, 'POST', `/v1/contacts/${c2.id}/verify`, w)
  await write(t, 'POST', `/v1/organizations/${mfa.id}/verify`, w)
}

const BOOKKEEPING = new Set(['version', 'createdAt', 'updatedAt'])
const domain = (record: Json): Json =>
  Object.fromEntries(Object.entries(record).filter(([k]) => !BOOKKEEPING.has(k)))

/** Rebuilds every record from the feed: create sets, update applies, delete removes. */
function replay(revisions: Revision[]): Map<string, Json> {
  const copy = new Map<string, Json>()
  for (const r of revisions) {
    const key = `${r.entity}:${r.entityId}`
    if (r.action === 'create') {
      expect(copy.has(key), `${key} created twice (seq ${r.seq})`).toBe(false)
      copy.set(key, Object.fromEntries(Object.entries(r.changes).map(([f, c]) => [f, c.after])))
    } else if (r.action === 'update') {
      const record = copy.get(key)
      expect(record, `update of unknown ${key} (seq ${r.seq})`).toBeDefined()
      for (const [f, c] of Object.entries(r.changes)) (record as Json)[f] = c.after
    } else {
      expect(copy.has(key), `delete of unknown ${key} (seq ${r.seq})`).toBe(true)
      copy.delete(key)
    }
  }
  return copy
}

/** What the list endpoints answer for every entity, keyed like the replay. */
async function listEverything(headers: Headers): Promise<Map<string, Json>> {
  const out = new Map<string, Json>()
  const lists = [
    ['state', '/v1/states?limit=500', 'code'],
    ['role', '/v1/roles?limit=500', 'id'],
    ['organization', '/v1/organizations?limit=500', 'id'],
    ['contact', '/v1/contacts?limit=500', 'id'],
    ['assignment', '/v1/assignments?limit=500', 'id'],
  ] as const
  for (const [entity, url, key] of lists) {
    for (const item of await listAll(t, url, headers)) out.set(`${entity}:${item[key]}`, domain(item))
  }
  return out
}

function expectSameRecords(replayed: Map<string, Json>, listed: Map<string, Json>) {
  expect([...replayed.keys()].sort()).toEqual([...listed.keys()].sort())
  for (const [key, record] of listed) {
    expect(replayed.get(key), key).toEqual(record)
  }
}

describe('change feed paging', () => {
  it('pages from after=0 with nextAfter until empty, every seq once, in order, without gaps', async () => {
    await populate()
    const seen: number[] = []
    let after = 0
    let pages = 0
    for (;;) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/changes?after=${after}&limit=7` })
      expect(res.statusCode, res.body).toBe(200)
      const page = res.json()
      expect(Object.keys(page).sort()).toEqual(['items', 'nextAfter'])
      if (page.items.length === 0) {
        expect(page.nextAfter).toBe(after)
        break
      }
      expect(page.items.length).toBeLessThanOrEqual(7)
      for (const r of page.items) {
        expect(r).toMatchObject({
          seq: expect.any(Number),
          at: expect.any(String),
          actor: expect.any(String),
          action: expect.stringMatching(/^(create|update|delete)$/),
          entity: expect.stringMatching(/^(state|organization|role|contact|assignment)$/),
          entityId: expect.any(String),
          requestId: expect.any(String),
          changes: expect.any(Object),
        })
        seen.push(r.seq)
      }
      expect(page.nextAfter).toBe(page.items[page.items.length - 1].seq)
      after = page.nextAfter
      pages++
    }
    expect(seen[0]).toBe(1)
    for (let i = 1; i < seen.length; i++)
      expect(seen[i], `seq after ${seen[i - 1]}`).toBe((seen[i - 1] ?? 0) + 1)
    expect(seen[seen.length - 1]).toBe(maxSeq(t))
    expect(pages).toBe(Math.ceil(seen.length / 7))
    // Timestamps never go backwards along the feed.
    const feed = await readFeed(t)
    for (let i = 1; i < feed.length; i++) {
      expect(Date.parse(feed[i]?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(feed[i - 1]?.at ?? ''))
    }
  })

  it('starts after a given seq and answers an empty page past the end', async () => {
    const last = maxSeq(t)
    const tail = await getJson(t, `/v1/changes?after=${last - 3}`)
    expect(tail.items.map((r: Revision) => r.seq)).toEqual([last - 2, last - 1, last])
    expect(tail.nextAfter).toBe(last)
    const past = await getJson(t, `/v1/changes?after=${last + 100}`)
    expect(past).toEqual({ items: [], nextAfter: last + 100 })
    const dflt = await getJson(t, '/v1/changes')
    expect(dflt.items).toHaveLength(100)
    expect(dflt.items[0].seq).toBe(1)
    expect(dflt.nextAfter).toBe(100)
  })

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=abc', 'limit'],
    ['after=-1', 'after'],
    ['after=abc', 'after'],
    ['after=1.5', 'after'],
    ['since=3', 'since'],
  ])('refuses %s with a 400 problem', async (query, path) => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/changes?${query}` })
    expectProblem(res, 400, path)
  })

  it('accepts the limit bounds 1 and 1000', async () => {
    expect((await getJson(t, '/v1/changes?limit=1')).items).toHaveLength(1)
    const big = await getJson(t, '/v1/changes?limit=1000')
    expect(big.items).toHaveLength(Math.min(1000, maxSeq(t)))
  })
})

describe('replaying the feed', () => {
  it('rebuilds exactly what the list endpoints answer (a directory:read reader)', async () => {
    const headers = await reader()
    const feed = await readFeed(t, headers, 50)
    // The seed is in the feed: every state and default role was created by system:seed.
    const seedCreates = feed.filter((r) => r.actor === 'system:seed')
    expect(seedCreates.filter((r) => r.entity === 'state')).toHaveLength(194)
    expect(seedCreates.filter((r) => r.entity === 'role').map((r) => r.changes.key?.after)).toEqual(
      DEFAULT_ROLES.map(([key]) => key),
    )
    expect(seedCreates.every((r) => r.action === 'create')).toBe(true)
    const actions = new Set(feed.map((r) => `${r.entity}:${r.action}`))
    for (const expected of [
      'role:create',
      'role:update',
      'role:delete',
      'state:update',
      'organization:delete',
      'contact:update',
      'contact:delete',
      'assignment:update',
      'assignment:delete',
    ]) {
      expect(actions, expected).toContain(expected)
    }
    expectSameRecords(replay(feed), await listEverything(headers))
  })

  it('every create revision names each domain field of the record, before null', async () => {
    const headers = await reader()
    const feed = await readFeed(t, headers)
    const listed = await listEverything(headers)
    for (const r of feed.filter((x) => x.action === 'create')) {
      const now = listed.get(`${r.entity}:${r.entityId}`)
      if (!now) continue // deleted since
      for (const field of Object.keys(now)) {
        expect(r.changes, `${r.entity} create (seq ${r.seq}) names ${field}`).toHaveProperty(field)
        expect(r.changes[field]?.before ?? null).toBeNull()
      }
    }
  })

  it('rebuilds the anonymous view for an anonymous reader: no notes, no restricted details', async () => {
    const feed = await readFeed(t, {}, 50)
    const raw = JSON.stringify(feed)
    for (const secret of [RESTRICTED_EMAIL, RESTRICTED_PHONE, SECRET_NOTE, 'registry@mfa.gov.kg']) {
      expect(raw).not.toContain(secret)
    }
    for (const r of feed) expect(r.changes).not.toHaveProperty('notes')
    const listed = await listEverything({})
    for (const [key, record] of listed) {
      if (key.startsWith('contact:')) expect(record).not.toHaveProperty('notes')
    }
    expectSameRecords(replay(feed), listed)
  })

  it('a token without directory:read reads the feed like an anonymous client', async () => {
    const anon = await readFeed(t, {}, 1000)
    const full = await readFeed(t, a, 1000)
    expect(JSON.stringify(full)).toContain(RESTRICTED_EMAIL)
    expect(JSON.stringify(full)).toContain(SECRET_NOTE)
    const noRead = await readFeed(t, await bearer('directory:import', { sub: 'importer' }), 1000)
    expect(noRead).toEqual(anon)
  })
})
