import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  type OpenApiDoc,
  polish,
  SECURITY_SCHEMES,
  TOKEN_REQUIREMENTS,
  withArticle,
} from '../../src/plugins/openapi-polish.js'

/**
 * src/plugins/openapi-polish.ts on small hand-built documents, one rule at a time, with the exact
 * output (plugins-swagger.test.ts compares the whole generated document with the committed one;
 * this file needs no app, so a mutant costs a second, not eight). The header components and the
 * security schemes are compared with the committed contract, read inside the test.
 */
type Json = Record<string, unknown>

const committed = () =>
  JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
    components: { headers: Json; securitySchemes: Json }
  }

const h = (name: string) => ({ $ref: `#/components/headers/${name}` })
const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }
const RID = { 'x-request-id': h('RequestId') }
const IF_LIMITED = {
  'X-RateLimit-Limit': h('RateLimitLimitIfLimited'),
  'X-RateLimit-Remaining': h('RateLimitRemainingIfLimited'),
  'X-RateLimit-Reset': h('RateLimitResetIfLimited'),
}
const ON_429 = {
  'Retry-After': h('RetryAfter'),
  'X-RateLimit-Limit': h('RateLimitLimit'),
  'X-RateLimit-Remaining': h('RateLimitRemaining'),
  'X-RateLimit-Reset': h('RateLimitReset'),
}
const TEXT = {
  304: 'Not Modified: the ETag in If-None-Match is current',
  400: 'Bad request: shape, format, a cross-field rule, an unknown referenced id or parameter',
  413: 'Body too large',
  415: 'Unsupported content type',
  429: 'Rate limited: too many requests from this client this minute',
  406: 'None of the Accept types is offered',
  default: 'Unexpected error (500 Internal Server Error); quote the x-request-id',
}
const HINTS = 'x-pocdir-route'
const NOT_LIMITED = { feedCached: false, rateLimited: false }

/** Polishes a document holding one operation and returns that operation. */
function polishOne(method: string, path: string, op: Json, components?: Json): Json {
  const doc: OpenApiDoc = { paths: { [path]: { [method]: op } }, ...(components ? { components } : {}) }
  return (polish(doc).paths as Record<string, Record<string, Json>>)[path]?.[method] as Json
}

const responsesOf = (op: Json) => op.responses as Record<string, Json>
const headerNames = (op: Json, code: string) => Object.keys((responsesOf(op)[code]?.headers ?? {}) as Json)

