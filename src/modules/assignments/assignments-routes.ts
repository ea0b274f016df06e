import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/client.js'
import type { AssignmentRow, OrganizationRow } from '../../db/schema.js'
import { registerCrudRoutes, setEtag, writeContext } from '../../lib/crud-routes.js'
import { conflict, forbidden, invalidField, notFound } from '../../lib/problem.js'
import { mustExist } from '../../lib/references.js'
import { Id, IfMatchHeaders, ProblemSchema } from '../../lib/schemas.js'
import { isCurrent } from '../../lib/tenure.js'
import { assertIfMatch, createRecord, newId, type Tx, updateRecord } from '../../lib/write-path.js'
import { writeTurn } from '../../lib/write-turn.js'
import { type Principal, requireScope, requireStates } from '../../plugins/auth.js'
import { findContact, mayChangeContact } from '../contacts/contacts-repository.js'
import { findOrganization } from '../organizations/organizations-repository.js'
import { findRole, findRoleByKeyOrId } from '../roles/roles-repository.js'
import { findState } from '../states/states-repository.js'
import {
  findAssignment,
  findCurrentHolding,
  findOverlappingPrimary,
  listAssignments,
} from './assignments-repository.js'
import {
  Assignment,
  AssignmentCreate,
  type AssignmentInput,
  AssignmentList,
  AssignmentListQuery,
  AssignmentPatch,
  HandoverBody,
  HandoverResult,
} from './assignments-schemas.js'

/** Attaching is changing: a limited token may give a post only to a contact it may already change. */
function requireMayAttach(tx: Tx, principal: Principal, contactId: string): void {
  if (!mayChangeContact(tx, principal.states, contactId)) {
    throw forbidden('The contact is assigned only in states this token may not change')
  }
}

export const presentAssignment = ({ deletedAt: _d, ...row }: AssignmentRow) => row

