import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../db/client.js'
import type { ContactRow, EntityName } from '../db/schema.js'
import { hasHistory, listHistory, presentRevision } from '../modules/revisions/revisions-repository.js'
import { HistoryQuery, RevisionList } from '../modules/revisions/revisions-schemas.js'
import { canSeeRestricted, type Principal, requireScope, type Scope } from '../plugins/auth.js'
import { issuesToErrors, validationProblem } from '../plugins/errors.js'
import { withArticle } from '../plugins/openapi-polish.js'
import { disclose, discloseContacts, discloseRevisions } from './access-log.js'
import { applyMergePatch } from './merge-patch.js'
import { setNextLink } from './pagination.js'
import { notFound, ProblemError, problemType } from './problem.js'
import { IfMatchHeaders, IfNoneMatchHeaders, ProblemSchema } from './schemas.js'
import {
  assertIfMatch,
  createRecord,
  deleteRecord,
  etagMatches,
  type FieldsOf,
  now,
  type RowOf,
  type Tx,
  updateRecord,
  type WriteContext,
} from './write-path.js'
import { writeTurn } from './write-turn.js'

/**
 * The list/read/create/merge-patch/delete routes every resource shares, written once. A
 * module describes its schemas and rules; this file turns them into HTTP.
 */
export interface ResourceSpec<E extends EntityName, CreateOut, ListQuery> {
  entity: E
  basePath: string
  tag: string
  noun: string
  keyParam: z.ZodType<string>
  writeScope: Scope
  schemas: {
    record: z.ZodType
    list: z.ZodType
    create: z.ZodType<CreateOut>
    patch: z.ZodType
    listQuery: z.ZodType<ListQuery>
  }
  keyOf(row: RowOf<E>): string
  find(db: Tx, key: string): RowOf<E> | undefined
  list(db: Db, query: ListQuery, seeRestricted: boolean): { items: RowOf<E>[]; nextCursor: string | null }
  present(row: RowOf<E>, seeRestricted: boolean): unknown
  /** The stored record as a create body, the base a merge patch applies to. */
  toInput(row: RowOf<E>): Record<string, unknown>
  /**
   * Validated input to stored fields. Throws only for the request itself (400: an unknown
   * referenced id or code); rules that weigh stored data belong in `check`, which runs after
   * the states rule, so a limited token learns nothing from them about other states' records.
   */
  prepare(tx: Tx, input: CreateOut, current: RowOf<E> | undefined): FieldsOf<E>
  /** Throws unless the principal may write `before` (absent on create) into `after`. */
  authorize(tx: Tx, principal: Principal, before: RowOf<E> | undefined, after: FieldsOf<E> | undefined): void
  /** Rules against stored data (cross-record 400s, conflicts 409); runs after `authorize`. */
  check?(tx: Tx, fields: FieldsOf<E>, current: RowOf<E> | undefined): void
  /** Refuses a delete that would break an invariant (throws). */
  beforeDelete?(tx: Tx, row: RowOf<E>): void
  /**
   * The person whose restricted values the row carries for a reader who sees them (the access
   * log's test), or null; contacts have it built in. Set, it makes the routes log their reads.
   */
  personOf?(row: RowOf<E>): string | null
  /** Adds POST {id}/verify, which sets lastVerifiedAt to now. */
  verifiable?: boolean
  /**
   * Other representations by media type, chosen by the Accept header: a list export streams
   * every matching record from the cursor on (limit does not apply).
   */
  exports?: {
    list?: Record<
      string,
      (
        db: Db,
        query: ListQuery,
        seeRestricted: boolean,
        /** Called with the contacts whose restricted values each exported page carries. */
        disclosed: (contactIds: string[]) => void,
      ) => Iterable<string> | Promise<Readable>
    >
    read?: Record<string, (db: Db, row: RowOf<E>, seeRestricted: boolean) => string>
  }
}

