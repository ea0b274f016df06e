import { and, asc, eq, isNull } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import {
  type AssignmentRow,
  assignments,
  type ContactRow,
  campaignLinks,
  campaigns,
  corrections,
  participations,
  revisions,
  trainingEvents,
} from '../../db/schema.js'
import { statement } from '../../lib/statements.js'
import { presentAssignment } from '../assignments/assignments-routes.js'
import { presentContact } from '../contacts/contacts-routes.js'
import { presentRevision } from '../revisions/revisions-repository.js'
import { presentEvent, presentParticipation } from '../training/training-routes.js'
import { accessLogOf } from './access-log-repository.js'
import { isErased } from './erasure.js'

/**
 * A person's own copy (GET /v1/contacts/{id}/personal-data): every section of what the service
 * holds about them. A module that keeps more about people adds its section here, and to the
 * PersonalData schema.
 */

interface TrainingPost {
  assignmentId: string
  role: string
  organization: string
  stateCode: string | null
}
export type Section = (db: Db, contact: ContactRow) => unknown

export const PERSONAL_DATA_SECTIONS = {
  record: (_db, contact) => presentContact(contact, true),
  tenures: (db, contact) =>
    db
      .select()
      .from(assignments)
      .where(and(eq(assignments.contactId, contact.id), isNull(assignments.deletedAt)))
      .orderBy(asc(assignments.startDate), asc(assignments.id))
      .all()
      .map((a: AssignmentRow) => presentAssignment(a)),
  history: (db, contact) =>
    db
      .select()
      .from(revisions)
      .where(and(eq(revisions.entity, 'contact'), eq(revisions.entityId, contact.id)))
      .orderBy(asc(revisions.seq))
      .all()
      .map((r) => presentRevision(r, true)),
  accessLog: (db, contact) => accessLogOf(db, contact.id),
  training: (db, contact) => {
    const posts = statement(
      db,
      'privacy:training-post',
      () =>
        `select a.id as assignmentId, r.name as role, o.name as organization, a.state_code as stateCode
           from assignments a join roles r on r.id = a.role_id join organizations o on o.id = a.organization_id
          where a.id = ?`,
    )
    return db
      .select({ event: trainingEvents, participation: participations })
      .from(participations)
      .innerJoin(trainingEvents, eq(trainingEvents.id, participations.eventId))
      .where(
        and(
          eq(participations.contactId, contact.id),
          isNull(participations.deletedAt),
          isNull(trainingEvents.deletedAt),
        ),
      )
      .orderBy(asc(trainingEvents.startDate), asc(participations.id))
      .all()
      .map(({ event, participation }) => ({
        event: presentEvent(event),
        participation: presentParticipation(participation, true),
        post:
          participation.assignmentId === null
            ? null
            : ((posts.get(participation.assignmentId) as TrainingPost | undefined) ?? null),
      }))
  },
  campaigns: (db, contact) => {
    const proposed = db.select().from(corrections).where(eq(corrections.contactId, contact.id)).all()
    return db
      .select({ link: campaignLinks, title: campaigns.title })
      .from(campaignLinks)
      .innerJoin(campaigns, eq(campaigns.id, campaignLinks.campaignId))
      .where(eq(campaignLinks.contactId, contact.id))
      .orderBy(asc(campaignLinks.issuedAt), asc(campaignLinks.id))
      .all()
      .map(({ link, title }) => ({
        campaignId: link.campaignId,
        title,
        issuedAt: link.issuedAt,
        expiresAt: link.expiresAt,
        outcome: link.outcome,
        answeredAt: link.answeredAt,
        corrections: proposed
          .filter((c) => c.linkId === link.id)
          .map(({ linkId: _l, ...correction }) => correction),
      }))
  },
} satisfies Record<string, Section>

export function personalData(db: Db, contact: ContactRow) {
  const sections = Object.fromEntries(
    Object.entries(PERSONAL_DATA_SECTIONS).map(([name, section]) => [
      name,
      (section as Section)(db, contact),
    ]),
  ) as { [K in keyof typeof PERSONAL_DATA_SECTIONS]: ReturnType<(typeof PERSONAL_DATA_SECTIONS)[K]> }
  return {
    contactId: contact.id,
    generatedAt: new Date().toISOString(),
    erased: isErased(db, contact.id),
    deletedAt: contact.deletedAt,
    ...sections,
  }
}
