import { and, asc, desc, eq, gt, isNull, lte, or, type SQL, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Db } from '../../db/client.js'
import { assignments, contacts, organizations, roles } from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { invalidField } from '../../lib/problem.js'

export interface DirectoryFilter {
  state?: string | undefined
  organizationId?: string | undefined
  roleId?: string | undefined
  asOf: string
  limit: number
  cursor?: string | undefined
}

type Entry = {
  assignment: typeof assignments.$inferSelect
  role: typeof roles.$inferSelect
  contact: typeof contacts.$inferSelect
  organization: typeof organizations.$inferSelect
}

/** Sort key: role key, primary first, start date, id; kept as JSON in the cursor. */
const sortKey = (e: Entry) =>
  JSON.stringify([e.role.key, e.assignment.isPrimary ? 0 : 1, e.assignment.startDate, e.assignment.id])

const SortKey = z.tuple([z.string(), z.number(), z.string(), z.string()])
function decodeSortKey(text: string) {
  try {
    return SortKey.parse(JSON.parse(text))
  } catch {
    throw invalidField('cursor', 'is not a cursor this service issued')
  }
}

/** Holders on `asOf` ([startDate, endDate)), with role, contact and organization, in one query. */
export function listDirectory(db: Db, filter: DirectoryFilter) {
  return paginate(filter, sortKey, (after, take) => {
    const where: (SQL | undefined)[] = [
      isNull(assignments.deletedAt),
      isNull(contacts.deletedAt),
      isNull(organizations.deletedAt),
      lte(assignments.startDate, filter.asOf),
      or(isNull(assignments.endDate), gt(assignments.endDate, filter.asOf)),
      filter.state ? eq(assignments.stateCode, filter.state) : undefined,
      filter.organizationId ? eq(assignments.organizationId, filter.organizationId) : undefined,
      filter.roleId ? eq(assignments.roleId, filter.roleId) : undefined,
    ]
    if (after) {
      const [key, rank, start, id] = decodeSortKey(after)
      where.push(
        sql`(${roles.key}, 1 - ${assignments.isPrimary}, ${assignments.startDate}, ${assignments.id}) > (${key}, ${rank}, ${start}, ${id})`,
      )
    }
    return db
      .select({ assignment: assignments, role: roles, contact: contacts, organization: organizations })
      .from(assignments)
      .innerJoin(roles, eq(roles.id, assignments.roleId))
      .innerJoin(contacts, eq(contacts.id, assignments.contactId))
      .innerJoin(organizations, eq(organizations.id, assignments.organizationId))
      .where(and(...where))
      .orderBy(asc(roles.key), desc(assignments.isPrimary), asc(assignments.startDate), asc(assignments.id))
      .limit(take)
      .all()
  })
}
