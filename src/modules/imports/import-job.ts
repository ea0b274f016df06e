import type { Db } from '../../db/client.js'
import { toWire } from '../../lib/worker-host.js'
import { parseImportBody } from './import-parse.js'
import type { ImportJob, ImportReply, ImportRequest } from './import-protocol.js'
import { runImport } from './import-service.js'
import type { ImportResult } from './imports-schemas.js'

/**
 * One import, wherever it runs (the import worker, or inline over a private in-memory database
 * no other connection can open): the same parse and the same write path either way.
 */
export function importRows(db: Db, job: ImportJob): ImportResult {
  const parsed = parseImportBody(job.format, job.body, job.maxRows)
  return runImport(db, job.ctx, parsed, job.options)
}

/** The import worker's answer to one request: the result, or the error as it crosses threads. */
export function answerImport(db: Db, request: ImportRequest): ImportReply {
  try {
    return { id: request.id, kind: 'done', result: importRows(db, request.job) }
  } catch (err) {
    return { id: request.id, kind: 'failed', error: toWire(err) }
  }
}
