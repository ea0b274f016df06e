import { and, asc, eq, gt, gte, isNull, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { assignments, type OrganizationRow, organizations } from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { afterRanked, rankedKey, refuseRankedKey, searchFilter } from '../../lib/search-index.js'
import { findLive } from '../../lib/statements.js'
import { currentTenure } from '../../lib/tenure.js'
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
  const search = query.q ? searchFilter('organization', organizations.id, query.q, seeRestricted) : undefined
  const page = paginate(
    query,
    (r: { row: OrganizationRow; tier: number }) => (search ? rankedKey(r.tier, r.row.id) : r.row.id),
    (after, take) => {
      const where: SQL[] = [isNull(organizations.deletedAt)]
      if (search) where.push(search.match)
      if (after)
        where.push(
          search
            ? afterRanked(search.tier, organizations.id, after)
            : gt(organizations.id, refuseRankedKey(after)),
        )
      if (query.state) where.push(eq(organizations.stateCode, query.state))
      if (query.kind) where.push(eq(organizations.kind, query.kind))
      if (query.parent) where.push(eq(organizations.parentId, query.parent))
      if (query.updatedSince) where.push(gte(organizations.updatedAt, query.updatedSince))
      return db
        .select({ row: organizations, tier: search?.tier ?? sql<number>`0` })
        .from(organizations)
        .where(and(...where))
        .orderBy(...(search ? [asc(search.tier)] : []), asc(organizations.id))
        .limit(take)
        .all()
    },
  )
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
