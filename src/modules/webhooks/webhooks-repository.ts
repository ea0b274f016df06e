import { randomBytes } from 'node:crypto'
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import {
  type RevisionRow,
  type WebhookRow,
  webhookCursors,
  webhookSecrets,
  webhooks,
} from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { findLive, statement } from '../../lib/statements.js'
import type { Tx } from '../../lib/write-path.js'

export type CursorRow = typeof webhookCursors.$inferSelect

export function findWebhook(db: Tx, id: string): WebhookRow | undefined {
  return findLive(db, webhooks, webhooks.id, id)
}

export function listWebhooks(db: Db, query: { limit: number; cursor?: string | undefined }) {
  return paginate(
    db,
    query,
    (r: WebhookRow) => r.id,
    (after, take) =>
      db
        .select()
        .from(webhooks)
        .where(and(isNull(webhooks.deletedAt), after ? gt(webhooks.id, after) : undefined))
        .orderBy(asc(webhooks.id))
        .limit(take)
        .all(),
  )
}

export function cursorOf(db: Tx, webhookId: string): CursorRow | undefined {
  return db.select().from(webhookCursors).where(eq(webhookCursors.webhookId, webhookId)).get()
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** The record as admins read it: stored fields and where its deliveries stand. */
export function presentWebhook(row: WebhookRow, cursor: CursorRow | undefined) {
  const { deletedAt: _d, ...fields } = row
  return {
    ...fields,
    delivery: {
      position: cursor?.position ?? 0,
      attempt: cursor?.attempt ?? 0,
      nextAttemptAt: cursor && cursor.attempt > 0 ? iso(cursor.nextAttemptAt) : null,
      failingSince: iso(cursor?.failingSince ?? null),
    },
  }
}

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`

export function setSecret(
  tx: Tx,
  webhookId: string,
  secret: string,
  previous?: { secret: string; until: string },
) {
  const values = {
    webhookId,
    secret,
    previousSecret: previous?.secret ?? null,
    previousUntil: previous?.until ?? null,
  }
  tx.insert(webhookSecrets)
    .values(values)
    .onConflictDoUpdate({ target: webhookSecrets.webhookId, set: values })
    .run()
}

export function currentSecret(db: Tx, webhookId: string): string | undefined {
  return db
    .select({ secret: webhookSecrets.secret })
    .from(webhookSecrets)
    .where(eq(webhookSecrets.webhookId, webhookId))
    .get()?.secret
}

/** The secrets deliveries are signed with now: the current one, and the previous during its overlap. */
export function signingSecrets(db: Tx, webhookId: string, at: Date): string[] {
  const row = db.select().from(webhookSecrets).where(eq(webhookSecrets.webhookId, webhookId)).get()
  if (!row) return []
  const out = [row.secret]
  if (row.previousSecret && row.previousUntil && new Date(row.previousUntil) > at)
    out.push(row.previousSecret)
  return out
}

/** A new subscription starts at the feed's head: it is told of changes from its creation on. */
export function startCursor(tx: Tx, webhookId: string, position: number): void {
  tx.insert(webhookCursors)
    .values({ webhookId, position, attempt: 0, nextAttemptAt: 0, failingSince: null })
    .run()
}

export function resetFailures(tx: Tx, webhookId: string): void {
  tx.update(webhookCursors)
    .set({ attempt: 0, nextAttemptAt: 0, failingSince: null })
    .where(eq(webhookCursors.webhookId, webhookId))
    .run()
}

export function forgetWebhook(tx: Tx, webhookId: string): void {
  tx.delete(webhookSecrets).where(eq(webhookSecrets.webhookId, webhookId)).run()
  tx.delete(webhookCursors).where(eq(webhookCursors.webhookId, webhookId)).run()
}

export function advance(tx: Tx, webhookId: string, position: number): void {
  statement(
    tx,
    'webhook-advance',
    () =>
      'update webhook_cursors set position = ?, attempt = 0, next_attempt_at = 0, failing_since = null where webhook_id = ? and position < ?',
  ).run(position, webhookId, position)
}

export function recordFailure(
  tx: Tx,
  webhookId: string,
  attempt: number,
  nextAttemptAt: number,
  since: number,
) {
  tx.update(webhookCursors)
    .set({ attempt, nextAttemptAt, failingSince: since })
    .where(eq(webhookCursors.webhookId, webhookId))
    .run()
}

export interface DueSubscription {
  webhook: WebhookRow
  cursor: CursorRow
}

/** Active subscriptions whose next attempt is due. */
export function dueSubscriptions(db: Tx, nowMs: number): DueSubscription[] {
  return db
    .select({ webhook: webhooks, cursor: webhookCursors })
    .from(webhooks)
    .innerJoin(webhookCursors, eq(webhookCursors.webhookId, webhooks.id))
    .where(
      and(
        isNull(webhooks.deletedAt),
        eq(webhooks.active, true),
        sql`${webhookCursors.nextAttemptAt} <= ${nowMs}`,
      ),
    )
    .all()
}

/** Whether the subscription exists (not deleted): one index lookup, no row read. */
export function webhookExists(db: Tx, id: string): boolean {
  return (
    statement(db, 'webhook-exists', () => 'select 1 from webhooks where id = ? and deleted_at is null').get(
      id,
    ) !== undefined
  )
}

/** Whether any subscription is active (the delivery worker is started only then). */
export function anyActive(db: Tx): boolean {
  return (
    statement(
      db,
      'webhook-any-active',
      () => 'select 1 from webhooks where active = 1 and deleted_at is null limit 1',
    ).get() !== undefined
  )
}

/** The state a versioned record had at revision `seq`, from its own revisions (null: none). */
function stateCodeAt(db: Tx, row: RevisionRow, field = 'stateCode'): (string | null)[] {
  const change = row.changes[field]
  if (change) return [change.before as string | null, change.after as string | null]
  const last = statement(
    db,
    `webhook-${field}-at`,
    () =>
      `select json_extract(changes, '$.${field}.after') from revisions where entity = ? and entity_id = ? and seq <= ? and json_type(changes, '$.${field}') is not null order by seq desc limit 1`,
  )
    .pluck()
    .get(row.entity, row.entityId, row.seq) as string | null | undefined
  return [last ?? null]
}

/** The person a participation records, from its own create revision (a participation's contact never changes). */
function participantOf(db: Tx, row: RevisionRow): string | null {
  const change = row.changes.contactId
  if (change) return (change.after ?? change.before) as string | null
  return (
    (statement(
      db,
      'webhook-participant',
      () =>
        "select json_extract(changes, '$.contactId.after') from revisions where entity = 'participation' and entity_id = ? and action = 'create'",
    )
      .pluck()
      .get(row.entityId) as string | null | undefined) ?? null
  )
}

/**
 * The states of a contact's assignments (current or ended) that existed at revision `seq`: the
 * claim's rule applied at that point of the feed, so what a filtered subscription is sent does
 * not depend on when the loop runs.
 */
function contactStatesAt(db: Tx, row: RevisionRow): (string | null)[] {
  return statement(
    db,
    'webhook-contact-states-at',
    () =>
      "select distinct a.state_code from assignments a where a.contact_id = ? and a.deleted_at is null and (select min(r.seq) from revisions r where r.entity = 'assignment' and r.entity_id = a.id) <= ?",
  )
    .pluck()
    .all(row.entityId, row.seq) as (string | null)[]
}

/**
 * The states a change belongs to, by the rule the token `states` claim applies to writes: a
 * state is its own; an organization and an assignment belong to their state (both, when the
 * change moves them); a contact belongs to the states of its assignments, current or ended
 * at the time of the change (none until it is assigned); a training event to its host state, a
 * participation to its person's states; a role belongs to no state.
 */
export function statesOfRevision(db: Tx, row: RevisionRow): string[] {
  let codes: (string | null)[]
  switch (row.entity) {
    case 'state':
      codes = [row.entityId]
      break
    case 'organization':
    case 'assignment':
      codes = stateCodeAt(db, row)
      break
    case 'contact':
      codes = contactStatesAt(db, row)
      break
    // A training event belongs to its host state; a participation to its person's states, as
    // the states claim applies them to writes (docs/training.md).
    case 'training-event':
      codes = stateCodeAt(db, row, 'hostStateCode')
      break
    case 'participation': {
      const contactId = participantOf(db, row)
      codes = contactId ? contactStatesAt(db, { ...row, entityId: contactId }) : []
      break
    }
    default:
      codes = []
  }
  return [...new Set(codes.filter((c): c is string => typeof c === 'string'))]
}

/** Whether the subscription's filters let the change through. */
export function wants(
  db: Tx,
  webhook: WebhookRow,
  row: RevisionRow,
  statesOf: (row: RevisionRow) => string[] = (r) => statesOfRevision(db, r),
): boolean {
  if (row.entity === 'webhook') return false
  if (webhook.entities && !webhook.entities.includes(row.entity)) return false
  if (webhook.states) {
    const filter = webhook.states
    return statesOf(row).some((code) => filter.includes(code))
  }
  return true
}
