import { isNull } from 'drizzle-orm'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import type { Db } from '../../db/client.js'
import { contacts, type ParticipationRow } from '../../db/schema.js'
import { writeContext } from '../../lib/crud-routes.js'
import { forbidden, notFound, type RowError } from '../../lib/problem.js'
import { NameText, ProblemSchema } from '../../lib/schemas.js'
import { createRecord, newId, updateRecord, type WriteContext } from '../../lib/write-path.js'
import { writeTurn } from '../../lib/write-turn.js'
import { type Principal, requireScope } from '../../plugins/auth.js'
import { mayChangeContact } from '../contacts/contacts-repository.js'
import type { ImportFormat } from '../imports/import-parse.js'
import { assignmentAt, findEvent, findParticipationOf } from './training-repository.js'
import {
  ATTENDANCE_COLUMNS,
  AttendanceQuery,
  AttendanceResult,
  ParticipationStatus,
} from './training-schemas.js'

/**
 * One row of an attendance list, empty cells dropped. The person is named by the directory
 * import's rules (externalId or record id, else e-mail); familyName, when given, must be the
 * matched person's, so a typo in a key cannot record someone else.
 */
const AttendanceRow = z
  .strictObject({
    externalId: z.string().trim().min(1).max(200).optional(),
    email: z
      .email('is not a valid email address')
      .max(320)
      .transform((e) => e.toLowerCase())
      .optional(),
    familyName: NameText(200).optional(),
    status: ParticipationStatus.optional(),
    certificateRef: NameText(200).optional(),
    notes: z.string().max(10_000).optional(),
  })
  .refine((r) => r.externalId !== undefined || r.email !== undefined, {
    path: ['externalId'],
    message: 'give externalId (or the contact id) or email to identify the person',
  })
type AttendanceRow = z.infer<typeof AttendanceRow>

/**
 * The import's parsing, matching and conflict checks, loaded with the first attendance list
 * rather than at start-up (they are the import worker's code; the request thread needs them
 * only here).
 */
const importTools = async () => {
  const [parse, service, match] = await Promise.all([
    import('../imports/import-parse.js'),
    import('../imports/import-service.js'),
    import('../imports/person-match.js'),
  ])
  return {
    parseImportBody: parse.parseImportBody,
    Conflicts: service.Conflicts,
    rowsRejected: service.rowsRejected,
    PersonIndex: match.PersonIndex,
  }
}
type ImportTools = Awaited<ReturnType<typeof importTools>>

const FORMATS: Record<string, ImportFormat> = { 'text/csv': 'csv', 'application/json': 'json' }

class DryRunRollback extends Error {
  constructor(readonly result: AttendanceResult) {
    super('dry run')
  }
}

type Outcome = 'created' | 'updated' | 'unchanged'

/**
 * Records an attendance list in one transaction: each row's person gets a participation in the
 * event (created with status `attended` unless the row says otherwise) or has the given cells
 * written over it. Every bad row is 422 and nothing is written; a limited token's rows of people
 * it may not change are 403, naming them.
 */
function applyAttendance(
  { PersonIndex, Conflicts, rowsRejected }: ImportTools,
  db: Db,
  ctx: WriteContext,
  principal: Principal,
  eventId: string,
  rows: { row: number; data: AttendanceRow }[],
  dryRun: boolean,
): AttendanceResult {
  const run = () =>
    db.transaction(
      (tx) => {
        const event = findEvent(tx, eventId)
        if (!event) throw notFound(`No training event ${eventId}`)
        const people = new PersonIndex(tx.select().from(contacts).where(isNull(contacts.deletedAt)).all())
        const errors: RowError[] = []
        const outOfScope: RowError[] = []
        const conflicts = new Conflicts()
        const matched: { row: number; data: AttendanceRow; contactId: string }[] = []
        for (const { row, data } of rows) {
          const match = people.match(data.externalId, data.email, principal.scopes.has('directory:read'))
          const contact = match.contact
          if (!contact) {
            const field = data.externalId !== undefined ? 'externalId' : 'email'
            errors.push({ row, field, message: 'matches no person in the directory' })
            continue
          }
          if (
            data.familyName !== undefined &&
            data.familyName.toLowerCase() !== contact.familyName.toLowerCase()
          ) {
            errors.push({
              row,
              field: 'familyName',
              message: `the matched person's family name is ${JSON.stringify(contact.familyName)}`,
            })
            continue
          }
          const person = `contact:${contact.id}`
          for (const field of ['status', 'certificateRef', 'notes'] as const) {
            conflicts.note(person, 'the same person', field, row, data[field])
          }
          if (!mayChangeContact(tx, principal.states, contact.id)) {
            outOfScope.push({
              row,
              field: match.field,
              message: 'matches a person assigned only in states this token may not change',
            })
          }
          matched.push({ row, data, contactId: contact.id })
        }
        errors.push(...conflicts.errors)
        if (errors.length > 0) throw rowsRejected(errors.sort((a, b) => a.row - b.row))
        if (outOfScope.length > 0) {
          throw forbidden(
            'The list names people of states this token may not change; nothing was recorded',
            outOfScope,
          )
        }
        const outcomes = new Map<string, Outcome>()
        const note = (id: string, outcome: Outcome) => {
          const prev = outcomes.get(id)
          if (prev === 'created' || (prev === 'updated' && outcome === 'unchanged')) return
          outcomes.set(id, outcome)
        }
        for (const { data, contactId } of matched) {
          const current = findParticipationOf(tx, eventId, contactId)
          if (!current) {
            const created = createRecord(tx, ctx, 'participation', {
              id: newId(),
              eventId,
              contactId,
              assignmentId: assignmentAt(tx, contactId, event),
              status: data.status ?? 'attended',
              certificateRef: data.certificateRef ?? null,
              notes: data.notes ?? null,
            })
            note(created.id, 'created')
            continue
          }
          const next: Partial<ParticipationRow> = {}
          if (data.status !== undefined) next.status = data.status
          if (data.certificateRef !== undefined) next.certificateRef = data.certificateRef
          if (data.notes !== undefined) next.notes = data.notes
          const written = updateRecord(tx, ctx, 'participation', current, next)
          note(current.id, written === current ? 'unchanged' : 'updated')
        }
        const result: AttendanceResult = { dryRun, created: 0, updated: 0, unchanged: 0 }
        for (const outcome of outcomes.values()) result[outcome]++
        if (dryRun) throw new DryRunRollback(result)
        return result
      },
      { behavior: 'immediate' },
    )
  try {
    return run()
  } catch (err) {
    if (err instanceof DryRunRollback) return err.result
    throw err
  }
}

