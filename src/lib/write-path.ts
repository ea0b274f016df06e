import { getTableColumns, getTableName } from 'drizzle-orm'
import { V7Generator } from 'uuidv7'
import {
  assignments,
  campaigns,
  contacts,
  type EntityName,
  organizations,
  participations,
  roles,
  states,
  trainingEvents,
  webhooks,
} from '../db/schema.js'
import { preconditionFailed } from './problem.js'
import { indexNewRecords, indexRecord, isSearched, touchesSearch, unindexRecord } from './search-index.js'
import { beforeNextStatement, clientOf, insertMany, MANY, statement, type Tx } from './statements.js'

/**
 * The one write path: every create, update and delete of every entity goes through here, so
 * versioning, timestamps and the revision log cannot drift apart. Call inside a transaction.
 */

export type { Tx } from './statements.js'

export const tables = {
  state: states,
  organization: organizations,
  role: roles,
  contact: contacts,
  assignment: assignments,
  webhook: webhooks,
  'training-event': trainingEvents,
  participation: participations,
  campaign: campaigns,
} as const

export type RowOf<E extends EntityName> = (typeof tables)[E]['$inferSelect']
type Bookkeeping = 'version' | 'createdAt' | 'updatedAt' | 'deletedAt'
export type FieldsOf<E extends EntityName> = Omit<RowOf<E>, Bookkeeping>

export interface WriteContext {
  actor: string
  requestId: string
}

export type Changes = Record<string, { before: unknown; after: unknown }>

const BOOKKEEPING = new Set<string>(['version', 'createdAt', 'updatedAt', 'deletedAt'])

const keyOf = (entity: EntityName, row: Record<string, unknown>) =>
  String(entity === 'state' ? row.code : row.id)

// uuidv7's default source refills 8 random words per crypto call; a bigger buffer makes bulk
// writes (an import creates tens of thousands of ids) several times cheaper per id.
const randomWords = new Uint32Array(1024)
let randomCursor = randomWords.length
const ids = new V7Generator({
  nextUint32: () => {
    // Stryker disable next-line ConditionalExpression: refilling on every call gives random words too, only slower
    if (randomCursor >= randomWords.length) {
      crypto.getRandomValues(randomWords)
      randomCursor = 0
    }
    return randomWords[randomCursor++] as number
  },
})
// An id's canonical 8-4-4-4-12 text built in one string: the library's toString adds a character
// at a time (dozens of intermediate strings per id, and an import makes tens of thousands of ids).
const HEX = [...'0123456789abcdef'].map((c) => c.charCodeAt(0))
const idChars: number[] = new Array(36).fill('-'.charCodeAt(0))
export function uuidText(bytes: Uint8Array): string {
  let at = 0
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) at++
    const b = bytes[i] as number
    idChars[at++] = HEX[b >>> 4] as number
    idChars[at++] = HEX[b & 15] as number
  }
  return String.fromCharCode(...idChars)
}
export const newId = (): string => uuidText(ids.generate().bytes)
// The text of the current millisecond, made once per millisecond (a bulk write stamps tens of
// thousands of records within a few seconds).
let nowMs = Number.NaN
let nowText = ''
export const now = (): string => {
  const ms = Date.now()
  if (ms !== nowMs) {
    nowMs = ms
    nowText = new Date(ms).toISOString()
  }
  return nowText
}

/** True when an If-Match or If-None-Match list names `version` (or is `*`). */
export function etagMatches(header: string, version: number): boolean {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === `"${version}"`)
}

export function assertIfMatch(header: string | undefined, version: number): void {
  if (header !== undefined && !etagMatches(header, version)) {
    throw preconditionFailed(`The record is at version ${version}; it changed since the entity tag you sent`)
  }
}

export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Changes {
  const changes: Changes = {}
  for (const field of Object.keys(after)) {
    if (BOOKKEEPING.has(field)) continue
    const b = before[field] ?? null
    const a = after[field] ?? null
    // Same value, or two different strings: no need to serialise to compare.
    if (a === b) continue
    // Stryker disable next-line all: a fast path; for two strings the JSON comparison below answers the same
    if (typeof a === 'string' && typeof b === 'string') {
      changes[field] = { before: b, after: a }
      continue
    }
    if (JSON.stringify(b) !== JSON.stringify(a)) changes[field] = { before: b, after: a }
  }
  return changes
}

/** Column name and driver mapping (JSON text, booleans as 0/1) for each field of a table. */
function columnsOf(entity: EntityName) {
  return Object.entries(getTableColumns(tables[entity])).map(([field, column]) => ({
    field,
    name: column.name,
    toDriver: (value: unknown) =>
      value === null || value === undefined ? null : column.mapToDriverValue(value),
  }))
}
const COLUMNS = Object.fromEntries(
  (Object.keys(tables) as EntityName[]).map((e) => [e, columnsOf(e)]),
) as Record<EntityName, ReturnType<typeof columnsOf>>

