import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Db } from '../../db/client.js'
import type { OrganizationRow } from '../../db/schema.js'
import { visibleDetails } from '../../lib/contact-details.js'
import { registerCrudRoutes } from '../../lib/crud-routes.js'
import { conflict, invalidField } from '../../lib/problem.js'
import { mustExist } from '../../lib/references.js'
import { Id } from '../../lib/schemas.js'
import { newId } from '../../lib/write-path.js'
import { requireStates } from '../../plugins/auth.js'
import { findState } from '../states/states-repository.js'
import {
  findOrganization,
  findOrganizationByExternalId,
  hasAssignments,
  hasChildren,
  hasCurrentAssignments,
  listOrganizations,
} from './organizations-repository.js'
import {
  Organization,
  OrganizationCreate,
  type OrganizationInput,
  OrganizationList,
  OrganizationListQuery,
  OrganizationPatch,
} from './organizations-schemas.js'

export function presentOrganization(row: OrganizationRow, seeRestricted: boolean) {
  const { deletedAt: _d, ...rest } = row
  return { ...rest, contactDetails: visibleDetails(row.contactDetails, seeRestricted) }
}

export const organizationsRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  registerCrudRoutes<'organization', OrganizationInput, OrganizationListQuery>(app, db, {
    entity: 'organization',
    basePath: '/v1/organizations',
    tag: 'Organizations',
    noun: 'organization',
    keyParam: Id,
    writeScope: 'directory:write',
    verifiable: true,
    schemas: {
      record: Organization,
      list: OrganizationList,
      create: OrganizationCreate,
      patch: OrganizationPatch,
      listQuery: OrganizationListQuery,
    },
    keyOf: (row) => row.id,
    find: findOrganization,
    list: (database, query, seeRestricted) => {
      if (query.state) mustExist(findState(database, query.state), 'query.state', 'state')
      if (query.parent) mustExist(findOrganization(database, query.parent), 'query.parent', 'organization')
      return listOrganizations(database, query, seeRestricted)
    },
    present: presentOrganization,
    toInput: (row) => ({
      name: row.name,
      acronym: row.acronym,
      kind: row.kind,
      stateCode: row.stateCode,
      parentId: row.parentId,
      website: row.website,
      contactDetails: row.contactDetails,
      externalId: row.externalId,
    }),
    prepare: (tx, input, current) => {
      const stateCode = input.stateCode ?? null
      if ((input.kind === 'international' || input.kind === 'regional') && stateCode !== null) {
        throw invalidField('stateCode', `must be null for ${input.kind} organizations`)
      }
      if (input.kind === 'government' && stateCode === null) {
        throw invalidField('stateCode', 'is required for government organizations')
      }
      if (stateCode !== null) mustExist(findState(tx, stateCode), 'stateCode', 'state')
      const parentId = input.parentId ?? null
      if (parentId !== null) mustExist(findOrganization(tx, parentId), 'parentId', 'organization')
      return {
        id: current?.id ?? newId(),
        name: input.name,
        acronym: input.acronym ?? null,
        kind: input.kind,
        stateCode,
        parentId,
        website: input.website ?? null,
        contactDetails: input.contactDetails ?? [],
        externalId: input.externalId ?? null,
        lastVerifiedAt: current?.lastVerifiedAt ?? null,
      }
    },
    authorize: (_tx, principal, before, after) => {
      const touched = [before?.stateCode, after?.stateCode].filter((s) => s !== undefined)
      requireStates(principal, touched)
    },
    check: (tx, { id, stateCode, parentId, externalId }, current) => {
      if (parentId !== null) {
        const parent = findOrganization(tx, parentId) as OrganizationRow
        if (parent.stateCode !== stateCode) {
          throw invalidField('parentId', 'must be an organization of the same state')
        }
        // Walk up from the new parent: meeting this organization would make a cycle.
        for (let at: OrganizationRow | undefined = parent; at; ) {
          if (at.id === id) throw invalidField('parentId', 'would make the organization its own ancestor')
          at = at.parentId ? findOrganization(tx, at.parentId) : undefined
        }
      }
      if (current && current.stateCode !== stateCode && (hasChildren(tx, id) || hasAssignments(tx, id))) {
        throw conflict(
          'The organization has departments or assignments in its state; it cannot move to another state',
        )
      }
      if (externalId !== null) {
        const clash = findOrganizationByExternalId(tx, externalId)
        if (clash && clash.id !== id)
          throw conflict(`externalId ${externalId} belongs to another organization`)
      }
    },
    beforeDelete: (tx, row) => {
      if (hasChildren(tx, row.id)) throw conflict('The organization still has departments')
      if (hasCurrentAssignments(tx, row.id)) {
        throw conflict('The organization has current assignments; end or hand them over first')
      }
    },
  })
}
