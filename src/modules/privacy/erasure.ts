import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { type ContactRow, contacts } from '../../db/schema.js'
import { statement } from '../../lib/statements.js'
import { eraseRecord, type FieldsOf, type Tx, type WriteContext } from '../../lib/write-path.js'

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
 * Whether the contact is erased: its latest revision is an `erase`, so nothing personal was
 * written since (a person erased and then given new details can be erased again).
 */
export function isErased(db: Tx, contactId: string): boolean {
  return (
    statement(
      db,
      'privacy:is-erased',
      () =>
        "select action from revisions where entity = 'contact' and entity_id = ? order by seq desc limit 1",
    )
      .pluck()
      .get(contactId) === 'erase'
  )
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

/** Erases the contact inside the caller's transaction; answers the erased record. */
export function eraseContact(
  tx: Tx,
  ctx: WriteContext,
  row: ContactRow,
  reason: string,
  keepName: boolean,
): ContactRow {
  scrubHistory(tx, row.id, erasedFields(keepName))
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