describe('statuses every operation answers', () => {
  it('an operation without hints is rate limited and not cached; the hint itself is removed', () => {
    const op = polishOne('get', '/v1/things', {
      operationId: 'listThings',
      responses: { 200: { description: 'd' } },
    })
    expect(op).toEqual({
      operationId: 'listThings',
      responses: {
        200: { description: 'OK', headers: { ...RID, ...IF_LIMITED } },
        429: { description: TEXT[429], content: PROBLEM, headers: { ...RID, ...ON_429 } },
        default: { description: TEXT.default, content: PROBLEM, headers: RID },
      },
    })
    expect(Object.keys(responsesOf(op))).toEqual(['200', '429', 'default'])

    const hinted = polishOne('get', '/v1/things', {
      [HINTS]: NOT_LIMITED,
      responses: { 200: { description: 'd' } },
    })
    expect(hinted).toEqual({
      responses: {
        200: { description: 'OK', headers: RID },
        default: { description: TEXT.default, content: PROBLEM, headers: RID },
      },
    })
  })

  it('an operation without responses gets the default one', () => {
    expect(polishOne('delete', '/v1/things/{id}', { [HINTS]: NOT_LIMITED })).toEqual({
      responses: { default: { description: TEXT.default, content: PROBLEM, headers: RID } },
    })
  })

  it('a body adds 400, 413 and 415; a given error answer keeps its other fields; default is replaced', () => {
    const op = polishOne('post', '/v1/things', {
      [HINTS]: { feedCached: false, rateLimited: true, scope: 'directory:write' },
      requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        201: { description: 'made' },
        400: { description: 'own', content: { 'application/json': {} }, 'x-keep': 1 },
        default: { description: 'own', 'x-drop': 1 },
      },
    })
    expect(op).toEqual({
      requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        201: {
          description: 'Created',
          headers: { ...RID, ETag: h('ETag'), Location: h('Location'), ...IF_LIMITED },
        },
        400: { description: TEXT[400], content: PROBLEM, 'x-keep': 1, headers: { ...RID, ...IF_LIMITED } },
        413: { description: TEXT[413], content: PROBLEM, headers: { ...RID, ...IF_LIMITED } },
        415: { description: TEXT[415], content: PROBLEM, headers: { ...RID, ...IF_LIMITED } },
        429: { description: TEXT[429], content: PROBLEM, headers: { ...RID, ...ON_429 } },
        default: { description: TEXT.default, content: PROBLEM, headers: RID },
      },
    })
    expect(Object.keys(responsesOf(op))).toEqual(['201', '400', '413', '415', '429', 'default'])
  })

  it('every status has its own description; other statuses keep theirs; errors from 400 are problem+json', () => {
    const codes = ['200', '201', '204', '302', '304', '399', '400', '401', '403', '404', '406', '409', '410']
    codes.push('412', '413', '415', '422', '429', '503')
    const own = { 'application/json': { schema: { type: 'string', example: 'x' } } }
    const op = polishOne('put', '/v1/things', {
      [HINTS]: NOT_LIMITED,
      responses: Object.fromEntries(codes.map((c) => [c, { description: `given ${c}`, content: own }])),
    })
    const responses = responsesOf(op)
    expect(Object.fromEntries(Object.entries(responses).map(([c, r]) => [c, r.description]))).toEqual({
      200: 'OK',
      201: 'Created',
      204: 'No Content',
      302: 'given 302',
      304: TEXT[304],
      399: 'given 399',
      400: TEXT[400],
      401: 'No token, or a token that fails verification',
      403: 'The token lacks the scope or the state',
      404: 'No such resource (deleted records answer 404 too)',
      406: TEXT[406],
      409: 'Conflicts with stored data',
      410: 'given 410',
      412: 'If-Match names an older version',
      413: TEXT[413],
      415: TEXT[415],
      422: 'Rows rejected',
      429: TEXT[429],
      503: 'Not ready',
      default: TEXT.default,
    })
    for (const code of ['200', '201', '302', '399']) expect(responses[code]?.content, code).toEqual(own)
    for (const code of ['204', '304']) expect(responses[code], code).not.toHaveProperty('content')
    for (const code of [
      '400',
      '401',
      '403',
      '404',
      '406',
      '409',
      '410',
      '412',
      '413',
      '415',
      '422',
      '429',
      '503',
    ]) {
      expect(responses[code]?.content, code).toEqual(PROBLEM)
    }
    expect(headerNames(op, '401')).toEqual(['x-request-id', 'WWW-Authenticate'])
    expect(responses['401']?.headers).toEqual({ ...RID, 'WWW-Authenticate': h('WWWAuthenticate') })
    // Not rate limited: a given 429 is described but carries the limiter's headers all the same.
    expect(responses['429']?.headers).toEqual({ ...RID, ...ON_429 })
    expect(headerNames(op, '403')).toEqual(['x-request-id'])
  })
})

