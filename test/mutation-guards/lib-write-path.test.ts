import { eq } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import { describe, expect, it } from 'vitest'
import { type Db, openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import type { EntityName } from '../../src/db/schema.js'
import { statement } from '../../src/lib/statements.js'
import {
  assertIfMatch,
  createRecord,
  deleteRecord,
  diff,
  eraseRecord,
  etagMatches,
  type FieldsOf,
  newId,
  tables,
  updateRecord,
  withBulkCreates,
} from '../../src/lib/write-path.js'
import { problemOf } from '../helpers/problem-of.js'

/**
 * The write path (src/lib/write-path.ts) called directly on a real migrated SQLite database:
 * the stored row, the revision and the search document of every create, update, delete and
 * erasure, and bulk mode's queue. Each test opens its own database inside the test, so the
 * work is counted for that test (not as start-up work every test would re-run).
 */

const ctx = { actor: 'tester', requestId: 'req-1' }
const KEYS: Record<string, string> = { state: 'code' }

function fresh(): Db {
  const db = openDatabase(':memory:')
  runMigrations(db)
  return db
}

/** Counts through a statement the write path's queue does not flush before. */
const count = (db: Db, table: string) =>
  db.$client.prepare(`select count(*) from "${table}"`).pluck().get() as number

type Revision = {
  seq: number
  at: string
  actor: string
  action: string
  entity: string
  entity_id: string
  request_id: string
  changes: string
  version: number
  reason: string | null
}
const revisions = (db: Db) =>
  (db.$client.prepare('select * from revisions order by seq').all() as Revision[]).map(
    ({ seq, changes, ...r }) => ({
      ...r,
      changes: JSON.parse(changes),
    }),
  )

const searchDocs = (db: Db) =>
  db.$client
    .prepare('select entity, entity_id, public_plain, restricted_plain from search_documents order by doc')
    .all() as { entity: string; entity_id: string; public_plain: string; restricted_plain: string }[]

/** FTS matches (the index beside the documents): the entity ids whose public text holds `word`. */
const found = (db: Db, word: string) =>
  (
    db.$client
      .prepare(
        `select d.entity_id from search_index i join search_documents d on d.doc = i.rowid
         where search_index match ? order by d.doc`,
      )
      .pluck()
      .all(`public_plain:${word}`) as string[]
  ).sort()

/** The stored row as drizzle reads it (JSON and booleans mapped back). */
function stored(db: Db, entity: EntityName, key: string) {
  const table = tables[entity]
  const column = (table as unknown as Record<string, SQLiteColumn>)[KEYS[entity] ?? 'id'] as SQLiteColumn
  return db.select().from(table).where(eq(column, key)).get() as Record<string, unknown> | undefined
}

const STATE: FieldsOf<'state'> = {
  code: 'KG',
  iso3: 'KGZ',
  name: 'Kyrgyzstan',
  officialName: 'Kyrgyz Republic',
  names: { fr: 'Kirghizistan' },
  unMember: true,
  osceParticipating: false,
}
const ROLE: FieldsOf<'role'> = {
  id: 'role-1',
  key: 'national-poc',
  name: 'National PoC',
  description: null,
  domain: 'general',
}
const ORG: FieldsOf<'organization'> = {
  id: 'org-1',
  name: 'Ministry of Foreign Affairs',
  acronym: 'MFA',
  kind: 'government',
  stateCode: 'KG',
  parentId: null,
  website: null,
  contactDetails: [{ type: 'email', value: 'desk@mfa.kg', label: null, visibility: 'public' }],
  externalId: null,
  lastVerifiedAt: null,
}
const CONTACT: FieldsOf<'contact'> = {
  id: 'contact-1',
  honorific: null,
  givenName: 'Asan',
  familyName: 'Zhumabekov',
  displayName: 'Asan Zhumabekov',
  nameOriginal: null,
  nameLatin: null,
  positionTitle: 'Director',
  languages: ['en', 'ru'],
  contactDetails: [{ type: 'email', value: 'secret@mfa.kg', label: null, visibility: 'restricted' }],
  notes: 'a note',
  externalId: null,
  lastVerifiedAt: null,
}
const ASSIGNMENT: FieldsOf<'assignment'> = {
  id: 'assignment-1',
  contactId: 'contact-1',
  roleId: 'role-1',
  organizationId: 'org-1',
  stateCode: 'KG',
  startDate: '2024-01-01',
  endDate: null,
  endReason: null,
  isPrimary: true,
  succeededBy: null,
  designationRef: null,
  designationDate: null,
}
const EVENT: FieldsOf<'training-event'> = {
  id: 'event-1',
  title: 'Regional course',
  kind: 'regional-course',
  organisers: ['UNODA'],
  hostStateCode: 'KG',
  location: null,
  startDate: '2024-05-01',
  endDate: '2024-05-03',
  languages: ['en'],
  description: null,
  externalRef: null,
}
const PARTICIPATION: FieldsOf<'participation'> = {
  id: 'participation-1',
  eventId: 'event-1',
  contactId: 'contact-1',
  assignmentId: 'assignment-1',
  status: 'attended',
  certificateRef: null,
  notes: null,
}
const CAMPAIGN: FieldsOf<'campaign'> = {
  id: 'campaign-1',
  title: 'Spring check',
  message: 'Please confirm',
  dueDate: '2024-06-01',
  stateCodes: ['KG'],
  roleIds: null,
}
const WEBHOOK: FieldsOf<'webhook'> = {
  id: 'webhook-1',
  url: 'https://partner.example/hook',
  entities: null,
  states: ['KG'],
  active: true,
  description: null,
  includeRestricted: false,
  disabledReason: null,
  secretRotatedAt: null,
}

/** Every entity in foreign-key order, with its fields. */
const ALL: [EntityName, Record<string, unknown>][] = [
  ['state', STATE],
  ['role', ROLE],
  ['organization', ORG],
  ['contact', CONTACT],
  ['assignment', ASSIGNMENT],
  ['training-event', EVENT],
  ['participation', PARTICIPATION],
  ['campaign', CAMPAIGN],
  ['webhook', WEBHOOK],
]
const TABLE_NAMES: Record<EntityName, string> = {
  state: 'states',
  role: 'roles',
  organization: 'organizations',
  contact: 'contacts',
  assignment: 'assignments',
  'training-event': 'training_events',
  participation: 'participations',
  campaign: 'campaigns',
  webhook: 'webhooks',
}
const create = (db: Db, entity: EntityName, fields: Record<string, unknown>) =>
  createRecord(db, ctx, entity, fields as never) as unknown as Record<string, unknown>
const createRevision = (entity: string, key: string, fields: Record<string, unknown>, at: string) => ({
  at,
  actor: 'tester',
  action: 'create',
  entity,
  entity_id: key,
  request_id: 'req-1',
  changes: Object.fromEntries(Object.entries(fields).map(([f, v]) => [f, { before: null, after: v }])),
  version: 1,
  reason: null,
})

describe('entity tags', () => {
  it('etagMatches: quoted, weak, any, in lists with spaces; nothing else', () => {
    expect(etagMatches('"3"', 3)).toBe(true)
    expect(etagMatches('W/"3"', 3)).toBe(true)
    expect(etagMatches('*', 3)).toBe(true)
    expect(etagMatches('"1", W/"3"', 3)).toBe(true)
    expect(etagMatches('"1" ,  "3"  ', 3)).toBe(true)
    expect(etagMatches('"1",*', 3)).toBe(true)
    expect(etagMatches('"30"', 3)).toBe(false)
    expect(etagMatches('3', 3)).toBe(false)
    expect(etagMatches('"2"', 3)).toBe(false)
    expect(etagMatches('xW/"3"', 3)).toBe(false)
    expect(etagMatches('"W/3"', 3)).toBe(false)
    expect(etagMatches('w/"3"', 3)).toBe(false)
    expect(etagMatches('"1" "3"', 3)).toBe(false)
    expect(etagMatches('', 3)).toBe(false)
  })

  it('assertIfMatch: no header or a matching one passes; another is 412 naming the version', () => {
    expect(assertIfMatch(undefined, 4)).toBeUndefined()
    expect(assertIfMatch('"4"', 4)).toBeUndefined()
    const problem = problemOf(() => assertIfMatch('"3"', 4))
    expect(problem.status).toBe(412)
    expect(problem.toBody()).toMatchObject({
      type: 'urn:pocdir:problem:precondition-failed',
      status: 412,
      detail: 'The record is at version 4; it changed since the entity tag you sent',
    })
  })
})

describe('diff', () => {
  it('names changed fields with before and after; bookkeeping, equal values and null/undefined are not changes', () => {
    expect(
      diff(
        { a: 'x', b: 1, c: null, d: [1, 2], e: { k: 'v' }, f: 'same', version: 1, updatedAt: 't1' },
        {
          a: 'y',
          b: 2,
          c: undefined,
          d: [1, 2],
          e: { k: 'w' },
          f: 'same',
          g: 'new',
          version: 2,
          createdAt: 'x',
          updatedAt: 't2',
          deletedAt: 'x',
        },
      ),
    ).toEqual({
      a: { before: 'x', after: 'y' },
      b: { before: 1, after: 2 },
      e: { before: { k: 'v' }, after: { k: 'w' } },
      g: { before: null, after: 'new' },
    })
    expect(diff({ a: 'x' }, { a: null })).toEqual({ a: { before: 'x', after: null } })
    expect(diff({ a: null }, { a: 'x' })).toEqual({ a: { before: null, after: 'x' } })
    expect(diff({ a: '1' }, { a: 1 })).toEqual({ a: { before: '1', after: 1 } })
    expect(diff({ a: [1] }, { a: [1, 2] })).toEqual({ a: { before: [1], after: [1, 2] } })
    expect(diff({ a: true }, { a: false })).toEqual({ a: { before: true, after: false } })
    expect(diff({ a: 'x', b: 'y' }, {})).toEqual({})
  })
})

describe('newId', () => {
  it('gives distinct, increasing UUIDv7s past the random buffer (1,024 words) several times', () => {
    const made = Array.from({ length: 3_000 }, () => newId())
    for (const id of made)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(made).size).toBe(3_000)
    expect([...made].sort()).toEqual(made)
    // The random part is random: the last 12 hex digits are not all the same.
    expect(new Set(made.map((id) => id.slice(-12))).size).toBe(3_000)
  })
})

