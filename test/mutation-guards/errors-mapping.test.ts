import type { FastifyError } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { App } from '../../src/app.js'
import { ProblemError } from '../../src/lib/problem.js'
import { frameworkErrors, issuesToErrors, validationProblem } from '../../src/plugins/errors.js'
import { bearer, buildSeededApp } from '../helpers/build-test-app.js'
import { type Json, problemBody } from '../helpers/http.js'

/**
 * How errors become problems (src/plugins/errors.ts), pinned exactly: zod issues to `errors[]`
 * (unknown keys one by one, the location prefix of query, params and headers), every Fastify
 * code of the table, a ProblemError of exactly 500, the framework-error path, and an error the
 * mapping itself cannot read. The real app, with test routes registered before it is ready.
 */

const GENERIC = {
  type: 'urn:pocdir:problem:internal-error',
  title: 'Internal Server Error',
  status: 500,
  detail: 'An unexpected error occurred; quote the x-request-id when reporting it',
}

const ZOD_ISSUE = Symbol.for('ZodFastifySchemaValidationError')

function coded(code: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { code, statusCode: status })
}

function thrown(kind: string): Error {
  switch (kind) {
    case 'empty-json':
      return coded('FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'Body cannot be empty')
    case 'invalid-json':
      return coded('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'Body is not valid JSON')
    case 'content-length':
      return coded('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'Content length mismatch')
    case 'media-type':
      return coded('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type')
    case 'param-length':
      return coded('FST_ERR_MAX_PARAM_LENGTH', 414, 'Parameter too long')
    case 'problem-500':
      return new ProblemError(500, 'The store answered nonsense', {
        type: 'urn:pocdir:problem:internal-error',
      })
    case 'problem-499':
      return new ProblemError(499, 'A client went away')
    case 'unreadable-validation':
      // Looks like the type provider's validation error but has no instancePath: mapping it throws.
      return Object.assign(new Error('broken validation'), { validation: [{ [ZOD_ISSUE]: true }] })
    case 'validation-no-context':
      return Object.assign(new Error('validation without a context'), {
        statusCode: 400,
        validation: [
          { [ZOD_ISSUE]: true, keyword: 'custom', instancePath: '/a/0', params: {}, message: 'is odd' },
          { [ZOD_ISSUE]: true, keyword: 'custom', instancePath: '', params: {} },
        ],
      })
    default:
      throw new Error(`no such kind ${kind}`)
  }
}

let app: App
const logLines: Json[] = []
async function logged(fn: () => Promise<unknown>): Promise<Json[]> {
  const from = logLines.length
  await fn()
  return logLines.slice(from)
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
  app.get('/test/framework/:kind', (request, reply) => {
    const kind = (request.params as { kind: string }).kind
    const error =
      kind === 'bad-url'
        ? coded('FST_ERR_BAD_URL', 400, "'/%c0' is not a valid url component")
        : kind === 'client'
          ? coded('FST_ERR_MAX_PARAM_LENGTH', 414, 'Parameter too long')
          : new Error('the router broke: /srv/pocdir/node_modules/find-my-way')
    frameworkErrors(error as FastifyError, request, reply)
  })
  app.get(
    '/test/params/:n',
    {
      schema: {
        params: z.object({ n: z.string().regex(/^\d+$/, 'must be digits') }),
        headers: z.object({ 'x-mode': z.enum(['a', 'b']).optional() }),
      },
    },
    async () => ({ ok: true }),
  )
  await app.ready()
  close = () => built.db.$client.close()
})
afterAll(async () => {
  await app.close()
  close()
})

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers })

