import { unprotectCell } from '../../lib/csv-cells.js'
import { lazy } from '../../lib/lazy.js'
import type { FieldError, RowError } from '../../lib/problem.js'
import { badRequest, ProblemError, problemType, statusTitle } from '../../lib/problem.js'
import { illFormedText } from '../../lib/text-hygiene.js'
import { IMPORT_COLUMNS } from './imports-schemas.js'

// Loaded with the first import: start-up does not need it.
const csvParser = lazy<typeof import('papaparse')>('papaparse')

export type ImportFormat = 'csv' | 'ndjson' | 'json'

export interface ParsedRows {
  /** Rows numbered from 1, cells as given (empty cells dropped). */
  rows: { row: number; cells: Record<string, string> }[]
  errors: RowError[]
}

/**
 * Refuses unknown columns (a typo would drop data silently) and columns named twice (one of
 * the two would be dropped silently): 400 naming them.
 */
function refuseBadColumns(
  names: Iterable<string>,
  namedTwice: Iterable<string>,
  columns: readonly string[],
): void {
  const known = new Set(columns)
  const unknown = [...new Set(names)].filter((n) => !known.has(n))
  // A column both unknown and repeated is named once, as unknown.
  const repeated = [...new Set(namedTwice)].filter((n) => known.has(n))
  if (unknown.length === 0 && repeated.length === 0) return
  const errors: FieldError[] = [
    ...unknown.map((n) => ({ path: n, message: 'is not a known column' })),
    ...repeated.map((n) => ({ path: n, message: 'is named more than once' })),
  ]
  const parts = [
    ...(unknown.length > 0
      ? [
          `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the columns are ${columns.join(', ')}`,
        ]
      : []),
    ...(repeated.length > 0
      ? [`Column${repeated.length > 1 ? 's' : ''} ${repeated.join(', ')} named more than once`]
      : []),
  ]
  throw badRequest(parts.join('; '), errors)
}

const namedTwiceIn = (names: string[]) => names.filter((n, i) => names.indexOf(n) !== i)

const JSON_TOKEN = /[{}[\],]|"[^"\\]*(?:\\.[^"\\]*)*"/g

/**
 * The keys named more than once in one object `depth` levels down in `text` (1: an NDJSON line's
 * row, 2: a row of a JSON array), which JSON.parse would drop silently but for the last.
 * `text` is valid JSON.
 */
function keysNamedTwice(text: string, depth: number): string[] {
  const twice = new Set<string>()
  // One entry per open object (its keys so far) or array (null).
  const open: (Set<string> | null)[] = []
  let keyNext = false
  for (const [token] of text.matchAll(JSON_TOKEN)) {
    if (token === '{') {
      open.push(new Set())
      keyNext = true
    } else if (token === '[') {
      open.push(null)
      keyNext = false
    } else if (token === '}' || token === ']') {
      open.pop()
      keyNext = false
    } else if (token === ',') {
      keyNext = open.at(-1) instanceof Set
    } else if (keyNext) {
      keyNext = false
      const keys = open.at(-1)
      if (keys && open.length === depth) {
        const key = token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1)
        if (keys.has(key)) twice.add(key)
        keys.add(key)
      }
    }
  }
  return [...twice]
}

/** JSON.parse, with a syntax error answered as the service answers any body that is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ProblemError(400, `The request body is not valid JSON: ${(err as Error).message}`, {
      type: problemType('malformed-body'),
      title: statusTitle(400),
    })
  }
}

/**
 * Keeps the given cells; an empty cell means "not given". Non-text JSON values are row errors.
 * `cell` turns a cell's text into its value (a CSV cell loses the `'` an export protects it with).
 */
function cellsOf(
  record: Record<string, unknown>,
  row: number,
  errors: RowError[],
  cell: (text: string) => string = (text) => text,
): Record<string, string> {
  const cells: Record<string, string> = {}
  for (const [field, value] of Object.entries(record)) {
    if (value === null || value === undefined) continue
    if (typeof value !== 'string') {
      errors.push({ row, field, message: 'must be text' })
      continue
    }
    const given = cell(value).trim()
    if (given !== '') cells[field] = given
  }
  return cells
}

/** A CSV cell's value: without the `'` an export protects it with, CRLF inside it as LF. */
const csvCell = (text: string) => unprotectCell(text).replace(/\r\n/g, '\n')

function parseCsvText(text: string, known: readonly string[]): ParsedRows {
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
  refuseBadColumns(columns, namedTwiceIn(columns), known)
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
    // A line break inside a quoted cell is stored as LF, whichever the file's line ends are.
    return { row: i + 1, cells: cellsOf(record, i + 1, errors, csvCell) }
  })
  return { rows, errors }
}