describe('createRecord, updateRecord, deleteRecord, eraseRecord', () => {
  it('a create of each entity stores its fields with version 1, and a revision naming every field', () => {
    const db = fresh()
    const before = Date.now()
    const made = ALL.map(([entity, fields]) => [entity, fields, create(db, entity, fields)] as const)
    const after = Date.now()
    const revs = revisions(db)
    expect(revs).toHaveLength(9)
    made.forEach(([entity, fields, row], i) => {
      const at = row.createdAt as string
      expect(Date.parse(at)).toBeGreaterThanOrEqual(before)
      expect(Date.parse(at)).toBeLessThanOrEqual(after)
      expect(new Date(at).toISOString()).toBe(at)
      expect(row).toEqual({ ...fields, version: 1, createdAt: at, updatedAt: at, deletedAt: null })
      const key = entity === 'state' ? 'KG' : (fields.id as string)
      expect(stored(db, entity, key)).toEqual(row)
      expect(revs[i]).toEqual(createRevision(entity, key, fields, at))
    })
    // Nulls are stored as SQL NULL (not the JSON text "null"), booleans as 0/1, JSON as text.
    expect(
      db.$client.prepare('select entities, states, active, include_restricted from webhooks').get(),
    ).toEqual({
      entities: null,
      states: '["KG"]',
      active: 1,
      include_restricted: 0,
    })
    expect(db.$client.prepare('select honorific, languages from contacts').get()).toEqual({
      honorific: null,
      languages: '["en","ru"]',
    })
    // Contacts and organizations are searchable at once; restricted text apart.
    expect(searchDocs(db)).toEqual([
      {
        entity: 'organization',
        entity_id: 'org-1',
        public_plain: expect.stringContaining('ministry'),
        restricted_plain: '',
      },
      {
        entity: 'contact',
        entity_id: 'contact-1',
        public_plain: expect.stringContaining('zhumabekov'),
        restricted_plain: expect.stringContaining('secret'),
      },
    ])
    expect(found(db, 'zhumabekov')).toEqual(['contact-1'])
    expect(found(db, 'ministry')).toEqual(['org-1'])
  })

  it('a field left out of a create is stored as NULL and named as null in the revision', () => {
    const db = fresh()
    const { honorific: _, ...rest } = CONTACT
    const row = create(db, 'contact', rest)
    expect(db.$client.prepare('select honorific from contacts').get()).toEqual({ honorific: null })
    expect(revisions(db)[0]?.changes.honorific).toBeUndefined()
    expect(row.honorific).toBeUndefined()
    const withUndefined = create(db, 'contact', { ...CONTACT, id: 'contact-2', notes: undefined })
    expect(withUndefined.notes).toBeUndefined()
    expect(revisions(db)[1]?.changes.notes).toEqual({ before: null, after: null })
    expect(stored(db, 'contact', 'contact-2')?.notes).toBeNull()
    // A missing flag is a missing value, not false: the NOT NULL column refuses it.
    expect(() => create(db, 'webhook', { ...WEBHOOK, active: undefined })).toThrow(
      'NOT NULL constraint failed: webhooks.active',
    )
    expect(count(db, 'webhooks')).toBe(0)
  })

  it('an update writes the changed fields, version + 1 and an update revision; no change writes nothing', () => {
    const db = fresh()
    for (const [entity, fields] of ALL.slice(0, 4)) create(db, entity, fields)
    const current = stored(db, 'contact', 'contact-1') as never as ReturnType<typeof createRecord<'contact'>>
    const same = updateRecord(db, ctx, 'contact', current, { familyName: 'Zhumabekov', notes: 'a note' })
    expect(same).toBe(current)
    expect(revisions(db)).toHaveLength(4)

    const updated = updateRecord(db, ctx, 'contact', current, {
      familyName: 'Usenov',
      displayName: 'Asan Usenov',
      notes: null,
      languages: ['en', 'ru'],
    })
    const at = updated.updatedAt
    expect(at > current.updatedAt || at === current.updatedAt).toBe(true)
    expect(updated).toEqual({
      ...current,
      familyName: 'Usenov',
      displayName: 'Asan Usenov',
      notes: null,
      version: 2,
      updatedAt: at,
    })
    expect(stored(db, 'contact', 'contact-1')).toEqual(updated)
    expect(revisions(db)[4]).toEqual({
      at,
      actor: 'tester',
      action: 'update',
      entity: 'contact',
      entity_id: 'contact-1',
      request_id: 'req-1',
      changes: {
        familyName: { before: 'Zhumabekov', after: 'Usenov' },
        displayName: { before: 'Asan Zhumabekov', after: 'Asan Usenov' },
        notes: { before: 'a note', after: null },
      },
      version: 2,
      reason: null,
    })
    // The search document follows the new name.
    expect(found(db, 'zhumabekov')).toEqual([])
    expect(found(db, 'usenov')).toEqual(['contact-1'])
    expect(searchDocs(db).filter((d) => d.entity === 'contact')).toHaveLength(1)

    // A state is keyed by its code.
    const state = stored(db, 'state', 'KG') as never as ReturnType<typeof createRecord<'state'>>
    const renamed = updateRecord(db, ctx, 'state', state, { name: 'Kyrgyz Republic', unMember: false })
    expect(stored(db, 'state', 'KG')).toEqual(renamed)
    expect(renamed).toMatchObject({ name: 'Kyrgyz Republic', unMember: false, version: 2 })
    expect(revisions(db)[5]).toMatchObject({ entity: 'state', entity_id: 'KG', version: 2 })
    // An organization's acronym is searched too; a role is not searched and needs no document.
    const org = stored(db, 'organization', 'org-1') as never as ReturnType<
      typeof createRecord<'organization'>
    >
    updateRecord(db, ctx, 'organization', org, { acronym: 'MINFA' })
    expect(found(db, 'minfa')).toEqual(['org-1'])
    const role = stored(db, 'role', 'role-1') as never as ReturnType<typeof createRecord<'role'>>
    expect(updateRecord(db, ctx, 'role', role, { name: 'PoC' })).toMatchObject({ name: 'PoC', version: 2 })
    expect(searchDocs(db)).toHaveLength(2)
  })

  it('an update of a field the table does not have is refused before anything is written', () => {
    const db = fresh()
    const row = createRecord(db, ctx, 'contact', CONTACT)
    expect(() => updateRecord(db, ctx, 'contact', row, { bogus: 1 } as never)).toThrow(
      new Error('unknown field bogus of contact'),
    )
    expect(revisions(db)).toHaveLength(1)
    expect(stored(db, 'contact', 'contact-1')).toEqual(row)
  })

  it('a delete keeps a tombstone with version + 1, a delete revision, and leaves search', () => {
    const db = fresh()
    for (const [entity, fields] of ALL.slice(0, 5)) create(db, entity, fields)
    const contact = stored(db, 'contact', 'contact-1') as never as ReturnType<typeof createRecord<'contact'>>
    deleteRecord(db, ctx, 'contact', contact)
    const tomb = stored(db, 'contact', 'contact-1') as Record<string, unknown>
    expect(tomb).toEqual({
      ...contact,
      version: 2,
      updatedAt: tomb.deletedAt,
      deletedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    })
    expect(revisions(db)[5]).toEqual({
      at: tomb.deletedAt,
      actor: 'tester',
      action: 'delete',
      entity: 'contact',
      entity_id: 'contact-1',
      request_id: 'req-1',
      changes: {},
      version: 2,
      reason: null,
    })
    expect(found(db, 'zhumabekov')).toEqual([])
    expect(searchDocs(db).map((d) => d.entity_id)).toEqual(['org-1'])
    // Not searched: nothing to take out of the index.
    const assignment = stored(db, 'assignment', 'assignment-1') as never as ReturnType<
      typeof createRecord<'assignment'>
    >
    deleteRecord(db, ctx, 'assignment', assignment)
    expect(stored(db, 'assignment', 'assignment-1')).toMatchObject({
      version: 2,
      deletedAt: expect.any(String),
    })
    expect(revisions(db)[6]).toMatchObject({
      action: 'delete',
      entity: 'assignment',
      entity_id: 'assignment-1',
    })
    const state = stored(db, 'state', 'KG') as never as ReturnType<typeof createRecord<'state'>>
    deleteRecord(db, ctx, 'state', state)
    expect(stored(db, 'state', 'KG')).toMatchObject({ version: 2, deletedAt: expect.any(String) })
    expect(revisions(db)[7]).toMatchObject({ action: 'delete', entity: 'state', entity_id: 'KG' })
  })

  it('an erasure overwrites the fields, writes an erase revision with the reason and no values, and re-indexes', () => {
    const db = fresh()
    const contact = createRecord(db, ctx, 'contact', CONTACT)
    const erased = eraseRecord(
      db,
      ctx,
      'contact',
      contact,
      { familyName: '(erased)', displayName: '(erased)', givenName: null, contactDetails: [] },
      'request of the person',
    )
    expect(erased).toEqual({
      ...contact,
      familyName: '(erased)',
      displayName: '(erased)',
      givenName: null,
      contactDetails: [],
      version: 2,
      updatedAt: erased.updatedAt,
    })
    expect(stored(db, 'contact', 'contact-1')).toEqual(erased)
    expect(revisions(db)[1]).toEqual({
      at: erased.updatedAt,
      actor: 'tester',
      action: 'erase',
      entity: 'contact',
      entity_id: 'contact-1',
      request_id: 'req-1',
      changes: {},
      version: 2,
      reason: 'request of the person',
    })
    expect(found(db, 'zhumabekov')).toEqual([])
    expect(found(db, 'erased')).toEqual(['contact-1'])
    expect(searchDocs(db)).toEqual([
      { entity: 'contact', entity_id: 'contact-1', public_plain: expect.any(String), restricted_plain: '' },
    ])

    // A deleted person's erasure gives them no search document again.
    const other = createRecord(db, ctx, 'contact', { ...CONTACT, id: 'contact-2', familyName: 'Other' })
    deleteRecord(db, ctx, 'contact', other)
    const tomb = stored(db, 'contact', 'contact-2') as never as typeof other
    const erasedTomb = eraseRecord(db, ctx, 'contact', tomb, { familyName: '(erased)' }, 'retention')
    expect(erasedTomb).toMatchObject({ familyName: '(erased)', version: 3, deletedAt: tomb.deletedAt })
    expect(searchDocs(db).map((d) => d.entity_id)).toEqual(['contact-1'])
    expect(revisions(db)[4]).toMatchObject({
      action: 'erase',
      entity_id: 'contact-2',
      version: 3,
      reason: 'retention',
    })
  })
})

