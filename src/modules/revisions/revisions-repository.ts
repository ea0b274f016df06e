import { and, asc, desc, eq, gt, lt, ne } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { type ContactDetail, type EntityName, type RevisionRow, revisions } from '../../db/schema.js'
import { visibleDetails } from '../../lib/contact-details.js'
import { paginate } from '../../lib/pagination.js'
import { invalidField } from '../../lib/problem.js'
import type { PresentedRevision } from './revisions-schemas.js'

export function hasHistory(db: Db, entity: EntityName, entityId: string): boolean {
  return !!db
    .select({ seq: revisions.seq })
    .from(revisions)
    .where(and(eq(revisions.entity, entity), eq(revisions.entityId, entityId)))
    .get()
}

/** A record's revisions, newest first. */
export function listHistory(
  db: Db,
  entity: EntityName,
  entityId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  return paginate(
    db,
    query,
    (r: RevisionRow) => String(r.seq),
    (after, take) => {
      if (after !== undefined && !/^\d{1,15}$/.test(after)) {
        throw invalidField('cursor', 'is not a cursor this service issued')
      }
      return db
        .select()
        .from(revisions)
        .where(
          and(
            eq(revisions.entity, entity),
            eq(revisions.entityId, entityId),
            after ? lt(revisions.seq, Number(after)) : undefined,
          ),
        )
        .orderBy(desc(revisions.seq))
        .limit(take)
        .all()
    },
  )
}

/**
 * The change feed: every revision after `after`, oldest first. Webhook subscriptions' own
 * revisions are admin information (their target URLs) and stay out of it (docs/webhooks.md).
 */
export function listChanges(db: Db, after: number, limit: number): RevisionRow[] {
  return db
    .select()
    .from(revisions)
    .where(and(gt(revisions.seq, after), ne(revisions.entity, 'webhook')))
    .orderBy(asc(revisions.seq))
    .limit(limit)
    .all()
}

const redactDetails = (value: unknown) =>
  Array.isArray(value) ? visibleDetails(value as ContactDetail[], false) : value

/** What a reader without directory:read may see of a revision: no notes, no restricted details. */
export function presentRevision(stored: RevisionRow, seeRestricted: boolean): PresentedRevision {
  // An erase's reason may name the person's request: readers with directory:read only.
  const { reason, ...row } = stored
  // The stored changes hold the entity's own fields, as the Revision schema types them.
  if (seeRestricted) return (reason === null ? row : { ...row, reason }) as unknown as PresentedRevision
  const changes: RevisionRow['changes'] = {}
  for (const [field, change] of Object.entries(row.changes)) {
    if (field === 'notes') continue
    if (row.entity === 'campaign' && field === 'message') continue
    if (field === 'contactDetails') {
      const before = redactDetails(change.before)
      const after = redactDetails(change.after)
      if (JSON.stringify(before) === JSON.stringify(after)) continue
      changes[field] = { before, after }
    } else {
      changes[field] = change
    }
  }
  return { ...row, changes } as unknown as PresentedRevision
}
