import { z } from 'zod'
import type { Db } from '../../db/client.js'
import { paginate } from '../../lib/pagination.js'
import { invalidField } from '../../lib/problem.js'
import { statement } from '../../lib/statements.js'

/** Current holders (today) per state for each role: one grouped query for a page of states. */
export function countHolders(
  db: Db,
  stateCodes: string[],
  roleIds: string[],
  day: string,
): Map<string, number> {
  // An empty state or role list needs no shortcut: `in (select value from json_each('[]'))` matches nothing.
  const counts = new Map<string, number>()
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

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** One table's stale records from a cursor on, in the order of its stale index (migration 0006). */
const staleArm = (db: Db, entity: 'contact' | 'organization') =>
  statement(db, `stale-${entity}`, () =>
    entity === 'contact'
      ? `select 'contact' as entity, id, display_name as name, last_verified_at as lastVerifiedAt,
                coalesce(last_verified_at, created_at) as since
           from contacts
          where deleted_at is null and coalesce(last_verified_at, created_at) < ?
            and (coalesce(last_verified_at, created_at), id) > (?, ?)
          order by coalesce(last_verified_at, created_at), id
          limit ?`
      : `select 'organization' as entity, id, name, last_verified_at as lastVerifiedAt,
                coalesce(last_verified_at, created_at) as since
           from organizations
          where deleted_at is null and coalesce(last_verified_at, created_at) < ?
            and (coalesce(last_verified_at, created_at), id) > (?, ?)
          order by coalesce(last_verified_at, created_at), id
          limit ?`,
  )

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
      // Each table is read along its stale index (coalesce(last_verified_at, created_at), id), from
      // the cursor on, a page at most; the two short runs are merged here. Ids are UUIDs: '' sorts
      // before every id and '~' after, so an arm the cursor has passed (or not reached) at `since`
      // starts after (or at) that instant.
      const [since, entity, id] = key
      const from = (arm: StaleRow['entity']) => (entity < arm ? '' : entity === arm ? id : '~')
      const arm = (arm: StaleRow['entity']) =>
        staleArm(db, arm).all(cutoff, since, from(arm), take) as StaleRow[]
      const rows = [...arm('contact'), ...arm('organization')]
      rows.sort((a, b) => compare(a.since, b.since) || compare(a.entity, b.entity) || compare(a.id, b.id))
      return rows.slice(0, take)
    },
  )
}
