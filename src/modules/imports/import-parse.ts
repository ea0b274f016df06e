import { lazy } from '../../lib/lazy.js'
import type { FieldError, RowError } from '../../lib/problem.js'
import { badRequest } from '../../lib/problem.js'
import { IMPORT_COLUMNS } from './imports-schemas.js'

// Loaded with the first import: start-up does not need it.
const csvParser = lazy<typeof import('papaparse')>('papaparse')

export type ImportFormat = 'csv' | 'ndjson' | 'json'

export interface ParsedRows {
  /** Rows numbered from 1, cells as given (empty cells dropped). */
  rows: { row: number; cells: Record<string, string> }[]
  errors: RowError[]
}

const KNOWN = new Set<string>(IMPORT_COLUMNS)

function refuseUnknownColumns(names: Iterable<string>): void {
  const unknown = [...new Set(names)].filter((n) => !KNOWN.has(n))
  if (unknown.length > 0) {
    const errors: FieldError[] = unknown.map((n) => ({ path: n, message: 'is not a known column' }))
    throw badRequest(
      `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the columns are ${IMPORT_COLUMNS.join(', ')}`,
      errors,
    )
  }
}

/** Keeps the given cells; an empty cell means "not given". Non-text JSON values are row errors. */
function cellsOf(record: Record<string, unknown>, row: number, errors: RowError[]): Record<string, string> {
  const cells: Record<string, string> = {}
  for (const [field, value] of Object.entries(record)) {
    if (value === null || value === undefined) continue
    if (typeof value !== 'string') {
      errors.push({ row, field, message: 'must be text' })
      continue
    }
    if (value.trim() !== '') cells[field] = value.trim()
  }
  return cells
}

function parseCsvText(text: string): ParsedRows {
  const body = text.replace(/^\uFEFF/, '')
  const header = body.slice(0, body.search(/\r?\n|$/))
  // The separator is whichever of , and ; the header uses more.
  const delimiter = (header.match(/;/g)?.length ?? 0) > (header.match(/,/g)?.length ?? 0) ? ';' : ','
  const parsed = csvParser().parse<string[]>(body, { delimiter, skipEmptyLines: true })
  const [problem] = parsed.errors
  if (problem) {
    throw badRequest(`The CSV is malformed: ${problem.message} (line ${(problem.row ?? 0) + 1})`)
  }
  const [names = [], ...lines] = parsed.data
  const columns = names.map((n) => n.trim())
  refuseUnknownColumns(columns)
  const errors: RowError[] = []
  const rows = lines.map((cells, i) => {
    if (cells.length !== columns.length) {
      throw badRequest(
        `The CSV is malformed: data row ${i + 1} has ${cells.length} cells, the header ${columns.length}`,
      )
    }
    const record: Record<string, string> = {}
    columns.forEach((column, c) => {
      record[column] = cells[c] as string
    })
    return { row: i + 1, cells: cellsOf(record, i + 1, errors) }
  })
  return { rows, errors }
}

function parseObjects(values: unknown[], errors: RowError[]): ParsedRows {
  const objects = values.map((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null))
  refuseUnknownColumns(objects.flatMap((o) => (o ? Object.keys(o) : [])))
  const rows: ParsedRows['rows'] = []
  objects.forEach((o, i) => {
    if (o === null) errors.push({ row: i + 1, field: '(row)', message: 'must be an object of columns' })
    else rows.push({ row: i + 1, cells: cellsOf(o as Record<string, unknown>, i + 1, errors) })
  })
  return { rows, errors }
}

function parseNdjson(text: string): ParsedRows {
  const errors: RowError[] = []
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
  const values = lines.map((line, i) => {
    try {
      return JSON.parse(line) as unknown
    } catch {
      errors.push({ row: i + 1, field: '(row)', message: 'is not valid JSON' })
      return undefined
    }
  })
  const parsed = parseObjects(values, [])
  // Lines that were not JSON were reported already; keep the other rows' errors.
  const bad = new Set(errors.map((e) => e.row))
  return {
    rows: parsed.rows.filter((r) => !bad.has(r.row)),
    errors: [...errors, ...parsed.errors.filter((e) => !bad.has(e.row))].sort((a, b) => a.row - b.row),
  }
}

export function parseImportBody(format: ImportFormat, body: unknown): ParsedRows {
  let parsed: ParsedRows
  if (format === 'csv') parsed = parseCsvText(String(body))
  else if (format === 'ndjson') parsed = parseNdjson(String(body))
  else {
    if (!Array.isArray(body)) throw badRequest('A JSON import body must be an array of rows')
    parsed = parseObjects(body, [])
  }
  if (parsed.rows.length === 0 && parsed.errors.length === 0) throw badRequest('The import has no rows')
  return parsed
}