describe('headers by rule', () => {
  /** The header names of one answer of an operation with the given hints. */
  function headersFor(method: string, path: string, code: string, feedCached = false): string[] {
    const op = polishOne(method, path, {
      [HINTS]: { feedCached, rateLimited: false },
      responses: { [code]: { description: 'd' } },
    })
    return headerNames(op, code)
  }

  it('ETag: every 201; a 200 or 304 of a record read, a patch or a verification; every cached 200 or 304', () => {
    const etag = (method: string, path: string, code: string, cached = false) =>
      headersFor(method, path, code, cached).includes('ETag')
    expect(etag('post', '/v1/things', '201')).toBe(true)
    expect(etag('delete', '/v1/things/{id}', '201')).toBe(true)
    expect(etag('get', '/v1/things/{id}', '200')).toBe(true)
    expect(etag('get', '/v1/things/{id}', '304')).toBe(true)
    expect(etag('patch', '/v1/things/{id}', '200')).toBe(true)
    expect(etag('post', '/v1/things/{id}/verify', '200')).toBe(true)
    expect(etag('get', '/v1/things/{id}', '202')).toBe(false)
    expect(etag('get', '/v1/things/{id}', '204')).toBe(false)
    expect(etag('get', '/v1/things/{id}', '404')).toBe(false)
    expect(etag('get', '/v1/things', '200')).toBe(false)
    expect(etag('get', '/v1/things/{id}/history', '200')).toBe(false)
    expect(etag('get', '/v1/things/verify', '200')).toBe(false)
    expect(etag('patch', '/v1/things/{id}/verify', '200')).toBe(false)
    expect(etag('put', '/v1/things/{id}', '200')).toBe(false)
    expect(etag('delete', '/v1/things/{id}', '200')).toBe(false)
    expect(etag('post', '/v1/things/{id}', '200')).toBe(false)
    expect(etag('post', '/v1/things/{id}/verify/x', '200')).toBe(false)
    expect(etag('put', '/v1/things/{id}/verify', '200')).toBe(false)
    expect(etag('delete', '/v1/things/{id}/verify', '200')).toBe(false)
    expect(etag('post', '/v1/things/{id}/verify', '201')).toBe(true)
    expect(etag('get', '/v1/feed', '200', true)).toBe(true)
    expect(etag('get', '/v1/feed', '304', true)).toBe(true)
    expect(etag('post', '/v1/feed', '200', true)).toBe(true)
    expect(etag('get', '/v1/feed', '404', true)).toBe(false)
    expect(etag('get', '/v1/feed', '204', true)).toBe(false)
  })

  it('Location on 201 only; Vary on the 200 and 304 of a cached operation only', () => {
    expect(headersFor('post', '/v1/things', '201')).toEqual(['x-request-id', 'ETag', 'Location'])
    expect(headersFor('post', '/v1/things', '200')).toEqual(['x-request-id'])
    expect(headersFor('get', '/v1/feed', '200', true)).toEqual(['x-request-id', 'ETag', 'Vary'])
    expect(headersFor('get', '/v1/feed', '304', true)).toEqual(['x-request-id', 'ETag', 'Vary'])
    expect(headersFor('post', '/v1/feed', '200', true)).toEqual(['x-request-id', 'ETag', 'Vary'])
    const post = polishOne('post', '/v1/feed', {
      [HINTS]: { feedCached: true, rateLimited: false },
      responses: { 200: { description: 'd' } },
    })
    expect(Object.keys(responsesOf(post))).toEqual(['200', 'default'])
    expect(headersFor('get', '/v1/feed', '201', true)).toEqual(['x-request-id', 'ETag', 'Location'])
    expect(headersFor('get', '/v1/feed', '400', true)).toEqual(['x-request-id'])
    expect(headersFor('get', '/v1/things', '304')).toEqual(['x-request-id'])
    const cached = polishOne('get', '/v1/feed', {
      [HINTS]: { feedCached: true, rateLimited: false },
      responses: { 200: { description: 'd' } },
    })
    expect(responsesOf(cached)['200']?.headers).toEqual({ ...RID, ETag: h('ETag'), Vary: h('Vary') })
    expect(responsesOf(cached)['304']).toEqual({
      description: TEXT[304],
      headers: { ...RID, ETag: h('ETag'), Vary: h('Vary') },
    })
  })

  it('Link on the 200 of a read whose JSON answer has a nextCursor, inline or by reference', () => {
    const page = {
      type: 'object',
      properties: { items: { type: 'array', maxItems: 0 }, nextCursor: { type: 'string', example: 'c' } },
      example: { items: [], nextCursor: null },
    }
    const link = (method: string, code: string, response: Json, schemas?: Json) => {
      const op = polishOne(
        method,
        '/v1/things',
        { [HINTS]: NOT_LIMITED, responses: { [code]: response } },
        schemas ? { schemas } : undefined,
      )
      return headerNames(op, code).includes('Link')
    }
    const json = (schema: Json | undefined) => ({
      description: 'd',
      content: { 'application/json': schema ? { schema } : {} },
    })
    expect(link('get', '200', json(page))).toBe(true)
    expect(link('get', '200', json({ $ref: '#/components/schemas/Page' }), { Page: page })).toBe(true)
    expect(link('get', '200', json({ $ref: '#/components/schemas/Page' }), { Other: page })).toBe(false)
    expect(link('get', '200', json({ $ref: '#/components/schemas/Page' }))).toBe(false)
    expect(
      link('get', '200', json({ $ref: '#/components/schemas/Page' }), { Page: { type: 'object' } }),
    ).toBe(false)
    expect(link('get', '200', json({ ...page, properties: { items: {} } }))).toBe(false)
    expect(link('get', '200', json(undefined))).toBe(false)
    expect(link('get', '200', { description: 'd', content: { 'text/csv': { schema: page } } })).toBe(false)
    expect(link('get', '200', { description: 'd' })).toBe(false)
    expect(link('post', '200', json(page))).toBe(false)
    expect(link('get', '201', json(page))).toBe(false)
    const read = polishOne('get', '/v1/things', { [HINTS]: NOT_LIMITED, responses: { 200: json(page) } })
    expect(responsesOf(read)['200']?.headers).toEqual({ ...RID, Link: h('Link') })
  })

  it('the rate limit headers: certain on a 429, possible on every other answer but default', () => {
    const op = polishOne('get', '/v1/things/{id}', {
      responses: { 200: { description: 'd' }, 401: { description: 'd' }, 429: { description: 'd' } },
    })
    expect(responsesOf(op)['200']?.headers).toEqual({ ...RID, ETag: h('ETag'), ...IF_LIMITED })
    expect(responsesOf(op)['401']?.headers).toEqual({
      ...RID,
      'WWW-Authenticate': h('WWWAuthenticate'),
      ...IF_LIMITED,
    })
    expect(responsesOf(op)['429']?.headers).toEqual({ ...RID, ...ON_429 })
    expect(headerNames(op, '429')).toEqual([
      'x-request-id',
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ])
    expect(responsesOf(op).default?.headers).toEqual(RID)
  })
})