describe('issuesToErrors', () => {
  it('names unknown keys one by one, under their path and prefix', () => {
    const unknown = { code: 'unrecognized_keys', message: 'Unrecognized keys', keys: ['x', 'y'] }
    expect(issuesToErrors([{ ...unknown, path: [] }])).toEqual([
      { path: 'x', message: 'is not a known field' },
      { path: 'y', message: 'is not a known field' },
    ])
    expect(issuesToErrors([{ ...unknown, path: ['a', 0] }])).toEqual([
      { path: 'a.0.x', message: 'is not a known field' },
      { path: 'a.0.y', message: 'is not a known field' },
    ])
    expect(issuesToErrors([{ ...unknown, path: [] }], 'query')).toEqual([
      { path: 'query.x', message: 'is not a known field' },
      { path: 'query.y', message: 'is not a known field' },
    ])
  })

  it('other issues keep their message; the root is (root); an unknown-keys issue without keys too', () => {
    expect(
      issuesToErrors(
        [
          { code: 'too_small', path: ['limit'], message: 'must be at least 1' },
          { code: 'invalid_type', path: [], message: 'must be an object' },
          { code: 'unrecognized_keys', path: ['b'], message: 'Unrecognized key' },
        ],
        '',
      ),
    ).toEqual([
      { path: 'limit', message: 'must be at least 1' },
      { path: '(root)', message: 'must be an object' },
      { path: 'b', message: 'Unrecognized key' },
    ])
    expect(issuesToErrors([{ code: 'too_small', path: ['limit'], message: 'm' }], 'query')).toEqual([
      { path: 'query.limit', message: 'm' },
    ])
    expect(issuesToErrors([{ code: 'custom', path: [], message: 'm' }], 'params')).toEqual([
      { path: 'params', message: 'm' },
    ])
    expect(issuesToErrors([])).toEqual([])
    // Only an unknown-keys issue is split by its keys.
    expect(issuesToErrors([{ code: 'invalid_key', path: ['m'], message: 'bad key', keys: ['z'] }])).toEqual([
      { path: 'm', message: 'bad key' },
    ])
  })

  it('validationProblem: 400, the validation type and title, every error in the detail', () => {
    const problem = validationProblem([
      { path: 'a', message: 'is required' },
      { path: 'b.c', message: 'is too long' },
    ])
    expect(problem.toBody()).toEqual({
      type: 'urn:pocdir:problem:validation-error',
      title: 'Validation failed',
      status: 400,
      detail: 'a: is required; b.c: is too long',
      errors: [
        { path: 'a', message: 'is required' },
        { path: 'b.c', message: 'is too long' },
      ],
    })
  })
})

describe('validation errors through the app name their location', () => {
  it('a body with an unknown field: the field, no prefix', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: await bearer('directory:write'),
      payload: { familyName: 'Mapping', bogus: 1 },
    })
    expect(problemBody(res, 400)).toEqual({
      type: 'urn:pocdir:problem:validation-error',
      title: 'Validation failed',
      status: 400,
      detail: 'bogus: is not a known field',
      errors: [{ path: 'bogus', message: 'is not a known field' }],
      instance: '/v1/contacts',
    })
  })

  it('a query parameter: query.<name>', async () => {
    const body = problemBody(await get('/v1/contacts?limit=0', await bearer('directory:read')), 400)
    expect(body.errors).toEqual([{ path: 'query.limit', message: expect.any(String) }])
    expect(body.detail).toBe(`query.limit: ${body.errors[0].message}`)
  })

  it('a path parameter: params.<name>; a header: headers.<name>', async () => {
    expect(problemBody(await get('/test/params/x1'), 400)).toMatchObject({
      detail: 'params.n: must be digits',
      errors: [{ path: 'params.n', message: 'must be digits' }],
    })
    const body = problemBody(await get('/test/params/1', { 'x-mode': 'c' }), 400)
    expect(body.errors).toEqual([{ path: 'headers.x-mode', message: expect.any(String) }])
    expect((await get('/test/params/1', { 'x-mode': 'a' })).json()).toEqual({ ok: true })
  })

  it('a validation error with no context and no message: no prefix, (root), is invalid', async () => {
    expect(problemBody(await get('/test/throw/validation-no-context'), 400)).toEqual({
      type: 'urn:pocdir:problem:validation-error',
      title: 'Validation failed',
      status: 400,
      detail: 'a.0: is odd; (root): is invalid',
      errors: [
        { path: 'a.0', message: 'is odd' },
        { path: '(root)', message: 'is invalid' },
      ],
      instance: '/test/throw/validation-no-context',
    })
  })
})

