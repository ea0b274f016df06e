import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import type { Db } from '../../db/client.js'
import type { ParticipationRow, TrainingEventRow } from '../../db/schema.js'
import { disclose } from '../../lib/access-log.js'
import { registerCrudRoutes } from '../../lib/crud-routes.js'
import { setNextLink } from '../../lib/pagination.js'
import { conflict, forbidden, invalidField, notFound } from '../../lib/problem.js'
import { mustExist } from '../../lib/references.js'
import { Id, ProblemSchema } from '../../lib/schemas.js'
import { newId, type Tx } from '../../lib/write-path.js'
import { canSeeRestricted, type Principal, requireStates } from '../../plugins/auth.js'
import { findAssignment } from '../assignments/assignments-repository.js'
import { findContact, mayChangeContact } from '../contacts/contacts-repository.js'
import { findState } from '../states/states-repository.js'
import { attendanceRoutes } from './attendance.js'
import {
  assignmentAt,
  eventHasParticipations,
  findEvent,
  findParticipation,
  findParticipationOf,
  listEvents,
  listParticipations,
  trainingRecordOf,
} from './training-repository.js'
import {
  Participation,
  ParticipationCreate,
  type ParticipationInput,
  ParticipationList,
  ParticipationListQuery,
  ParticipationPatch,
  TrainingEvent,
  TrainingEventCreate,
  type TrainingEventInput,
  TrainingEventList,
  TrainingEventListQuery,
  TrainingEventPatch,
  TrainingRecord,
  TrainingRecordQuery,
} from './training-schemas.js'

export const presentEvent = ({ deletedAt: _d, ...row }: TrainingEventRow) => row

/** Notes are restricted like a contact's: only readers with directory:read see them. */
export function presentParticipation(row: ParticipationRow, seeRestricted: boolean) {
  const { deletedAt: _d, notes, ...rest } = row
  return seeRestricted ? { ...rest, notes } : rest
}

/** A participation belongs to its person: a limited token records it only for a contact it may change. */
export function requireMayChangeContact(tx: Tx, principal: Principal, contactId: string): void {
  if (!mayChangeContact(tx, principal.states, contactId)) {
    throw forbidden('The contact is assigned only in states this token may not change')
  }
}

