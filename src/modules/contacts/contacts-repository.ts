import { and, type Column, eq, gte, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { assignments, type ContactRow, contacts } from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { listOrder } from '../../lib/search-index.js'
import { findLive } from '../../lib/statements.js'
import { currentTenure } from '../../lib/tenure.js'
import { updatedSinceFilter } from '../../lib/updated-since.js'
import type { Tx } from '../../lib/write-path.js'
import type { ContactListQuery } from './contacts-schemas.js'

export interface ContactFilter extends Omit<ContactListQuery, 'role'> {
  roleId?: string
}

export function findContact(db: Tx, id: string): ContactRow | undefined {
  return findLive(db, contacts, contacts.id, id)
}

export function findContactByExternalId(db: Tx, externalId: string) {
  return db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.externalId, externalId), isNull(contacts.deletedAt)))
    .get()
}

/** State codes of every live assignment (current or ended) the contact has. */
export function assignmentStatesOf(db: Tx, contactId: string): (string | null)[] {
  return db
    .selectDistinct({ stateCode: assignments.stateCode })
    .from(assignments)
    .where(and(eq(assignments.contactId, contactId), isNull(assignments.deletedAt)))
    .all()
    .map((r) => r.stateCode)
}

/**
 * Whether a token limited to `limitedTo` may change the contact (null: unrestricted): a contact
 * belongs to no state until assigned, then to every state it was ever assigned in.
 */
export function mayChangeContact(db: Tx, limitedTo: readonly string[] | null, contactId: string): boolean {
  if (limitedTo === null) return true
  const states = assignmentStatesOf(db, contactId)
  return states.length === 0 || states.some((s) => s !== null && limitedTo.includes(s))
}

export function hasCurrentAssignments(db: Tx, contactId: string): boolean {
  return !!db
    .select({ id: assignments.id })
    .from(assignments)
    .where(and(eq(assignments.contactId, contactId), isNull(assignments.deletedAt), currentTenure()))
    .get()
}

export function listContacts(db: Db, filter: ContactFilter, seeRestricted: boolean) {
  const through = filter.state || filter.organization || filter.roleId
  if (through && !filter.q) return listContactsThrough(db, filter)
  const order = listOrder('contact', contacts.id, filter.q, seeRestricted)
  const page = paginate(db, filter, order.keyOf, (after, take) => {
    const where: SQL[] = [isNull(contacts.deletedAt), ...order.where(after)]
    if (filter.updatedSince)
      where.push(updatedSinceFilter(db, contacts.id, contacts.updatedAt, filter.updatedSince))
    if (through)
      where.push(
        inArray(
          contacts.id,
          db
            .select({ id: assignments.contactId })
            .from(assignments)
            .where(and(...tenureFilter(filter))),
        ),
      )
    return db
      .select({ row: contacts, tier: order.tier })
      .from(contacts)
      .where(and(...where))
      .orderBy(...order.orderBy)
      .limit(take)
      .all()
  })
  return { items: page.items.map((r) => r.row), nextCursor: page.nextCursor }
}

/**
 * The tenures a contact is listed through: live, current unless `current=false`, in the filter's
 * scope. With `narrowest`, only the narrowest filter (organization, then state, then role) may
 * pick the index; the others are compared as `+column`, which SQLite never uses an index for.
 */
function tenureFilter(filter: ContactFilter, narrowest = false): SQL[] {
  const checked = (column: Column, isNarrowest: boolean) =>
    narrowest && !isNarrowest ? sql`+${column}` : sql`${column}`
  const through: SQL[] = [isNull(assignments.deletedAt)]
  if (filter.current !== false) through.push(currentTenure())
  if (filter.organization) through.push(eq(assignments.organizationId, filter.organization))
  if (filter.state) through.push(eq(checked(assignments.stateCode, !filter.organization), filter.state))
  if (filter.roleId) {
    through.push(eq(checked(assignments.roleId, !filter.organization && !filter.state), filter.roleId))
  }
  return through
}

/**
 * Contacts through their tenures, without `q`: a page walks the live tenures of the organization,
 * state or role (the narrowest filter given) in contact-id order, along a (filter, contact_id, …)
 * index, and stops after `take` distinct contacts, so it reads its own rows whatever the size of
 * the state. The other filters are checked on the tenures walked (the unary `+` keeps the planner
 * on the narrowest filter's index); the order and cursor are those of the id-ordered list.
 */
function listContactsThrough(db: Db, filter: ContactFilter) {
  const order = listOrder('contact', assignments.contactId, undefined, false)
  const page = paginate(db, filter, order.keyOf, (after, take) => {
    const where: SQL[] = [isNull(contacts.deletedAt), ...order.where(after), ...tenureFilter(filter, true)]
    if (filter.updatedSince) where.push(gte(contacts.updatedAt, filter.updatedSince))
    return db
      .select({ row: contacts, tier: order.tier })
      .from(assignments)
      .innerJoin(contacts, eq(contacts.id, assignments.contactId))
      .where(and(...where))
      .groupBy(assignments.contactId)
      .orderBy(...order.orderBy)
      .limit(take)
      .all()
  })
  return { items: page.items.map((r) => r.row), nextCursor: page.nextCursor }
}