describe('every Fastify code of the table', () => {
  it.each([
    [
      'empty-json',
      400,
      'malformed-body',
      'Bad Request',
      'The request body is not valid JSON: Body cannot be empty',
    ],
    [
      'invalid-json',
      400,
      'malformed-body',
      'Bad Request',
      'The request body is not valid JSON: Body is not valid JSON',
    ],
    ['content-length', 400, 'bad-request', 'Bad Request', 'Content length mismatch'],
    ['media-type', 415, 'unsupported-media-type', 'Unsupported Media Type', 'Unsupported Media Type'],
    ['param-length', 414, 'uri-too-long', 'URI Too Long', 'Parameter too long'],
  ])('%s', async (kind, status, slug, title, detail) => {
    const lines = await logged(async () => {
      expect(problemBody(await get(`/test/throw/${kind}`), status)).toEqual({
        type: `urn:pocdir:problem:${slug}`,
        title,
        status,
        detail,
        instance: `/test/throw/${kind}`,
      })
    })
    expect(lines.filter((l) => l.level >= 50)).toEqual([])
  })
})

describe('what is logged, at the edges', () => {
  it('a ProblemError of exactly 500 keeps its detail and is logged as a failed request', async () => {
    const lines = await logged(async () => {
      expect(problemBody(await get('/test/throw/problem-500'), 500)).toEqual({
        ...GENERIC,
        detail: 'The store answered nonsense',
        instance: '/test/throw/problem-500',
      })
    })
    const errors = lines.filter((l) => l.level >= 50)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      msg: 'request failed',
      err: { message: 'The store answered nonsense' },
    })
  })

  it('a ProblemError of 499 is answered as it is and not logged as an error', async () => {
    const lines = await logged(async () => {
      expect(problemBody(await get('/test/throw/problem-499'), 499)).toEqual({
        type: 'about:blank',
        title: 'Client Error',
        status: 499,
        detail: 'A client went away',
        instance: '/test/throw/problem-499',
      })
    })
    expect(lines.filter((l) => l.level >= 50)).toEqual([])
  })

  it('an error the mapping cannot read: the generic 500, both failures logged', async () => {
    const lines = await logged(async () => {
      expect(problemBody(await get('/test/throw/unreadable-validation'), 500)).toEqual({
        ...GENERIC,
        instance: '/test/throw/unreadable-validation',
      })
    })
    const errors = lines.filter((l) => l.level >= 50)
    expect(errors.map((l) => l.msg)).toEqual(['could not map an error to a problem', 'unexpected error'])
    expect(errors[0]?.err.type).toBe('TypeError')
    expect(errors[1]?.err.message).toBe('broken validation')
  })
})

describe('frameworkErrors', () => {
  it('an unexpected framework error: the generic 500 with the request id, logged once', async () => {
    const lines = await logged(async () => {
      const res = await get('/test/framework/unexpected', { 'x-request-id': 'fw-unexpected-1' })
      expect(res.headers['x-request-id']).toBe('fw-unexpected-1')
      expect(problemBody(res, 500)).toEqual({ ...GENERIC, instance: '/test/framework/unexpected' })
      expect(res.body).not.toContain('/srv/')
    })
    const errors = lines.filter((l) => l.level >= 50)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      msg: 'unexpected framework error',
      reqId: 'fw-unexpected-1',
      err: { type: 'Error', message: 'the router broke: /srv/pocdir/node_modules/find-my-way' },
    })
  })

  it('FST_ERR_BAD_URL is the fixed 400 malformed-request, not the router message; a client error maps as usual', async () => {
    const lines = await logged(async () => {
      const res = await get('/test/framework/bad-url', { 'x-request-id': 'fw-bad-url-1' })
      expect(res.headers['x-request-id']).toBe('fw-bad-url-1')
      expect(problemBody(res, 400)).toEqual({
        type: 'urn:pocdir:problem:malformed-request',
        title: 'Bad Request',
        status: 400,
        detail: 'The URL path is not valid percent-encoded UTF-8',
        instance: '/test/framework/bad-url',
      })
      expect(problemBody(await get('/test/framework/client'), 414)).toEqual({
        type: 'urn:pocdir:problem:uri-too-long',
        title: 'URI Too Long',
        status: 414,
        detail: 'Parameter too long',
        instance: '/test/framework/client',
      })
    })
    expect(lines.filter((l) => l.level >= 50)).toEqual([])
  })
})
