import type { FastifyRequest } from 'fastify'
import type { Db } from '../db/client.js'
import type { ContactRow, RevisionRow } from '../db/schema.js'
import { canSeeRestricted } from '../plugins/auth.js'
import { carriesRestricted, revisionCarriesRestricted } from './restricted.js'
import { insertMany, statement } from './statements.js'
import type { Tx } from './write-path.js'
import { writeTurn } from './write-turn.js'

/**
 * The access log's request side: a route that answers restricted details or notes of contacts
 * names them with `disclose*`, and the access-log plugin records one entry per answer. What is
 * disclosed is decided from what the answer carries (a contact with a restricted detail or
 * notes, a contact revision with either), not from the route, so a public read logs nothing.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * How the route reports what restricted data it answers: `contacts` (it calls
     * `disclose*` for every contact whose restricted details or notes it answers) or
     * `not-personal` (its restricted fields are organizations', not people's). A route that
     * asks `canSeeRestricted` without declaring this answers 500: none can forget it silently.
     */
    accessLog?: 'contacts' | 'not-personal'
  }
  interface FastifyRequest {
    /** Contacts whose restricted details or notes this answer carries. */
    disclosedContacts: Set<string> | null
    /** Who reads when no token does: `link:<campaign id>` for a person opening their own link. */
    accessReader: string | null
  }
}

// Sets of disclosed contacts kept with a cached page and handed to every request it answers
// (shareDisclosed): never added to in place.
const shared = new WeakSet<Set<string>>()

/** Records that the answer carries restricted values of these contacts. */
export function disclose(request: FastifyRequest, contactIds: Iterable<string>): void {
  if (request.routeOptions.config.accessLog !== 'contacts') {
    throw new Error(
      `${request.routeOptions.url} discloses contacts but does not declare accessLog: 'contacts'`,
    )
  }
  const current = request.disclosedContacts
  const set = current && !shared.has(current) ? current : new Set(current)
  for (const id of contactIds) set.add(id)
  request.disclosedContacts = set
}

/**
 * A cached answer discloses what it disclosed when it was read: the same set for every request
 * it answers (no copy per request), logged like any other answer.
 */
export function shareDisclosed(request: FastifyRequest, contacts: Set<string>): void {
  shared.add(contacts)
  request.disclosedContacts = contacts
}

/** Discloses the contacts of an answer, when the reader sees their restricted values. */
export function discloseContacts(
  request: FastifyRequest,
  rows: Iterable<Pick<ContactRow, 'id' | 'notes' | 'contactDetails'>>,
  seeRestricted = canSeeRestricted(request),
): void {
  if (!seeRestricted) return
  const ids: string[] = []
  for (const row of rows) if (carriesRestricted(row)) ids.push(row.id)
  if (ids.length) disclose(request, ids)
}

/**
 * Discloses the people whose restricted values these revisions carry, as a reader who sees them
 * gets them: a contact's own revisions, and a participation's notes (its person's, looked up
 * when the revision does not name them).
 */
/**
 * A person reading their own entry through a campaign link: logged like any disclosure, with
 * `link:<campaign id>` as the reader (the answer carries their restricted details, not notes).
 */
export function discloseToLink(
  request: FastifyRequest,
  campaignId: string,
  contact: Pick<ContactRow, 'id' | 'contactDetails'>,
): void {
  if (!carriesRestricted({ notes: null, contactDetails: contact.contactDetails })) return
  request.accessReader = `link:${campaignId}`
  disclose(request, [contact.id])
}

export function discloseRevisions(
  request: FastifyRequest,
  db: Tx,
  rows: RevisionRow[],
  seeRestricted: boolean,
): void {
  if (!seeRestricted) return
  const ids: string[] = []
  for (const row of rows) {
    if (revisionCarriesRestricted(row)) ids.push(row.entityId)
    else if (participationRevisionCarriesNotes(row)) ids.push(...participationPeople(db, row))
  }
  if (ids.length) disclose(request, ids)
}

function participationRevisionCarriesNotes(row: RevisionRow): boolean {
  if (row.entity !== 'participation') return false
  const notes = row.changes.notes
  return !!notes && (notes.before !== null || notes.after !== null)
}

/** The person (or, for a revision that moved it, both people) a participation revision belongs to. */
function participationPeople(db: Tx, row: RevisionRow): string[] {
  const moved = row.changes.contactId
  const named = [moved?.before, moved?.after].filter((v): v is string => typeof v === 'string')
  if (named.length) return named
  const owner = statement(
    db,
    'access-log:participation-owner',
    () => 'select contact_id from participations where id = ?',
  )
    .pluck()
    .get(row.entityId) as string | undefined
  return owner ? [owner] : []
}

export { carriesRestricted, revisionCarriesRestricted }

export interface AccessEntry {
  at: string
  reader: string
  method: string
  route: string
  requestId: string
  contactIds: ReadonlySet<string> | readonly string[]
}

// The JSON of a shared set (a cached page's contacts), written once however many reads log it.
const jsonOfSet = new WeakMap<ReadonlySet<string>, string>()
function contactIdsJson(ids: AccessEntry['contactIds']): string {
  if (Array.isArray(ids)) return JSON.stringify(ids)
  const set = ids as ReadonlySet<string>
  let json = jsonOfSet.get(set)
  if (json === undefined) {
    json = JSON.stringify([...set])
    jsonOfSet.set(set, json)
  }
  return json
}

const COLUMNS = ['at', 'reader', 'method', 'route', 'request_id', 'contact_ids']

const FLUSH_MS = 1000
const FLUSH_SIZE = 500

/**
 * Entries wait in memory and are written in batches (every second, at 500 entries, and on
 * close), in the database's write turn, so a read never waits for the log and a write lock held
 * by an import never blocks the event loop.
 */
export class AccessLogWriter {
  private buffer: AccessEntry[] = []
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()
  private scheduled = false

  constructor(private readonly db: Db) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), FLUSH_MS).unref()
  }

  push(entry: AccessEntry): void {
    this.buffer.push(entry)
    if (this.buffer.length >= FLUSH_SIZE && !this.scheduled) {
      this.scheduled = true
      setImmediate(() => void this.flush())
    }
  }

  /** Writes what is buffered; resolves once it is committed. */
  flush(): Promise<void> {
    this.scheduled = false
    if (this.buffer.length === 0) return this.flushing
    const batch = this.buffer
    this.buffer = []
    this.flushing = writeTurn(this.db)
      .run(() => writeEntries(this.db, batch))
      .catch((err: unknown) => {
        // Kept for the next flush rather than lost (the database was busy or closing).
        this.buffer.unshift(...batch)
        throw err
      })
      .catch(() => undefined)
    return this.flushing
  }

  async close(): Promise<void> {
    clearInterval(this.timer ?? undefined)
    this.timer = null
    await this.flush()
  }
}

export function writeEntries(db: Db, entries: AccessEntry[]): void {
  const rows = entries.map((e) => [
    e.at,
    e.reader,
    e.method,
    e.route,
    e.requestId,
    contactIdsJson(e.contactIds),
  ])
  db.transaction((tx) => insertMany(tx, 'access_log', COLUMNS, rows))
}