export const assignmentsRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  registerCrudRoutes<'assignment', AssignmentInput, AssignmentListQuery>(app, db, {
    entity: 'assignment',
    basePath: '/v1/assignments',
    tag: 'Assignments',
    noun: 'assignment',
    keyParam: Id,
    writeScope: 'directory:write',
    schemas: {
      record: Assignment,
      list: AssignmentList,
      create: AssignmentCreate,
      patch: AssignmentPatch,
      listQuery: AssignmentListQuery,
    },
    keyOf: (row) => row.id,
    find: findAssignment,
    list: (database, { role, ...query }) => {
      if (query.state) mustExist(findState(database, query.state), 'query.state', 'state')
      if (query.organization) {
        mustExist(findOrganization(database, query.organization), 'query.organization', 'organization')
      }
      if (query.contact) mustExist(findContact(database, query.contact), 'query.contact', 'contact')
      const roleId = role ? mustExist(findRoleByKeyOrId(database, role), 'query.role', 'role').id : undefined
      return listAssignments(database, { ...query, roleId })
    },
    present: (row) => presentAssignment(row),
    toInput: ({
      id: _i,
      succeededBy: _s,
      version: _v,
      createdAt: _c,
      updatedAt: _u,
      deletedAt: _d,
      ...input
    }) => input,
    prepare: (tx, input, current) => {
      mustExist(findContact(tx, input.contactId), 'contactId', 'contact')
      mustExist(findRole(tx, input.roleId), 'roleId', 'role')
      const org = mustExist(findOrganization(tx, input.organizationId), 'organizationId', 'organization')
      // A move to another organization takes its state unless the patch names one.
      const movedWithoutState =
        current !== undefined &&
        input.organizationId !== current.organizationId &&
        input.stateCode === current.stateCode
      const stateCode = input.stateCode === undefined || movedWithoutState ? org.stateCode : input.stateCode
      if (stateCode !== null) mustExist(findState(tx, stateCode), 'stateCode', 'state')
      return {
        id: current?.id ?? newId(),
        contactId: input.contactId,
        roleId: input.roleId,
        organizationId: input.organizationId,
        stateCode,
        startDate: input.startDate,
        endDate: input.endDate ?? null,
        endReason: input.endReason ?? null,
        isPrimary: input.isPrimary ?? false,
        succeededBy: current?.succeededBy ?? null,
        designationRef: input.designationRef ?? null,
        designationDate: input.designationDate ?? null,
      }
    },
    authorize: (tx, principal, before, after) => {
      const touched: (string | null)[] = []
      if (before) touched.push(before.stateCode)
      if (after) {
        touched.push(after.stateCode)
        // The organization's state too: an assignment claiming KG at a KZ ministry is KZ's.
        const org = findOrganization(tx, after.organizationId)
        if (org?.kind === 'government') touched.push(org.stateCode)
      }
      requireStates(principal, touched)
      if (after && after.contactId !== before?.contactId) requireMayAttach(tx, principal, after.contactId)
    },
    check: (tx, fields) => {
      const org = findOrganization(tx, fields.organizationId) as OrganizationRow
      if (org.kind === 'government' && fields.stateCode !== org.stateCode) {
        throw invalidField('stateCode', `must equal the organization's state (${org.stateCode})`)
      }
      if ((org.kind === 'international' || org.kind === 'regional') && fields.stateCode !== null) {
        throw invalidField('stateCode', `must be null for an assignment at a ${org.kind} body`)
      }
      if (fields.isPrimary) {
        const holder = findOverlappingPrimary(tx, fields)
        if (holder) {
          throw conflict(
            `Assignment ${holder.id} is the primary holder of this role for an overlapping period; end it or hand it over first`,
          )
        }
      }
    },
    beforeDelete: (_tx, row) => {
      if (!isCurrent(row.endDate)) {
        throw conflict('Ended assignments are the contact history and are not deleted')
      }
    },
  })

  app.post(
    '/v1/assignments/:id/handover',
    {
      config: { scope: 'directory:write' },
      schema: {
        tags: ['Assignments'],
        operationId: 'handOverAssignment',
        summary: 'End a tenure and start the successor in one step',
        description:
          'Ends the assignment on `date` and starts the successor (same role, organization and state, ' +
          "isPrimary carried over) on the same day; the old one's succeededBy points at the new one. " +
          'Needs directory:write for the state. 409 when the assignment has already ended or the ' +
          'successor already holds the role there.',
        security: [
          // Stryker disable next-line ObjectLiteral,ArrayDeclaration: openapi-polish rewrites a non-empty security list from the route's scope; only the list's length counts
          { bearerAuth: [] },
        ],
        params: z.strictObject({ id: Id }),
        headers: IfMatchHeaders,
        body: HandoverBody,
        response: {
          201: HandoverResult,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema,
          412: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const principal = requireScope(request, 'directory:write')
      const body = request.body
      const result = await writeTurn(db).run(() =>
        db.transaction(
          (tx) => {
            const old = findAssignment(tx, request.params.id)
            if (!old) throw notFound(`No assignment ${request.params.id}`)
            mustExist(findContact(tx, body.contactId), 'contactId', 'contact')
            // DESIGN's order: body (400), states rule (403), conflicts (409), preconditions (412).
            requireStates(principal, [old.stateCode])
            requireMayAttach(tx, principal, body.contactId)
            if (!isCurrent(old.endDate)) throw conflict(`The assignment already ended on ${old.endDate}`)
            // A handover dated in the future leaves the tenure current until then: once only.
            if (old.succeededBy !== null) {
              throw conflict(`The assignment is already handed over to assignment ${old.succeededBy}`)
            }
            if (old.endDate !== null && body.date > old.endDate) {
              throw invalidField('date', `must not be after the tenure's planned end ${old.endDate}`)
            }
            if (body.date < old.startDate) {
              throw invalidField('date', `must not be before the tenure's startDate ${old.startDate}`)
            }
            if (findCurrentHolding(tx, { ...old, contactId: body.contactId })) {
              throw conflict('The successor already holds this role there')
            }
            assertIfMatch(request.headers['if-match'], old.version)
            const ctx = writeContext(request, principal)
            const startedId = newId()
            // The successor first: succeededBy is a foreign key to it.
            const started = createRecord(tx, ctx, 'assignment', {
              id: startedId,
              contactId: body.contactId,
              roleId: old.roleId,
              organizationId: old.organizationId,
              stateCode: old.stateCode,
              startDate: body.date,
              endDate: null,
              endReason: null,
              isPrimary: old.isPrimary,
              succeededBy: null,
              designationRef: body.designationRef ?? null,
              designationDate: body.designationDate ?? null,
            })
            const ended = updateRecord(tx, ctx, 'assignment', old, {
              endDate: body.date,
              endReason: body.endReason ?? old.endReason,
              succeededBy: startedId,
            })
            return { ended, started }
          },
          { behavior: 'immediate' },
        ),
      )
      setEtag(reply, result.started.version)
      reply.header('location', `/v1/assignments/${result.started.id}`)
      return reply.code(201).send({
        ended: presentAssignment(result.ended),
        started: presentAssignment(result.started),
      })
    },
  )
}
