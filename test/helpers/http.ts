import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { type buildTestApp, snapshot } from './build-test-app.js'

/** Request and problem+json helpers that every test folder shares; folders add their own checks. */

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
export type Json = Record<string, any>
export type Headers = Record<string, string>

/** What a problem body must never show: a stack trace, a source path, SQLite's own words. */
const LEAKS = /\n\s+at |node_modules|\.ts:\d+|SQLITE|sqlite|fts5|syntax error/i

/** Asserts an RFC 9457 problem+json answer with `status` and returns its body. */
export function problemBody(res: LightMyRequestResponse, status: number): Json {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = res.json() as Json
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status })
  expect(body.detail).toEqual(expect.any(String))
  expect(res.body).not.toMatch(LEAKS)
  return body
}

/** Sends a request that must be refused, checks the answer with `check`, and proves it wrote nothing. */
export async function refusedWithoutWrites(
  t: TestApp,
  request: InjectOptions,
  check: (res: LightMyRequestResponse) => Json,
): Promise<Json> {
  const before = snapshot(t.db)
  const body = check(await t.app.inject(request))
  expect(snapshot(t.db), 'a refused request writes nothing').toBe(before)
  return body
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
