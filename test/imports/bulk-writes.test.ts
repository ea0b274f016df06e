import { UUID } from 'uuidv7'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { insertMany } from '../../src/lib/statements.js'
import { createRecord, newId, uuidText, withBulkCreates } from '../../src/lib/write-path.js'
import { contactFields } from '../../src/modules/contacts/contact-fields.js'
import { findContact } from '../../src/modules/contacts/contacts-repository.js'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'

/**
 * Imports write creates as multi-row inserts and flush them before any update. One file that
 * creates a person and changes them again in a later row must read exactly as if each row had
 * been written on its own: revisions in order, history, search and the FTS index.
 */
describe('bulk writes inside one import', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let seqBefore: number
  let body: Record<string, { contacts: number; organizations: number; assignments: number }>

  const header =
    'stateCode,organization,organizationKind,role,externalId,givenName,familyName,nameOriginal,positionTitle,email,startDate,endDate'
  const rows = [
    'KG,Ministry of Foreign Affairs,,national-poc,kg-1,Asan,Zhumabekov,Асан Жумабеков,,a.zhumabekov@mfa.kg,2022-01-01,',
    // Row 2: the same person (created by row 1, still queued) gets a title (row 1 gave none: a
    // different one would be a conflict, 422) and a second tenure.
    'KG,Ministry of Foreign Affairs,,alternate-poc,kg-1,Asan,Zhumabekov,,Deputy Minister,,2020-01-01,2021-12-31',
    // Row 3: the organization created by row 1 changes kind.
    'KG,Ministry of Foreign Affairs,other,mission-poc,kg-2,Dana,Osmonova,,Counsellor,d.osmonova@mfa.kg,2023-03-01,',
    ...Array.from(
      { length: 250 },
      (_, i) =>
        `KZ,Customs Committee,,technical-poc,kz-${i},Erlan,Ivanov${i},,Officer,e${i}@kgd.kz,2021-05-01,`,
    ),
  ]

  beforeAll(async () => {
    t = await buildTestApp()
    seqBefore = t.db.$client.prepare('select coalesce(max(seq), 0) from revisions').pluck().get() as number
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: { ...(await bearer('directory:import', { sub: 'importer' })), 'content-type': 'text/csv' },
      payload: `${header}\n${rows.join('\n')}\n`,
    })
    expect(res.statusCode, res.body).toBe(200)
    body = res.json()
  })
  afterAll(() => t.close())

  it('counts each record once, with its strongest outcome', () => {
    expect(body.created).toEqual({ organizations: 2, contacts: 252, assignments: 253 })
    expect(body.updated).toEqual({ organizations: 0, contacts: 0, assignments: 0 })
  })

  it('writes the create revision before the update revision of the same person, in seq order', async () => {
    const reader = await bearer('directory:read')
    const list = await t.app.inject({ url: '/v1/contacts?q=zhumabekov', headers: reader })
    const [asan] = list.json().items
    expect(asan.positionTitle).toBe('Deputy Minister')
    expect(asan.version).toBe(2)
    const history = (await t.app.inject({ url: `/v1/contacts/${asan.id}/history`, headers: reader })).json()
    expect(history.items.map((r: { action: string }) => r.action)).toEqual(['update', 'create'])
    expect(history.items[0].changes.positionTitle).toEqual({
      before: null,
      after: 'Deputy Minister',
    })
    expect(history.items[0].seq).toBeGreaterThan(history.items[1].seq)
    expect(history.items.every((r: { actor: string }) => r.actor === 'importer')).toBe(true)
  })

  it('leaves the feed gapless and every revision after the import started', () => {
    const seqs = t.db.$client
      .prepare('select seq from revisions where seq > ? order by seq')
      .pluck()
      .all(seqBefore)
    // 2 organizations + 252 people + 253 tenures created; 1 person and 1 organization updated.
    expect(seqs).toHaveLength(2 + 252 + 253 + 2)
    expect(seqs.every((s, i) => s === seqBefore + i + 1)).toBe(true)
  })

  it('indexes every created record for search, with the latest text, and the FTS index is sound', async () => {
    const count = (sql: string) => t.db.$client.prepare(sql).pluck().get()
    expect(count('select count(*) from search_documents')).toBe(2 + 252)
    t.db.$client.prepare(`insert into search_index(search_index, rank) values ('integrity-check', 1)`).run()
    const found = await t.app.inject({ url: '/v1/contacts?q=deputy%20minister' })
    expect(found.json().items.map((c: { displayName: string }) => c.displayName)).toEqual(['Asan Zhumabekov'])
    const ivanovs = await t.app.inject({ url: '/v1/contacts?q=ivanov249' })
    expect(ivanovs.json().items.map((c: { externalId: string }) => c.externalId)).toEqual(['kz-249'])
    const org = await t.app.inject({ url: '/v1/organizations?q=customs%20committee' })
    expect(org.json().items.map((o: { stateCode: string }) => o.stateCode)).toEqual(['KZ'])
  })
})

