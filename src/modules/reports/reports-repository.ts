import { z } from 'zod'
import type { Db } from '../../db/client.js'
import { paginate } from '../../lib/pagination.js'
import { invalidField } from '../../lib/problem.js'

/** Current holders (today) per state for each role: one grouped query for a page of states. */
export function countHolders(
  db: Db,
  stateCodes: string[],
  roleIds: string[],
  day: string,
): Map<string, number> {
  const counts = new Map<string, number>()
  if (stateCodes.length === 0 || roleIds.length === 0) return counts
  const rows = db.$client
    .prepare(
      `select state_code as stateCode, role_id as roleId, count(*) as n
         from assignments
        where deleted_at is null
          and state_code in (select value from json_each(?))
          and role_id in (select value from json_each(?))
          and start_date <= ? and (end_date is null or end_date > ?)
        group by state_code, role_id`,
    )
    .all(JSON.stringify(stateCodes), JSON.stringify(roleIds), day, day) as {
    stateCode: string
    roleId: string
    n: number
  }[]
  for (const r of rows) counts.set(`${r.stateCode}|${r.roleId}`, r.n)
  return counts
}

interface StaleRow {
  entity: 'contact' | 'organization'
  id: string
  name: string
  lastVerifiedAt: string | null
  since: string
}

const StaleKey = z.tuple([z.string(), z.string(), z.string()])

/** Contacts and organizations last verified (or, never verified, created) before `cutoff`, stalest first. */
export function listStale(db: Db, cutoff: string, query: { limit: number; cursor?: string | undefined }) {
  return paginate(
    db,
    query,
    (r: StaleRow) => JSON.stringify([r.since, r.entity, r.id]),
    (after, take) => {
      let key: [string, string, string] = ['', '', '']
      if (after) {
        try {
          key = StaleKey.parse(JSON.parse(after))
        } catch {
          throw invalidField('cursor', 'is not a cursor this service issued')
        }
      }
      return db.$client
        .prepare(
          `select * from (
             select 'contact' as entity, id, display_name as name, last_verified_at as lastVerifiedAt,
                    coalesce(last_verified_at, created_at) as since
               from contacts where deleted_at is null
             union all
             select 'organization', id, name, last_verified_at, coalesce(last_verified_at, created_at)
               from organizations where deleted_at is null)
           where since < ? and (since, entity, id) > (?, ?, ?)
           order by since, entity, id
           limit ?`,
        )
        .all(cutoff, key[0], key[1], key[2], take) as StaleRow[]
    },
  )
}
