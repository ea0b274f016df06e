/**
 * The generated OpenAPI document made to say everything the service does, in one place and by
 * rule rather than route by route: every operation's statuses (429, the `default` 500, 413/415
 * for bodies, 304 for conditional reads), the headers each response carries (as reusable
 * components), the scope each operation needs, and problem+json for every error.
 */

type Json = Record<string, unknown>
export type OpenApiDoc = Json & { paths?: Record<string, Record<string, Json>>; components?: Json }

/** What a route's config says that the document must show; the route transform stores it. */
export interface RouteHints {
  feedCached: boolean
  scope?: string
  rateLimited: boolean
}
export const ROUTE_HINTS = 'x-pocdir-route'

const STATUS_TEXT: Record<string, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified: the ETag in If-None-Match is current',
  400: 'Bad request: shape, format, a cross-field rule, an unknown referenced id or parameter',
  401: 'No token, or a token that fails verification',
  403: 'The token lacks the scope or the state',
  404: 'No such resource (deleted records answer 404 too)',
  409: 'Conflicts with stored data',
  406: 'None of the Accept types is offered',
  412: 'If-Match names an older version',
  413: 'Body too large',
  415: 'Unsupported content type',
  422: 'Rows rejected',
  429: 'Rate limited: too many requests from this client this minute',
  503: 'Not ready',
  default: 'Unexpected error (500 Internal Server Error); quote the x-request-id',
}

/** Representations besides JSON, chosen with the Accept header. */
const EXPORTS: Record<string, string[]> = {
  listContacts: ['text/csv', 'text/vcard'],
  getContact: ['text/vcard'],
  getDirectory: ['text/csv'],
  mailMergeCampaign: ['text/csv'],
}

const header = (description: string, schema: Json, required: boolean) => ({ description, required, schema })

/**
 * A next-page link repeats the page's own query: only its operation's parameters (others are 400),
 * each bounded; the longest, q, is 200 UTF-16 units, at most 1,800 characters percent-encoded, and
 * the cursor at most 512. 8 KiB leaves room for all of them at once.
 */
const MAX_LINK_LENGTH = 8192

/** Bounds of the rate limiter's answers: a one-minute window, a budget that is a JS number. */
const SECONDS_IN_WINDOW = { type: 'integer', format: 'int32', minimum: 0, maximum: 60 }
const REQUESTS = { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }
const WHEN_LIMITED = '; on every answer of an operation while rate limiting is on (RATE_LIMIT_MAX > 0)'