describe('exports, scopes and merge patches', () => {
  it('the four exporting operations offer their file types beside JSON and may answer 406', () => {
    const exportsOf = (
      operationId: string | undefined,
      ok: Json | null = { description: 'd', content: { 'application/json': {} } },
    ) => {
      const op = polishOne('get', '/v1/things', {
        ...(operationId ? { operationId } : {}),
        [HINTS]: NOT_LIMITED,
        responses: ok ? { 200: ok } : {},
      })
      return {
        codes: Object.keys(responsesOf(op)),
        types: Object.keys((responsesOf(op)['200']?.content ?? {}) as Json),
      }
    }
    expect(exportsOf('listContacts')).toEqual({
      codes: ['200', '406', 'default'],
      types: ['application/json', 'text/csv', 'text/vcard'],
    })
    expect(exportsOf('getContact')).toEqual({
      codes: ['200', '406', 'default'],
      types: ['application/json', 'text/vcard'],
    })
    expect(exportsOf('getDirectory')).toEqual({
      codes: ['200', '406', 'default'],
      types: ['application/json', 'text/csv'],
    })
    expect(exportsOf('mailMergeCampaign')).toEqual({
      codes: ['200', '406', 'default'],
      types: ['application/json', 'text/csv'],
    })
    expect(exportsOf('listThings')).toEqual({ codes: ['200', 'default'], types: ['application/json'] })
    expect(exportsOf(undefined)).toEqual({ codes: ['200', 'default'], types: ['application/json'] })
    expect(exportsOf('getDirectory', null)).toEqual({ codes: ['406', 'default'], types: [] })
    expect(exportsOf('getDirectory', { description: 'd' })).toEqual({
      codes: ['200', '406', 'default'],
      types: ['text/csv'],
    })
    const op = polishOne('get', '/v1/contacts/{id}', {
      operationId: 'getContact',
      [HINTS]: NOT_LIMITED,
      responses: { 200: { description: 'd', content: { 'application/json': { example: { a: 1 } } } } },
    })
    expect(responsesOf(op)['200']?.content).toEqual({
      'application/json': { example: { a: 1 } },
      'text/vcard': {},
    })
    expect(responsesOf(op)['406']).toEqual({ description: TEXT[406], content: PROBLEM, headers: RID })
  })

  it('a non-empty security list becomes the route scope, or an optional directory:read', () => {
    const security = (hints: Json, given?: unknown) =>
      polishOne('get', '/v1/things', { [HINTS]: hints, ...(given ? { security: given } : {}), responses: {} })
        .security
    expect(security({ ...NOT_LIMITED, scope: 'directory:write' }, [{ bearerAuth: [] }])).toEqual([
      { bearerAuth: ['directory:write'] },
      { oauth2: ['directory:write'] },
    ])
    expect(security(NOT_LIMITED, [{ bearerAuth: ['x'] }, {}])).toEqual([
      {},
      { bearerAuth: ['directory:read'] },
      { oauth2: ['directory:read'] },
    ])
    expect(security({ ...NOT_LIMITED, scope: 'directory:admin' }, [])).toEqual([])
    expect(security({ ...NOT_LIMITED, scope: 'directory:admin' })).toBeUndefined()
  })

  it('a JSON patch body is offered as merge-patch+json first; other bodies stay as they are', () => {
    const schema = { type: 'object' }
    const bodyOf = (method: string, requestBody: Json | undefined) =>
      polishOne(method, '/v1/things/{id}', {
        [HINTS]: NOT_LIMITED,
        ...(requestBody ? { requestBody } : {}),
        responses: {},
      }).requestBody as Json | undefined
    const patched = bodyOf('patch', { required: true, content: { 'application/json': { schema } } })
    expect(patched).toEqual({
      required: true,
      content: { 'application/merge-patch+json': { schema }, 'application/json': { schema } },
    })
    expect(Object.keys(patched?.content as Json)).toEqual([
      'application/merge-patch+json',
      'application/json',
    ])
    expect(bodyOf('post', { content: { 'application/json': { schema } } })).toEqual({
      content: { 'application/json': { schema } },
    })
    expect(bodyOf('patch', { content: { 'text/plain': { schema } } })).toEqual({
      content: { 'text/plain': { schema } },
    })
    expect(bodyOf('patch', { description: 'none' })).toEqual({ description: 'none' })
    expect(bodyOf('patch', undefined)).toBeUndefined()
  })
})

