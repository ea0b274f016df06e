import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { bearer, type buildTestApp, snapshot } from '../helpers/build-test-app.js'

/** Helpers shared by the institutional-memory tests (directory, history, feed, reports). */

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
export type Json = Record<string, any>
export type Headers = Record<string, string>

export interface Revision {
  seq: number
  at: string
  actor: string
  action: 'create' | 'update' | 'delete' | 'erase'
  entity: 'state' | 'organization' | 'role' | 'contact' | 'assignment'
  entityId: string
  requestId: string
  changes: Record<string, { before: unknown; after: unknown }>
}

export const writer = (sub = 'writer-wanda', claims: Json = {}) =>
  bearer('directory:write', { sub, ...claims })
export const admin = (sub = 'admin-alice') => bearer('directory:admin', { sub })
export const reader = (sub = 'reader-rita') => bearer('directory:read', { sub })

const STACK = /\n\s+at |node_modules|\.ts:\d+|SQLITE|sqlite/i

/** Asserts an RFC 9457 problem+json answer with `status` and returns its body. */
export function expectProblem(res: LightMyRequestResponse, status: number, path?: string): Json {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = res.json() as Json
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status })
  expect(body.detail).toEqual(expect.any(String))
  expect(res.body).not.toMatch(STACK)
  if (path) {
    const paths = ((body.errors ?? []) as { path: string }[]).map((e) => e.path)
    expect(
      paths.some((p) => p === path || p.endsWith(`.${path}`)),
      `errors[].path names ${path}: ${res.body}`,
    ).toBe(true)
  }
  return body
}

/** Sends a request that must be refused and proves it wrote nothing. */
export async function expectRejected(
  t: TestApp,
  request: InjectOptions,
  status: number,
  path?: string,
): Promise<Json> {
  const before = snapshot(t.db)
  const res = await t.app.inject(request)
  const body = expectProblem(res, status, path)
  expect(snapshot(t.db), 'a refused request writes nothing').toBe(before)
  return body
}

export async function send(
  t: TestApp,
  method: 'POST' | 'PATCH' | 'DELETE',
  url: string,
  headers: Headers,
  payload?: unknown,
): Promise<LightMyRequestResponse> {
  const opts: InjectOptions = { method, url, headers: { ...headers } }
  if (payload !== undefined) {
    if (method === 'PATCH') {
      opts.headers = { ...headers, 'content-type': 'application/merge-patch+json' }
      opts.payload = JSON.stringify(payload)
    } else {
      opts.payload = payload as object
    }
  }
  return t.app.inject(opts)
}

/** A write that must succeed; answers the JSON body (null for 204). */
export async function write(
  t: TestApp,
  method: 'POST' | 'PATCH' | 'DELETE',
  url: string,
  headers: Headers,
  payload?: unknown,
): Promise<Json> {
  const res = await send(t, method, url, headers, payload)
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
  return res.statusCode === 204 ? {} : (res.json() as Json)
}

export async function getJson(t: TestApp, url: string, headers: Headers = {}): Promise<Json> {
  const res = await t.app.inject({ method: 'GET', url, headers })
  expect(res.statusCode, `GET ${url}: ${res.body}`).toBe(200)
  return res.json() as Json
}

export const withCursor = (url: string, cursor: string) =>
  `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`

/** Every item a list URL yields, following nextCursor to the end. */
export async function listAll(t: TestApp, url: string, headers: Headers = {}): Promise<Json[]> {
  const items: Json[] = []
  let next: string | null = url
  for (let pages = 0; next; pages++) {
    expect(pages, 'pagination terminates').toBeLessThan(1000)
    const page: Json = await getJson(t, next, headers)
    items.push(...page.items)
    next = page.nextCursor ? withCursor(url, page.nextCursor) : null
  }
  return items
}

/** The whole change feed from `after`, paging with `limit`. */
export async function readFeed(
  t: TestApp,
  headers: Headers = {},
  limit = 1000,
  after = 0,
): Promise<Revision[]> {
  const out: Revision[] = []
  let cursor = after
  for (;;) {
    const page = await getJson(t, `/v1/changes?after=${cursor}&limit=${limit}`, headers)
    if (page.items.length === 0) {
      expect(page.nextAfter).toBe(cursor)
      return out
    }
    out.push(...page.items)
    cursor = page.nextAfter
  }
}

export function maxSeq(t: TestApp): number {
  return (t.db.$client.prepare('select max(seq) as n from revisions').get() as { n: number }).n
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let counter = 0
export const unique = (prefix: string) => `${prefix} ${Date.now().toString(36)}${(counter++).toString(36)}`
