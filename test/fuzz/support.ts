import { createHash } from 'node:crypto'
import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Db } from '../../src/db/client.js'
import {
  arbitraryFor,
  EtagRef,
  examplesOf,
  HOSTILE_STRINGS,
  LiveRef,
  type MapperContext,
  type RefKind,
  resolveRef,
  type Schema,
} from './schema-arbitrary.js'

/** Operations of the committed OpenAPI document, turned into arbitrary HTTP requests. */

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: Schema
}

export interface Operation {
  /** `METHOD /path/{template}` */
  id: string
  method: string
  path: string
  params: Parameter[]
  bodies: { contentType: string; schema: Schema }[]
  /** Content types of the success answers, for `Accept`. */
  produces: string[]
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options'])

export function operationsOf(doc: Schema): Operation[] {
  const ops: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths as Record<string, Schema>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue
      const params = [
        ...((item.parameters as Parameter[]) ?? []),
        ...((op.parameters as Parameter[]) ?? []),
      ].map((p) => resolveRef(doc, p) as Parameter)
      const content = (resolveRef(doc, op.requestBody ?? {}).content ?? {}) as Record<string, Schema>
      const produces = new Set<string>()
      for (const [code, response] of Object.entries(op.responses as Record<string, Schema>)) {
        if (/^[23]/.test(code))
          for (const type of Object.keys(resolveRef(doc, response).content ?? {})) produces.add(type)
      }
      ops.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        params,
        bodies: Object.entries(content).map(([contentType, media]) => ({
          contentType,
          schema: { ...(media.schema ?? {}), example: media.schema?.example ?? media.example },
        })),
        produces: [...produces],
      })
    }
  }
  return ops
}

/** The collection a path names: `/v1/contacts/{id}/verify` -> `contacts`. */
export const collectionOf = (path: string): string | undefined => /^\/v1\/([^/{]+)/.exec(path)?.[1]

/** Which stored records a parameter or property of this operation may point at. */
function refKinds(op: Operation) {
  const collection = collectionOf(op.path)
  return (name: string): RefKind[] => {
    switch (name) {
      case 'id':
        return collection && isRefKind(collection) ? [collection] : []
      case 'contactId':
      case 'contact':
        return ['contacts']
      case 'organizationId':
      case 'organization':
      case 'parentId':
      case 'parent':
        return ['organizations']
      case 'roleId':
        return ['roles']
      case 'role':
      case 'roles':
        return ['roleKeys', 'roles']
      case 'state':
      case 'stateCode':
        return ['states']
      case 'succeededBy':
      case 'assignmentId':
        return ['assignments']
      case 'eventId':
      case 'event':
        return ['training-events']
      case 'hostStateCode':
      case 'hostState':
        return ['states']
      case 'code':
        return collection === 'verification' ? ['linkCodes'] : []
      default:
        return []
    }
  }
}

const REF_KINDS = [
  'states',
  'organizations',
  'roles',
  'contacts',
  'assignments',
  'training-events',
  'participations',
  'campaigns',
  'corrections',
  'webhooks',
] as const
const isRefKind = (s: string): s is RefKind => (REF_KINDS as readonly string[]).includes(s)

export interface FuzzRequest {
  op: string
  token: string
  path: Record<string, unknown>
  query: [string, unknown][]
  headers: Record<string, unknown>
  body?: { contentType: string | undefined; value?: unknown; raw?: string }
}

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'application/octet-stream',
]

const MALFORMED_BODIES = [
  '{',
  '{"a":',
  '[1,2',
  '\u0000',
  '',
  'null',
  '"text"',
  '123',
  '[]',
  '{}',
  '{"a":1}{"b":2}',
]

const EXTRA_ACCEPT = [
  '*/*',
  'application/xml',
  'text/html',
  'application/json;q=0, */*;q=0.1',
  'text/csv;q=0.5',
]