type Accepts = (req: IncomingMessage) => { type(types: string[]): string | false }
// @fastify/accepts' own negotiator (the `accepts` package, with negotiator and the mime database),
// loaded on the first negotiation rather than registered at start-up (about 30 ms of it): only
// reads that offer CSV or vCard negotiate. Resolved from @fastify/accepts, which depends on it.
let acceptsOf: Accepts | undefined
const accepts = (): Accepts => {
  acceptsOf ??= createRequire(createRequire(import.meta.url).resolve('@fastify/accepts'))(
    'accepts',
  ) as Accepts
  return acceptsOf
}

/** The media type to answer with, by the Accept header; 406 when none is acceptable. */
export function negotiate(request: FastifyRequest, alternatives: string[]): string {
  if (alternatives.length === 0) return 'application/json'
  const chosen = accepts()(request.raw).type(['application/json', ...alternatives])
  if (typeof chosen !== 'string') {
    throw new ProblemError(406, `Acceptable types: application/json, ${alternatives.join(', ')}`, {
      type: problemType('not-acceptable'),
    })
  }
  return chosen
}

const EXTENSIONS: Record<string, string> = { 'text/csv': 'csv', 'text/vcard': 'vcf' }

/** Streams an export with a download file name. */
export function sendExport(
  reply: FastifyReply,
  type: string,
  name: string,
  chunks: Iterable<string> | Readable,
) {
  return reply
    .type(`${type}; charset=utf-8`)
    .header('content-disposition', `attachment; filename="${name}.${EXTENSIONS[type] ?? 'txt'}"`)
    .send(chunks instanceof Readable ? chunks : Readable.from(chunks))
}

const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, ProblemSchema])) as Record<number, typeof ProblemSchema>

const security: Record<string, string[]>[] = [{ bearerAuth: [] }]
/** Reads work anonymously; a token shows restricted fields. */
const optionalSecurity: Record<string, string[]>[] = [{}, { bearerAuth: [] }]

export function setEtag(reply: FastifyReply, version: number): void {
  reply.header('etag', `"${version}"`)
}

/** Answers 304 when If-None-Match names the current version. */
export function notModified(request: FastifyRequest, version: number): boolean {
  const header = request.headers['if-none-match']
  return header !== undefined && etagMatches(header, version)
}

export function writeContext(request: FastifyRequest, principal: Principal): WriteContext {
  return { actor: principal.sub, requestId: request.id }
}

