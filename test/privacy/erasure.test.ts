import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { ADMIN, admin, expectRejected, type Json, type TestApp, writer } from '../resources/fixtures.js'
import { erase, inject, limitedAdmin, type Person, reader, SECRETS, seedPerson } from './fixtures.js'

let t: TestApp
let p: Person
let id: string

/** Every route that shows a contact, its history or its values, as JSON, CSV or vCard. */
const routes = (contactId: string) => [
  { url: `/v1/contacts/${contactId}` },
  { url: `/v1/contacts/${contactId}`, accept: 'text/vcard' },
  { url: `/v1/contacts/${contactId}/history?limit=500` },
  { url: '/v1/changes?after=0&limit=1000' },
  { url: '/v1/directory?state=KG&asOf=2024-06-01' },
  { url: '/v1/directory?state=KG&asOf=2024-06-01', accept: 'text/csv' },
  { url: '/v1/contacts?current=false&limit=500' },
  { url: '/v1/contacts?current=false', accept: 'text/csv' },
  { url: '/v1/contacts?current=false', accept: 'text/vcard' },
  { url: '/v1/contacts?q=aigul&current=false' },
  { url: `/v1/contacts/${contactId}/personal-data`, adminOnly: true },
]

const readers = async () => ({
  anonymous: {},
  reader: await reader(),
  writer: await writer(),
  admin: await admin(),
})

async function bodies(contactId: string) {
  const out: { who: string; url: string; accept?: string; status: number; body: string }[] = []
  for (const [who, auth] of Object.entries(await readers())) {
    for (const r of routes(contactId)) {
      if (r.adminOnly && who !== 'admin') continue
      const headers = { ...auth, ...(r.accept ? { accept: r.accept } : {}) }
      const res = await inject(t, 'GET', r.url, headers)
      out.push({ who, url: r.url, accept: r.accept, status: res.statusCode, body: res.body })
    }
  }
  return out
}

const assignmentsTable = () =>
  JSON.stringify(t.db.$client.prepare('select * from assignments order by rowid').all())

beforeEach(async () => {
  t = await buildTestApp()
  p = await seedPerson(t)
  id = String(p.contact.id)
})
afterEach(() => t.close())

