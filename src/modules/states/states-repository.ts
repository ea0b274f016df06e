import { and, asc, eq, gt, gte, isNull, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { type StateRow, states } from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { findLive } from '../../lib/statements.js'
import type { Tx } from '../../lib/write-path.js'
import type { StateListQuery } from './states-schemas.js'

export function findState(db: Tx, code: string): StateRow | undefined {
  return findLive(db, states, states.code, code)
}

export function listStates(db: Db, query: StateListQuery) {
  return paginate(
    db,
    query,
    (r: StateRow) => r.code,
    (after, take) => {
      const where: SQL[] = [isNull(states.deletedAt)]
      if (after) where.push(gt(states.code, after))
      if (query.osce !== undefined) where.push(eq(states.osceParticipating, query.osce))
      if (query.unMember !== undefined) where.push(eq(states.unMember, query.unMember))
      if (query.updatedSince) where.push(gte(states.updatedAt, query.updatedSince))
      return db
        .select()
        .from(states)
        .where(and(...where))
        .orderBy(asc(states.code))
        .limit(take)
        .all()
    },
  )
}
