import type { Db } from '../../db/client.js'
import type { ContactRow } from '../../db/schema.js'
import { type DirectoryFilter, listDirectory } from '../directory/directory-repository.js'
import { csvHeader, csvLines, csvRowsOf } from './contact-export.js'

/**
 * Every holder the filter finds from its cursor on (limit does not apply), 500 at a time, as CSV
 * in the import's column layout. The first page is read at once, so a bad cursor is a clean 400
 * before anything streams.
 */
export function exportDirectory(
  db: Db,
  filter: DirectoryFilter,
  seeRestricted: boolean,
  onPage?: (contacts: ContactRow[]) => void,
): Iterable<string> {
  const first = listDirectory(db, { ...filter, limit: 500 })
  return (function* () {
    yield csvHeader()
    let page = first
    onPage?.(page.items.map((e) => e.contact))
    yield csvLines(page.items.flatMap((e) => csvRowsOf(e.contact, [e], seeRestricted)))
    while (page.nextCursor) {
      page = listDirectory(db, { ...filter, limit: 500, cursor: page.nextCursor })
      onPage?.(page.items.map((e) => e.contact))
      yield csvLines(page.items.flatMap((e) => csvRowsOf(e.contact, [e], seeRestricted)))
    }
  })()
}
