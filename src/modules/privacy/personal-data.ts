import { and, asc, eq, isNull } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { type AssignmentRow, assignments, type ContactRow, revisions } from '../../db/schema.js'
import { presentAssignment } from '../assignments/assignments-routes.js'
import { presentContact } from '../contacts/contacts-routes.js'
import { presentRevision } from '../revisions/revisions-repository.js'
import { accessLogOf } from './access-log-repository.js'
import { isErased } from './erasure.js'

/**
 * A person's own copy (GET /v1/contacts/{id}/personal-data): every section of what the service
 * holds about them. A module that keeps more about people adds its section here (training
 * records are expected next), and to the PersonalData schema.
 */
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
