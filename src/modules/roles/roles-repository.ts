import { and, asc, eq, gt, gte, isNull, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { type RoleRow, roles } from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { findLive } from '../../lib/statements.js'
import type { Tx } from '../../lib/write-path.js'
import type { RoleListQuery } from './roles-schemas.js'

export function findRole(db: Tx, id: string): RoleRow | undefined {
  return findLive(db, roles, roles.id, id)
}

/** Filters name a role by key or id. */
export function findRoleByKeyOrId(db: Tx, keyOrId: string): RoleRow | undefined {
  return findLive(db, roles, roles.key, keyOrId) ?? findLive(db, roles, roles.id, keyOrId)
}

export function listRoles(db: Db, query: RoleListQuery) {
  return paginate(
    db,
    query,
    (r: RoleRow) => r.id,
    (after, take) => {
      const where: SQL[] = [isNull(roles.deletedAt)]
      if (after) where.push(gt(roles.id, after))
      if (query.domain) where.push(eq(roles.domain, query.domain))
      if (query.updatedSince) where.push(gte(roles.updatedAt, query.updatedSince))
      return db
        .select()
        .from(roles)
        .where(and(...where))
        .orderBy(asc(roles.id))
        .limit(take)
        .all()
    },
  )
}