export const attendanceRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config }> = async (
  app,
  { db, config },
) => {
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  app.post(
    '/v1/training-events/:id/attendance',
    {
      config: { scope: 'directory:write' },
      schema: {
        tags: ['TrainingEvents'],
        operationId: 'importAttendance',
        summary: "Record an event's attendance list (CSV or a JSON array)",
        description:
          `Columns ${ATTENDANCE_COLUMNS.join(', ')}. The person is named as in the directory import: externalId ` +
          "(or the contact id), else email; familyName, when given, must be the matched person's. A new " +
          'participation gets status `attended` unless the row gives one; an existing one takes the cells ' +
          'given (an empty cell changes nothing). All-or-nothing: 422 lists every bad row; `dryRun=true` ' +
          'reports without writing. Needs directory:write; a states-limited token only for people it may change.',
        security: [{ bearerAuth: [] }],
        consumes: Object.keys(FORMATS),
        params: z.strictObject({ id: z.string().min(1).max(64).meta({ format: 'uuid' }) }),
        querystring: AttendanceQuery,
        body: z
          .union([
            z
              .string()
              .max(config.bodyLimit)
              .describe('CSV text with a header row (at most BODY_LIMIT bytes)'),
            // Elements are checked row by row (422 naming the row); more than IMPORT_MAX_ROWS is 413.
            z
              .array(z.unknown())
              .max(config.importMaxRows)
              .describe('A JSON array of rows (objects of columns), at most IMPORT_MAX_ROWS of them'),
          ])
          .meta({
            // The person of the import's example, by the same key.
            example: [{ externalId: 'kg-001', status: 'completed', certificateRef: 'RC-2025-017' }],
          }),
        response: {
          200: AttendanceResult,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
          413: ProblemSchema,
          415: ProblemSchema,
          422: ProblemSchema,
        },
      },
    },
    async (request) => {
      const principal = requireScope(request, 'directory:write')
      if (!findEvent(db, request.params.id)) throw notFound(`No training event ${request.params.id}`)
      const tools = await importTools()
      const { parseImportBody, rowsRejected } = tools
      const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
      const parsed = parseImportBody(
        FORMATS[mediaType] ?? 'json',
        request.body,
        config.importMaxRows,
        ATTENDANCE_COLUMNS,
      )
      const errors: RowError[] = [...parsed.errors]
      const rows: { row: number; data: AttendanceRow }[] = []
      for (const { row, cells } of parsed.rows) {
        const result = AttendanceRow.safeParse(cells)
        if (result.success) rows.push({ row, data: result.data })
        else {
          for (const issue of result.error.issues)
            errors.push({ row, field: String(issue.path[0] ?? '(row)'), message: issue.message })
        }
      }
      if (errors.length > 0) throw rowsRejected(errors.sort((a, b) => a.row - b.row))
      const ctx = writeContext(request, principal)
      const dryRun = request.query.dryRun ?? false
      return writeTurn(db).run(() =>
        applyAttendance(tools, db, ctx, principal, request.params.id, rows, dryRun),
      )
    },
  )
}
