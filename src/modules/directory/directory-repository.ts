import { z } from 'zod'
import type { Db } from '../../db/client.js'
import { assignments, contacts, organizations, roles } from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { invalidField } from '../../lib/problem.js'
import { ftsQueries, hitsSql } from '../../lib/search-index.js'
import { statement, tableColumns } from '../../lib/statements.js'

export interface DirectoryFilter {
  state?: string | undefined
  organizationId?: string | undefined
  roleId?: string | undefined
  asOf: string
  /** Holders whose contact or organization matches. */
  search?: { q: string; seeRestricted: boolean } | undefined
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

const columns = {
  assignment: tableColumns(assignments, 'a'),
  role: tableColumns(roles, 'r'),
  contact: tableColumns(contacts, 'c'),
  organization: tableColumns(organizations, 'o'),
}

const JOINS = `from assignments a
  join roles r on r.id = a.role_id
  join contacts c on c.id = a.contact_id
  join organizations o on o.id = a.organization_id`

/**
 * Holders on `asOf` ([startDate, endDate)) with role, contact and organization. Two set-based
 * queries: the page's ids in order (a narrow sort), then their full rows by primary key, so
 * SQLite never sorts wide rows.
 */
export function listDirectory(db: Db, filter: DirectoryFilter) {
  return paginate(filter, sortKey, (after, take) => {
    const where = [
      'a.deleted_at is null',
      'c.deleted_at is null',
      'o.deleted_at is null',
      'a.start_date <= @asOf',
      '(a.end_date is null or a.end_date > @asOf)',
    ]
    const params: Record<string, unknown> = { asOf: filter.asOf, take }
    if (filter.state) {
      where.push('a.state_code = @state')
      params.state = filter.state
    }
    if (filter.organizationId) {
      where.push('a.organization_id = @organizationId')
      params.organizationId = filter.organizationId
    }
    if (filter.roleId) {
      where.push('a.role_id = @roleId')
      params.roleId = filter.roleId
    }
    if (filter.search) {
      // Each word may match the holder's contact or organization ("rustam customs").
      ftsQueries(filter.search.q, filter.search.seeRestricted).perWord.forEach((query, i) => {
        where.push(
          `(a.contact_id in ${hitsSql('contact', `@q${i}`)} or a.organization_id in ${hitsSql('organization', `@q${i}`)})`,
        )
        params[`q${i}`] = query
      })
    }
    if (after) {
      const [key, rank, start, id] = decodeSortKey(after)
      where.push('(r.key, 1 - a.is_primary, a.start_date, a.id) > (@key, @rank, @start, @id)')
      Object.assign(params, { key, rank, start, id })
    }
    const conditions = where.join(' and ')
    const ids = statement(
      db,
      `directory-page:${conditions}`,
      () =>
        `select a.id ${JOINS} where ${conditions} order by r.key, a.is_primary desc, a.start_date, a.id limit @take`,
    )
      .pluck()
      .all(params) as string[]
    if (ids.length === 0) return []
    const rows = statement(
      db,
      'directory-rows',
      () =>
        `select ${Object.values(columns)
          .map((c) => c.select)
          .join(', ')} ${JOINS} where a.id in (select value from json_each(?))`,
    ).all(JSON.stringify(ids)) as Record<string, unknown>[]
    const byId = new Map(
      rows.map((raw) => {
        const entry: Entry = {
          assignment: columns.assignment.read(raw),
          role: columns.role.read(raw),
          contact: columns.contact.read(raw),
          organization: columns.organization.read(raw),
        }
        return [entry.assignment.id, entry]
      }),
    )
    return ids.map((id) => byId.get(id) as Entry)
  })
}
