import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { bearer, roleId } from '../helpers/build-test-app.js'
import { type Headers, type Json, problemBody, refusedWithoutWrites, type TestApp } from '../helpers/http.js'

export type { Headers, Json, TestApp }

/** Helpers shared by the search tests: tokens, record factories, searches, problem assertions. */

export type Res = LightMyRequestResponse

export const writer = (sub = 'search-writer', claims: Json = {}) =>
  bearer('directory:write', { sub, ...claims })
export const reader = (sub = 'search-reader') => bearer('directory:read', { sub })
/** A valid token that cannot read restricted details: it reads like an anonymous client. */
export const importOnly = (sub = 'search-importer') => bearer('directory:import', { sub })
export const admin = (sub = 'search-admin') => bearer('directory:admin', { sub })

/** Asserts an RFC 9457 problem+json answer; with `path`, that errors[] names it exactly. */
export function expectProblem(res: Res, status: number, path?: string): Json {
  const body = problemBody(res, status)
  if (path) {
    expect(body.errors, `errors[] in ${res.body}`).toBeInstanceOf(Array)
    const paths = (body.errors as { path: string; message: string }[]).map((e) => e.path)
    expect(paths, res.body).toContain(path)
    for (const e of body.errors as { message: unknown }[]) expect(e.message).toEqual(expect.any(String))
  }
  return body
}

/** Sends a request that must be refused and proves it wrote nothing (search documents included). */
export const expectRejected = (t: TestApp, request: InjectOptions, status: number, path?: string) =>
  refusedWithoutWrites(t, request, (res) => expectProblem(res, status, path))

export async function post(t: TestApp, url: string, headers: Headers, payload: Json): Promise<Json> {
  const res = await t.app.inject({ method: 'POST', url, headers, payload })
  expect(res.statusCode, `POST ${url}: ${res.body}`).toBe(201)
  return res.json() as Json
}

export async function patch(
  t: TestApp,
  url: string,
  headers: Headers,
  payload: Json,
  extra: Headers = {},
): Promise<Res> {
  return t.app.inject({
    method: 'PATCH',
    url,
    headers: { ...headers, 'content-type': 'application/merge-patch+json', ...extra },
    payload: JSON.stringify(payload),
  })
}

export const createContact = (t: TestApp, w: Headers, body: Json) => post(t, '/v1/contacts', w, body)

export const createOrganization = (t: TestApp, w: Headers, body: Json) =>
  post(t, '/v1/organizations', w, { kind: 'government', stateCode: 'KG', ...body })

export const createAssignment = (
  t: TestApp,
  w: Headers,
  body: { contact: Json; organization: Json; role: string } & Json,
) => {
  const { contact, organization, role, ...rest } = body
  return post(t, '/v1/assignments', w, {
    contactId: contact.id,
    organizationId: organization.id,
    roleId: roleId(t.db, role),
    stateCode: organization.stateCode ?? null,
    startDate: '2024-01-01',
    ...rest,
  })
}

export async function getJson(t: TestApp, url: string, headers: Headers = {}): Promise<Json> {
  const res = await t.app.inject({ method: 'GET', url, headers })
  expect(res.statusCode, `GET ${url}: ${res.body}`).toBe(200)
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  return res.json() as Json
}

/** `?q=` (or `&q=`) with the query encoded. */
export const withQ = (url: string, q: string) =>
  `${url}${url.includes('?') ? '&' : '?'}q=${encodeURIComponent(q)}`

/** The items of one page of a search (limit 500, so one page is every hit). */
export async function search(t: TestApp, base: string, q: string, headers: Headers = {}): Promise<Json[]> {
  const sep = base.includes('?') ? '&' : '?'
  const page = await getJson(t, withQ(`${base}${sep}limit=500`, q), headers)
  expect(page.nextCursor).toBeNull()
  return page.items as Json[]
}

/** The ids a contacts search finds, in answer order. */
export const contactIds = async (t: TestApp, q: string, headers: Headers = {}) =>
  (await search(t, '/v1/contacts', q, headers)).map((c) => c.id as string)

/** The ids an organizations search finds, in answer order. */
export const organizationIds = async (t: TestApp, q: string, headers: Headers = {}, filter = '') =>
  (await search(t, `/v1/organizations${filter}`, q, headers)).map((o) => o.id as string)

/** The target of a `Link: <...>; rel="next"` header, or null without one. */
export function linkNext(res: Res): string | null {
  const link = res.headers.link
  if (link === undefined) return null
  const m = /^<([^>]+)>;\s*rel="next"$/.exec(String(link))
  expect(m, `Link header ${link}`).not.toBeNull()
  return m?.[1] ?? null
}

/**
 * Walks a list both ways — by `nextCursor` appended to the first URL and by the Link header —
 * and checks they agree page for page. Answers every item in order.
 */
export async function walk(t: TestApp, url: string, headers: Headers = {}): Promise<Json[]> {
  const byCursor: Json[] = []
  const byLink: Json[] = []
  let next: string | null = url
  let link: string | null = url
  for (let pages = 0; next || link; pages++) {
    expect(pages, 'pagination terminates').toBeLessThan(200)
    expect(next === null, 'nextCursor and Link agree on whether there is a next page').toBe(link === null)
    if (!next || !link) break
    const a: Res = await t.app.inject({ method: 'GET', url: next, headers })
    const b: Res = await t.app.inject({ method: 'GET', url: link, headers })
    expect(a.statusCode, a.body).toBe(200)
    expect(b.statusCode, b.body).toBe(200)
    const pa = a.json() as Json
    const pb = b.json() as Json
    byCursor.push(...pa.items)
    byLink.push(...pb.items)
    expect(pb.items).toEqual(pa.items)
    next = pa.nextCursor ? `${url}&cursor=${encodeURIComponent(pa.nextCursor)}` : null
    link = linkNext(b)
    expect(link === null).toBe(pb.nextCursor === null)
  }
  expect(byLink).toEqual(byCursor)
  return byCursor
}

export function countRows(t: TestApp, sql: string, ...params: unknown[]): number {
  return (t.db.$client.prepare(sql).get(...params) as { n: number }).n
}

/** The search document of a record, or undefined. */
export function documentOf(t: TestApp, entity: 'contact' | 'organization', id: unknown): Json | undefined {
  return t.db.$client
    .prepare('select * from search_documents where entity = ? and entity_id = ?')
    .get(entity, id) as Json | undefined
}

/** FTS5's own check that the index matches its external content table; throws when it does not. */
export function ftsIntegrityCheck(t: TestApp): void {
  t.db.$client.prepare(`insert into search_index(search_index, rank) values ('integrity-check', 1)`).run()
}

/** The `search_documents` rows alone, as a string to compare. */
export function searchDocuments(t: TestApp): string {
  return JSON.stringify(t.db.$client.prepare('select * from search_documents order by doc').all())
}
