import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { bearer } from '../helpers/build-test-app.js'
import {
  getJson,
  type Headers,
  type Json,
  problemBody,
  refusedWithoutWrites,
  type TestApp,
} from '../helpers/http.js'

export { getJson, listAll, withCursor } from '../helpers/http.js'
export type { Headers, Json, TestApp }

/** Helpers shared by the institutional-memory tests (directory, history, feed, reports). */

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

/** Asserts an RFC 9457 problem+json answer; with `path`, that errors[] names it (or a path ending in it). */
export function expectProblem(res: LightMyRequestResponse, status: number, path?: string): Json {
  const body = problemBody(res, status)
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
export const expectRejected = (t: TestApp, request: InjectOptions, status: number, path?: string) =>
  refusedWithoutWrites(t, request, (res) => expectProblem(res, status, path))

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