const INSERT_SQL = Object.fromEntries(
  (Object.keys(tables) as EntityName[]).map((e) => [
    e,
    `insert into ${getTableName(tables[e])} (${COLUMNS[e].map((c) => `"${c.name}"`).join(', ')}) values (${COLUMNS[e].map(() => '?').join(', ')})`,
  ]),
) as Record<EntityName, string>

/**
 * Bulk mode, for imports: creates are queued and written as multi-row INSERTs, a statement per
 * hundred rows instead of one each (about a third less time per row). The queue is flushed
 * before the next statement prepared through `statement()` runs on the connection (every
 * write and keyed read of the service), so updates, revisions and the search index keep
 * their order and see each earlier create (every few hundred revisions a flush on the way
 * writes whole statements and keeps the rest queued; that one does not need to write it all,
 * see flushCreates). Reads through drizzle's query builder do not
 * flush: code inside bulk mode must not use them. A throw discards the queue, so bulk mode
 * belongs inside a transaction that the throw rolls back.
 */
// A few hundred rows a flush: the queued rows (revision JSON above all) are then still young
// garbage at the next scavenge, not copied and promoted to the old generation as a batch of
// thousands was.
const BULK_LIMIT = 400
// foreign keys first
const ENTITY_ORDER: EntityName[] = [
  'state',
  'role',
  'organization',
  'contact',
  'assignment',
  'training-event',
  'participation',
  'campaign',
  'webhook',
]

interface Queue {
  records: Map<EntityName, unknown[][]>
  revisions: unknown[][]
  documents: { entity: 'contact' | 'organization'; row: RowOf<'contact'> | RowOf<'organization'> }[]
}
const queues = new WeakMap<object, Queue>()

export function withBulkCreates<T>(tx: Tx, work: () => T): T {
  const client = clientOf(tx)
  if (queues.has(client)) throw new Error('bulk mode is already on for this connection')
  const queue: Queue = { records: new Map(), revisions: [], documents: [] }
  queues.set(client, queue)
  try {
    const result = work()
    flushCreates(tx, queue)
    return result
  } finally {
    queues.delete(client)
    beforeNextStatement(tx, undefined)
  }
}

const REVISION_COLUMNS = ['at', 'actor', 'action', 'entity', 'entity_id', 'request_id', 'changes', 'version']

// Records no other table references: a flush on the way may keep some of them queued.
const UNREFERENCED = new Set<EntityName>(['assignment', 'participation'])

/**
 * Writes the queued creates. `whole` false (a flush on the way, not one a statement or the end
 * needs) writes only whole statements of revisions, search documents and records nothing
 * references, and keeps the rest queued, in order, for the next flush: a statement of fewer
 * rows costs more per row. Referenced records all go, so every reference finds its record
 * (foreign keys are checked row by row; deferring them made each insert scan for dependents).
 */
function flushCreates(tx: Tx, queue: Queue, whole = true): void {
  beforeNextStatement(tx, undefined)
  const part = <R>(rows: R[], carry: boolean): R[] => {
    const n = carry ? rows.length - (rows.length % MANY) : rows.length
    return rows.splice(0, n)
  }
  for (const entity of ENTITY_ORDER) {
    const rows = queue.records.get(entity)
    if (rows?.length) {
      insertMany(
        tx,
        getTableName(tables[entity]),
        COLUMNS[entity].map((c) => c.name),
        part(rows, !whole && UNREFERENCED.has(entity)),
      )
    }
  }
  insertMany(tx, 'revisions', REVISION_COLUMNS, part(queue.revisions, !whole))
  indexNewRecords(tx, part(queue.documents, !whole))
  if (!whole) beforeNextStatement(tx, () => flushCreates(tx, queue))
}

