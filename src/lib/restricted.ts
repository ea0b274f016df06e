import type { ContactDetail, ContactRow, RevisionRow } from '../db/schema.js'

/** What a reader with directory:read sees and the public does not: the access log's test. */

const restrictedDetails = (value: unknown): boolean =>
  Array.isArray(value) && (value as ContactDetail[]).some((d) => d?.visibility === 'restricted')

/** Whether a reader with directory:read sees more of this contact than the public does. */
export const carriesRestricted = (row: Pick<ContactRow, 'notes' | 'contactDetails'>): boolean =>
  row.notes !== null || restrictedDetails(row.contactDetails)

/** Whether a revision, as a reader with directory:read sees it, carries a contact's restricted values. */
export function revisionCarriesRestricted(row: RevisionRow): boolean {
  if (row.entity !== 'contact') return false
  const notes = row.changes.notes
  if (notes && (notes.before !== null || notes.after !== null)) return true
  const details = row.changes.contactDetails
  return !!details && (restrictedDetails(details.before) || restrictedDetails(details.after))
}

/** The ids of the contacts among `rows` whose restricted values a reader who sees them gets. */
export const restrictedIds = (rows: Pick<ContactRow, 'id' | 'notes' | 'contactDetails'>[]): string[] =>
  rows.filter(carriesRestricted).map((r) => r.id)

/** Whether a proposed contact patch (a campaign correction) holds restricted contact details. */
export const proposesRestricted = (patch: Record<string, unknown>): boolean =>
  restrictedDetails(patch.contactDetails)
