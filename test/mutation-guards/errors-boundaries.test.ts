import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { App } from '../../src/app.js'
import { ProblemError } from '../../src/lib/problem.js'
import { bearer, buildSeededApp, buildTestApp } from '../helpers/build-test-app.js'
import { type Json, problemBody, refusedWithoutWrites, type TestApp } from '../helpers/http.js'

/**
 * Unexpected errors are a generic 500 with no internal detail; a client error keeps its status
 * and message; the scope is checked before the body. The real app, with one extra route that
 * throws what it is told to, registered before the app is ready.
 */
const GENERIC = {
  type: 'urn:pocdir:problem:internal-error',
  title: 'Internal Server Error',
  status: 500,
  detail: 'An unexpected error occurred; quote the x-request-id when reporting it',
}

const SECRET_WORDS = 'SQLITE_ERROR near "select": internal path /srv/pocdir/src/db/client.ts:42'

const CLIENT_WORDS = 'The request names a thing this service does not know'

function thrown(kind: string): Error {
  const withStatus = (
    statusCode: number,
    code?: string,
    base: Error = new Error(statusCode < 500 && statusCode >= 400 ? CLIENT_WORDS : SECRET_WORDS),
  ) => Object.assign(base, { statusCode, ...(code ? { code } : {}) })
  switch (kind) {
    case 'plain':
      return new Error(SECRET_WORDS)
    case 'type':
      return new TypeError(SECRET_WORDS)
    case '500':
      return withStatus(500)
    case '503':
      return withStatus(503)
    case '399':
      return withStatus(399)
    case '400':
      return withStatus(400)
    case '499':
      return withStatus(499)
    case 'too-large':
      return withStatus(413, 'FST_ERR_CTP_BODY_TOO_LARGE', new Error('Request body is too large'))
    case 'unknown-code':
      return withStatus(400, 'FST_ERR_SOMETHING_ELSE', new Error('Something else'))
    case 'syntax':
      return withStatus(400, undefined, new SyntaxError('Unexpected token } in JSON at position 7'))
    case 'problem-503':
      return new ProblemError(503, 'The identity provider is unreachable', {
        type: 'urn:pocdir:problem:unavailable',
      })
    default:
      throw new Error(`no such kind ${kind}`)
  }
}

let app: App
const logLines: Json[] = []
/** The error-level (50) lines logged while `fn` ran. */
async function errorsLogged(fn: () => Promise<unknown>): Promise<Json[]> {
  const from = logLines.length
  await fn()
  return logLines.slice(from).filter((l) => l.level >= 50)
}
let close: () => void

beforeAll(async () => {
  const built = await buildSeededApp(
    {},
    { logger: { level: 'info', stream: { write: (line: string) => void logLines.push(JSON.parse(line)) } } },
  )
  app = built.app
  app.get('/test/throw/:kind', async (request) => {
    throw thrown((request.params as { kind: string }).kind)
  })
  app.get(
    '/test/bad-response',
    { schema: { response: { 200: z.object({ name: z.string() }) } } },
    async () => ({}) as unknown as { name: string },
  )
  await app.ready()
  close = () => built.db.$client.close()
})
afterAll(async () => {
  await app.close()
  close()
})

const get = (url: string) => app.inject({ method: 'GET', url })

describe('unexpected errors: 500, generic, nothing internal', () => {
  it.each(['plain', 'type', '500', '503', '399'])('%s', async (kind) => {
    const res = await get(`/test/throw/${kind}`)
    const body = problemBody(res, 500)
    expect(body).toEqual({ ...GENERIC, instance: `/test/throw/${kind}` })
    expect(res.body).not.toContain('SQLITE')
    expect(res.body).not.toContain('/srv/')
  })

  it('a response that breaks its own schema is a generic 500, not the invalid data', async () => {
    const res = await get('/test/bad-response')
    expect(problemBody(res, 500)).toEqual({ ...GENERIC, instance: '/test/bad-response' })
  })
})