/**
 * Text hygiene for rows parsed here from JSON (the service's check over parsed bodies sees only
 * the text): a string or key that is not well-formed Unicode is 400 naming its row and column.
 */
function refuseIllFormedRows(values: unknown[]): void {
  const errors: RowError[] = []
  values.forEach((value, i) => {
    for (const e of illFormedText(value)) {
      errors.push({ row: i + 1, field: e.path === '(root)' ? '(row)' : e.path, message: e.message })
    }
  })
  if (errors.length === 0) return
  throw new ProblemError(400, errors.map((e) => `row ${e.row}, ${e.field}: ${e.message}`).join('; '), {
    type: problemType('validation-error'),
    title: 'Validation failed',
    errors,
  })
}

function parseObjects(values: unknown[], namedTwice: string[], known: readonly string[]): ParsedRows {
  refuseIllFormedRows(values)
  const errors: RowError[] = []
  const objects = values.map((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null))
  refuseBadColumns(
    objects.flatMap((o) => (o ? Object.keys(o) : [])),
    namedTwice,
    known,
  )
  const rows: ParsedRows['rows'] = []
  objects.forEach((o, i) => {
    if (o === null) errors.push({ row: i + 1, field: '(row)', message: 'must be an object of columns' })
    else rows.push({ row: i + 1, cells: cellsOf(o as Record<string, unknown>, i + 1, errors) })
  })
  return { rows, errors }
}

function parseNdjson(text: string, known: readonly string[]): ParsedRows {
  const errors: RowError[] = []
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
  const namedTwice: string[] = []
  const values = lines.map((line, i) => {
    try {
      const value = JSON.parse(line) as unknown
      namedTwice.push(...keysNamedTwice(line, 1))
      return value
    } catch {
      errors.push({ row: i + 1, field: '(row)', message: 'is not valid JSON' })
      return undefined
    }
  })
  const parsed = parseObjects(values, namedTwice, known)
  // Lines that were not JSON were reported already; keep the other rows' errors.
  const bad = new Set(errors.map((e) => e.row))
  return {
    rows: parsed.rows.filter((r) => !bad.has(r.row)),
    errors: [...errors, ...parsed.errors.filter((e) => !bad.has(e.row))].sort((a, b) => a.row - b.row),
  }
}

/**
 * Non-empty lines of `text` (a CSV's header among them), counted without splitting it, so an
 * oversized body is refused before its rows take memory. A quoted cell spanning lines counts
 * each of its lines.
 */
export function nonEmptyLines(text: string): number {
  let lines = 0
  let blank = true
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) {
      if (!blank) lines++
      blank = true
    } else if (blank && c !== 13 && c !== 32 && c !== 9 && c !== 0xfeff) blank = false
  }
  return blank ? lines : lines + 1
}

function refuseTooMany(rows: number, max: number): void {
  if (rows <= max) return
  throw new ProblemError(
    413,
    `The import has ${rows} rows; at most ${max} are accepted at once (IMPORT_MAX_ROWS): split it into smaller imports`,
    { type: problemType('too-many-rows'), title: statusTitle(413) },
  )
}

/**
 * The rows of an import body: CSV or NDJSON text, or JSON as text (so that a key named twice in
 * a row is refused like a CSV column named twice) or as an already parsed array. More than
 * `maxRows` data rows is 413, counted before the rows are parsed (CSV and NDJSON by their
 * non-empty lines; a JSON array by its length once the text is parsed). `columns` are the known
 * columns (the directory import's unless another bulk write names its own).
 */
export function parseImportBody(
  format: ImportFormat,
  body: unknown,
  maxRows = Infinity,
  columns: readonly string[] = IMPORT_COLUMNS,
): ParsedRows {
  let parsed: ParsedRows
  if (format === 'csv') {
    const text = String(body)
    refuseTooMany(nonEmptyLines(text) - 1, maxRows)
    parsed = parseCsvText(text, columns)
  } else if (format === 'ndjson') {
    const text = String(body)
    refuseTooMany(nonEmptyLines(text), maxRows)
    parsed = parseNdjson(text, columns)
  } else {
    const text = typeof body === 'string' ? body.replace(/^\uFEFF/, '') : undefined
    const value = text === undefined ? body : parseJson(text)
    if (!Array.isArray(value)) throw badRequest('A JSON import body must be an array of rows')
    refuseTooMany(value.length, maxRows)
    parsed = parseObjects(value, text === undefined ? [] : keysNamedTwice(text, 2), columns)
  }
  if (parsed.rows.length === 0 && parsed.errors.length === 0) throw badRequest('The import has no rows')
  return parsed
}