describe('components', () => {
  it('a document without paths or components gets the header components, which are the committed ones', () => {
    const doc = polish({})
    expect(doc).toEqual({ components: { headers: committed().components.headers } })
  })

  it('the security schemes are the committed ones, both describing the token requirements', () => {
    expect(SECURITY_SCHEMES).toEqual(committed().components.securitySchemes)
    expect(SECURITY_SCHEMES.bearerAuth.description).toBe(TOKEN_REQUIREMENTS)
    expect(TOKEN_REQUIREMENTS.startsWith('A JWT in `Authorization: Bearer …`. Required claims')).toBe(true)
  })

  it('keeps what Problem alone refers to (every operation refers to Problem) and true schemas', () => {
    const doc = polish({
      paths: { '/v1/things': { get: { [HINTS]: NOT_LIMITED, responses: { 204: { description: 'd' } } } } },
      components: {
        schemas: {
          Problem: {
            type: 'object',
            properties: {
              errors: { type: 'array', items: { $ref: '#/components/schemas/FieldError' } },
              extra: { $ref: '#/components/schemas/Any' },
            },
            example: { errors: [] },
          },
          FieldError: { $id: 'FieldError', type: 'object' },
          Any: true,
          Unused: true,
        },
      },
    })
    expect(doc.components?.schemas).toEqual({
      Problem: {
        type: 'object',
        properties: {
          errors: { type: 'array', items: { $ref: '#/components/schemas/FieldError' } },
          extra: { $ref: '#/components/schemas/Any' },
        },
        example: { errors: [] },
      },
      FieldError: { type: 'object' },
      Any: true,
    })
  })

  it('keeps only the schemas the paths reach, through any chain of references, without $schema and $id', () => {
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
    const doc = polish({
      paths: {
        '/v1/things': {
          get: {
            [HINTS]: NOT_LIMITED,
            parameters: [{ name: 'q', schema: ref('Query') }],
            'x-odd': {
              $ref: 5,
              const: '#/components/schemas/Lookalike',
              other: { $ref: 'x.json#/components/schemas/Ext' },
            },
            responses: { 204: { description: 'd' } },
          },
        },
      },
      components: {
        securitySchemes: { kept: true },
        schemas: {
          D: { $schema: 'x', $id: 'D', type: 'string' },
          C: { $id: 'C', type: 'array', items: ref('D') },
          B: { type: 'object', properties: { c: { anyOf: [ref('C'), { type: 'null' }] } } },
          Query: {
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            $id: 'Query',
            allOf: [ref('B'), ref('Nothing')],
          },
          Nothing: null,
          Unused: { $id: 'Unused', items: ref('AlsoUnused') },
          AlsoUnused: { type: 'string' },
          Lookalike: { type: 'string' },
          Ext: { type: 'string' },
        },
      },
    })
    expect(doc.components).toEqual({
      securitySchemes: { kept: true },
      headers: committed().components.headers,
      schemas: {
        D: { type: 'string' },
        C: { type: 'array', items: ref('D') },
        B: { type: 'object', properties: { c: { anyOf: [ref('C'), { type: 'null' }] } } },
        Query: { allOf: [ref('B'), ref('Nothing')] },
        Nothing: null,
      },
    })
  })
})

