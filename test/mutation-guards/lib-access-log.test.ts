import type { FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type Db, openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import type { ContactDetail, RevisionRow } from '../../src/db/schema.js'
import {
  AccessLogWriter,
  disclose,
  discloseContacts,
  discloseRevisions,
  discloseToLink,
  shareDisclosed,
  writeEntries,
} from '../../src/lib/access-log.js'
import type { Principal } from '../../src/plugins/auth.js'

/**
 * src/lib/access-log.ts called directly: what each `disclose*` adds to a request (a plain
 * object with the fields the functions read), and the writer's batches on a real migrated
 * database opened inside each test.
 */

function fresh(): Db {
  const db = openDatabase(':memory:')
  runMigrations(db)
  return db
}

type Req = FastifyRequest & { restrictedRead?: boolean }

function request(accessLog: 'contacts' | 'not-personal' | null = 'contacts', scopes: string[] = []): Req {
  const principal: Principal | null =
    scopes.length > 0 ? { sub: 'p', scopes: new Set(scopes) as Principal['scopes'], states: null } : null
  return {
    routeOptions: { url: '/v1/things/:id', config: accessLog ? { accessLog } : {} },
    disclosedContacts: null,
    accessReader: null,
    principal,
  } as unknown as Req
}

const ids = (r: FastifyRequest) => (r.disclosedContacts === null ? null : [...r.disclosedContacts])

const restricted: ContactDetail[] = [{ type: 'email', value: 'x@y.z', label: null, visibility: 'restricted' }]
const publicOnly: ContactDetail[] = [{ type: 'email', value: 'p@y.z', label: null, visibility: 'public' }]

describe('disclose', () => {
  it('adds to the request set in order, keeping one set; a route without the declaration throws', () => {
    const r = request()
    disclose(r, ['a', 'b'])
    const first = r.disclosedContacts
    disclose(r, ['b', 'c'])
    expect(r.disclosedContacts).toBe(first)
    expect(ids(r)).toEqual(['a', 'b', 'c'])
    for (const declared of ['not-personal', null] as const) {
      const other = request(declared)
      expect(() => disclose(other, ['a'])).toThrow(
        new Error("/v1/things/:id discloses contacts but does not declare accessLog: 'contacts'"),
      )
      expect(other.disclosedContacts).toBeNull()
    }
  })

  it('copies a shared set before adding to it, and shares it unchanged otherwise', () => {
    const cached = new Set(['a'])
    const r1 = request()
    shareDisclosed(r1, cached)
    expect(r1.disclosedContacts).toBe(cached)
    disclose(r1, ['b'])
    expect(ids(r1)).toEqual(['a', 'b'])
    expect(r1.disclosedContacts).not.toBe(cached)
    expect([...cached]).toEqual(['a'])
    // The copy is the request's own from then on.
    const own = r1.disclosedContacts
    disclose(r1, ['c'])
    expect(r1.disclosedContacts).toBe(own)
    expect(ids(r1)).toEqual(['a', 'b', 'c'])
  })
})

describe('discloseContacts', () => {
  it('names the contacts with notes or a restricted detail, for a reader who sees them', () => {
    const rows = [
      { id: 'n', notes: 'a note', contactDetails: [] },
      { id: 'r', notes: null, contactDetails: restricted },
      { id: 'p', notes: null, contactDetails: publicOnly },
      { id: 'e', notes: null, contactDetails: [] },
    ]
    const seeing = request()
    discloseContacts(seeing, rows, true)
    expect(ids(seeing)).toEqual(['n', 'r'])
    const blind = request()
    discloseContacts(blind, rows, false)
    expect(blind.disclosedContacts).toBeNull()
    const nothing = request('not-personal')
    discloseContacts(nothing, [rows[2] as (typeof rows)[number]], true)
    expect(nothing.disclosedContacts).toBeNull()
  })

  it("by default asks the request's token", () => {
    const rows = [{ id: 'n', notes: 'a note', contactDetails: [] }]
    const withRead = request('contacts', ['directory:read'])
    discloseContacts(withRead, rows)
    expect(ids(withRead)).toEqual(['n'])
    expect(withRead.restrictedRead).toBe(true)
    const anonymous = request('contacts')
    discloseContacts(anonymous, rows)
    expect(anonymous.disclosedContacts).toBeNull()
  })
})

describe('discloseToLink', () => {
  it('logs a person reading their own restricted details under the campaign link', () => {
    const r = request()
    discloseToLink(r, 'camp-1', { id: 'c1', contactDetails: restricted })
    expect(r.accessReader).toBe('link:camp-1')
    expect(ids(r)).toEqual(['c1'])
    const none = request()
    discloseToLink(none, 'camp-1', { id: 'c2', contactDetails: publicOnly })
    expect(none.accessReader).toBeNull()
    expect(none.disclosedContacts).toBeNull()
  })
})

describe('discloseRevisions', () => {
  const rev = (entity: string, entityId: string, changes: Record<string, unknown>) =>
    ({ seq: 1, entity, entityId, changes }) as unknown as RevisionRow

  it("names a contact revision's person and a participation's notes' person", () => {
    const db = fresh()
    db.$client.pragma('foreign_keys = OFF')
    db.$client.exec(
      `insert into participations (id, event_id, contact_id, status, notes, version, created_at, updated_at)
       values ('part-1', 'ev', 'owner-1', 'attended', 'n', 1, 't', 't')`,
    )
    const rows = [
      rev('contact', 'c-notes', { notes: { before: null, after: 'x' } }),
      rev('contact', 'c-public', { familyName: { before: 'A', after: 'B' } }),
      rev('participation', 'part-1', { notes: { before: 'old', after: null } }),
      rev('participation', 'part-1', { notes: { before: null, after: null } }),
      rev('participation', 'part-1', { status: { before: 'invited', after: 'attended' } }),
      rev('participation', 'part-9', { notes: { before: null, after: 'n' } }),
      rev('participation', 'part-1', {
        notes: { before: null, after: 'n' },
        contactId: { before: 'old-person', after: 'new-person' },
      }),
      rev('participation', 'part-1', {
        notes: { before: 'n', after: 'n' },
        contactId: { before: null, after: 'p2' },
      }),
      rev('organization', 'o1', { notes: { before: null, after: 'x' } }),
    ]
    const r = request()
    discloseRevisions(r, db, rows, true)
    expect(ids(r)).toEqual(['c-notes', 'owner-1', 'old-person', 'new-person', 'p2'])
    // Each revision alone: only a participation's notes, set before or after, name its person,
    // even where another entity's id is a participation's.
    const alone = (row: RevisionRow) => {
      const one = request()
      discloseRevisions(one, db, [row], true)
      return ids(one)
    }
    expect(alone(rows[2] as RevisionRow)).toEqual(['owner-1'])
    expect(alone(rev('participation', 'part-1', { notes: { before: null, after: 'x' } }))).toEqual([
      'owner-1',
    ])
    expect(alone(rows[3] as RevisionRow)).toBeNull()
    expect(alone(rows[4] as RevisionRow)).toBeNull()
    expect(alone(rows[5] as RevisionRow)).toBeNull()
    expect(alone(rev('organization', 'part-1', { notes: { before: null, after: 'x' } }))).toBeNull()
    expect(alone(rev('contact', 'part-1', { familyName: { before: 'A', after: 'B' } }))).toBeNull()
    const blind = request()
    discloseRevisions(blind, db, rows, false)
    expect(blind.disclosedContacts).toBeNull()
    const none = request('not-personal')
    discloseRevisions(none, db, [rows[1] as RevisionRow, rows[4] as RevisionRow], true)
    expect(none.disclosedContacts).toBeNull()
  })
})

describe('AccessLogWriter', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  const entry = (n: number, contactIds: ReadonlySet<string> | string[] = [`c${n}`]) => ({
    at: `2026-12-05T00:00:0${n % 10}Z`,
    reader: `r${n}`,
    method: 'GET',
    route: '/v1/contacts/:id',
    requestId: `req-${n}`,
    contactIds,
  })
  const stored = (db: Db) =>
    db.$client
      .prepare(
        'select at, reader, method, route, request_id as requestId, contact_ids as contactIds from access_log order by id',
      )
      .all()

  it('writes entries as given; a set and an array of contacts store the same JSON', () => {
    const db = fresh()
    const shared = new Set(['x', 'y'])
    writeEntries(db, [entry(1), entry(2, shared), entry(3, shared), entry(4, ['y', 'x'])])
    expect(stored(db)).toEqual([
      { ...entry(1), contactIds: '["c1"]' },
      { ...entry(2), contactIds: '["x","y"]' },
      { ...entry(3), contactIds: '["x","y"]' },
      { ...entry(4), contactIds: '["y","x"]' },
    ])
    // A shared set is written as it was first written (it is never added to in place); an
    // array is each entry's own and written as it is.
    shared.add('z')
    const list = ['a']
    writeEntries(db, [entry(5, shared), entry(6, list)])
    list.push('b')
    writeEntries(db, [entry(7, list)])
    expect((stored(db) as { contactIds: string }[]).slice(4).map((e) => e.contactIds)).toEqual([
      '["x","y"]',
      '["a"]',
      '["a","b"]',
    ])
  })

  it('buffers until flushed; an empty flush writes nothing; close flushes', async () => {
    const db = fresh()
    const log = new AccessLogWriter(db)
    log.push(entry(1))
    log.push(entry(2))
    expect(stored(db)).toEqual([])
    const written = log.flush()
    await written
    expect(stored(db).length).toBe(2)
    // Nothing buffered: the last flush's promise again, nothing written.
    expect(log.flush()).toBe(written)
    await log.flush()
    expect(stored(db).length).toBe(2)
    log.push(entry(3))
    await log.close()
    expect((stored(db) as { reader: string }[]).map((e) => e.reader)).toEqual(['r1', 'r2', 'r3'])
  })

  it('flushes by itself at 500 entries, once, and every second once started', async () => {
    const db = fresh()
    const log = new AccessLogWriter(db)
    const flush = vi.spyOn(log, 'flush')
    for (let n = 0; n < 499; n++) log.push(entry(n))
    await new Promise((resolve) => setImmediate(resolve))
    expect(stored(db).length).toBe(0)
    log.push(entry(499))
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    expect(stored(db).length).toBe(500)
    expect(flush).toHaveBeenCalledTimes(1)
    // The next 500 again, with pushes past the size in the same turn: one flush each time.
    for (let n = 0; n < 502; n++) log.push(entry(n))
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    expect(stored(db).length).toBe(1002)
    expect(flush).toHaveBeenCalledTimes(2)

    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const timed = new AccessLogWriter(db)
    timed.start()
    timed.start()
    timed.push(entry(1))
    vi.advanceTimersByTime(999)
    await Promise.resolve()
    expect(stored(db).length).toBe(1002)
    vi.advanceTimersByTime(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(stored(db).length).toBe(1003)
    await timed.close()
    timed.push(entry(2))
    vi.advanceTimersByTime(5000)
    await new Promise((resolve) => setImmediate(resolve))
    expect(stored(db).length).toBe(1003)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('keeps a batch the database refused for the next flush, in order', async () => {
    const db = fresh()
    const log = new AccessLogWriter(db)
    db.$client.exec(
      `create trigger refuse before insert on access_log when (select count(*) from sqlite_master where name = 'open') = 0
       begin select raise(abort, 'busy'); end`,
    )
    log.push(entry(1))
    await log.flush()
    log.push(entry(2))
    expect(stored(db)).toEqual([])
    db.$client.exec('create table open (x)')
    await log.flush()
    expect((stored(db) as { reader: string }[]).map((e) => e.reader)).toEqual(['r1', 'r2'])
  })
})