/** Rows shaped like the body's example (an import): its columns, with example, random or hostile values. */
function exampleRows(
  schema: Schema,
  ctx: MapperContext,
  hostile: boolean,
): fc.Arbitrary<unknown> | undefined {
  const example = schema.example
  if (!Array.isArray(example) || typeof example[0] !== 'object' || example[0] === null) return undefined
  const columns = Object.entries(example[0] as Record<string, unknown>)
  const cell = (key: string, value: unknown) => {
    const kinds = ctx.refKindsFor(key)
    const live = kinds.length
      ? [{ arbitrary: fc.nat(1000).map((n) => new LiveRef(kinds[0] as RefKind, n)), weight: 1 }]
      : []
    if (!hostile) return fc.oneof({ arbitrary: fc.constant(value), weight: 12 }, ...live)
    return fc.oneof(
      { arbitrary: fc.constant(value), weight: 6 },
      { arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 2 },
      { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 2 },
      ...live,
    )
  }
  const model = Object.fromEntries(columns.map(([key, value]) => [key, cell(key, value)]))
  // the example's row is complete: a valid row keeps every column, a hostile one may drop some
  const required = columns.slice(0, hostile ? 4 : columns.length).map(([key]) => key)
  const row = fc.tuple(
    fc.record(model, { requiredKeys: required }),
    hostile
      ? fc.option(fc.constantFrom('unknownColumn', 'email ', 'STATECODE'), { freq: 8 })
      : fc.constant(null),
  )
  return fc
    .array(row, { minLength: 1, maxLength: 4 })
    .map((rows) => rows.map(([r, extra]) => (extra ? { ...r, [extra]: 'x' } : r)))
}

/** An arbitrary request for `op`, valid or hostile, with one of `tokens`. */
export function requestArbitrary(
  doc: Schema,
  op: Operation,
  tokens: readonly { name: string; valid: number; hostile: number }[],
): fc.Arbitrary<FuzzRequest> {
  const ctx: MapperContext = { doc, examples: examplesOf(doc), refKindsFor: refKinds(op) }
  const param = (p: Parameter, hostile: boolean) => arbitraryFor(p.schema ?? {}, p.name, ctx, hostile)

  const pathParams = op.params.filter((p) => p.in === 'path')
  const queryParams = op.params.filter((p) => p.in === 'query')
  const headerParams = op.params.filter((p) => p.in === 'header')

  const requestFor = (hostile: boolean): fc.Arbitrary<FuzzRequest> => {
    const path = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, param(p, hostile)])))
    const query = fc
      .tuple(
        // a valid request has no made-up cursor (only the service issues them)
        ...queryParams
          .filter((p) => hostile || p.name !== 'cursor')
          .map((p) =>
            p.required && !hostile
              ? param(p, false).map((v) => [[p.name, v]] as [string, unknown][])
              : fc.option(
                  param(p, hostile).map((v) => [[p.name, v]] as [string, unknown][]),
                  { nil: [] as [string, unknown][], freq: hostile ? 2 : 3 },
                ),
          ),
        hostile
          ? fc.option(
              fc.constantFrom<[string, unknown][]>(
                [['unknownFilter', 'x']],
                [['limit', '1']],
                [['LIMIT', '5']],
                [['q', '" OR 1=1 --']],
                [['cursor', 'eyJ0YW1wZXJlZCI6dHJ1ZX0']],
              ),
              { nil: [] as [string, unknown][], freq: 3 },
            )
          : fc.constant([] as [string, unknown][]),
      )
      .map((groups) => groups.flat())
    // a valid request names the record's current version, or none; a hostile one any tag
    const etag = hostile
      ? fc.oneof(
          fc.integer({ min: -1, max: 1 }).map((delta) => new EtagRef(delta)),
          fc.constantFrom(
            '*',
            'W/"1"',
            '"1"',
            '"0"',
            '"-1"',
            '"99999999999999999999"',
            'garbage',
            '"1", "2"',
          ),
        )
      : fc.constant(new EtagRef(0))
    const headerModel: Record<string, fc.Arbitrary<unknown>> = {}
    for (const p of headerParams) {
      const conditional = /^if-/.test(p.name)
      headerModel[p.name] =
        conditional && !hostile ? etag : conditional ? fc.oneof(etag, param(p, true)) : param(p, hostile)
    }
    headerModel.accept = fc.constantFrom(...op.produces, ...(hostile ? EXTRA_ACCEPT : ['*/*']))
    if (hostile)
      headerModel['x-request-id'] = fc.constantFrom('fuzz-1', '', 'x'.repeat(300), '../\u0001', 'a b')
    const headers = fc.record(headerModel, { requiredKeys: [] })
    const body = bodyArbitrary(op, ctx, hostile)
    return fc.record({
      op: fc.constant(op.id),
      token: fc.oneof(
        ...tokens
          .map((token) => ({
            arbitrary: fc.constant(token.name),
            weight: hostile ? token.hostile : token.valid,
          }))
          .filter(({ weight }) => weight > 0),
      ),
      path,
      query,
      headers,
      body,
    }) as fc.Arbitrary<FuzzRequest>
  }
  return fc.oneof(requestFor(false), requestFor(true))
}