describe('errors that carry a 4xx status keep it', () => {
  it.each([
    ['400', 400, 'Bad Request'],
    ['499', 499, 'Client Error'],
  ])('statusCode %s', async (kind, status, title) => {
    const body = problemBody(await get(`/test/throw/${kind}`), status)
    expect(body).toEqual({
      type: 'urn:pocdir:problem:bad-request',
      title,
      status,
      detail: CLIENT_WORDS,
      instance: `/test/throw/${kind}`,
    })
  })

  it('a known Fastify code gets its own type; an unknown one is bad-request', async () => {
    expect(problemBody(await get('/test/throw/too-large'), 413)).toMatchObject({
      type: 'urn:pocdir:problem:payload-too-large',
      title: 'Content Too Large',
      detail: 'Request body is too large',
    })
    expect(problemBody(await get('/test/throw/unknown-code'), 400)).toMatchObject({
      type: 'urn:pocdir:problem:bad-request',
      detail: 'Something else',
    })
  })

  it('a JSON syntax error is malformed-body', async () => {
    expect(problemBody(await get('/test/throw/syntax'), 400)).toMatchObject({
      type: 'urn:pocdir:problem:malformed-body',
      title: 'Bad Request',
      detail: 'The request body is not valid JSON: Unexpected token } in JSON at position 7',
    })
  })

  it('a ProblemError keeps its status and type, 5xx included', async () => {
    expect(problemBody(await get('/test/throw/problem-503'), 503)).toEqual({
      type: 'urn:pocdir:problem:unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The identity provider is unreachable',
      instance: '/test/throw/problem-503',
    })
  })
})

describe('unknown routes', () => {
  it('404 names the method and path without the query; instance keeps the URL', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/v1/nowhere?secret=1' })
    expect(problemBody(res, 404)).toEqual({
      type: 'urn:pocdir:problem:not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No route DELETE /v1/nowhere',
      instance: '/v1/nowhere?secret=1',
    })
  })
})

describe('a database failure is a generic 500', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(async () => {
    await t.app.close()
  })

  it('reads on a closed database answer 500 without the driver message', async () => {
    t.db.$client.close()
    const res = await t.app.inject({ method: 'GET', url: '/v1/contacts' })
    expect(problemBody(res, 500)).toEqual({ ...GENERIC, instance: '/v1/contacts' })
    expect(res.body).not.toMatch(/database|connection/i)
  })
})

describe('the write scope is checked before the body', () => {
  let t: TestApp
  let contact: Json
  beforeAll(async () => {
    t = await buildTestApp()
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: await bearer('directory:write'),
      payload: { familyName: 'Scope Order' },
    })
    contact = res.json()
  })
  afterAll(() => t.close())

  const invalid = { unknownField: true }
  const writes = () => [
    { method: 'POST' as const, url: '/v1/contacts' },
    { method: 'POST' as const, url: '/v1/assignments' },
    { method: 'POST' as const, url: '/v1/organizations' },
    { method: 'PATCH' as const, url: `/v1/contacts/${contact.id}` },
    { method: 'POST' as const, url: `/v1/assignments/${contact.id}/handover` },
  ]

  it('a read token with an invalid body: 403, not 400', async () => {
    const headers = await bearer('directory:read')
    for (const w of writes()) {
      const body = await refusedWithoutWrites(
        t,
        {
          ...w,
          headers: {
            ...headers,
            'content-type': w.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
          },
          payload: JSON.stringify(invalid),
        },
        (res) => problemBody(res, 403),
      )
      expect(body.detail, `${w.method} ${w.url}`).toBe('The token lacks the directory:write scope')
    }
  })

  it('no token with an invalid body: 401, not 400', async () => {
    for (const w of writes()) {
      const body = await refusedWithoutWrites(
        t,
        {
          ...w,
          headers: {
            'content-type': w.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
          },
          payload: JSON.stringify(invalid),
        },
        (res) => problemBody(res, 401),
      )
      expect(body.detail, `${w.method} ${w.url}`).toBe(
        'A bearer token with the directory:write scope is required',
      )
    }
  })
})

describe('what is logged', () => {
  it('an unexpected error is logged once at error level with the request id and the error', async () => {
    const logged = await errorsLogged(() => get('/test/throw/plain'))
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({
      msg: 'unexpected error',
      reqId: expect.any(String),
      err: { message: SECRET_WORDS },
    })
  })

  it('a ProblemError of 5xx is logged as a failed request; a 4xx is not logged as an error', async () => {
    const failed = await errorsLogged(() => get('/test/throw/problem-503'))
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({
      msg: 'request failed',
      err: { message: 'The identity provider is unreachable' },
    })
    expect(await errorsLogged(() => get('/test/throw/400'))).toEqual([])
    expect(await errorsLogged(() => get('/test/throw/499'))).toEqual([])
  })
})
