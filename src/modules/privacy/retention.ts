import type { Db } from '../../db/client.js'
import type { ContactRow } from '../../db/schema.js'
import { statement } from '../../lib/statements.js'
import { today } from '../../lib/tenure.js'
import { writeTurn } from '../../lib/write-turn.js'
import { eraseContact, findAnyContact, withSecureDelete } from './erasure.js'

/**
 * Retention (docs/privacy.md#retention): people with no current tenure whose last tenure ended
 * more than RETENTION_ENDED_MONTHS months ago are erased; people who never held a post are not
 * (they are being set up, or were entered by mistake: an admin erases or deletes them). The
 * access log keeps ACCESS_LOG_RETENTION_DAYS days.
 */

export const RETENTION_ACTOR = 'system:retention'

/** `day` minus `months` calendar months, the day clamped to the month's length (2025-03-31 - 1 = 2025-02-28). */
export function monthsBefore(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const index = y * 12 + (m - 1) - months
  const year = Math.floor(index / 12)
  const month = index - year * 12
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
  const date = new Date(Date.UTC(year, month, Math.min(d, last)))
  return date.toISOString().slice(0, 10)
}

export interface Due {
  id: string
  displayName: string
  lastEnded: string
}

/**
 * People not erased since their last change (deleted records too) with at least one live tenure, none current on
 * `day`, and the last one ended before the cutoff: ended exactly `months` months ago is kept.
 */
export function dueForErasure(db: Db, months: number, day = today()): { cutoff: string; due: Due[] } {
  const cutoff = monthsBefore(day, months)
  const due = statement(
    db,
    'retention:due',
    () => `select c.id as id, c.display_name as displayName, max(a.end_date) as lastEnded
      from contacts c join assignments a on a.contact_id = c.id and a.deleted_at is null
      where (select r.action from revisions r where r.entity = 'contact' and r.entity_id = c.id
        order by r.seq desc limit 1) is not 'erase'
      group by c.id
      having sum(case when a.end_date is null or a.end_date > ? then 1 else 0 end) = 0
        and max(a.end_date) < ?
      order by lastEnded, c.id`,
  ).all(day, cutoff) as Due[]
  return { cutoff, due }
}

export interface RetentionReport {
  dryRun: boolean
  /** null when RETENTION_ENDED_MONTHS is off (only the access log was trimmed). */
  cutoff: string | null
  erased: Due[]
  accessLogRemoved: number
}

export interface RetentionOptions {
  months: number | null
  accessLogDays: number
  keepName: boolean
  dryRun: boolean
  day?: string
}

/** Applies both retention rules in one transaction, in the database's write turn. */
export function applyRetention(db: Db, o: RetentionOptions): Promise<RetentionReport> {
  return writeTurn(db).run(() => runRetention(db, o))
}

export function runRetention(db: Db, o: RetentionOptions): RetentionReport {
  const day = o.day ?? today()
  const found = o.months === null ? { cutoff: null, due: [] } : dueForErasure(db, o.months, day)
  const logCutoff = new Date(Date.parse(`${day}T00:00:00.000Z`) - o.accessLogDays * 86_400_000).toISOString()
  if (o.dryRun) {
    const n = statement(db, 'retention:log-count', () => 'select count(*) from access_log where at < ?')
      .pluck()
      .get(logCutoff) as number
    return { dryRun: true, cutoff: found.cutoff, erased: found.due, accessLogRemoved: n }
  }
  return withSecureDelete(db, () =>
    db.transaction(
      (tx) => {
        const ctx = { actor: RETENTION_ACTOR, requestId: `retention-${day}` }
        const reason = `Retention: last tenure ended before ${found.cutoff} (RETENTION_ENDED_MONTHS=${o.months})`
        for (const person of found.due) {
          eraseContact(tx, ctx, findAnyContact(tx, person.id) as ContactRow, reason, o.keepName)
        }
        const removed = statement(
          tx,
          'retention:log-delete',
          () => 'delete from access_log where at < ?',
        ).run(logCutoff).changes
        return { dryRun: false, cutoff: found.cutoff, erased: found.due, accessLogRemoved: removed }
      },
      { behavior: 'immediate' },
    ),
  )
}