describe('POST /v1/contacts/{id}/erase', () => {
  it('answers the erased record: personal fields emptied, names, title and bookkeeping kept', async () => {
    const res = await erase(t, id)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      ...p.contact,
      honorific: null,
      languages: [],
      contactDetails: [],
      notes: null,
      externalId: null,
      version: (p.contact.version as number) + 1,
      updatedAt: expect.any(String),
    })
    expect(res.json()).toMatchObject({
      givenName: 'Aigul',
      familyName: 'Secretova',
      displayName: 'Aigul Secretova',
      positionTitle: 'Head of Export Control',
    })
  })

  it('after erasure no past value is readable through any route, for any token, also from the read cache', async () => {
    // Every route read once before, so the read cache holds pre-erasure pages.
    const before = (await bodies(id)).map((b) => b.body).join('\n')
    for (const secret of ['aigul.private@mail.kg', 'aigul.second@mail.kg', 'Secret Lane 5', 'HR-77']) {
      expect(before).toContain(secret)
    }
    expect((await erase(t, id)).statusCode).toBe(200)
    for (const b of await bodies(id)) {
      expect(b.status, `${b.who} ${b.url} ${b.accept ?? ''}`).toBe(200)
      for (const secret of SECRETS) {
        expect(b.body, `${b.who} GET ${b.url} ${b.accept ?? ''} shows ${secret}`).not.toContain(secret)
      }
    }
    // And nothing stored holds them either (record, revisions, search documents).
    const stored = JSON.stringify(
      ['contacts', 'revisions', 'search_documents'].map((table) =>
        t.db.$client.prepare(`select * from ${table}`).all(),
      ),
    )
    for (const secret of SECRETS) expect(stored).not.toContain(secret)
  })

  it('searching by an erased e-mail finds nothing, for the admin too; the kept name still finds the person', async () => {
    const search = async (q: string) =>
      (
        await inject(t, 'GET', `/v1/contacts?current=false&q=${encodeURIComponent(q)}`, await admin())
      ).json() as { items: Json[] }
    expect((await search('aigul.second@mail.kg')).items.map((c) => c.id)).toEqual([id])
    expect((await search('a.secretova@mfa.gov.kg')).items.map((c) => c.id)).toEqual([id])
    await erase(t, id)
    expect((await search('aigul.second@mail.kg')).items).toEqual([])
    expect((await search('a.secretova@mfa.gov.kg')).items).toEqual([])
    expect((await search('aigul.private')).items).toEqual([])
    expect((await search('Secretova')).items.map((c) => c.id)).toEqual([id])
    const directory = (await inject(t, 'GET', '/v1/directory?q=aigul.second', await admin())).json() as {
      items: Json[]
    }
    expect(directory.items).toEqual([])
  })

  it('every earlier revision keeps its shape with the erased values nulled; other fields untouched', async () => {
    await erase(t, id)
    const history = (
      await inject(t, 'GET', `/v1/contacts/${id}/history?limit=500`, await admin())
    ).json() as { items: Json[] }
    const [erased, update, create] = history.items
    expect(erased).toMatchObject({
      action: 'erase',
      actor: ADMIN,
      changes: {},
      reason: 'Request of the person, letter of 2026-11-30',
    })
    expect(update).toMatchObject({
      action: 'update',
      changes: {
        contactDetails: { before: null, after: null },
        notes: { before: null, after: null },
      },
    })
    expect(create?.changes).toEqual({
      id: { before: null, after: id },
      honorific: { before: null, after: null },
      givenName: { before: null, after: 'Aigul' },
      familyName: { before: null, after: 'Secretova' },
      displayName: { before: null, after: 'Aigul Secretova' },
      nameOriginal: { before: null, after: null },
      nameLatin: { before: null, after: 'Aigul Secretova' },
      positionTitle: { before: null, after: 'Head of Export Control' },
      languages: { before: null, after: null },
      contactDetails: { before: null, after: null },
      notes: { before: null, after: null },
      externalId: { before: null, after: null },
      lastVerifiedAt: { before: null, after: null },
    })
  })

  it('keeps the handover chain: assignments are not touched, the directory still names the holder', async () => {
    const assignments = assignmentsTable()
    await erase(t, id)
    expect(assignmentsTable()).toBe(assignments)
    const ended = (await inject(t, 'GET', `/v1/assignments/${p.first.id}`)).json() as Json
    expect(ended).toMatchObject({
      contactId: id,
      endDate: '2025-06-01',
      succeededBy: p.second.id,
      endReason: 'Rotated',
    })
    const then = (await inject(t, 'GET', '/v1/directory?state=KG&asOf=2024-06-01')).json() as {
      items: Json[]
    }
    expect(then.items.map((e) => [(e.contact as Json).displayName, (e.assignment as Json).id])).toEqual([
      ['Aigul Secretova', p.first.id],
    ])
    const now = (await inject(t, 'GET', '/v1/directory?state=KG')).json() as { items: Json[] }
    expect(now.items.map((e) => (e.contact as Json).id)).toEqual([p.successor.id])
  })

  it('puts an erase revision in the change feed: reason for readers, no values for anyone', async () => {
    const head = ((await inject(t, 'GET', '/v1/changes?after=latest')).json() as { nextAfter: number })
      .nextAfter
    const res = await erase(t, id)
    const requestId = res.headers['x-request-id']
    const feed = (await inject(t, 'GET', `/v1/changes?after=${head}`, await reader())).json() as Json
    expect(feed).toEqual({
      items: [
        {
          seq: head + 1,
          at: expect.any(String),
          actor: ADMIN,
          action: 'erase',
          entity: 'contact',
          entityId: id,
          requestId,
          version: (p.contact.version as number) + 1,
          reason: 'Request of the person, letter of 2026-11-30',
          changes: {},
        },
      ],
      nextAfter: head + 1,
    })
    const anonymous = (await inject(t, 'GET', `/v1/changes?after=${head}`)).json() as { items: Json[] }
    expect(anonymous.items[0]).not.toHaveProperty('reason')
    expect(anonymous.items[0]?.changes).toEqual({})
  })

  it('a second erase is 409 and writes nothing, until something is written again', async () => {
    expect((await erase(t, id)).statusCode).toBe(200)
    const problem = await expectRejected(
      t,
      {
        method: 'POST',
        url: `/v1/contacts/${id}/erase`,
        headers: await admin(),
        payload: { reason: 'again' },
      },
      409,
    )
    expect(problem.detail).toBe(`Contact ${id} was erased already and has not changed since`)
    // New details written after the erase can be erased again.
    const patch = await inject(
      t,
      'PATCH',
      `/v1/contacts/${id}`,
      { ...(await writer()), 'content-type': 'application/merge-patch+json' },
      { notes: 'New private note' },
    )
    expect(patch.statusCode).toBe(200)
    expect((await erase(t, id)).statusCode).toBe(200)
    expect((await inject(t, 'GET', `/v1/contacts/${id}/history`, await admin())).body).not.toContain(
      'New private note',
    )
  })

  it('erases a deleted contact too (its tombstone and history hold the data)', async () => {
    const gone = (
      await inject(t, 'POST', '/v1/contacts', await writer(), {
        familyName: 'Gone',
        notes: 'Gone Secret',
        contactDetails: [{ type: 'email', value: 'gone@mail.kg' }],
      })
    ).json() as Json
    expect((await inject(t, 'DELETE' as 'GET', `/v1/contacts/${gone.id}`, await writer())).statusCode).toBe(
      204,
    )
    expect((await erase(t, gone.id)).statusCode).toBe(200)
    const history = (await inject(t, 'GET', `/v1/contacts/${gone.id}/history`, await admin())).body
    expect(history).not.toContain('Gone Secret')
    expect(history).not.toContain('gone@mail.kg')
    expect((await inject(t, 'GET', `/v1/contacts/${gone.id}`, await admin())).statusCode).toBe(404)
  })

  it('refuses anonymous (401), read, write and import tokens, a state-limited admin (403), a bad body (400) and an unknown id (404), writing nothing', async () => {
    const url = `/v1/contacts/${id}/erase`
    const payload = { reason: 'Request of the person' }
    await expectRejected(t, { method: 'POST', url, payload }, 401)
    await expectRejected(
      t,
      { method: 'POST', url, payload, headers: await bearer('directory:admin', { expiresIn: -10 }) },
      401,
    )
    for (const scope of ['directory:read', 'directory:write', 'directory:import']) {
      await expectRejected(t, { method: 'POST', url, payload, headers: await bearer(scope) }, 403)
    }
    const limited = await expectRejected(
      t,
      { method: 'POST', url, payload, headers: await limitedAdmin() },
      403,
    )
    expect(limited.detail).toBe('A token limited to states may not erase people')
    await expectRejected(t, { method: 'POST', url, payload: {}, headers: await admin() }, 400, ['reason'])
    await expectRejected(
      t,
      { method: 'POST', url, payload: { reason: '   ' }, headers: await admin() },
      400,
      ['reason'],
    )
    await expectRejected(
      t,
      { method: 'POST', url, payload: { reason: 'x', extra: 1 }, headers: await admin() },
      400,
    )
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/contacts/0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f/erase',
        payload,
        headers: await admin(),
      },
      404,
    )
  })
})

describe('ERASURE_KEEP_NAME=false', () => {
  it('replaces the names with "Former PoC" in the record, its history and search', async () => {
    const u = await buildTestApp({ ERASURE_KEEP_NAME: 'false' })
    try {
      const prev = t
      t = u
      const person = await seedPerson(u)
      const res = await erase(u, person.contact.id)
      expect(res.json()).toMatchObject({
        givenName: null,
        familyName: 'Former PoC',
        displayName: 'Former PoC',
        nameOriginal: null,
        nameLatin: 'Former PoC',
        positionTitle: 'Head of Export Control',
      })
      const all = (await bodies(String(person.contact.id))).map((b) => b.body).join('\n')
      for (const secret of [...SECRETS, 'Aigul', 'Secretova']) expect(all).not.toContain(secret)
      const found = (
        await inject(u, 'GET', '/v1/contacts?current=false&q=Secretova', await admin())
      ).json() as { items: Json[] }
      expect(found.items).toEqual([])
      t = prev
    } finally {
      await u.close()
    }
  })
})