function bodyArbitrary(
  op: Operation,
  ctx: MapperContext,
  hostile: boolean,
): fc.Arbitrary<FuzzRequest['body'] | undefined> {
  const stray = fc.constantFrom<FuzzRequest['body'] | undefined>(
    { contentType: 'application/json', raw: '{}' },
    { contentType: 'application/json', raw: '{' },
    { contentType: 'text/plain', raw: 'hello' },
  )
  if (op.bodies.length === 0) {
    return hostile ? fc.option(stray, { nil: undefined, freq: 4 }) : fc.constant(undefined)
  }
  const typed = op.bodies.map(({ contentType, schema }) => {
    const rows = exampleRows(schema, ctx, hostile)
    const values = rows
      ? fc.oneof({ arbitrary: rows, weight: 4 }, arbitraryFor(schema, '', ctx, hostile))
      : arbitraryFor(schema, '', ctx, hostile)
    return values.map((value) => ({ contentType, value }) as FuzzRequest['body'])
  })
  const options: fc.WeightedArbitrary<FuzzRequest['body'] | undefined>[] = [
    { arbitrary: fc.oneof(...typed), weight: 12 },
  ]
  if (hostile) {
    const firstSchema = op.bodies[0]?.schema ?? {}
    options.push(
      {
        arbitrary: fc
          .tuple(fc.constantFrom(...WRONG_CONTENT_TYPES), arbitraryFor(firstSchema, '', ctx, false))
          .map(([contentType, value]) => ({ contentType, value })),
        weight: 2,
      },
      {
        arbitrary: fc
          .tuple(
            fc.constantFrom(...op.bodies.map((b) => b.contentType)),
            fc.constantFrom(...MALFORMED_BODIES),
          )
          .map(([contentType, raw]) => ({ contentType, raw })),
        weight: 2,
      },
      { arbitrary: fc.constant(undefined), weight: 1 },
      { arbitrary: fc.constant({ contentType: undefined, raw: '{"a":1}' }), weight: 1 },
      // beyond BODY_LIMIT (1 MiB) for JSON bodies
      {
        arbitrary: fc.constant({ contentType: op.bodies[0]?.contentType, raw: `"${'x'.repeat(1_100_000)}"` }),
        weight: 1,
      },
    )
  }
  return fc.oneof(...options)
}

/** Resolves live ids and entity tags against the database as it is now. */
export class Resolver {
  constructor(private readonly db: Db) {}

  /** Campaign link codes the fuzz was given (only their hashes are stored); unspent ones are picked. */
  readonly codes: string[] = []

  /** The codes still open: unanswered and not replaced by a mail merge or mailing. */
  usableCodes(): string[] {
    const open = new Set(this.list('select token_hash from campaign_links where outcome is null'))
    return this.codes.filter((c) => open.has(createHash('sha256').update(c).digest('hex')))
  }

  private list(sql: string): string[] {
    return (this.db.$client.prepare(sql).pluck().all() as unknown[]).map(String)
  }

  id(ref: LiveRef): string {
    const live = (table: string) => `select id from ${table} where deleted_at is null order by rowid`
    const sql: Record<RefKind, string> = {
      states: 'select code from states where deleted_at is null order by code',
      organizations: live('organizations'),
      roles: live('roles'),
      roleKeys: 'select key from roles where deleted_at is null order by rowid',
      contacts: live('contacts'),
      assignments: live('assignments'),
      'training-events': live('training_events'),
      participations: live('participations'),
      campaigns: live('campaigns'),
      corrections: "select id from corrections order by status = 'pending' desc, rowid",
      linkCodes: '',
      webhooks: live('webhooks'),
      tombstones: ['organizations', 'roles', 'contacts', 'assignments', 'training_events', 'participations']
        .map((t) => `select id from ${t} where deleted_at is not null`)
        .join(' union all '),
    }
    if (ref.kind === 'linkCodes') {
      const usable = this.usableCodes()
      return usable[ref.pick % Math.max(usable.length, 1)] ?? 'A'.repeat(43)
    }
    const ids = this.list(sql[ref.kind])
    // a well-formed id that was never issued stands in when there is none
    return ids[ref.pick % Math.max(ids.length, 1)] ?? '0192f7a0-0000-7000-8000-00000000dead'
  }

  etag(path: string, id: unknown, delta: number): string {
    const collection = collectionOf(path)
    let version: number | undefined
    if (collection && isRefKind(collection) && typeof id === 'string') {
      const key = collection === 'states' ? 'code' : 'id'
      version = this.db.$client
        .prepare(`select version from ${collection.replace('-', '_')} where ${key} = ?`)
        .pluck()
        .get(id) as number | undefined
    }
    return `"${(version ?? 1) + delta}"`
  }

