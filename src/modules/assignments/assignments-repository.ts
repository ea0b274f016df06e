import { and, asc, eq, gt, isNull, lt, ne, or, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { type AssignmentRow, assignments } from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { findLive } from '../../lib/statements.js'
import { currentTenure, endedTenure } from '../../lib/tenure.js'
import { updatedSinceFilter } from '../../lib/updated-since.js'
import type { Tx } from '../../lib/write-path.js'
import type { AssignmentListQuery } from './assignments-schemas.js'

export interface AssignmentFilter extends Omit<AssignmentListQuery, 'role'> {
  roleId?: string
}

export function findAssignment(db: Tx, id: string): AssignmentRow | undefined {
  return findLive(db, assignments, assignments.id, id)
}

/**
 * Another primary holder whose tenure overlaps [startDate, endDate): per state, or per
 * organization for international bodies (no state). `id` is the assignment being written.
 */
export function findOverlappingPrimary(
  db: Tx,
  a: {
    id: string
    stateCode: string | null
    organizationId: string
    roleId: string
    startDate: string
    endDate: string | null
  },
): AssignmentRow | undefined {
  return db
    .select()
    .from(assignments)
    .where(
      and(
        isNull(assignments.deletedAt),
        eq(assignments.isPrimary, true),
        eq(assignments.roleId, a.roleId),
        a.stateCode === null
          ? and(isNull(assignments.stateCode), eq(assignments.organizationId, a.organizationId))
          : eq(assignments.stateCode, a.stateCode),
        ne(assignments.id, a.id),
        or(isNull(assignments.endDate), gt(assignments.endDate, a.startDate)),
        a.endDate === null ? undefined : lt(assignments.startDate, a.endDate),
      ),
    )
    .get()
}

export function listAssignments(db: Db, filter: AssignmentFilter) {
  return paginate(
    db,
    filter,
    (r: AssignmentRow) => r.id,
    (after, take) => {
      const where: SQL[] = [isNull(assignments.deletedAt)]
      if (after) where.push(gt(assignments.id, after))
      if (filter.state) where.push(eq(assignments.stateCode, filter.state))
      if (filter.organization) where.push(eq(assignments.organizationId, filter.organization))
      if (filter.roleId) where.push(eq(assignments.roleId, filter.roleId))
      if (filter.contact) where.push(eq(assignments.contactId, filter.contact))
      if (filter.current === true) where.push(currentTenure())
      if (filter.current === false) where.push(endedTenure())
      if (filter.updatedSince) {
        where.push(updatedSinceFilter(db, assignments.id, assignments.updatedAt, filter.updatedSince))
      }
      return db
        .select()
        .from(assignments)
        .where(and(...where))
        .orderBy(asc(assignments.id))
        .limit(take)
        .all()
    },
  )
}

/** A current tenure of this contact in this role at this organization and state. */
export function findCurrentHolding(
  db: Tx,
  scope: { contactId: string; roleId: string; organizationId: string; stateCode: string | null },
): AssignmentRow | undefined {
  return db
    .select()
    .from(assignments)
    .where(
      and(
        isNull(assignments.deletedAt),
        eq(assignments.contactId, scope.contactId),
        eq(assignments.roleId, scope.roleId),
        eq(assignments.organizationId, scope.organizationId),
        scope.stateCode === null ? isNull(assignments.stateCode) : eq(assignments.stateCode, scope.stateCode),
        currentTenure(),
      ),
    )
    .get()
}