export const trainingRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config }> = async (
  app,
  { db, config },
) => {
  registerCrudRoutes<'training-event', TrainingEventInput, TrainingEventListQuery>(app, db, {
    entity: 'training-event',
    basePath: '/v1/training-events',
    tag: 'TrainingEvents',
    noun: 'training event',
    keyParam: Id,
    writeScope: 'directory:write',
    schemas: {
      record: TrainingEvent,
      list: TrainingEventList,
      create: TrainingEventCreate,
      patch: TrainingEventPatch,
      listQuery: TrainingEventListQuery,
    },
    keyOf: (row) => row.id,
    find: findEvent,
    list: (database, query) => {
      if (query.hostState) mustExist(findState(database, query.hostState), 'query.hostState', 'state')
      return listEvents(database, query)
    },
    present: (row) => presentEvent(row),
    toInput: ({ id: _i, version: _v, createdAt: _c, updatedAt: _u, deletedAt: _d, ...input }) => input,
    prepare: (tx, input, current) => {
      const hostStateCode = input.hostStateCode ?? null
      if (hostStateCode !== null) mustExist(findState(tx, hostStateCode), 'hostStateCode', 'state')
      return {
        id: current?.id ?? newId(),
        title: input.title,
        kind: input.kind,
        organisers: [...new Set(input.organisers ?? [])],
        hostStateCode,
        location: input.location ?? null,
        startDate: input.startDate,
        endDate: input.endDate,
        languages: [...new Set(input.languages ?? [])],
        description: input.description ?? null,
        externalRef: input.externalRef ?? null,
      }
    },
    // An event belongs to its host state; one without a host (regional, online) to no state,
    // so only a token not limited to states writes it.
    authorize: (_tx, principal, before, after) => {
      const touched: (string | null)[] = []
      if (before) touched.push(before.hostStateCode)
      if (after) touched.push(after.hostStateCode)
      requireStates(principal, touched)
    },
    beforeDelete: (tx, row) => {
      if (eventHasParticipations(tx, row.id)) {
        throw conflict('The event has participations; delete them first (they are training records)')
      }
    },
  })

  registerCrudRoutes<'participation', ParticipationInput, ParticipationListQuery>(app, db, {
    entity: 'participation',
    basePath: '/v1/participations',
    tag: 'Participations',
    noun: 'participation',
    keyParam: Id,
    writeScope: 'directory:write',
    schemas: {
      record: Participation,
      list: ParticipationList,
      create: ParticipationCreate,
      patch: ParticipationPatch,
      listQuery: ParticipationListQuery,
    },
    keyOf: (row) => row.id,
    find: findParticipation,
    list: (database, query) => {
      if (query.event) mustExist(findEvent(database, query.event), 'query.event', 'training event')
      if (query.contact) mustExist(findContact(database, query.contact), 'query.contact', 'contact')
      return listParticipations(database, query)
    },
    present: presentParticipation,
    personOf: (row) => (row.notes !== null ? row.contactId : null),
    toInput: ({ id: _i, version: _v, createdAt: _c, updatedAt: _u, deletedAt: _d, ...input }) => input,
    prepare: (tx, input, current) => {
      const event = mustExist(findEvent(tx, input.eventId), 'eventId', 'training event')
      mustExist(findContact(tx, input.contactId), 'contactId', 'contact')
      const given = input.assignmentId ?? null
      if (given !== null) mustExist(findAssignment(tx, given), 'assignmentId', 'assignment')
      return {
        id: current?.id ?? newId(),
        eventId: input.eventId,
        contactId: input.contactId,
        assignmentId: given ?? assignmentAt(tx, input.contactId, event),
        status: input.status,
        certificateRef: input.certificateRef ?? null,
        notes: input.notes ?? null,
      }
    },
    authorize: (tx, principal, before, after) => {
      if (before) requireMayChangeContact(tx, principal, before.contactId)
      if (after && after.contactId !== before?.contactId)
        requireMayChangeContact(tx, principal, after.contactId)
    },
    check: (tx, fields) => {
      if (fields.assignmentId !== null) {
        const held = findAssignment(tx, fields.assignmentId)
        const event = findEvent(tx, fields.eventId)
        if (held?.contactId !== fields.contactId) {
          throw invalidField('assignmentId', 'is not an assignment of the contact')
        }
        if (
          event &&
          (held.startDate > event.endDate || (held.endDate !== null && held.endDate <= event.startDate))
        ) {
          throw invalidField('assignmentId', 'was not held during the event')
        }
      }
      const other = findParticipationOf(tx, fields.eventId, fields.contactId)
      if (other && other.id !== fields.id) {
        throw conflict(`The contact already has participation ${other.id} in this event`)
      }
    },
  })

  app.get(
    '/v1/contacts/:id/training',
    {
      config: { feedCached: true, accessLog: 'contacts' },
      schema: {
        tags: ['Participations'],
        operationId: 'getTrainingRecord',
        summary: "A person's training record",
        description:
          'Every participation of the contact with its event, newest event first; each names the post the ' +
          'person held then. Notes need directory:read.',
        security: [{}, { bearerAuth: [] }],
        params: z.strictObject({ id: Id }),
        querystring: TrainingRecordQuery,
        response: {
          200: TrainingRecord,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      if (!findContact(db, id)) throw notFound(`No contact ${id}`)
      const see = canSeeRestricted(request)
      const page = trainingRecordOf(db, id, request.query)
      if (see && page.items.some((r) => r.participation.notes !== null)) disclose(request, [id])
      setNextLink(request, reply, page.nextCursor)
      return {
        items: page.items.map((r) => ({
          event: presentEvent(r.event),
          participation: presentParticipation(r.participation, see),
        })),
        nextCursor: page.nextCursor,
      }
    },
  )

  await app.register(attendanceRoutes, { db, config })
}
