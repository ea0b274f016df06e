import type { WireError } from '../../lib/worker-host.js'
import type { WriteContext } from '../../lib/write-path.js'
import type { ImportFormat } from './import-parse.js'
import type { ImportOptions } from './import-service.js'
import type { ImportResult } from './imports-schemas.js'

/** What the request thread asks the import worker to do: parse, validate and apply one body. */
export interface ImportJob {
  format: ImportFormat
  /** The body as text (JSON too, so a key named twice is refused), or an already parsed array. */
  body: unknown
  ctx: WriteContext
  options: Omit<ImportOptions, 'onProgress'>
  /** More data rows than this: 413 before the rows are parsed (JSON: after the array is). */
  maxRows: number
}

/** Request thread to worker. */
export type ImportRequest = { id: number; job: ImportJob }

/** Worker to request thread: the import's answer, or its error (a ProblemError keeps its shape). */
export type ImportReply =
  | { id: number; kind: 'done'; result: ImportResult }
  | { id: number; kind: 'failed'; error: WireError }

/** The data for starting the worker. */
export interface ImportWorkerData {
  databasePath: string
}
