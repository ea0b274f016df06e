/** `pocdir import` and `pocdir export`: the local database or a running server (--url). */
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { MAX_SUBJECT_LENGTH } from '../lib/schemas.js'
import { newId } from '../lib/write-path.js'
import { exportContacts } from '../modules/contacts/contacts-routes.js'
import { ContactListQuery } from '../modules/contacts/contacts-schemas.js'
import { type ImportFormat, parseImportBody } from '../modules/imports/import-parse.js'
import { runImport } from '../modules/imports/import-service.js'
import type { ImportResult } from '../modules/imports/imports-schemas.js'
import { CliError, openLocalDatabase, type ProblemLike, printProblem, problemOf, progress } from './common.js'

const CONTENT_TYPES: Record<ImportFormat, string> = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
}

export function formatOf(file: string): ImportFormat {
  const ext = extname(file).toLowerCase()
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson'
  if (ext === '.json') return 'json'
  return 'csv'
}

function printResult(result: ImportResult): void {
  console.log(result.dryRun ? 'Dry run: nothing was written. It would have:' : 'Imported:')
  const rows = (['organizations', 'contacts', 'assignments'] as const).map((entity) => ({
    entity,
    created: result.created[entity],
    updated: result.updated[entity],
    unchanged: result.unchanged[entity],
  }))
  console.table(rows)
}

export interface ImportOptions {
  dryRun: boolean
  url?: string
  token?: string
  actor: string
  format?: ImportFormat
}

/** Returns the exit code: 0 imported, 1 refused (the problem is printed, nothing written). */
export async function importFile(file: string, opts: ImportOptions): Promise<number> {
  if (!existsSync(file)) throw new CliError(`${file} does not exist`)
  // The actor is a revision's actor, which the contract bounds as it bounds a token's sub.
  if (!opts.url && (opts.actor.length === 0 || opts.actor.length > MAX_SUBJECT_LENGTH)) {
    throw new CliError(`--actor must be 1 to ${MAX_SUBJECT_LENGTH} characters`)
  }
  const format = opts.format ?? formatOf(file)
  const text = readFileSync(file, 'utf8')

  if (opts.url) {
    console.error(`Sending ${text.length.toLocaleString()} characters to ${opts.url} …`)
    const res = await fetch(new URL(`/v1/imports${opts.dryRun ? '?dryRun=true' : ''}`, opts.url), {
      method: 'POST',
      headers: {
        'content-type': CONTENT_TYPES[format],
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
      body: text,
    }).catch((err: Error & { cause?: Error }) => {
      throw new CliError(`cannot reach ${opts.url}: ${err.cause?.message ?? err.message}`)
    })
    const body = (await res.json()) as unknown
    if (!res.ok) {
      printProblem(body as ProblemLike)
      return 1
    }
    printResult(body as ImportResult)
    return 0
  }

  const db = openLocalDatabase()
  // The import runs in one synchronous transaction, so a timer-driven bar never redraws off a
  // terminal: there, a line per progress step instead.
  const bar = progress('importing', 'rows')
  try {
    const rows = parseImportBody(format, text)
    bar.start(rows.rows.length)
    const result = runImport(db, { actor: opts.actor, requestId: `import-${newId()}` }, rows, {
      dryRun: opts.dryRun,
      limitedTo: null,
      // A local import with the database file in hand sees everything.
      seesRestricted: true,
      onProgress: (done, total) => bar.update(done, total),
    })
    bar.update(rows.rows.length, rows.rows.length)
    bar.stop()
    printResult(result)
    return 0
  } catch (err) {
    bar.stop()
    const problem = problemOf(err)
    if (!problem) throw err
    printProblem(problem)
    return 1
  } finally {
    db.$client.close()
  }
}

const TYPES = { csv: 'text/csv', vcard: 'text/vcard' } as const

export interface ExportOptions {
  format: 'csv' | 'vcard'
  state?: string
  role?: string
  organization?: string
  all: boolean
  out?: string
  url?: string
  token?: string
}

export async function exportFile(opts: ExportOptions): Promise<number> {
  const filters: Record<string, string> = {}
  for (const key of ['state', 'role', 'organization'] as const) {
    const v = opts[key]
    if (v) filters[key] = v
  }
  // --all includes people through ended tenures too.
  if (opts.all) filters.current = 'false'
  const query = ContactListQuery.safeParse(filters)
  if (!query.success) {
    const i = query.error.issues[0]
    throw new CliError(`--${i?.path.join('.')}: ${i?.message}`)
  }
  if (!(opts.format in TYPES)) throw new CliError(`--format: csv or vcard, not ${opts.format}`)
  const out = () => (opts.out ? createWriteStream(opts.out) : process.stdout)
  const type = TYPES[opts.format]

  if (opts.url) {
    const url = new URL(`/v1/contacts?${new URLSearchParams(filters)}`, opts.url)
    const res = await fetch(url, {
      headers: { accept: type, ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
    }).catch((err: Error & { cause?: Error }) => {
      throw new CliError(`cannot reach ${opts.url}: ${err.cause?.message ?? err.message}`)
    })
    if (!res.ok || !res.body) {
      printProblem((await res.json()) as ProblemLike)
      return 1
    }
    await pipeline(Readable.fromWeb(res.body as never), out())
    return 0
  }

  const db = openLocalDatabase()
  try {
    // The local database is read as its owner would: restricted details included.
    await pipeline(Readable.from(exportContacts(db, query.data, true, opts.format)), out())
    return 0
  } catch (err) {
    const problem = problemOf(err)
    if (!problem) throw err
    printProblem(problem)
    return 1
  } finally {
    db.$client.close()
  }
}
