import type { Db } from '../../db/client.js'
import type { ContactRow } from '../../db/schema.js'
import { restrictedIds } from '../../lib/restricted.js'
import { exportContacts } from '../contacts/contacts-routes.js'
import { exportDirectory } from './directory-export.js'
import type { ExportJob } from './export-protocol.js'

/**
 * An export's chunks, wherever it runs (the export worker, or inline over a private in-memory
 * database); the first page is read before this returns, so a bad filter or cursor throws here.
 */
export function exportChunks(
  db: Db,
  job: ExportJob,
  disclosed: (contactIds: string[]) => void = () => {},
): Iterator<string> {
  // The contacts whose restricted values the export carries, page by page, for the access log.
  const onPage = job.seeRestricted
    ? (contacts: ContactRow[]) => {
        const ids = restrictedIds(contacts)
        if (ids.length) disclosed(ids)
      }
    : undefined
  const chunks =
    job.what === 'contacts'
      ? exportContacts(db, job.query, job.seeRestricted, job.format, onPage)
      : exportDirectory(db, job.filter, job.seeRestricted, onPage)
  return chunks[Symbol.iterator]()
}
