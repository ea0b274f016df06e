import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { type ContactRow, contacts } from '../../db/schema.js'
import { statement } from '../../lib/statements.js'
import { eraseRecord, type FieldsOf, now, type Tx, type WriteContext } from '../../lib/write-path.js'

/**
 * Erasure of a person (docs/privacy.md#erasure). Personal fields are emptied in the record and
 * in every earlier revision's before/after values; the tenure skeleton (assignments: role,
 * organization, dates, succession) is not touched, and the names stay unless configured away.
 */

/** What replaces the names when ERASURE_KEEP_NAME is false. */
export const ERASED_NAME = 'Former PoC'

/** Always erased: contact details, notes, honorific, languages and the external system's id. */
export const PERSONAL_FIELDS = ['honorific', 'languages', 'contactDetails', 'notes', 'externalId'] as const
/** Erased too when ERASURE_KEEP_NAME is false. */
export const NAME_FIELDS = ['givenName', 'familyName', 'displayName', 'nameOriginal', 'nameLatin'] as const

/** The values erased fields take in the record. */
export function erasedValues(keepName: boolean): Partial<FieldsOf<'contact'>> {
  const values: Partial<FieldsOf<'contact'>> = {
    honorific: null,
    languages: [],
    contactDetails: [],
    notes: null,
    externalId: null,
  }
  if (keepName) return values
  return {
    ...values,
    givenName: null,
    familyName: ERASED_NAME,
    displayName: ERASED_NAME,
    nameOriginal: null,
    nameLatin: ERASED_NAME,
  }
}

export function erasedFields(keepName: boolean): readonly string[] {
  return keepName ? PERSONAL_FIELDS : [...PERSONAL_FIELDS, ...NAME_FIELDS]
}

/**
 * Whether the contact is erased: its latest revision is an `erase` and nothing of theirs was
 * written elsewhere since (a participation note, a correction's values, an open campaign link),
 * so a person erased and then given new details, anywhere, can be erased again.
 */
export function isErased(db: Tx, contactId: string): boolean {
  const latest = statement(
    db,
    'privacy:is-erased',
    () => "select action from revisions where entity = 'contact' and entity_id = ? order by seq desc limit 1",
  )
    .pluck()
    .get(contactId)
  if (latest !== 'erase') return false
  const since = statement(
    db,
    'privacy:written-since-erase',
    () =>
      `select exists(select 1 from participations where contact_id = @id and notes is not null)
           or exists(select 1 from corrections where contact_id = @id and (patch <> '{}' or status = 'pending'))
           or exists(select 1 from campaign_links where contact_id = @id and outcome is null and expires_at > @now)`,
  )
    .pluck()
    .get({ id: contactId, now: now() })
  return since === 0
}

/** The contact's row, deleted or not (a deleted record keeps its data in its tombstone and history). */
export function findAnyContact(db: Db | Tx, id: string): ContactRow | undefined {
  return db.select().from(contacts).where(eq(contacts.id, id)).get()
}

/**
 * Sets every erased field's before and after to null in the contact's earlier revisions;
 * answers how many revisions it rewrote.
 */
export function scrubHistory(tx: Tx, contactId: string, fields: readonly string[]): number {
  const rows = statement(
    tx,
    'privacy:history',
    () => "select seq, changes from revisions where entity = 'contact' and entity_id = ?",
  ).all(contactId) as { seq: number; changes: string }[]
  return scrubRevisions(tx, rows, fields)
}

/** Sets the fields' before and after to null in these revisions; answers how many it rewrote. */
function scrubRevisions(tx: Tx, rows: { seq: number; changes: string }[], fields: readonly string[]): number {
  const update = statement(tx, 'privacy:scrub', () => 'update revisions set changes = ? where seq = ?')
  let rewritten = 0
  for (const row of rows) {
    const changes = JSON.parse(row.changes) as Record<string, { before: unknown; after: unknown }>
    let touched = false
    for (const field of fields) {
      const change = changes[field]
      if (change && (change.before !== null || change.after !== null)) {
        changes[field] = { before: null, after: null }
        touched = true
      }
    }
    if (touched) {
      update.run(JSON.stringify(changes), row.seq)
      rewritten++
    }
  }
  return rewritten
}

/** Why an erasure closed a pending correction (its `reason`). */
export const ERASED_CORRECTION_REASON = 'The person was erased; the proposed values were removed'

/**
 * What other records hold of the person: their participations' notes (in the records and in
 * every revision of them), the values of their campaign corrections (emptied; a pending one is
 * closed as rejected by the eraser), and their unanswered campaign links (expired now, so they
 * stop working). Written beside the contact's erase, which is the only revision it makes.
 */
export function eraseElsewhere(tx: Tx, ctx: WriteContext, contactId: string, at: string): void {
  const participationIds = statement(
    tx,
    'privacy:participations',
    () => 'select id from participations where contact_id = ?',
  )
    .pluck()
    .all(contactId) as string[]
  statement(
    tx,
    'privacy:participation-notes',
    () => 'update participations set notes = null where contact_id = ? and notes is not null',
  ).run(contactId)
  const revisionsOf = statement(
    tx,
    'privacy:participation-history',
    () => "select seq, changes from revisions where entity = 'participation' and entity_id = ?",
  )
  for (const id of participationIds) {
    scrubRevisions(tx, revisionsOf.all(id) as { seq: number; changes: string }[], ['notes'])
  }
  statement(
    tx,
    'privacy:corrections-close',
    () =>
      `update corrections set status = 'rejected', reviewed_by = ?, reviewed_at = ?, reason = ?
      where contact_id = ? and status = 'pending'`,
  ).run(ctx.actor, at, ERASED_CORRECTION_REASON, contactId)
  statement(
    tx,
    'privacy:corrections-empty',
    () => "update corrections set patch = '{}' where contact_id = ? and patch <> '{}'",
  ).run(contactId)
  statement(
    tx,
    'privacy:links-void',
    () =>
      'update campaign_links set expires_at = ? where contact_id = ? and outcome is null and expires_at > ?',
  ).run(at, contactId, at)
}

/**
 * Erases the contact inside the caller's transaction, and what other records hold of them
 * (`eraseElsewhere`); answers the erased record. The admin route and retention both call it.
 */
export function eraseContact(
  tx: Tx,
  ctx: WriteContext,
  row: ContactRow,
  reason: string,
  keepName: boolean,
): ContactRow {
  scrubHistory(tx, row.id, erasedFields(keepName))
  eraseElsewhere(tx, ctx, row.id, now())
  return eraseRecord(tx, ctx, 'contact', row, erasedValues(keepName), reason)
}

/**
 * Runs `work` with SQLite's secure_delete on, so the pages the erasure rewrites do not keep the
 * old bytes in free space; the WAL's copies are overwritten at its next checkpoint.
 */
export function withSecureDelete<T>(db: Db, work: () => T): T {
  const before = db.$client.pragma('secure_delete', { simple: true }) as number
  db.$client.pragma('secure_delete = ON')
  try {
    return work()
  } finally {
    db.$client.pragma(`secure_delete = ${before ? 'ON' : 'OFF'}`)
  }
}