export function appendRevision(
  tx: Tx,
  ctx: WriteContext,
  action: 'create' | 'update' | 'delete' | 'erase',
  entity: EntityName,
  entityId: string,
  changes: Changes,
  at: string,
  version: number,
  reason: string | null = null,
): void {
  const queue = queues.get(clientOf(tx))
  if (queue && action === 'create') {
    queue.revisions.push([
      at,
      ctx.actor,
      action,
      entity,
      entityId,
      ctx.requestId,
      JSON.stringify(changes),
      version,
    ])
    return
  }
  statement(
    tx,
    // Stryker disable next-line StringLiteral: a statement cache key; any key no other statement uses is the same
    'revision',
    () =>
      'insert into revisions (at, actor, action, entity, entity_id, request_id, changes, version, reason) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(at, ctx.actor, action, entity, entityId, ctx.requestId, JSON.stringify(changes), version, reason)
}

export function createRecord<E extends EntityName>(
  tx: Tx,
  ctx: WriteContext,
  entity: E,
  fields: FieldsOf<E>,
): RowOf<E> {
  const at = now()
  // Not `{ ...fields, version: 1, ... }`: V8 gives every object spread and then extended that way
  // a hidden class of its own (20,000 contacts of an import: 20,000 classes, kept to its end).
  const row: Record<string, unknown> = Object.assign({}, fields)
  row.version = 1
  row.createdAt = at
  row.updatedAt = at
  row.deletedAt = null
  const columns = COLUMNS[entity]
  const params = columns.map((c) => c.toDriver(row[c.field]))
  const queue = queues.get(clientOf(tx))
  if (queue) {
    const rows = queue.records.get(entity) ?? []
    rows.push(params)
    queue.records.set(entity, rows)
    beforeNextStatement(tx, () => flushCreates(tx, queue))
  } else {
    statement(tx, `insert:${entity}`, () => INSERT_SQL[entity]).run(params)
  }
  const key = keyOf(entity, row)
  // A create names every field, so replaying the feed rebuilds the record exactly.
  const changes: Changes = {}
  for (const field in fields) {
    changes[field] = { before: null, after: (fields as Record<string, unknown>)[field] ?? null }
  }
  appendRevision(tx, ctx, 'create', entity, key, changes, at, 1)
  if (queue) {
    if (isSearched(entity)) queue.documents.push({ entity, row: row as RowOf<typeof entity> })
    if (queue.revisions.length >= BULK_LIMIT) flushCreates(tx, queue, false)
  } else if (isSearched(entity)) {
    // Stryker disable next-line BooleanLiteral: `isNew` only skips looking for the old document a new record cannot have
    indexRecord(tx, entity, row as RowOf<typeof entity>, true)
  }
  return row as unknown as RowOf<E>
}

function setColumns(tx: Tx, entity: EntityName, key: string, set: Record<string, unknown>): void {
  // Stryker disable next-line MethodExpression: the order only makes the statement cache key canonical
  const fields = Object.keys(set).sort()
  const columns = fields.map((f) => {
    const column = COLUMNS[entity].find((c) => c.field === f)
    if (!column) throw new Error(`unknown field ${f} of ${entity}`)
    return column
  })
  const keyName = entity === 'state' ? 'code' : 'id'
  statement(
    tx,
    `update:${entity}:${fields.join(',')}`,
    () =>
      `update ${getTableName(tables[entity])} set ${columns.map((c) => `"${c.name}" = ?`).join(', ')} where "${keyName}" = ?`,
  ).run(...columns.map((c) => c.toDriver(set[c.field])), key)
}

/** Applies `next` over `current`; a change that changes nothing writes nothing. */
export function updateRecord<E extends EntityName>(
  tx: Tx,
  ctx: WriteContext,
  entity: E,
  current: RowOf<E>,
  next: Partial<FieldsOf<E>>,
): RowOf<E> {
  const changes = diff(current as Record<string, unknown>, next as Record<string, unknown>)
  if (Object.keys(changes).length === 0) return current
  const at = now()
  const set: Record<string, unknown> = { version: current.version + 1, updatedAt: at }
  for (const [field, change] of Object.entries(changes)) set[field] = change.after
  const key = keyOf(entity, current as Record<string, unknown>)
  setColumns(tx, entity, key, set)
  appendRevision(tx, ctx, 'update', entity, key, changes, at, current.version + 1)
  const updated = { ...current, ...set } as RowOf<E>
  if (isSearched(entity) && touchesSearch(entity, Object.keys(changes))) {
    indexRecord(tx, entity, updated as RowOf<typeof entity>)
  }
  return updated
}

/** Soft delete: the row stays as a tombstone so history and the change feed keep it. */
export function deleteRecord<E extends EntityName>(
  tx: Tx,
  ctx: WriteContext,
  entity: E,
  current: RowOf<E>,
): void {
  const at = now()
  const key = keyOf(entity, current as Record<string, unknown>)
  setColumns(tx, entity, key, { deletedAt: at, updatedAt: at, version: current.version + 1 })
  appendRevision(tx, ctx, 'delete', entity, key, {}, at, current.version + 1)
  // Stryker disable next-line ConditionalExpression: other entities have no document to remove (a lookup finds none)
  if (isSearched(entity)) unindexRecord(tx, entity, key)
}

/**
 * Erasure (docs/privacy.md): overwrites `erased` fields of the record, without their values in
 * the revision it writes (`erase`, with the reason), and re-indexes it for search. The caller
 * scrubs the same fields from the record's earlier revisions in the same transaction.
 */
export function eraseRecord<E extends 'contact'>(
  tx: Tx,
  ctx: WriteContext,
  entity: E,
  current: RowOf<E>,
  erased: Partial<FieldsOf<E>>,
  reason: string,
): RowOf<E> {
  const at = now()
  const set: Record<string, unknown> = { ...erased, version: current.version + 1, updatedAt: at }
  const key = keyOf(entity, current as Record<string, unknown>)
  setColumns(tx, entity, key, set)
  appendRevision(tx, ctx, 'erase', entity, key, {}, at, current.version + 1, reason)
  const updated = { ...current, ...set } as RowOf<E>
  if (updated.deletedAt === null) indexRecord(tx, entity, updated)
  return updated
}
