import type { FastifyReply, FastifyRequest } from 'fastify'
import { invalidField } from './problem.js'

/** Keyset pagination: the cursor is the opaque (base64url) sort key of the last item. */

export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key }), 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (parsed && typeof parsed === 'object' && typeof (parsed as { k: unknown }).k === 'string') {
      return (parsed as { k: string }).k
    }
  } catch {
    // fall through to the 400 below
  }
  throw invalidField('cursor', 'is not a cursor this service issued')
}

/** Turns `limit + 1` fetched rows into a page and the cursor for the next one. */
export function toPage<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => string,
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null }
  const items = rows.slice(0, limit)
  const last = items[items.length - 1] as T
  return { items, nextCursor: encodeCursor(keyOf(last)) }
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
  query: { limit: number; cursor?: string | undefined },
  keyOf: (row: T) => string,
  run: (afterKey: string | undefined, take: number) => T[],
): { items: T[]; nextCursor: string | null } {
  return toPage(run(decodeCursor(query.cursor), query.limit + 1), query.limit, keyOf)
}
