import { and } from 'drizzle-orm'
import { describe, expect, it, vi } from 'vitest'
import { type Db, openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { type ContactRow, contacts, type OrganizationRow } from '../../src/db/schema.js'
import {
  ensureSearchIndex,
  ftsQueries,
  hitsSql,
  indexNewRecords,
  indexRecord,
  isSearched,
  listOrder,
  touchesSearch,
  unindexRecord,
} from '../../src/lib/search-index.js'
import { FOLDING_VERSION } from '../../src/lib/search-text.js'
import { statement } from '../../src/lib/statements.js'
import { createRecord, deleteRecord } from '../../src/lib/write-path.js'

/**
 * src/lib/search-index.ts called directly on a real migrated database opened in each test:
 * the documents' exact text per column, the FTS index kept in step (its integrity check after
 * every change), the start-up repair, the query strings, and ranked list order with its cursors.
 */

function fresh(): Db {
  const db = openDatabase(':memory:')
  runMigrations(db)
  return db
}

const ctx = { actor: 'tester', requestId: 'req-1' }

const contactRow = (id: string, over: Partial<ContactRow> = {}): ContactRow => ({
  id,
  honorific: 'Dr',
  givenName: 'Aigul',
  familyName: 'Bekova',
  displayName: 'Aigul Bekova',
  nameOriginal: 'Айгуль',
  nameLatin: 'Aigul L',
  positionTitle: 'Director',
  languages: ['ky'],
  contactDetails: [
    { type: 'email', value: 'pub@ex.kg', label: null, visibility: 'public' },
    { type: 'email', value: 'hidden@ex.kg', label: null, visibility: 'restricted' },
    { type: 'phone', value: '555 0101', label: null, visibility: 'public' },
    { type: 'phone', value: '555 0202', label: null, visibility: 'restricted' },
  ],
  notes: 'notes are not searched',
  externalId: `EXT-${id}`,
  lastVerifiedAt: null,
  version: 1,
  createdAt: 't',
  updatedAt: 't',
  deletedAt: null,
  ...over,
})

const orgRow = (id: string, over: Partial<OrganizationRow> = {}): OrganizationRow => ({
  id,
  name: 'Customs Service',
  acronym: 'CSX',
  kind: 'government',
  stateCode: null,
  parentId: null,
  website: 'https://website.example',
  contactDetails: [
    { type: 'email', value: 'desk@cs.kg', label: null, visibility: 'public' },
    { type: 'email', value: 'boss@cs.kg', label: null, visibility: 'restricted' },
  ],
  externalId: null,
  lastVerifiedAt: null,
  version: 1,
  createdAt: 't',
  updatedAt: 't',
  deletedAt: null,
  ...over,
})

type Doc = {
  doc: number
  entity: string
  id: string
  folding: number
  pp: string
  pf: string
  rp: string
  rf: string
}
const docs = (db: Db): Doc[] =>
  db.$client
    .prepare(
      `select doc, entity, entity_id as id, folding, public_plain as pp, public_folded as pf,
        restricted_plain as rp, restricted_folded as rf from search_documents order by doc`,
    )
    .all() as Doc[]

/** The docs an FTS query matches (the FTS index's own view, not the documents table). */
const match = (db: Db, query: string) =>
  db.$client
    .prepare('select rowid from search_index where search_index match ? order by rowid')
    .pluck()
    .all(query)

/** The SQL texts the connection is asked to prepare from now on (the calls go through). */
function prepared(db: Db): string[] {
  const texts: string[] = []
  const original = db.$client.prepare.bind(db.$client)
  vi.spyOn(db.$client, 'prepare').mockImplementation(((source: string) => {
    texts.push(source)
    return original(source)
  }) as typeof db.$client.prepare)
  return texts
}

const integrity = (db: Db) =>
  db.$client.prepare(`insert into search_index(search_index, rank) values ('integrity-check', 1)`).run()

describe('documents', () => {
  it("hold a contact's names, title and public e-mails, restricted e-mails apart; not notes or phones", () => {
    const db = fresh()
    indexRecord(db, 'contact', contactRow('c1'), true)
    expect(docs(db)).toEqual([
      {
        doc: 1,
        entity: 'contact',
        id: 'c1',
        folding: FOLDING_VERSION,
        pp: 'aigul bekova aygul l director pub ex kg',
        pf: 'aigul bekova l director pub ex kg',
        rp: 'hidden ex kg',
        rf: 'hiden ex kg',
      },
    ])
    expect(match(db, '{public_plain} : "director"')).toEqual([1])
    expect(match(db, '{public_plain} : "hidden"')).toEqual([])
    expect(match(db, '{restricted_plain} : "hidden"')).toEqual([1])
    expect(match(db, '{restricted_folded} : "hiden"')).toEqual([1])
    expect(match(db, '{public_folded} : "aigul"')).toEqual([1])
    expect(match(db, '"notes" OR "0101" OR "0202" OR "ext" OR "dr" OR "ky"')).toEqual([])
    integrity(db)
  })

  it("hold an organization's name, acronym and public e-mails; restricted e-mails apart", () => {
    const db = fresh()
    indexRecord(db, 'organization', orgRow('o1'))
    expect(docs(db)).toEqual([
      {
        doc: 1,
        entity: 'organization',
        id: 'o1',
        folding: FOLDING_VERSION,
        pp: 'customs service csx desk cs kg',
        pf: 'customs service csx desk cs kg',
        rp: 'boss cs kg',
        rf: 'bos cs kg',
      },
    ])
    expect(match(db, '{public_folded} : "csx"')).toEqual([1])
    expect(match(db, '{restricted_folded} : "bos"')).toEqual([1])
    expect(match(db, '{restricted_plain} : "boss"')).toEqual([1])
    expect(match(db, '"website"')).toEqual([])
    integrity(db)
  })

  it('are rewritten in place, the old text gone from the index; unindexing removes both', () => {
    const db = fresh()
    indexRecord(db, 'contact', contactRow('c1'))
    indexRecord(db, 'organization', orgRow('o1'))
    indexRecord(db, 'contact', contactRow('c1', { positionTitle: 'Minister', contactDetails: [] }))
    expect(docs(db).map((d) => [d.doc, d.id, d.pp, d.rp])).toEqual([
      [1, 'c1', 'aigul bekova aygul l minister', ''],
      [2, 'o1', 'customs service csx desk cs kg', 'boss cs kg'],
    ])
    expect(match(db, '"director"')).toEqual([])
    expect(match(db, '"hidden"')).toEqual([])
    expect(match(db, '"minister"')).toEqual([1])
    integrity(db)
    unindexRecord(db, 'contact', 'c1')
    unindexRecord(db, 'contact', 'nobody')
    unindexRecord(db, 'contact', 'o1')
    expect(docs(db).map((d) => d.id)).toEqual(['o1'])
    expect(match(db, '"minister"')).toEqual([])
    expect(match(db, '"customs"')).toEqual([2])
    integrity(db)
  })

  it('in bulk: documents for new records after the existing ones, all in the index', () => {
    const db = fresh()
    indexNewRecords(db, [])
    expect(docs(db)).toEqual([])
    indexRecord(db, 'organization', orgRow('o1'))
    indexNewRecords(db, [
      { entity: 'contact', row: contactRow('c1') },
      { entity: 'contact', row: contactRow('c2', { positionTitle: 'Clerk', contactDetails: [] }) },
      {
        entity: 'organization',
        row: orgRow('o2', { name: 'Border Guard', acronym: null, contactDetails: [] }),
      },
    ])
    expect(docs(db).map((d) => [d.doc, d.entity, d.id, d.folding, d.pp, d.rp])).toEqual([
      [1, 'organization', 'o1', FOLDING_VERSION, 'customs service csx desk cs kg', 'boss cs kg'],
      [2, 'contact', 'c1', FOLDING_VERSION, 'aigul bekova aygul l director pub ex kg', 'hidden ex kg'],
      [3, 'contact', 'c2', FOLDING_VERSION, 'aigul bekova aygul l clerk', ''],
      [4, 'organization', 'o2', FOLDING_VERSION, 'border guard', ''],
    ])
    expect(match(db, '"customs"')).toEqual([1])
    expect(match(db, '"aigul"')).toEqual([2, 3])
    expect(match(db, '"border"')).toEqual([4])
    integrity(db)
  })
})

describe('statements', () => {
  it('each has its own cache key: one cached under the empty key is never taken for them', () => {
    const db = fresh()
    statement(db, '', () => 'select 1')
    indexRecord(db, 'contact', contactRow('c1'))
    indexRecord(db, 'contact', contactRow('c1', { positionTitle: 'Minister' }))
    indexNewRecords(db, [{ entity: 'organization', row: orgRow('o1') }])
    unindexRecord(db, 'contact', 'c1')
    expect(docs(db).map((d) => d.id)).toEqual(['o1'])
    expect(match(db, '"minister"')).toEqual([])
    expect(match(db, '"customs"')).toEqual([2])
    integrity(db)
  })

  it('nothing to index in bulk, or an index already complete, prepares nothing more', () => {
    const db = fresh()
    createRecord(db, ctx, 'contact', contactRow('c1'))
    const texts = prepared(db)
    indexNewRecords(db, [])
    expect(texts).toEqual([])
    expect(ensureSearchIndex(db)).toBe(0)
    expect(texts.length).toBe(1)
    expect(texts[0]).toMatch(/^select \(select count\(\*\) from contacts where deleted_at is null\)/)
  })
})

describe('which writes touch the index', () => {
  it('isSearched: contacts and organizations', () => {
    expect(isSearched('contact')).toBe(true)
    expect(isSearched('organization')).toBe(true)
    expect(isSearched('assignment')).toBe(false)
    expect(isSearched('state')).toBe(false)
  })

  it('touchesSearch: exactly the fields a document is made of', () => {
    for (const f of [
      'givenName',
      'familyName',
      'displayName',
      'nameOriginal',
      'nameLatin',
      'positionTitle',
      'contactDetails',
    ])
      expect(touchesSearch('contact', ['notes', f]), f).toBe(true)
    for (const f of ['honorific', 'notes', 'languages', 'externalId', 'lastVerifiedAt', 'name', 'acronym'])
      expect(touchesSearch('contact', [f]), f).toBe(false)
    for (const f of ['name', 'acronym', 'contactDetails'])
      expect(touchesSearch('organization', [f]), f).toBe(true)
    for (const f of ['website', 'kind', 'givenName'])
      expect(touchesSearch('organization', [f]), f).toBe(false)
    expect(touchesSearch('contact', [])).toBe(false)
  })
})

describe('ensureSearchIndex', () => {
  it('does nothing when every live record has a current document', () => {
    const db = fresh()
    createRecord(db, ctx, 'contact', contactRow('c1'))
    createRecord(db, ctx, 'organization', orgRow('o1'))
    const before = docs(db)
    expect(before.length).toBe(2)
    expect(ensureSearchIndex(db)).toBe(0)
    expect(docs(db)).toEqual(before)
  })

  it('writes missing and stale documents, drops those of deleted records, rebuilds the index', () => {
    const db = fresh()
    createRecord(db, ctx, 'contact', contactRow('c1'))
    createRecord(db, ctx, 'contact', contactRow('c2', { givenName: 'Bolot' }))
    createRecord(db, ctx, 'contact', contactRow('c3', { givenName: 'Chyngyz' }))
    createRecord(db, ctx, 'organization', orgRow('o1'))
    createRecord(db, ctx, 'organization', orgRow('o2', { name: 'Police' }))
    const deleted = createRecord(db, ctx, 'organization', orgRow('o3', { name: 'Gone' }))
    // Missing documents (c2, o2), one folded by older rules (c3), a deleted record's (o3) kept
    // behind the write path's back, and an index that lost everything.
    db.$client.exec(`delete from search_documents where entity_id in ('c2', 'o2')`)
    db.$client.exec(
      `update search_documents set folding = ${FOLDING_VERSION - 1}, public_plain = 'old' where entity_id = 'c3'`,
    )
    const o3 = docs(db).find((d) => d.id === 'o3')
    deleteRecord(db, ctx, 'organization', deleted)
    db.$client
      .prepare(
        `insert into search_documents (doc, entity, entity_id, folding, public_plain, public_folded, restricted_plain, restricted_folded)
         values (?, 'organization', 'o3', ?, 'gone', 'gone', '', '')`,
      )
      .run(o3?.doc, FOLDING_VERSION)
    db.$client.exec(`insert into search_index(search_index) values ('delete-all')`)

    expect(ensureSearchIndex(db)).toBe(3)
    expect(
      docs(db)
        .map((d) => [d.entity, d.id, d.folding])
        .sort(),
    ).toEqual([
      ['contact', 'c1', FOLDING_VERSION],
      ['contact', 'c2', FOLDING_VERSION],
      ['contact', 'c3', FOLDING_VERSION],
      ['organization', 'o1', FOLDING_VERSION],
      ['organization', 'o2', FOLDING_VERSION],
    ])
    const idsMatching = (q: string) =>
      db.$client
        .prepare(
          'select d.entity_id from search_index s join search_documents d on d.doc = s.rowid where search_index match ? order by 1',
        )
        .pluck()
        .all(q)
    expect(idsMatching('"bolot"')).toEqual(['c2'])
    expect(idsMatching('"chyngyz"')).toEqual(['c3'])
    expect(idsMatching('"old"')).toEqual([])
    expect(idsMatching('"police"')).toEqual(['o2'])
    expect(idsMatching('"customs"')).toEqual(['o1'])
    expect(idsMatching('"gone"')).toEqual([])
    integrity(db)
    expect(ensureSearchIndex(db)).toBe(0)
  })
})

describe('queries', () => {
  it('ftsQueries: per word plain or folded prefixes; prefix and exact on plain words', () => {
    expect(ftsQueries('Ai Be', false)).toEqual({
      perWord: [
        '({public_plain} : "ai"*) OR ({public_folded} : "ai"*)',
        '({public_plain} : "be"*) OR ({public_folded} : "be"*)',
      ],
      any: '(({public_plain} : "ai"*) OR ({public_folded} : "ai"*)) AND (({public_plain} : "be"*) OR ({public_folded} : "be"*))',
      prefix: '{public_plain} : "ai"* AND {public_plain} : "be"*',
      exact: '{public_plain} : "ai" AND {public_plain} : "be"',
    })
    const seeing = ftsQueries('x-ray', true)
    expect(seeing.exact).toBe(
      '{public_plain restricted_plain} : "x" AND {public_plain restricted_plain} : "ray"',
    )
    expect(seeing.perWord).toEqual([
      '({public_plain restricted_plain} : "x"* AND {public_plain restricted_plain} : "ray"*) OR ' +
        '({public_folded restricted_folded} : "x"* AND {public_folded restricted_folded} : "rai"*)',
    ])
  })

  it('hitsSql: the ids of one entity matching a named parameter', () => {
    expect(hitsSql('contact', ':q')).toBe(
      "(select d.entity_id from search_index s join search_documents d on d.doc = s.rowid where search_index match :q and d.entity = 'contact')",
    )
    const db = fresh()
    createRecord(db, ctx, 'contact', contactRow('c1'))
    createRecord(db, ctx, 'organization', orgRow('o1', { name: 'Aigul Bureau' }))
    expect(
      db.$client
        .prepare(`select * from ${hitsSql('organization', ':q')}`)
        .pluck()
        .all({ q: '"aigul"' }),
    ).toEqual(['o1'])
  })
})

describe('listOrder', () => {
  function seeded() {
    const db = fresh()
    // c1 has the whole word, c2 a longer word it prefixes, c3 a variant spelling only found folded,
    // c4 a restricted e-mail only, c5 nothing.
    const none = { nameOriginal: null, nameLatin: null, positionTitle: null, contactDetails: [] }
    createRecord(
      db,
      ctx,
      'contact',
      contactRow('c2', { ...none, givenName: 'Josefina', displayName: 'Josefina B' }),
    )
    createRecord(
      db,
      ctx,
      'contact',
      contactRow('c3', { ...none, givenName: 'Josse', displayName: 'Josse C' }),
    )
    createRecord(
      db,
      ctx,
      'contact',
      contactRow('c4', {
        ...none,
        givenName: 'Zed',
        displayName: 'Zed D',
        contactDetails: [{ type: 'email', value: 'jose@x.org', label: null, visibility: 'restricted' }],
      }),
    )
    createRecord(
      db,
      ctx,
      'contact',
      contactRow('c5', { ...none, givenName: 'Other', displayName: 'Other E' }),
    )
    // Created last, listed first: the order is by id, not by when a record was written.
    createRecord(db, ctx, 'contact', contactRow('c1', { ...none, givenName: 'Jose', displayName: 'Jose A' }))
    return db
  }

  const list = (db: Db, q: string | undefined, see: boolean, after?: string) => {
    const order = listOrder('contact', contacts.id, q, see)
    const rows = db
      .select({ row: contacts, tier: order.tier })
      .from(contacts)
      .where(and(...order.where(after)))
      .orderBy(...order.orderBy)
      .all()
    return rows.map((r) => order.keyOf(r))
  }

  it('without q: by id, after a plain cursor; a ranked cursor is refused', () => {
    const db = seeded()
    expect(list(db, undefined, false)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5'])
    expect(list(db, '', false, 'c3')).toEqual(['c4', 'c5'])
    expect(() => list(db, undefined, false, 'r:0:c1')).toThrow(
      expect.objectContaining({
        status: 400,
        errors: [{ path: 'cursor', message: 'belongs to a search; repeat the same q with it' }],
      }),
    )
  })

  it('with q: whole words first, then prefixes, then variants; restricted text only for who sees it', () => {
    const db = seeded()
    const publicOrder = list(db, 'jose', false)
    expect(publicOrder).toEqual(['r:0:c1', 'r:1:c2', 'r:2:c3'])
    expect(list(db, 'jose', true)).toEqual(['r:0:c1', 'r:0:c4', 'r:1:c2', 'r:2:c3'])
    expect(list(db, 'JOSEF', false)).toEqual(['r:1:c2'])
    expect(list(db, 'other', false)).toEqual(['r:0:c5'])
    // After a ranked cursor: tier first, then id.
    expect(list(db, 'jose', false, 'r:0:c1')).toEqual(publicOrder.slice(1))
    expect(list(db, 'jose', false, 'r:1:c2')).toEqual(publicOrder.slice(2))
    expect(list(db, 'jose', false, 'r:2:zzz')).toEqual([])
    for (const bad of ['c1', 'r:3:c1', 'r:0:', 'x:r:0:c1', 'r:01:c1', 'r:0:c1\nx'])
      expect(() => list(db, 'jose', false, bad), bad).toThrow(
        expect.objectContaining({
          status: 400,
          errors: [{ path: 'cursor', message: 'is not a cursor this service issued' }],
        }),
      )
  })
})