describe('bulk mode guards', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(() => t.close())

  const ctx = { actor: 'tester', requestId: 'bulk-guards' }
  const person = (familyName: string) => contactFields({ familyName }, newId(), undefined)

  it('a keyed read inside bulk mode sees the creates queued before it', () => {
    const found = t.db.transaction((tx) =>
      withBulkCreates(tx, () => {
        const created = createRecord(tx, ctx, 'contact', person('Queued'))
        return findContact(tx, created.id)
      }),
    )
    expect(found?.familyName).toBe('Queued')
    expect(
      t.db.$client.prepare("select count(*) from contacts where family_name = 'Queued'").pluck().get(),
    ).toBe(1)
  })

  it('refuses to nest, and the refused transaction writes nothing', () => {
    const before = snapshot(t.db)
    expect(() =>
      t.db.transaction((tx) =>
        withBulkCreates(tx, () => {
          createRecord(tx, ctx, 'contact', person('Outer'))
          withBulkCreates(tx, () => undefined)
        }),
      ),
    ).toThrow('bulk mode is already on')
    expect(snapshot(t.db)).toBe(before)
    // The connection is usable again, outside bulk mode.
    t.db.transaction((tx) => createRecord(tx, ctx, 'contact', person('After')))
    expect(
      t.db.$client.prepare("select count(*) from contacts where family_name = 'After'").pluck().get(),
    ).toBe(1)
  })
})

describe('record ids', () => {
  it("are the uuidv7 library's canonical text of the same bytes", () => {
    const samples = [
      new Uint8Array(16),
      new Uint8Array(16).fill(0xff),
      Uint8Array.from({ length: 16 }, (_, i) => i * 17),
      ...Array.from({ length: 50 }, () => crypto.getRandomValues(new Uint8Array(16))),
    ]
    for (const bytes of samples) expect(uuidText(bytes)).toBe(UUID.ofInner(bytes).toString())
    expect(uuidText(Uint8Array.from({ length: 16 }, (_, i) => i * 17))).toBe(
      '00112233-4455-6677-8899-aabbccddeeff',
    )
  })

  it('are version 7, distinct and increasing', () => {
    const ids = Array.from({ length: 1000 }, () => newId())
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(ids).size).toBe(1000)
    expect([...ids].sort()).toEqual(ids)
  })
})

describe('multi-row inserts', () => {
  it('write every row once, in order, whatever is left after the hundreds (0, 1, 63, 99, 100, 227 rows)', () => {
    const db = openDatabase(':memory:')
    db.$client.exec('create table t (seq integer primary key, a text, b integer)')
    let seq = 0
    for (const count of [0, 1, 63, 99, 100, 227]) {
      const before = seq
      const rows = Array.from({ length: count }, () => {
        seq++
        return [seq, `row ${seq}`, seq * 2]
      })
      insertMany(db, 't', ['seq', 'a', 'b'], rows)
      expect(
        db.$client.prepare('select seq, a, b from t where seq > ? order by seq').raw().all(before),
      ).toEqual(rows)
    }
    expect(db.$client.prepare('select count(*) from t').pluck().get()).toBe(490)
    db.$client.close()
  })
})
