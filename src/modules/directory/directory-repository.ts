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

export type Entry = {
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

const LIVE = 'a.deleted_at is null and c.deleted_at is null and o.deleted_at is null'
const HELD = 'a.start_date <= @asOf and (a.end_date is null or a.end_date > @asOf)'

/**
 * Holders on `asOf` ([startDate, endDate)) with role, contact and organization, in the page
 * order (role key, primary first, startDate, id). Without a search, the page is read segment by
 * segment (each role in key order, its primary holders then the others) along an index in
 * exactly that order, so a page costs the same for a state of 20 holders as for one of 20,000.
 * With a search, the matching holders are few and one query sorts them.
 */
export function listDirectory(db: Db, filter: DirectoryFilter) {
  return paginate(db, filter, sortKey, (after, take) =>
    (filter.search ? searchedRows(db, filter, after, take) : segmentRows(db, filter, after, take)).map(
      toEntry,
    ),
  )
}

type Raw = Record<string, unknown>

// Each query reads the page's full rows as it walks them (the joins are there for the live
// filters anyway): one statement per segment, no second query for the rows.
const SELECT = Object.values(columns)
  .map((c) => c.select)
  .join(', ')

function segmentRows(db: Db, filter: DirectoryFilter, after: string | undefined, take: number): Raw[] {
  const scope =
    (filter.state ? 'a.state_code = @state and ' : '') +
    (filter.organizationId ? 'a.organization_id = @organizationId and ' : '') +
    (filter.roleId ? 'r.id = @roleId and ' : '')
  const params = {
    state: filter.state,
    organizationId: filter.organizationId,
    roleId: filter.roleId,
    asOf: filter.asOf,
  }
  const rows: Raw[] = []
  let afterRole: string | undefined
  if (after) {
    // The rest of the cursor's role first: its segment from the cursor on, then its others.
    const [key, rank, start, id] = decodeSortKey(after)
    afterRole = key
    const role = statement(
      db,
      'directory-role',
      () => 'select id from roles where key = ? and deleted_at is null',
    )
      .pluck()
      .get(key) as string | undefined
    if (role !== undefined && (!filter.roleId || filter.roleId === role)) {
      for (const primary of rank === 0 ? [1, 0] : [0]) {
        const keyed = primary === 1 - rank
        const found = statement(
          db,
          `directory-segment:${scope}:${keyed}`,
          () =>
            `select ${SELECT} ${JOINS} where ${scope}a.role_id = @segmentRole and a.is_primary = @primary and ${LIVE} and ${HELD}` +
            `${keyed ? ' and (a.start_date, a.id) > (@start, @id)' : ''} order by a.start_date, a.id limit @take`,
        ).all({ ...params, segmentRole: role, primary, start, id, take: take - rows.length }) as Raw[]
        rows.push(...found)
        if (rows.length === take) return rows
      }
    }
  }
  // Then every later role in key order. CROSS JOIN keeps roles as the outer loop (scanned in key
  // order), so SQLite walks the order index within each role and never sorts.
  const rest = statement(
    db,
    `directory-roles:${scope}:${afterRole !== undefined}`,
    () =>
      `select ${SELECT} from roles r cross join assignments a on a.role_id = r.id
        join contacts c on c.id = a.contact_id
        join organizations o on o.id = a.organization_id
       where ${scope}r.deleted_at is null and ${LIVE} and ${HELD}${afterRole !== undefined ? ' and r.key > @afterRole' : ''}
       order by r.key, a.is_primary desc, a.start_date, a.id limit @take`,
  ).all({ ...params, afterRole, take: take - rows.length }) as Raw[]
  rows.push(...rest)
  return rows
}

function searchedRows(db: Db, filter: DirectoryFilter, after: string | undefined, take: number): Raw[] {
  const where = [LIVE, HELD]
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
  // Each word may match the holder's contact or organization ("rustam customs").
  // Stryker disable next-line OptionalChaining,BooleanLiteral: searchedRows runs only with a search, whose seeRestricted is a boolean, so the `?.` and the fallback never act
  ftsQueries((filter.search as { q: string }).q, filter.search?.seeRestricted ?? false).perWord.forEach(
    (query, i) => {
      where.push(
        `(a.contact_id in ${hitsSql('contact', `@q${i}`)} or a.organization_id in ${hitsSql('organization', `@q${i}`)})`,
      )
      params[`q${i}`] = query
    },
  )
  if (after) {
    const [key, rank, start, id] = decodeSortKey(after)
    where.push('(r.key, 1 - a.is_primary, a.start_date, a.id) > (@key, @rank, @start, @id)')
    Object.assign(params, { key, rank, start, id })
  }
  const conditions = where.join(' and ')
  return statement(
    db,
    `directory-page:${conditions}`,
    () =>
      `select ${SELECT} ${JOINS} where ${conditions} order by r.key, a.is_primary desc, a.start_date, a.id limit @take`,
  ).all(params) as Raw[]
}

const toEntry = (raw: Raw): Entry => ({
  assignment: columns.assignment.read(raw),
  role: columns.role.read(raw),
  contact: columns.contact.read(raw),
  organization: columns.organization.read(raw),
})

/** Whose tenures to list: a contact's, or an organization's people's. */
export type TenureOwner = { contactId: string } | { organizationId: string }

/**
 * Every live tenure (current and ended) of a contact or at an organization, with its role,
 * contact and organization, in assignment id order (creation order, like `/v1/assignments`):
 * the (owner, id) indexes walk it, so a page costs the same however many tenures there are.
 */
export function listTenures(
  db: Db,
  owner: TenureOwner,
  page: { limit: number; cursor?: string | undefined },
) {
  const column = 'contactId' in owner ? 'a.contact_id' : 'a.organization_id'
  const ownerId = 'contactId' in owner ? owner.contactId : owner.organizationId
  return paginate(
    db,
    page,
    (e: Entry) => e.assignment.id,
    (after, take) => {
      const rows = statement(
        db,
        `tenures:${column}:${after !== undefined}`,
        () =>
          `select ${SELECT} ${JOINS} where ${column} = @ownerId and ${LIVE}` +
          `${after !== undefined ? ' and a.id > @after' : ''} order by a.id limit @take`,
      ).all({ ownerId, after, take }) as Raw[]
      return rows.map(toEntry)
    },
  )
}
