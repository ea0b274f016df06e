import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { invalidField } from './problem.js'
import { clientOf, statement, type Tx } from './statements.js'

/**
 * Keyset pagination: the cursor is the sort key of the last item, opaque (base64url) and
 * tamper-evident: signed with the database's own key (made by its migration), so a cursor the
 * service did not issue, or one altered, is refused, and cursors outlive restarts.
 */

const keys = new WeakMap<object, Buffer>()
function cursorKey(db: Tx): Buffer {
  const client = clientOf(db)
  let key = keys.get(client)
  // Stryker disable next-line ConditionalExpression: a cache; reading the key every time gives the same key
  if (!key) {
    const hex = statement(db, 'cursor-key', () => "select value from settings where name = 'cursor-key'")
      .pluck()
      .get() as string | undefined
    if (!hex) throw new Error('the cursor key is missing: run the migrations')
    key = Buffer.from(hex, 'hex')
    keys.set(client, key)
  }
  return key
}

const sign = (db: Tx, payload: string) =>
  createHmac('sha256', cursorKey(db)).update(payload).digest().subarray(0, 16).toString('base64url')

export function encodeCursor(db: Tx, key: string): string {
  const payload = Buffer.from(JSON.stringify({ k: key })).toString('base64url')
  return `${payload}.${sign(db, payload)}`
}

const CursorPayload = z.object({ k: z.string() })
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    // Any value here fails the schema as undefined does: emptying this block is an equivalent mutant.
    return undefined
  }
}

export function decodeCursor(db: Tx, cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  const [payload, mac, extra] = cursor.split('.')
  if (payload && mac && extra === undefined) {
    const expected = Buffer.from(sign(db, payload))
    const given = Buffer.from(mac)
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      const parsed = CursorPayload.safeParse(parseJson(Buffer.from(payload, 'base64url').toString()))
      if (parsed.success) return parsed.data.k
    }
  }
  throw invalidField('cursor', 'is not a cursor this service issued')
}

/** Turns `limit + 1` fetched rows into a page and the cursor for the next one. */
export function toPage<T>(
  db: Tx,
  rows: T[],
  limit: number,
  keyOf: (row: T) => string,
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null }
  const items = rows.slice(0, limit)
  const last = items[items.length - 1] as T
  return { items, nextCursor: encodeCursor(db, keyOf(last)) }
}

/** Sets `Link: <...>; rel="next"` for the page after this one. */
export function setNextLink(request: FastifyRequest, reply: FastifyReply, nextCursor: string | null): void {
  if (!nextCursor) return
  const url = new URL(request.url, 'http://local')
  url.searchParams.set('cursor', nextCursor)
  reply.header('link', `<${url.pathname}${url.search}>; rel="next"`)
}

/** Runs a keyset query for one page: `run` gets the key to start after and how many to take. */
export function paginate<T>(
  db: Tx,
  query: { limit: number; cursor?: string | undefined },
  keyOf: (row: T) => string,
  run: (afterKey: string | undefined, take: number) => T[],
): { items: T[]; nextCursor: string | null } {
  return toPage(db, run(decodeCursor(db, query.cursor), query.limit + 1), query.limit, keyOf)
}