/** Response headers, referenced from the responses that carry them. */
const HEADERS: Record<string, Json> = {
  RequestId: header(
    "The request's id (the caller's `x-request-id` when it is sane, else a UUIDv7); quote it when reporting a problem",
    { type: 'string', maxLength: 128 },
    true,
  ),
  ETag: header(
    'A single record\'s tag is its version, `"3"`; lists, the directory, reports, history and the feed ' +
      'answer a weak tag, `W/"…"`, that changes with any write. Send it back in `If-None-Match` for a 304 ' +
      '(or, for a record, in `If-Match` to guard a write).',
    { type: 'string', maxLength: 200 },
    true,
  ),
  // A path and query of this service: the request line it answers is within Node's header limit.
  Location: header(
    'The URL of the created record',
    { type: 'string', format: 'uri-reference', maxLength: 2048 },
    true,
  ),
  Link: header(
    '`<url>; rel="next"` when there is a next page (RFC 8288)',
    { type: 'string', maxLength: MAX_LINK_LENGTH },
    false,
  ),
  Vary: header('The answer depends on these request headers', { type: 'string', maxLength: 200 }, false),
  WWWAuthenticate: header(
    'RFC 6750: `Bearer realm="pocdir"`; with `error="invalid_token"` when a presented token fails ' +
      'verification, `error="invalid_request"` when the Authorization header is not `Bearer <token>`',
    { type: 'string', maxLength: 200 },
    true,
  ),
  RetryAfter: header('Seconds until the client may send again', SECONDS_IN_WINDOW, true),
  RateLimitLimit: header('Requests allowed per minute', REQUESTS, true),
  RateLimitRemaining: header('Requests left this minute', REQUESTS, true),
  RateLimitReset: header('Seconds until the minute restarts', SECONDS_IN_WINDOW, true),
  RateLimitLimitIfLimited: header(`Requests allowed per minute${WHEN_LIMITED}`, REQUESTS, false),
  RateLimitRemainingIfLimited: header(`Requests left this minute${WHEN_LIMITED}`, REQUESTS, false),
  RateLimitResetIfLimited: header(
    `Seconds until the minute restarts${WHEN_LIMITED}`,
    SECONDS_IN_WINDOW,
    false,
  ),
}

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` })
const SCHEMA_REF = '#/components/schemas/'
const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }

const schemaOf = (doc: OpenApiDoc, response: Json | undefined): Json | undefined => {
  const content = response?.content as Record<string, { schema?: Json }> | undefined
  const schema = content?.['application/json']?.schema
  const name = typeof schema?.$ref === 'string' ? schema.$ref.replace(SCHEMA_REF, '') : undefined
  return name ? ((doc.components?.schemas as Record<string, Json> | undefined)?.[name] ?? schema) : schema
}

/** Whether an answer of this status carries the record's or the page's ETag. */
function carriesEtag(method: string, path: string, status: string, hints: RouteHints): boolean {
  if (status === '201') return true
  if (status !== '200' && status !== '304') return false
  if (hints.feedCached) return true
  if (method === 'get' || method === 'patch') return path.endsWith('/{id}')
  return method === 'post' && path.endsWith('/verify')
}

const article = (noun: string) => (/^[aeiou]/i.test(noun) ? 'an' : 'a')

/** "Create a organization" → "Create an organization" in generated summaries. */
export const withArticle = (noun: string) => `${article(noun)} ${noun}`

function polishOperation(doc: OpenApiDoc, path: string, method: string, op: Json): void {
  const hints = (op[ROUTE_HINTS] ?? { feedCached: false, rateLimited: true }) as RouteHints
  delete op[ROUTE_HINTS]
  const responses = (op.responses ?? {}) as Record<string, Json>
  op.responses = responses
  const hasBody = op.requestBody !== undefined

  // Statuses every operation of its kind can answer (described, and given problem+json, below).
  const problem = (code: string) => {
    responses[code] ??= {}
  }
  if (hasBody) for (const code of ['400', '413', '415']) problem(code)
  if (hints.rateLimited) problem('429')
  if (EXPORTS[String(op.operationId)]) problem('406')
  if (hints.feedCached && method === 'get') responses['304'] ??= {}
  responses.default = {}

  for (const [code, response] of Object.entries(responses)) {
    response.description = STATUS_TEXT[code] ?? response.description
    const isError = code === 'default' || Number(code) >= 400
    if (isError) response.content = PROBLEM
    if (code === '204' || code === '304') delete response.content
    const headers: Record<string, Json> = { 'x-request-id': ref('RequestId') }
    if (carriesEtag(method, path, code, hints)) headers.ETag = ref('ETag')
    if (code === '201') headers.Location = ref('Location')
    if (code === '200' && method === 'get') {
      const properties = schemaOf(doc, response)?.properties as Json | undefined
      if (properties && 'nextCursor' in properties) headers.Link = ref('Link')
    }
    if (hints.feedCached && (code === '200' || code === '304')) headers.Vary = ref('Vary')
    if (code === '401') headers['WWW-Authenticate'] = ref('WWWAuthenticate')
    // @fastify/rate-limit sends x-ratelimit-* on every answer of a limited operation (errors too),
    // and they are certain on a 429. The spelling is GitHub's, which the OWASP ruleset looks for;
    // header names are case-insensitive, so it names the same headers.
    if (code === '429') {
      headers['Retry-After'] = ref('RetryAfter')
      headers['X-RateLimit-Limit'] = ref('RateLimitLimit')
      headers['X-RateLimit-Remaining'] = ref('RateLimitRemaining')
      headers['X-RateLimit-Reset'] = ref('RateLimitReset')
    } else if (hints.rateLimited && code !== 'default') {
      headers['X-RateLimit-Limit'] = ref('RateLimitLimitIfLimited')
      headers['X-RateLimit-Remaining'] = ref('RateLimitRemainingIfLimited')
      headers['X-RateLimit-Reset'] = ref('RateLimitResetIfLimited')
    }
    response.headers = headers
  }
  // An export is a whole file whose size grows with the directory, not a JSON string: the media
  // type says what it is, and no schema (OpenAPI 3.1 makes it optional) claims a length it lacks.
  const ok = responses['200']
  if (ok)
    for (const type of EXPORTS[String(op.operationId)] ?? [])
      ok.content = { ...(ok.content as Json), [type]: {} }

  // The scope each operation needs: reads work anonymously (a token with directory:read shows
  // restricted fields); writes name their scope.
  const security = op.security as Json[] | undefined
  if (security && security.length > 0) {
    const scope = hints.scope ?? 'directory:read'
    op.security = [...(hints.scope ? [] : [{}]), { bearerAuth: [scope] }, { oauth2: [scope] }]
  }

  const body = op.requestBody as { content?: Record<string, unknown> } | undefined
  if (method === 'patch' && body?.content?.['application/json']) {
    body.content = {
      'application/merge-patch+json': body.content['application/json'],
      'application/json': body.content['application/json'],
    }
  }
}

/** The component schemas `node` refers to (an array's entries are its values too). */
function collectRefs(node: unknown, into: Set<string>): void {
  if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(SCHEMA_REF))
        into.add(v.slice(SCHEMA_REF.length))
      else collectRefs(v, into)
    }
  }
}

export const TOKEN_REQUIREMENTS =
  'A JWT in `Authorization: Bearer …`. Required claims: `sub` (the actor recorded in history) and ' +
  '`exp`; `iss` and `aud` must match when the service is configured with JWT_ISSUER / JWT_AUDIENCE. ' +
  'Signed with HS256 under the shared JWT_SECRET, or with an asymmetric key (RS256, ES256, EdDSA …) ' +
  'from JWT_PUBLIC_KEY or the JWKS at JWKS_URL. Verified as RFC8725 (JWT Best Current Practices) ' +
  'asks: the algorithms accepted are fixed by the configured key (HS256 for a shared secret, the ' +
  'asymmetric ones for a public key or JWKS), so `alg: none` and algorithm substitution are refused; ' +
  'the signature, `exp` and, when configured, `iss` and `aud` are checked on every request. Scopes are the space-separated `scope` claim: ' +
  '`directory:read` shows restricted fields; `directory:write` changes records (implies read); ' +
  '`directory:import` runs imports; `directory:admin` implies every other scope and alone changes ' +
  'states and roles. An optional `states` claim (an array of ISO 3166-1 alpha-2 codes) limits ' +
  'every scope, admin included, to records of those states. A presented token that fails ' +
  'verification is 401 even on a public read; a valid token without directory:read reads like an ' +
  'anonymous client.'

/** Sample values by format, for examples the document synthesizes. */
const FORMAT_SAMPLES: Record<string, unknown> = {
  uuid: '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e51',
  date: '2024-03-01',
  'date-time': '2024-03-01T09:30:00.000Z',
  email: 'poc@example.org',
  uri: 'https://example.org',
  'uri-reference': '/v1/contacts/0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e51',
}

/** Values by property name from the document's own examples (the create bodies'). */
function hintsOf(schemas: Record<string, Json>): Map<string, unknown> {
  const hints = new Map<string, unknown>()
  // An array's entries are among its values; an array has no `example`.
  const walk = (node: unknown): void => {
    if (node && typeof node === 'object') {
      const example = (node as Json).example
      if (example && typeof example === 'object' && !Array.isArray(example)) {
        for (const [k, v] of Object.entries(example)) if (!hints.has(k)) hints.set(k, v)
      }
      for (const v of Object.values(node)) walk(v)
    }
  }
  walk(schemas)
  return hints
}

const typeOf = (value: unknown) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : Number.isInteger(value)
        ? 'integer'
        : typeof value

/** Whether a hint fits a schema well enough to show as its example (type, pattern, format). */
function fits(schema: Json, value: unknown): boolean {
  // A nullable field is `anyOf: [{…}, {type: null}]`: the hint must fit one of the options.
  const options = (schema.anyOf ?? schema.oneOf) as Json[] | undefined
  if (options) return options.some((option) => option.type !== 'null' && fits(option, value))
  const types = ([] as unknown[]).concat(schema.type ?? [])
  const t = typeOf(value)
  if (types.length > 0 && !types.includes(t) && !(t === 'integer' && types.includes('number'))) return false
  if (schema.format || schema.enum || schema.const !== undefined) return false
  // Text must match the pattern; no pattern matches any text.
  if (typeof value === 'string')
    return new RegExp((schema.pattern as string | undefined) ?? '', 'u').test(value)
  return t !== 'array' && t !== 'object'
}

/** A value valid against `schema`, for the examples of responses and patch bodies. */
function sample(doc: OpenApiDoc, schema: Json, hints: Map<string, unknown>, depth = 0): unknown {
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Json>
  if (typeof schema.$ref === 'string') {
    return sample(doc, schemas[schema.$ref.replace(SCHEMA_REF, '')] ?? {}, hints, depth)
  }
  if (schema.example !== undefined) return schema.example
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0]
  if (schema.const !== undefined) return schema.const
  if (Array.isArray(schema.enum)) return schema.enum[0]
  const options = (schema.anyOf ?? schema.oneOf) as Json[] | undefined
  if (options) {
    const option = options.find((o) => o.type !== 'null') ?? options[0] ?? {}
    return sample(doc, option, hints, depth)
  }
  const types = ([] as unknown[]).concat(schema.type ?? 'object').filter((t) => t !== 'null')
  const type = types[0]
  if (type === 'object') {
    const out: Json = {}
    const required = new Set((schema.required ?? []) as string[])
    for (const [key, property] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
      const hint = hints.get(key)
      if (hint !== undefined && fits(property, hint)) out[key] = hint
      else if (required.has(key) || (hint !== undefined && depth < 4)) {
        out[key] = sample(doc, property, hints, depth + 1)
      }
    }
    return out
  }
  if (type === 'array') return depth > 6 ? [] : [sample(doc, (schema.items ?? {}) as Json, hints, depth + 1)]
  if (type === 'integer' || type === 'number') return Math.max(1, Number(schema.minimum ?? 1))
  if (type === 'boolean') return true
  if (type === 'string') {
    const byFormat = FORMAT_SAMPLES[schema.format as string]
    if (byFormat !== undefined) return byFormat
    if (schema.pattern === '^[A-Z]{2}$') return 'KG'
    if (schema.pattern === '^[A-Z]{3}$') return 'KGZ'
    return 'text'.padEnd(Number(schema.minLength ?? 0), 'x')
  }
  return null
}

/** The schema a nullable field takes when it is not null (anyOf nests when nullable twice). */
function nonNull(schema: Json): Json | undefined {
  const options = schema.anyOf as Json[] | undefined
  if (!options) return schema.type === 'null' ? undefined : schema
  for (const option of options) {
    const found = nonNull(option)
    if (found) return found
  }
  return undefined
}

/**
 * A one-field merge patch: the first text field the create example fills, preferring one that
 * may be cleared (a note, an acronym) over names and keys other records are found by.
 */
function patchExample(doc: OpenApiDoc, schema: Json, hints: Map<string, unknown>): Json | undefined {
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Json>
  const resolved = typeof schema.$ref === 'string' ? schemas[schema.$ref.replace(SCHEMA_REF, '')] : schema
  const candidates = Object.entries((resolved?.properties ?? {}) as Record<string, Json>).flatMap(
    ([key, property]) => {
      const option = nonNull(property)
      const hint = hints.get(key)
      const text = option && ([] as unknown[]).concat(option.type).includes('string')
      if (!option || !text || typeof hint !== 'string' || !fits(option, hint)) return []
      // A text field is nullable (clearable) exactly when it is an anyOf.
      return [{ key, hint, clearable: property.anyOf !== undefined }]
    },
  )
  const chosen = candidates.find((c) => c.clearable) ?? candidates[0]
  return chosen ? { [chosen.key]: chosen.hint } : undefined
}

/** Examples on every request body and 2xx JSON answer that has none of its own. */
function addExamples(doc: OpenApiDoc): void {
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Json>
  const hints = hintsOf(schemas)
  const hasOwn = (media: Json) => {
    const schema = (media.schema ?? {}) as Json
    const resolved = typeof schema.$ref === 'string' ? schemas[schema.$ref.replace(SCHEMA_REF, '')] : schema
    return media.example !== undefined || resolved?.example !== undefined || resolved?.examples !== undefined
  }
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(operations)) {
      const body = op.requestBody as { content?: Record<string, Json> } | undefined
      for (const media of Object.values(body?.content ?? {})) {
        if (hasOwn(media)) continue
        const example = patchExample(doc, (media.schema ?? {}) as Json, hints)
        if (example) media.example = example
      }
      for (const [code, response] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
        const media = (response.content as Record<string, Json> | undefined)?.['application/json']
        if (!code.startsWith('2') || !media || hasOwn(media)) continue
        media.example = sample(doc, (media.schema ?? {}) as Json, hints)
      }
    }
  }
}

export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: TOKEN_REQUIREMENTS,
  },
  oauth2: {
    type: 'oauth2' as const,
    description:
      'The same bearer token, described as OAuth 2.0 so generators know the scopes. The token ' +
      'issuer is yours to run: the URL below is a placeholder. ' +
      TOKEN_REQUIREMENTS,
    flows: {
      clientCredentials: {
        tokenUrl: 'https://issuer.invalid/oauth2/token',
        scopes: {
          'directory:read': 'Read restricted fields (notes, restricted e-mail addresses and numbers)',
          'directory:write':
            'Create, change and delete organizations, contacts and assignments (implies read)',
          'directory:import': 'Run bulk imports',
          'directory:admin': 'Everything, and changing states and roles',
        },
      },
    },
  },
}

/**
 * Makes the generated document say what the service does: every status, header and scope,
 * errors as problem+json, PATCH as merge-patch+json, and unused component schemas dropped.
 */
export function polish(doc: OpenApiDoc): OpenApiDoc {
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(operations)) polishOperation(doc, path, method, op)
  }
  doc.components ??= {}
  const components = doc.components
  components.headers = HEADERS
  addExamples(doc)
  const schemas = (components.schemas ?? {}) as Record<string, unknown>
  const used = new Set<string>()
  collectRefs(doc.paths, used)
  for (let size = -1; size !== used.size; ) {
    size = used.size
    for (const name of [...used]) collectRefs(schemas[name], used)
  }
  for (const [name, schema] of Object.entries(schemas)) {
    if (!used.has(name)) delete schemas[name]
    else if (schema) {
      delete (schema as Json).$schema
      delete (schema as Json).$id
    }
  }
  return doc
}
