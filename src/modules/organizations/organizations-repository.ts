import { and, eq, isNull, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { assignments, type OrganizationRow, organizations } from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { listOrder } from '../../lib/search-index.js'
import { findLive } from '../../lib/statements.js'
import { currentTenure } from '../../lib/tenure.js'
import { updatedSinceFilter } from '../../lib/updated-since.js'
import type { Tx } from '../../lib/write-path.js'
import type { OrganizationListQuery } from './organizations-schemas.js'

export function findOrganization(db: Tx, id: string): OrganizationRow | undefined {
  return findLive(db, organizations, organizations.id, id)
}

export function findOrganizationByExternalId(db: Tx, externalId: string) {
  return db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(eq(organizations.externalId, externalId), isNull(organizations.deletedAt)))
    .get()
}

export function listOrganizations(db: Db, query: OrganizationListQuery, seeRestricted: boolean) {
  const order = listOrder('organization', organizations.id, query.q, seeRestricted)
  const page = paginate(db, query, order.keyOf, (after, take) => {
    const where: SQL[] = [isNull(organizations.deletedAt), ...order.where(after)]
    if (query.state) where.push(eq(organizations.stateCode, query.state))
    if (query.kind) where.push(eq(organizations.kind, query.kind))
    if (query.parent) where.push(eq(organizations.parentId, query.parent))
    if (query.updatedSince)
      where.push(updatedSinceFilter(db, organizations.id, organizations.updatedAt, query.updatedSince))
    return db
      .select({ row: organizations, tier: order.tier })
      .from(organizations)
      .where(and(...where))
      .orderBy(...order.orderBy)
      .limit(take)
      .all()
  })
  return { items: page.items.map((r) => r.row), nextCursor: page.nextCursor }
}

export function hasChildren(db: Tx, id: string): boolean {
  return !!db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(eq(organizations.parentId, id), isNull(organizations.deletedAt)))
    .get()
}

export function hasCurrentAssignments(db: Tx, organizationId: string): boolean {
  return !!db
    .select({ id: assignments.id })
    .from(assignments)
    .where(
      and(eq(assignments.organizationId, organizationId), isNull(assignments.deletedAt), currentTenure()),
    )
    .get()
}

export function hasAssignments(db: Tx, organizationId: string): boolean {
  return !!db
    .select({ id: assignments.id })
    .from(assignments)
    .where(and(eq(assignments.organizationId, organizationId), isNull(assignments.deletedAt)))
    .get()
}
