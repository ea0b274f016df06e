import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Db } from '../../db/client.js'
import type { AssignmentRow } from '../../db/schema.js'
import { registerCrudRoutes } from '../../lib/crud-routes.js'
import { conflict, invalidField } from '../../lib/problem.js'
import { mustExist } from '../../lib/references.js'
import { Id } from '../../lib/schemas.js'
import { isCurrent } from '../../lib/tenure.js'
import { newId } from '../../lib/write-path.js'
import { requireStates } from '../../plugins/auth.js'
import { findContact } from '../contacts/contacts-repository.js'
import { findOrganization } from '../organizations/organizations-repository.js'
import { findRole, findRoleByKeyOrId } from '../roles/roles-repository.js'
import { findState } from '../states/states-repository.js'
import { findAssignment, findCurrentPrimary, listAssignments } from './assignments-repository.js'
import {
  Assignment,
  AssignmentCreate,
  type AssignmentInput,
  AssignmentList,
  AssignmentListQuery,
  AssignmentPatch,
} from './assignments-schemas.js'

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
      const id = current?.id ?? newId()
      mustExist(findContact(tx, input.contactId), 'contactId', 'contact')
      mustExist(findRole(tx, input.roleId), 'roleId', 'role')
      const org = mustExist(findOrganization(tx, input.organizationId), 'organizationId', 'organization')
      const stateCode = input.stateCode === undefined ? org.stateCode : input.stateCode
      if (org.kind === 'government' && stateCode !== org.stateCode) {
        throw invalidField('stateCode', `must equal the organization's state (${org.stateCode})`)
      }
      if ((org.kind === 'international' || org.kind === 'regional') && stateCode !== null) {
        throw invalidField('stateCode', `must be null for an assignment at a ${org.kind} body`)
      }
      if (stateCode !== null) mustExist(findState(tx, stateCode), 'stateCode', 'state')
      const fields = {
        id,
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
      if (fields.isPrimary && isCurrent(fields.endDate)) {
        const holder = findCurrentPrimary(tx, fields, id)
        if (holder) {
          throw conflict(
            `Assignment ${holder.id} is already the current primary holder of this role; end it or hand it over first`,
          )
        }
      }
      return fields
    },
    authorize: (_tx, principal, before, after) => {
      requireStates(
        principal,
        [before?.stateCode, after?.stateCode].filter((s) => s !== undefined),
      )
    },
    beforeDelete: (_tx, row) => {
      if (!isCurrent(row.endDate)) {
        throw conflict('Ended assignments are the contact history and are not deleted')
      }
    },
  })
}
