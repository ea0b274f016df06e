import type { Db } from '../../db/client.js'
import { exportContacts } from '../contacts/contacts-routes.js'
import { exportDirectory } from './directory-export.js'
import type { ExportJob } from './export-protocol.js'

/**
 * An export's chunks, wherever it runs (the export worker, or inline over a private in-memory
 * database); the first page is read before this returns, so a bad filter or cursor throws here.
 */
export function exportChunks(db: Db, job: ExportJob): Iterator<string> {
  const chunks =
    job.what === 'contacts'
      ? exportContacts(db, job.query, job.seeRestricted, job.format)
      : exportDirectory(db, job.filter, job.seeRestricted)
  return chunks[Symbol.iterator]()
}
