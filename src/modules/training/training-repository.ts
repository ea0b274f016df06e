import { and, asc, desc, eq, gt, gte, isNull, lte, or, type SQL, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Db } from '../../db/client.js'
import {
  type AssignmentRow,
  assignments,
  type ParticipationRow,
  participations,
  type TrainingEventRow,
  trainingEvents,
} from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { invalidField } from '../../lib/problem.js'
import { findLive } from '../../lib/statements.js'
import { updatedSinceFilter } from '../../lib/updated-since.js'
import type { Tx } from '../../lib/write-path.js'
import type { ParticipationListQuery, TrainingEventListQuery } from './training-schemas.js'

export function findEvent(db: Tx, id: string): TrainingEventRow | undefined {
  return findLive(db, trainingEvents, trainingEvents.id, id)
}

export function findParticipation(db: Tx, id: string): ParticipationRow | undefined {
  return findLive(db, participations, participations.id, id)
}

/** The live participation of a contact in an event (there is at most one). */
export function findParticipationOf(db: Tx, eventId: string, contactId: string) {
  return db
    .select()
    .from(participations)
    .where(
      and(
        eq(participations.eventId, eventId),
        eq(participations.contactId, contactId),
        isNull(participations.deletedAt),
      ),
    )
    .get()
}

export function eventHasParticipations(db: Tx, eventId: string): boolean {
  return !!db
    .select({ id: participations.id })
    .from(participations)
    .where(and(eq(participations.eventId, eventId), isNull(participations.deletedAt)))
    .get()
}

/**
 * The assignment the contact held on `day` (tenures cover [startDate, endDate)): the primary
 * one first, then the most recently started, so a person holding two posts gets the main one.
 */
export function assignmentHeldOn(db: Tx, contactId: string, day: string): AssignmentRow | undefined {
  return db
    .select()
    .from(assignments)
    .where(
      and(
        eq(assignments.contactId, contactId),
        isNull(assignments.deletedAt),
        lte(assignments.startDate, day),
        or(isNull(assignments.endDate), gt(assignments.endDate, day)),
      ),
    )
    .orderBy(desc(assignments.isPrimary), desc(assignments.startDate), asc(assignments.id))
    .get()
}

/** The post a participant held at the event: the one held on its first day (null: none). */
export function assignmentAt(db: Tx, contactId: string, event: TrainingEventRow): string | null {
  return assignmentHeldOn(db, contactId, event.startDate)?.id ?? null
}

export function listEvents(db: Db, query: TrainingEventListQuery & { limit: number }) {
  return paginate(
    db,
    query,
    (r: TrainingEventRow) => r.id,
    (after, take) => {
      const where: SQL[] = [isNull(trainingEvents.deletedAt)]
      if (after) where.push(gt(trainingEvents.id, after))
      if (query.hostState) where.push(eq(trainingEvents.hostStateCode, query.hostState))
      if (query.kind) where.push(eq(trainingEvents.kind, query.kind))
      if (query.from) where.push(gte(trainingEvents.endDate, query.from))
      if (query.to) where.push(lte(trainingEvents.startDate, query.to))
      if (query.updatedSince)
        where.push(updatedSinceFilter(db, trainingEvents.id, trainingEvents.updatedAt, query.updatedSince))
      return db
        .select()
        .from(trainingEvents)
        .where(and(...where))
        .orderBy(asc(trainingEvents.id))
        .limit(take)
        .all()
    },
  )
}

export function listParticipations(db: Db, query: ParticipationListQuery) {
  return paginate(
    db,
    query,
    (r: ParticipationRow) => r.id,
    (after, take) => {
      const where: SQL[] = [isNull(participations.deletedAt)]
      if (after) where.push(gt(participations.id, after))
      if (query.event) where.push(eq(participations.eventId, query.event))
      if (query.contact) where.push(eq(participations.contactId, query.contact))
      if (query.status) where.push(eq(participations.status, query.status))
      if (query.updatedSince)
        where.push(updatedSinceFilter(db, participations.id, participations.updatedAt, query.updatedSince))
      return db
        .select()
        .from(participations)
        .where(and(...where))
        .orderBy(asc(participations.id))
        .limit(take)
        .all()
    },
  )
}

const RecordKey = z.tuple([z.string(), z.string()])

/** A person's participations with their events, newest event first. */
export function trainingRecordOf(
  db: Db,
  contactId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  return paginate(
    db,
    query,
    (r: { event: TrainingEventRow; participation: ParticipationRow }) =>
      JSON.stringify([r.event.startDate, r.participation.id]),
    (after, take) => {
      let key: [string, string] | undefined
      if (after) {
        try {
          key = RecordKey.parse(JSON.parse(after))
        } catch {
          throw invalidField('cursor', 'is not a cursor this service issued')
        }
      }
      const where: SQL[] = [
        eq(participations.contactId, contactId),
        isNull(participations.deletedAt),
        isNull(trainingEvents.deletedAt),
      ]
      if (key) {
        const [start, id] = key
        // Newest first: the next page holds the keys below the last one seen.
        where.push(sql`(${trainingEvents.startDate}, ${participations.id}) < (${start}, ${id})`)
      }
      return db
        .select({ event: trainingEvents, participation: participations })
        .from(participations)
        .innerJoin(trainingEvents, eq(trainingEvents.id, participations.eventId))
        .where(and(...where))
        .orderBy(desc(trainingEvents.startDate), desc(participations.id))
        .limit(take)
        .all()
    },
  )
}
