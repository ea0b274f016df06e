import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { bearer, type buildTestApp, roleId, snapshot } from '../helpers/build-test-app.js'

/** Shared helpers for the resource tests: problem assertions, revisions, record factories. */

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>
export type Res = LightMyRequestResponse
export type Json = Record<string, unknown>
export type Headers = Record<string, string>

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  errors?: { path: string; message: string }[]
}

export interface Revision {
  seq: number
  at: string
  actor: string
  action: string
  entity: string
  entityId: string
  requestId: string
  changes: Record<string, { before: unknown; after: unknown }>
}

export const WRITER = 'writer-wanda'
export const ADMIN = 'admin-alice'
export const writer = () => bearer('directory:write', { sub: WRITER })
export const admin = () => bearer('directory:admin', { sub: ADMIN })

/** A date in the past (an ended tenure) and one far ahead (still current). */
export const PAST = '2023-01-01'
export const FUTURE = '2999-12-31'

export const mergePatch = (auth: Headers, extra: Headers = {}): Headers => ({
  ...auth,
  'content-type': 'application/merge-patch+json',
  ...extra,
})

const STACK = /\n\s+at |node_modules|\.ts:\d+|SQLITE|sqlite/i

/** Asserts an RFC 9457 problem+json answer and returns its body. */
export function expectProblem(res: Res, status: number, paths?: string[]): Problem {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = res.json() as Problem
  expect(body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  })
  expect(body).not.toHaveProperty('stack')
  expect(res.body).not.toMatch(STACK)
  expect(res.headers['x-request-id']).toBeTruthy()
  if (paths) {
    expect(body.errors, 'errors[] present').toBeInstanceOf(Array)
    const got = (body.errors ?? []).map((e) => e.path)
    for (const p of paths) {
      expect(
        got.some((g) => g === p || g.endsWith(`.${p}`)),
        `errors[].path names ${p}; got ${JSON.stringify(got)}`,
      ).toBe(true)
    }
    for (const e of body.errors ?? []) expect(e.message).toEqual(expect.any(String))
  }
  return body
}

/** Sends a request that must be refused, asserts the problem, and proves nothing was written. */
export async function expectRejected(
  t: TestApp,
  request: InjectOptions,
  status: number,
  paths?: string[],
): Promise<Problem> {
  const before = snapshot(t.db)
  const res = await t.app.inject(request)
  const body = expectProblem(res, status, paths)
  expect(snapshot(t.db), 'a refused request writes nothing').toBe(before)
  return body
}

interface RawRevision extends Omit<Revision, 'changes'> {
  changes: string
}

const REVISION_SQL =
  'select seq, at, actor, action, entity, entity_id as entityId, request_id as requestId, changes from revisions'

const parseRevision = (r: RawRevision): Revision => ({ ...r, changes: JSON.parse(r.changes) })

export function revisionsOf(t: TestApp, entity: string, entityId: string): Revision[] {
  const rows = t.db.$client
    .prepare(`${REVISION_SQL} where entity = ? and entity_id = ? order by seq`)
    .all(entity, entityId) as RawRevision[]
  return rows.map(parseRevision)
}

export function revisionCount(t: TestApp): number {
  return (t.db.$client.prepare('select count(*) as n from revisions').get() as { n: number }).n
}

export function lastRevision(t: TestApp): Revision {
  const row = t.db.$client.prepare(`${REVISION_SQL} order by seq desc limit 1`).get() as RawRevision
  return parseRevision(row)
}

async function create(t: TestApp, url: string, auth: Headers, payload: Json): Promise<Json> {
  const res = await t.app.inject({ method: 'POST', url, headers: auth, payload })
  expect(res.statusCode, `POST ${url} ${res.body}`).toBe(201)
  return res.json() as Json
}

let counter = 0
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`

export async function createOrganization(t: TestApp, body: Json = {}): Promise<Json> {
  return create(t, '/v1/organizations', await writer(), {
    name: `Ministry ${unique()}`,
    kind: 'government',
    stateCode: 'KG',
    ...body,
  })
}

export async function createContact(t: TestApp, body: Json = {}): Promise<Json> {
  return create(t, '/v1/contacts', await writer(), { familyName: `Person ${unique()}`, ...body })
}

export async function createAssignment(
  t: TestApp,
  body: { contactId: unknown; organizationId: unknown; role?: string } & Json,
): Promise<Json> {
  const { role = 'technical-poc', ...rest } = body
  return create(t, '/v1/assignments', await writer(), {
    roleId: roleId(t.db, role),
    startDate: '2024-01-01',
    ...rest,
  })
}

export async function getJson<T = Json>(t: TestApp, url: string, headers: Headers = {}): Promise<T> {
  const res = await t.app.inject({ method: 'GET', url, headers })
  expect(res.statusCode, `GET ${url} ${res.body}`).toBe(200)
  return res.json() as T
}

/** Ids of every item a list URL yields, following nextCursor to the end. */
export async function listIds(t: TestApp, url: string, key = 'id'): Promise<string[]> {
  const ids: string[] = []
  let next: string | null = url
  while (next) {
    const page = (await getJson(t, next)) as { items: Json[]; nextCursor: string | null }
    ids.push(...page.items.map((i) => String(i[key])))
    next = page.nextCursor
      ? `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(page.nextCursor)}`
      : null
  }
  return ids
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