  /** `value` with every placeholder replaced. */
  deep(value: unknown): unknown {
    if (value instanceof LiveRef) return this.id(value)
    if (Array.isArray(value)) return value.map((v) => this.deep(v))
    if (value && typeof value === 'object' && !(value instanceof EtagRef)) {
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(value)) {
        Object.defineProperty(out, key, {
          value: this.deep((value as Record<string, unknown>)[key]),
          enumerable: true,
          configurable: true,
          writable: true,
        })
      }
      return out
    }
    return value
  }
}

/** Percent-encodes any string, lone surrogates included (as their WTF-8 bytes, which are not UTF-8). */
export function encodeComponent(s: string): string {
  try {
    return encodeURIComponent(s)
  } catch {
    let out = ''
    for (const ch of s) {
      const code = ch.codePointAt(0) ?? 0
      if (code >= 0xd800 && code <= 0xdfff) {
        out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
          .map((b) => `%${b.toString(16).toUpperCase()}`)
          .join('')
      } else out += encodeURIComponent(ch)
    }
    return out
  }
}

const asText = (value: unknown): string =>
  typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value)

/** Header values as a client could send them: printable ASCII only. */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e]/g, '?')

function csvOf(rows: unknown[]): string {
  const objects = rows.filter(
    (r): r is Record<string, unknown> => !!r && typeof r === 'object' && !Array.isArray(r),
  )
  if (objects.length === 0) return rows.map(asText).join('\n')
  const columns = [...new Set(objects.flatMap((r) => Object.keys(r)))]
  const cell = (v: unknown) => {
    const text = v === undefined || v === null ? '' : asText(v)
    return /[",\r\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
  }
  return [columns.join(','), ...objects.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n')
}

function payloadOf(body: NonNullable<FuzzRequest['body']>): string {
  if (body.raw !== undefined) return body.raw
  const { contentType = '', value } = body
  if (contentType.startsWith('text/csv')) return Array.isArray(value) ? csvOf(value) : asText(value)
  if (contentType.startsWith('application/x-ndjson')) {
    return Array.isArray(value) ? value.map((v) => JSON.stringify(v)).join('\n') : asText(value)
  }
  return JSON.stringify(value) ?? ''
}

/** The injectable request: placeholders resolved, path and query encoded, the body serialised. */
export function toInject(
  op: Operation,
  req: FuzzRequest,
  resolver: Resolver,
  tokenHeader: (name: string) => string | undefined,
): InjectOptions {
  let id: unknown
  let url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = resolver.deep(req.path[name])
    if (name === 'id') id = value
    return encodeComponent(Array.isArray(value) ? value.map(asText).join(',') : asText(value))
  })
  const query: string[] = []
  for (const [name, raw] of req.query) {
    const value = resolver.deep(raw)
    for (const v of Array.isArray(value) ? value : [value]) {
      query.push(`${encodeComponent(name)}=${encodeComponent(v === null ? '' : asText(v))}`)
    }
  }
  if (query.length) url += `?${query.join('&')}`

  const headers: Record<string, string> = {}
  for (const [name, raw] of Object.entries(req.headers)) {
    const value = raw instanceof EtagRef ? resolver.etag(op.path, id, raw.delta) : asText(resolver.deep(raw))
    headers[name] = headerSafe(value)
  }
  const authorization = tokenHeader(req.token)
  if (authorization !== undefined) headers.authorization = authorization

  const options: InjectOptions = { method: op.method as InjectOptions['method'], url, headers }
  if (req.body) {
    const body = { ...req.body, value: resolver.deep(req.body.value) }
    if (body.contentType) headers['content-type'] = body.contentType
    options.payload = payloadOf(body)
  }
  return options
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s)

/** A failing exchange, written so it can be replayed by hand. */
export function describeExchange(options: InjectOptions, res: LightMyRequestResponse | undefined): string {
  const payload = typeof options.payload === 'string' ? options.payload : ''
  const lines = [
    `${options.method} ${clip(String(options.url), 600)}`,
    ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${clip(String(v), 120)}`),
    ...(payload ? ['', clip(JSON.stringify(payload).slice(1, -1), 1500)] : []),
  ]
  if (res) {
    lines.push(
      '-- answered --',
      `${res.statusCode} content-type: ${res.headers['content-type']} x-request-id: ${res.headers['x-request-id']}`,
      clip(res.body, 1500),
    )
  }
  return lines.join('\n')
}
