import type { Db } from '../../db/client.js'
import { paginate } from '../../lib/pagination.js'
import { invalidField } from '../../lib/problem.js'
import { statement, type Tx } from '../../lib/statements.js'
import type { AccessLogQuery } from './privacy-schemas.js'

export interface PresentedEntry {
  id: number
  at: string
  reader: string
  method: string
  route: string
  requestId: string
  contactIds: string[]
}

interface EntryRow extends Omit<PresentedEntry, 'contactIds'> {
  contactIds: string
}

const ENTRY_COLUMNS = `e.id as id, e.at as at, e.reader as reader, e.method as method, e.route as route,
  e.request_id as requestId, e.contact_ids as contactIds`
/** Entries that disclosed the contact `?`. */
const ABOUT = 'exists (select 1 from json_each(e.contact_ids) where value = ?)'

const present = (row: EntryRow): PresentedEntry => ({
  ...row,
  contactIds: JSON.parse(row.contactIds) as string[],
})

/** Entries newest first, filtered by contact, reader and period; keyset-paged on the entry id. */
export function listAccessLog(db: Db, query: AccessLogQuery) {
  return paginate(
    db,
    query,
    (e: PresentedEntry) => String(e.id),
    (after, take) => {
      if (after !== undefined && !/^\d{1,15}$/.test(after)) {
        throw invalidField('cursor', 'is not a cursor this service issued')
      }
      const where: string[] = []
      const params: unknown[] = []
      if (after !== undefined) {
        where.push('e.id < ?')
        params.push(Number(after))
      }
      if (query.contact) {
        where.push(ABOUT)
        params.push(query.contact)
      }
      if (query.reader) {
        where.push('e.reader = ?')
        params.push(query.reader)
      }
      if (query.from) {
        where.push('e.at >= ?')
        params.push(new Date(query.from).toISOString())
      }
      if (query.to) {
        where.push('e.at < ?')
        params.push(new Date(query.to).toISOString())
      }
      const sql = `select ${ENTRY_COLUMNS} from access_log e ${where.length ? `where ${where.join(' and ')}` : ''} order by e.id desc limit ?`
      return (db.$client.prepare(sql).all(...params, take) as EntryRow[]).map(present)
    },
  )
}

/** Every entry that disclosed the contact, oldest first. */
export function accessLogOf(db: Tx, contactId: string): PresentedEntry[] {
  return (
    statement(
      db,
      'access-log:of',
      () => `select ${ENTRY_COLUMNS} from access_log e where ${ABOUT} order by e.id`,
    ).all(contactId) as EntryRow[]
  ).map(present)
}