export function registerCrudRoutes<E extends EntityName, CreateOut, ListQuery>(
  fastify: FastifyInstance,
  db: Db,
  spec: ResourceSpec<E, CreateOut, ListQuery>,
): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const { basePath, tag, noun, schemas } = spec
  const Params = z.strictObject({ id: spec.keyParam })
  const plural = tag.toLowerCase()
  const op = (verb: string) => `${verb}${tag.replace(/s$/, '')}`
  const writeNote =
    spec.writeScope === 'directory:admin' ? 'Needs directory:admin.' : 'Needs directory:write.'

  // Contacts are the people: their restricted details and notes go in the access log, and so
  // does what another record holds of a person (`personOf`: a participation's notes); an
  // organization's restricted details are an office's, not a person's.
  const personOf = spec.personOf?.bind(spec)
  const personal = spec.entity === 'contact' || personOf !== undefined
  const accessLog = personal ? ('contacts' as const) : ('not-personal' as const)
  const discloseRows = (request: FastifyRequest, rows: RowOf<E>[], see: boolean) => {
    if (personOf) {
      if (!see) return
      const ids = rows.map(personOf).filter((id): id is string => id !== null)
      if (ids.length) disclose(request, ids)
    } else if (personal) discloseContacts(request, rows as unknown as ContactRow[], see)
  }

  const listExports = spec.exports?.list ?? {}
  const listTypes = Object.keys(listExports)
  const readExports = spec.exports?.read ?? {}
  const readTypes = Object.keys(readExports)

  const load = (tx: Tx, key: string) => {
    const row = spec.find(tx, key)
    if (!row) throw notFound(`No ${noun} ${key}`)
    return row
  }

  app.get(
    basePath,
    {
      config: { feedCached: true, accessLog },
      schema: {
        tags: [tag],
        operationId: `list${tag}`,
        summary: `List ${plural}`,
        description: `A page of ${plural} (\`{ items, nextCursor }\`, \`Link: rel="next"\`); filters narrow it. Answers a weak ETag; \`If-None-Match\` with it answers 304. Restricted fields need directory:read.`,
        security: optionalSecurity,
        querystring: schemas.listQuery,
        response: { 200: schemas.list, ...errorResponses(400, 401, 403, 406, 429) },
      },
    },
    async (request, reply) => {
      const type = negotiate(request, listTypes)
      const exporter = listExports[type]
      if (exporter) {
        return sendExport(
          reply,
          type,
          plural,
          await exporter(db, request.query as ListQuery, canSeeRestricted(request), (ids) =>
            disclose(request, ids),
          ),
        )
      }
      const see = canSeeRestricted(request)
      const page = spec.list(db, request.query as ListQuery, see)
      discloseRows(request, page.items, see)
      setNextLink(request, reply, page.nextCursor)
      return { items: page.items.map((r) => spec.present(r, see)), nextCursor: page.nextCursor }
    },
  )

  app.get(
    `${basePath}/:id`,
    {
      config: { accessLog },
      schema: {
        tags: [tag],
        operationId: op('get'),
        summary: `Read ${withArticle(noun)}`,
        description:
          'Answers the record with `ETag: "<version>"`; `If-None-Match` with that tag answers 304. ' +
          'Restricted fields need directory:read.',
        security: optionalSecurity,
        params: Params,
        headers: IfNoneMatchHeaders,
        response: {
          200: schemas.record,
          // Stryker disable next-line StringLiteral: openapi-polish replaces every response's description with its status text (and drops a 304's content)
          304: z.null().describe('Not modified'),
          ...errorResponses(400, 401, 403, 404, 406),
        },
      },
    },
    async (request, reply) => {
      const row = load(db, (request.params as { id: string }).id)
      setEtag(reply, row.version)
      if (notModified(request, row.version)) return reply.code(304).send(null)
      const type = negotiate(request, readTypes)
      const exporter = readExports[type]
      const see = canSeeRestricted(request)
      discloseRows(request, [row], see)
      if (exporter) {
        return reply.type(`${type}; charset=utf-8`).send(exporter(db, row, see))
      }
      return spec.present(row, see)
    },
  )

  app.post(
    basePath,
    {
      config: { scope: spec.writeScope, accessLog },
      schema: {
        tags: [tag],
        operationId: op('create'),
        summary: `Create ${withArticle(noun)}`,
        description: writeNote,
        security,
        body: schemas.create,
        response: { 201: schemas.record, ...errorResponses(400, 401, 403, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const principal = requireScope(request, spec.writeScope)
      const row = await writeTurn(db).run(() =>
        db.transaction(
          (tx) => {
            const fields = spec.prepare(tx, request.body as CreateOut, undefined)
            spec.authorize(tx, principal, undefined, fields)
            spec.check?.(tx, fields, undefined)
            return createRecord(tx, writeContext(request, principal), spec.entity, fields)
          },
          { behavior: 'immediate' },
        ),
      )
      setEtag(reply, row.version)
      discloseRows(request, [row], true)
      reply.header('location', `${basePath}/${encodeURIComponent(spec.keyOf(row))}`)
      return reply.code(201).send(spec.present(row, true) as never)
    },
  )

  app.patch(
    `${basePath}/:id`,
    {
      config: { scope: spec.writeScope, accessLog },
      schema: {
        tags: [tag],
        operationId: op('update'),
        summary: `Update ${withArticle(noun)} (JSON Merge Patch)`,
        description: `${writeNote} Body is an RFC 7396 merge patch (application/merge-patch+json or application/json); null clears a field. Send If-Match to avoid lost updates.`,
        security,
        params: Params,
        headers: IfMatchHeaders,
        body: schemas.patch,
        response: { 200: schemas.record, ...errorResponses(400, 401, 403, 404, 409, 412, 413, 415) },
      },
    },
    async (request, reply) => {
      const principal = requireScope(request, spec.writeScope)
      const row = await writeTurn(db).run(() =>
        db.transaction(
          (tx) => {
            const current = load(tx, (request.params as { id: string }).id)
            const merged = applyMergePatch(spec.toInput(current), request.body)
            const parsed = schemas.create.safeParse(merged)
            if (!parsed.success) throw validationProblem(issuesToErrors(parsed.error.issues))
            const fields = spec.prepare(tx, parsed.data, current)
            // DESIGN's order: body (400), states rule (403), conflicts (409), preconditions (412).
            spec.authorize(tx, principal, current, fields)
            spec.check?.(tx, fields, current)
            assertIfMatch(request.headers['if-match'], current.version)
            return updateRecord(tx, writeContext(request, principal), spec.entity, current, fields)
          },
          { behavior: 'immediate' },
        ),
      )
      setEtag(reply, row.version)
      discloseRows(request, [row], true)
      return spec.present(row, true)
    },
  )

  app.delete(
    `${basePath}/:id`,
    {
      config: { scope: spec.writeScope, accessLog },
      schema: {
        tags: [tag],
        operationId: op('delete'),
        summary: `Delete ${withArticle(noun)}`,
        description: `${writeNote} Soft delete: the record then answers 404 and lives on in its history and the change feed.`,
        security,
        params: Params,
        headers: IfMatchHeaders,
        response: {
          // Stryker disable next-line StringLiteral: openapi-polish replaces every response's description with its status text (and drops a 204's content)
          204: z.null().describe('Deleted'),
          ...errorResponses(401, 403, 404, 409, 412),
        },
      },
    },
    async (request, reply) => {
      const principal = requireScope(request, spec.writeScope)
      await writeTurn(db).run(() =>
        db.transaction(
          (tx) => {
            const current = load(tx, (request.params as { id: string }).id)
            spec.authorize(tx, principal, current, undefined)
            spec.beforeDelete?.(tx, current)
            assertIfMatch(request.headers['if-match'], current.version)
            deleteRecord(tx, writeContext(request, principal), spec.entity, current)
          },
          { behavior: 'immediate' },
        ),
      )
      return reply.code(204).send(null)
    },
  )
  app.get(
    `${basePath}/:id/history`,
    {
      config: { feedCached: true, accessLog },
      schema: {
        tags: [tag],
        operationId: op('history'),
        summary: `Revisions of ${withArticle(noun)}, newest first`,
        description:
          'Every change with its actor, time and the fields before and after; deleted records keep ' +
          'their history. Readers without directory:read get notes and restricted details removed.',
        security: optionalSecurity,
        params: Params,
        querystring: HistoryQuery,
        response: { 200: RevisionList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const key = (request.params as { id: string }).id
      if (!hasHistory(db, spec.entity, key)) throw notFound(`No ${noun} ${key}`)
      const page = listHistory(db, spec.entity, key, request.query)
      const see = canSeeRestricted(request)
      discloseRevisions(request, db, page.items, see)
      setNextLink(request, reply, page.nextCursor)
      return { items: page.items.map((r) => presentRevision(r, see)), nextCursor: page.nextCursor }
    },
  )

  if (spec.verifiable) {
    app.post(
      `${basePath}/:id/verify`,
      {
        config: { scope: spec.writeScope, accessLog },
        schema: {
          tags: [tag],
          operationId: op('verify'),
          summary: `Record that the ${noun} was verified today`,
          description: `${writeNote} Sets lastVerifiedAt to now (a revision like any write); honours If-Match.`,
          security,
          params: Params,
          headers: IfMatchHeaders,
          response: { 200: schemas.record, ...errorResponses(401, 403, 404, 412) },
        },
      },
      async (request, reply) => {
        const principal = requireScope(request, spec.writeScope)
        const row = await writeTurn(db).run(() =>
          db.transaction(
            (tx) => {
              const current = load(tx, (request.params as { id: string }).id)
              spec.authorize(tx, principal, current, current)
              assertIfMatch(request.headers['if-match'], current.version)
              const next = { lastVerifiedAt: now() } as unknown as Partial<FieldsOf<E>>
              return updateRecord(tx, writeContext(request, principal), spec.entity, current, next)
            },
            { behavior: 'immediate' },
          ),
        )
        setEtag(reply, row.version)
        discloseRows(request, [row], true)
        return spec.present(row, true)
      },
    )
  }
}
