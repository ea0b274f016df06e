/**
 * Imports a spreadsheet of directory rows (CSV, NDJSON or a JSON array), into a running server
 * or, without --url, straight into the local database through the same code path.
 *
 *   npm run import -- FILE [--dry-run] [--url http://127.0.0.1:3000 --token TOKEN] [--actor NAME]
 */
import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import { z } from 'zod'
import { newId } from '../src/lib/write-path.js'
import { type ImportFormat, parseImportBody } from '../src/modules/imports/import-parse.js'
import { runImport } from '../src/modules/imports/import-service.js'
import type { ImportResult } from '../src/modules/imports/imports-schemas.js'
import { openLocalDatabase, printProblem, problemOf } from './cli.js'

const CONTENT_TYPES: Record<ImportFormat, string> = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
}

const Args = z.object({
  file: z.string().min(1, 'give the file to import'),
  dryRun: z.boolean(),
  url: z.url().optional(),
  token: z.string().min(1).optional(),
  actor: z.string().min(1).default('script:import'),
  format: z.enum(['csv', 'ndjson', 'json']).optional(),
})

function formatOf(file: string): ImportFormat {
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

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      url: { type: 'string' },
      token: { type: 'string' },
      actor: { type: 'string' },
      format: { type: 'string' },
    },
  })
  const parsed = Args.safeParse({
    file: positionals[0] ?? '',
    dryRun: values['dry-run'],
    url: values.url,
    token: values.token,
    actor: values.actor,
    format: values.format,
  })
  if (!parsed.success) {
    for (const i of parsed.error.issues) console.error(`${i.path.join('.') || 'arguments'}: ${i.message}`)
    console.error(
      'usage: npm run import -- FILE [--dry-run] [--url URL --token TOKEN] [--format csv|ndjson|json]',
    )
    return 2
  }
  const args = parsed.data
  const format = args.format ?? formatOf(args.file)
  const text = readFileSync(args.file, 'utf8')

  if (args.url) {
    console.error(`Sending ${text.length.toLocaleString()} characters to ${args.url} …`)
    const res = await fetch(new URL(`/v1/imports${args.dryRun ? '?dryRun=true' : ''}`, args.url), {
      method: 'POST',
      headers: {
        'content-type': CONTENT_TYPES[format],
        ...(args.token ? { authorization: `Bearer ${args.token}` } : {}),
      },
      body: text,
    })
    const body = (await res.json()) as unknown
    if (!res.ok) {
      printProblem(body as Parameters<typeof printProblem>[0])
      return 1
    }
    printResult(body as ImportResult)
    return 0
  }

  const db = openLocalDatabase()
  // The import runs in one synchronous transaction, so a timer-driven bar never redraws off a
  // terminal: there, print a line per progress step instead.
  const tty = process.stderr.isTTY === true
  const bar = new SingleBar({ format: 'importing [{bar}] {value}/{total} rows' })
  const progress = {
    start: (total: number) => (tty ? bar.start(total, 0) : console.error(`importing 0/${total} rows`)),
    update: (done: number, total: number) =>
      tty ? bar.update(done) : console.error(`importing ${done}/${total} rows`),
    stop: () => {
      if (tty) bar.stop()
    },
  }
  try {
    const rows = parseImportBody(format, text)
    progress.start(rows.rows.length)
    const result = runImport(db, { actor: args.actor, requestId: `import-${newId()}` }, rows, {
      dryRun: args.dryRun,
      limitedTo: null,
      // A local import with the database file in hand sees everything.
      seesRestricted: true,
      onProgress: (done, total) => progress.update(done, total),
    })
    progress.update(rows.rows.length, rows.rows.length)
    progress.stop()
    printResult(result)
    return 0
  } catch (err) {
    progress.stop()
    const problem = problemOf(err)
    if (!problem) throw err
    printProblem(problem)
    return 1
  } finally {
    db.$client.close()
  }
}

main().then((code) => process.exit(code))