describe('withBulkCreates', () => {
  it('queues creates of every entity and writes them in foreign-key order when the work ends', () => {
    const db = fresh()
    let queued = -1
    const rows = withBulkCreates(db, () => {
      // Created in reverse foreign-key order: only the flush's order lets them in.
      const made = [...ALL].reverse().map(([entity, fields]) => [entity, create(db, entity, fields)] as const)
      queued = ALL.reduce((n, [entity]) => n + count(db, TABLE_NAMES[entity]), 0) + count(db, 'revisions')
      return made
    })
    expect(queued).toBe(0)
    for (const [entity, row] of rows) {
      expect(count(db, TABLE_NAMES[entity])).toBe(1)
      expect(stored(db, entity, entity === 'state' ? 'KG' : (row.id as string))).toEqual(row)
    }
    // Revisions in the order of the creates.
    expect(revisions(db).map((r) => r.entity)).toEqual([...ALL].reverse().map(([e]) => e))
    expect(revisions(db)[8]).toEqual(createRevision('state', 'KG', STATE, rows[8]?.[1].createdAt as string))
    expect(found(db, 'zhumabekov')).toEqual(['contact-1'])
    expect(found(db, 'ministry')).toEqual(['org-1'])
    expect(searchDocs(db)).toHaveLength(2)
    // Bulk mode is off again: a create is written at once.
    create(db, 'contact', { ...CONTACT, id: 'contact-2' })
    expect(count(db, 'contacts')).toBe(2)
  })

  it('queues creates of records that are not searched alone (states only)', () => {
    const db = fresh()
    withBulkCreates(db, () => {
      create(db, 'state', STATE)
      create(db, 'state', { ...STATE, code: 'KZ', iso3: 'KAZ' })
    })
    expect(count(db, 'states')).toBe(2)
    expect(revisions(db).map((r) => r.entity_id)).toEqual(['KG', 'KZ'])
  })

  it('flushes before the next statement: an update of a queued create follows it, in order', () => {
    const db = fresh()
    withBulkCreates(db, () => {
      const row = createRecord(db, ctx, 'contact', CONTACT)
      expect(count(db, 'contacts')).toBe(0)
      expect(
        statement(db, 'test:count', () => 'select count(*) from contacts')
          .pluck()
          .get(),
      ).toBe(1)
      expect(count(db, 'revisions')).toBe(1)
      updateRecord(db, ctx, 'contact', row, { familyName: 'Usenov' })
      const erased = stored(db, 'contact', 'contact-1') as never as typeof row
      eraseRecord(db, ctx, 'contact', erased, { notes: null }, 'asked')
      createRecord(db, ctx, 'contact', { ...CONTACT, id: 'contact-2', familyName: 'Second' })
    })
    expect(revisions(db).map((r) => [r.action, r.entity_id, r.version, r.reason])).toEqual([
      ['create', 'contact-1', 1, null],
      ['update', 'contact-1', 2, null],
      ['erase', 'contact-1', 3, 'asked'],
      ['create', 'contact-2', 1, null],
    ])
    expect(found(db, 'usenov')).toEqual(['contact-1'])
    expect(found(db, 'second')).toEqual(['contact-2'])
    expect(searchDocs(db).map((d) => d.entity_id)).toEqual(['contact-1', 'contact-2'])
  })

  it('writes the queue every 400 creates, not before, and each row once', () => {
    const db = fresh()
    const seen: number[] = []
    withBulkCreates(db, () => {
      for (let i = 1; i <= 401; i++) {
        create(db, 'contact', { ...CONTACT, id: `c-${String(i).padStart(5, '0')}` })
        if (i >= 399) seen.push(count(db, 'contacts'), count(db, 'revisions'), count(db, 'search_documents'))
      }
    })
    expect(seen).toEqual([0, 0, 0, 400, 400, 400, 400, 400, 400])
    expect(count(db, 'contacts')).toBe(401)
    expect(count(db, 'revisions')).toBe(401)
    expect(count(db, 'search_documents')).toBe(401)
    expect(found(db, 'zhumabekov')).toHaveLength(401)
  })

  it('a throw discards the queue and turns bulk mode off; bulk mode does not nest', () => {
    const db = fresh()
    expect(() =>
      withBulkCreates(db, () => {
        create(db, 'contact', CONTACT)
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(
      statement(db, 'test:count', () => 'select count(*) from contacts')
        .pluck()
        .get(),
    ).toBe(0)
    expect(count(db, 'revisions')).toBe(0)
    // Off again: a create is written at once, and bulk mode can start again.
    create(db, 'contact', CONTACT)
    expect(count(db, 'contacts')).toBe(1)
    expect(() =>
      withBulkCreates(db, () => {
        create(db, 'contact', { ...CONTACT, id: 'contact-2' })
        withBulkCreates(db, () => 1)
      }),
    ).toThrow(new Error('bulk mode is already on for this connection'))
    expect(withBulkCreates(db, () => 'done')).toBe('done')
    expect(count(db, 'contacts')).toBe(1)
    expect(count(db, 'revisions')).toBe(1)
  })
})