describe('examples', () => {
  /** The example polish gives the 200 JSON answer of a read whose schema is `schema`. */
  function exampleOf(schema: Json, schemas: Json = {}, code = '200'): unknown {
    const op = polishOne(
      'get',
      '/v1/things',
      {
        [HINTS]: NOT_LIMITED,
        responses: { [code]: { description: 'd', content: { 'application/json': { schema } } } },
      },
      // A fresh copy: polish drops the schemas no path uses.
      { schemas: structuredClone(schemas) },
    )
    const content = responsesOf(op)[code]?.content as Record<string, Json> | undefined
    return content?.['application/json']?.example
  }

  it('samples each kind of schema', () => {
    expect(exampleOf({ type: 'boolean' })).toBe(true)
    expect(exampleOf({ type: 'integer' })).toBe(1)
    expect(exampleOf({ type: 'integer', minimum: 5 })).toBe(5)
    expect(exampleOf({ type: 'integer', minimum: 0 })).toBe(1)
    expect(exampleOf({ type: 'integer', minimum: -3 })).toBe(1)
    expect(exampleOf({ type: 'number', minimum: 2.5 })).toBe(2.5)
    expect(exampleOf({ type: 'string' })).toBe('text')
    expect(exampleOf({ type: 'string', minLength: 2 })).toBe('text')
    expect(exampleOf({ type: 'string', minLength: 6 })).toBe('textxx')
    expect(exampleOf({ type: 'string', format: 'uuid' })).toBe('0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e51')
    expect(exampleOf({ type: 'string', format: 'date' })).toBe('2024-03-01')
    expect(exampleOf({ type: 'string', format: 'date-time' })).toBe('2024-03-01T09:30:00.000Z')
    expect(exampleOf({ type: 'string', format: 'email' })).toBe('poc@example.org')
    expect(exampleOf({ type: 'string', format: 'uri' })).toBe('https://example.org')
    expect(exampleOf({ type: 'string', format: 'uri-reference' })).toBe(
      '/v1/contacts/0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e51',
    )
    expect(exampleOf({ type: 'string', format: 'ipv4', minLength: 5 })).toBe('textx')
    expect(exampleOf({ type: 'string', pattern: '^[A-Z]{2}$' })).toBe('KG')
    expect(exampleOf({ type: 'string', pattern: '^[A-Z]{3}$' })).toBe('KGZ')
    expect(exampleOf({ type: 'string', pattern: '^[A-Z]{4}$' })).toBe('text')
    expect(exampleOf({ type: ['string', 'null'] })).toBe('text')
    expect(exampleOf({ type: ['null', 'integer'] })).toBe(1)
    expect(exampleOf({ type: 'null' })).toBeNull()
    expect(exampleOf({ type: 'whatever' })).toBeNull()
    expect(exampleOf({})).toEqual({})
    expect(exampleOf({ type: 'object' })).toEqual({})
    expect(exampleOf({ type: 'array' })).toEqual([{}])
    expect(exampleOf({ type: 'array', items: { type: 'integer' } })).toEqual([1])
    expect(exampleOf({ const: false })).toBe(false)
    expect(exampleOf({ type: 'string', enum: ['b', 'a'] })).toBe('b')
    expect(exampleOf({ anyOf: [{ type: 'null' }, { type: 'string' }] })).toBe('text')
    expect(exampleOf({ oneOf: [{ type: 'integer', minimum: 7 }, { type: 'string' }] })).toBe(7)
    expect(exampleOf({ anyOf: [{ type: 'null' }] })).toBeNull()
    expect(exampleOf({ anyOf: [] })).toEqual({})
    expect(exampleOf({ $ref: '#/components/schemas/Missing' })).toEqual({})
  })

  it('a nested schema own example or first example is used; an answer schema with its own is left alone', () => {
    expect(exampleOf({ type: 'array', items: { type: 'string', example: 'own' } })).toEqual(['own'])
    expect(exampleOf({ type: 'array', items: { type: 'string', examples: ['first', 'second'] } })).toEqual([
      'first',
    ])
    expect(exampleOf({ type: 'array', items: { type: 'string', examples: [] } })).toEqual(['text'])
    expect(exampleOf({ type: 'array', items: { type: 'integer', example: 0 } })).toEqual([0])
    expect(exampleOf({ type: 'string', example: 'own' })).toBeUndefined()
    expect(exampleOf({ type: 'string', examples: ['own'] })).toBeUndefined()
    expect(
      exampleOf({ $ref: '#/components/schemas/S' }, { S: { type: 'string', example: 'own' } }),
    ).toBeUndefined()
    expect(
      exampleOf({ $ref: '#/components/schemas/S' }, { S: { type: 'string', examples: [] } }),
    ).toBeUndefined()
    expect(exampleOf({ $ref: '#/components/schemas/S' }, { S: { type: 'integer', minimum: 3 } })).toBe(3)
  })

  it('only 2xx JSON answers without an example get one', () => {
    expect(exampleOf({ type: 'boolean' }, {}, '201')).toBe(true)
    expect(exampleOf({ type: 'boolean' }, {}, '302')).toBeUndefined()
    const op = polishOne('get', '/v1/things', {
      [HINTS]: NOT_LIMITED,
      responses: {
        200: { description: 'd', content: { 'text/csv': { schema: { type: 'string' } } } },
        202: { description: 'd' },
        203: {
          description: 'd',
          content: { 'application/json': { schema: { type: 'string' }, example: 'mine' } },
        },
        205: { description: 'd', content: { 'application/json': {} } },
      },
    })
    expect(responsesOf(op)['200']?.content).toEqual({ 'text/csv': { schema: { type: 'string' } } })
    expect(responsesOf(op)['202']).not.toHaveProperty('content')
    expect(responsesOf(op)['203']?.content).toEqual({
      'application/json': { schema: { type: 'string' }, example: 'mine' },
    })
    expect(responsesOf(op)['205']?.content).toEqual({ 'application/json': { example: {} } })
  })

  it('objects: required properties sampled, the create examples values used where they fit, optional ones only with a value', () => {
    const schemas = {
      ThingInput: {
        type: 'object',
        example: {
          name: 'Asan',
          count: 3,
          ratio: 2,
          code: 'ab',
          local: 'Асан',
          wrong: 'x',
          gone: 'y',
          maybe: null,
        },
        properties: { inner: { example: { name: 'Second', extra: 'e' }, type: 'object' } },
      },
      Arrays: { type: 'object', example: ['array', 'not used'] },
      Texts: { type: 'string', example: 'not used' },
      Later: { type: 'object', example: { extra: 'later', tags: ['t'], obj: { a: 1 } } },
    }
    const thing = {
      type: 'object',
      required: [
        'id',
        'name',
        'count',
        'ratio',
        'half',
        'code',
        'local',
        'wrong',
        'email',
        'kind',
        'fixed',
        'maybe',
        'nothing',
        '0',
      ],
      properties: {
        id: { type: 'string', format: 'uuid' },
        name: { type: 'string', minLength: 1 },
        count: { type: 'integer' },
        ratio: { type: 'number' },
        half: { type: 'integer' },
        code: { type: 'string', pattern: '^[a-z]+$' },
        local: { type: 'string', pattern: '^\\p{L}+$' },
        wrong: { type: 'string', pattern: '^[0-9]+$' },
        email: { type: 'string', format: 'email' },
        kind: { type: 'string', enum: ['a', 'b'] },
        fixed: { const: 'c' },
        maybe: { type: ['string', 'null'] },
        nothing: { type: 'string' },
        '0': { type: 'string' },
        extra: { anyOf: [{ type: 'string', maxLength: 9 }, { type: 'null' }] },
        gone: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
        obj: {},
        absent: { type: 'string' },
      },
    }
    expect(exampleOf(thing, schemas)).toEqual({
      id: '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e51',
      name: 'Asan',
      count: 3,
      ratio: 2,
      half: 1,
      code: 'ab',
      local: 'Асан',
      wrong: 'text',
      email: 'poc@example.org',
      kind: 'a',
      fixed: 'c',
      maybe: null,
      nothing: 'text',
      '0': 'text',
      extra: 'e',
      gone: 1,
      tags: ['text'],
      obj: {},
    })
  })

  it('hints that do not fit: a wrong type, a format, an array or object for an untyped field, null for a string', () => {
    const schemas = {
      In: {
        example: {
          n: 2.5,
          s: 4,
          f: 'a@b',
          a: ['x'],
          o: { k: 1 },
          z: null,
          u: 'u',
          v: 'v',
          nn: null,
          num: 'x',
        },
      },
      More: { example: { fixed: 'other', ip: 3 } },
    }
    const thing = {
      required: ['n', 's', 'f', 'a', 'o', 'z', 'u', 'nn', 'num', 'fixed', 'ip', 'bare'],
      properties: {
        // null never stands for a nullable field: the example shows a value.
        nn: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        num: { type: 'number' },
        fixed: { const: 'c' },
        // A pattern only constrains text.
        ip: { type: 'integer', pattern: '^[a-z]+$' },
        bare: {},
        n: { type: 'integer' },
        s: { type: 'string' },
        f: { type: 'string', format: 'email' },
        a: {},
        o: {},
        z: { type: 'string' },
        u: {},
        v: { oneOf: [{ type: 'null' }, { type: 'integer' }] },
      },
    }
    expect(exampleOf(thing, schemas)).toEqual({
      n: 1,
      s: 'text',
      f: 'poc@example.org',
      a: {},
      o: {},
      z: 'text',
      u: 'u',
      v: 1,
      nn: 'text',
      num: 1,
      fixed: 'c',
      ip: 3,
      bare: {},
    })
  })

  it('optional fields with a value are followed four levels deep, arrays seven', () => {
    const schemas = {
      In: { example: { a: ['no fit'] } },
      Node: { type: 'object', properties: { a: { $ref: '#/components/schemas/Node' } } },
      List: { type: 'array', items: { $ref: '#/components/schemas/List' } },
    }
    expect(exampleOf({ $ref: '#/components/schemas/Node' }, schemas)).toEqual({ a: { a: { a: { a: {} } } } })
    expect(exampleOf({ $ref: '#/components/schemas/List' }, schemas)).toEqual([[[[[[[[]]]]]]]])
  })

  it('a request body gets a one-field patch, preferring a field that can be cleared', () => {
    const hints = {
      In: {
        example: {
          name: 'Asan',
          note: 'hi',
          code: 'AB',
          count: 3,
          twice: 'tw',
          nulls: 'n',
          other: 'o',
          empty: null,
        },
      },
    }
    const bodyExample = (schema: Json, schemas: Json = hints, media: Json = {}) => {
      const op = polishOne(
        'post',
        '/v1/things',
        {
          [HINTS]: NOT_LIMITED,
          requestBody: { content: { 'application/json': { schema, ...media } } },
          responses: {},
        },
        { schemas: structuredClone(schemas) },
      )
      return ((op.requestBody as { content: Record<string, Json> }).content['application/json'] as Json)
        .example
    }
    const props = (properties: Json) => ({ type: 'object', properties })
    const nullable = (schema: Json) => ({ anyOf: [schema, { type: 'null' }] })
    expect(bodyExample(props({ name: { type: 'string' }, note: nullable({ type: 'string' }) }))).toEqual({
      note: 'hi',
    })
    expect(bodyExample(props({ name: { type: 'string' }, other: { type: 'string' } }))).toEqual({
      name: 'Asan',
    })
    expect(bodyExample(props({ count: { type: 'integer' }, name: { type: ['string', 'null'] } }))).toEqual({
      name: 'Asan',
    })
    expect(
      bodyExample(props({ code: { type: 'string', pattern: '^[a-z]+$' }, other: { type: 'string' } })),
    ).toEqual({
      other: 'o',
    })
    expect(
      bodyExample(props({ count: { type: 'string' }, twice: nullable(nullable({ type: 'string' })) })),
    ).toEqual({
      twice: 'tw',
    })
    expect(
      bodyExample(
        props({ nulls: { anyOf: [{ type: 'null' }, { type: 'null' }] }, absent: { type: 'string' } }),
      ),
    ).toBeUndefined()
    expect(bodyExample(props({ nulls: { type: 'null' }, name: { type: 'integer' } }))).toBeUndefined()
    expect(bodyExample(props({ name: {}, note: { oneOf: [{ type: 'string' }] } }))).toBeUndefined()
    expect(
      bodyExample(
        { $ref: '#/components/schemas/Body' },
        { ...hints, Body: props({ name: { type: 'string' } }) },
      ),
    ).toEqual({
      name: 'Asan',
    })
    expect(bodyExample({ $ref: '#/components/schemas/Missing' })).toBeUndefined()
    expect(bodyExample({ type: 'object' })).toBeUndefined()
    expect(bodyExample(props({ empty: { type: ['string', 'null'] } }))).toBeUndefined()
    expect(
      bodyExample(
        props({ name: { type: 'string' }, note: { anyOf: [{ type: 'null' }, { type: 'string' }] } }),
      ),
    ).toEqual({ note: 'hi' })
    const none = polishOne('post', '/v1/things', {
      [HINTS]: NOT_LIMITED,
      requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {},
    })
    expect((none.requestBody as { content: Record<string, Json> }).content['application/json']).toStrictEqual(
      {
        schema: { type: 'object' },
      },
    )
    expect(bodyExample(props({ name: { type: 'string' } }), hints, { example: { own: 1 } })).toEqual({
      own: 1,
    })
    expect(
      bodyExample(
        { $ref: '#/components/schemas/Body' },
        { ...hints, Body: { ...props({ name: { type: 'string' } }), example: { x: 1 } } },
      ),
    ).toBeUndefined()
    expect(
      bodyExample(
        { $ref: '#/components/schemas/Body' },
        { ...hints, Body: { ...props({ name: { type: 'string' } }), examples: [] } },
      ),
    ).toBeUndefined()
  })

  it('a merge patch body shares its example between both media types', () => {
    const op = polishOne(
      'patch',
      '/v1/things/{id}',
      {
        [HINTS]: NOT_LIMITED,
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Patch' } } } },
        responses: {},
      },
      {
        schemas: {
          Patch: { type: 'object', properties: { note: { anyOf: [{ type: 'string' }, { type: 'null' }] } } },
          In: { example: { note: 'hi' } },
        },
      },
    )
    const media = { schema: { $ref: '#/components/schemas/Patch' }, example: { note: 'hi' } }
    expect((op.requestBody as Json).content).toEqual({
      'application/merge-patch+json': media,
      'application/json': media,
    })
  })
})

describe('withArticle', () => {
  it('an before a vowel, in any case; a otherwise', () => {
    expect(withArticle('organization')).toBe('an organization')
    expect(withArticle('Event')).toBe('an Event')
    expect(withArticle('user')).toBe('an user')
    expect(withArticle('contact')).toBe('a contact')
    expect(withArticle('state')).toBe('a state')
    expect(withArticle('')).toBe('a ')
  })
})
