import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/client.js'
import { disclose, discloseContacts } from '../../lib/access-log.js'
import { negotiate, sendExport } from '../../lib/crud-routes.js'
import { setNextLink } from '../../lib/pagination.js'
import { notFound } from '../../lib/problem.js'
import { mustExist } from '../../lib/references.js'
import { Id, ProblemSchema } from '../../lib/schemas.js'
import { today } from '../../lib/tenure.js'
import { canSeeRestricted } from '../../plugins/auth.js'
import { presentAssignment } from '../assignments/assignments-routes.js'
import { findContact } from '../contacts/contacts-repository.js'
import { presentContact } from '../contacts/contacts-routes.js'
import { closeExports, exportStream } from '../exports/export-runner.js'
import { findOrganization } from '../organizations/organizations-repository.js'
import { presentOrganization } from '../organizations/organizations-routes.js'
import { findRoleByKeyOrId } from '../roles/roles-repository.js'
import { presentRole } from '../roles/roles-routes.js'
import { findState } from '../states/states-repository.js'
import { presentState } from '../states/states-routes.js'
import { type Entry, listDirectory, listTenures, type TenureOwner } from './directory-repository.js'
import { Directory, DirectoryQuery, TenureList, TenuresQuery } from './directory-schemas.js'

/** A holder as the reader may see it: restricted details and notes only with directory:read. */
const presentEntry = (e: Entry, see: boolean) => ({
  role: presentRole(e.role),
  organization: presentOrganization(e.organization, see),
  contact: presentContact(e.contact, see),
  assignment: presentAssignment(e.assignment),
})

export const directoryRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  // Stryker disable next-line ArrowFunction: the contacts routes' onClose closes this database's export worker too
  app.addHook('onClose', () => closeExports(db))
  app.get(
    '/v1/directory',
    {
      config: { feedCached: true, accessLog: 'contacts' },
      schema: {
        tags: ['Directory'],
        operationId: 'getDirectory',
        summary: 'Who holds which role for a state or organization, now or on a past day',
        description:
          'Holders on asOf (default today): a tenure covers startDate up to, not including, ' +
          'endDate. Ordered by role key, the primary holder first, then startDate; paged like lists. ' +
          "Without state, organization or q: every state's holders (and international bodies'), " +
          'for nightly snapshots.',
        security: [
          {},
          // Stryker disable next-line ObjectLiteral,ArrayDeclaration: openapi-polish rewrites a non-empty security list from the route's scope; only the list's length counts
          { bearerAuth: [] },
        ],
        querystring: DirectoryQuery,
        response: {
          200: Directory,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          406: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const q = request.query
      const state = q.state ? mustExist(findState(db, q.state), 'query.state', 'state') : null
      const organization = q.organization
        ? mustExist(findOrganization(db, q.organization), 'query.organization', 'organization')
        : null
      const roleId = q.role ? mustExist(findRoleByKeyOrId(db, q.role), 'query.role', 'role').id : undefined
      const asOf = q.asOf ?? today()
      const filter = {
        state: q.state,
        organizationId: q.organization,
        roleId,
        asOf,
        search: q.q ? { q: q.q, seeRestricted: canSeeRestricted(request) } : undefined,
        limit: q.limit,
        cursor: q.cursor,
      }
      const see = canSeeRestricted(request)
      const type = negotiate(request, ['text/csv'])
      if (type === 'text/csv') {
        // Every holder from the cursor on (limit does not apply), in the import's column layout.
        // Read and written by the export worker (off the request thread), streamed back; the
        // first page is read before anything streams, so a bad cursor is a clean 400.
        return sendExport(
          reply,
          type,
          `directory-${q.state ?? q.organization ?? (q.q ? 'search' : 'all')}-${asOf}`,
          // Stryker disable next-line StringLiteral: the export jobs tell only 'contacts' apart; any other value reads the directory
          await exportStream(db, { what: 'directory', filter, seeRestricted: see }, (ids) =>
            disclose(request, ids),
          ),
        )
      }
      const page = listDirectory(db, filter)
      discloseContacts(
        request,
        page.items.map((e) => e.contact),
        see,
      )
      setNextLink(request, reply, page.nextCursor)
      return {
        state: state ? presentState(state) : null,
        organization: organization ? presentOrganization(organization, see) : null,
        asOf,
        items: page.items.map((e) => presentEntry(e, see)),
        nextCursor: page.nextCursor,
      }
    },
  )

  // A person's or an organization's tenures named in one read: what the console's record pages
  // need, which /v1/assignments (ids only) would take a look-up per role and organization for.
  const tenureRoutes = [
    {
      tag: 'Contacts',
      noun: 'contact',
      path: '/v1/contacts/:id/tenures',
      find: findContact,
      owner: 'contactId',
    },
    {
      tag: 'Organizations',
      noun: 'organization',
      path: '/v1/organizations/:id/tenures',
      find: findOrganization,
      owner: 'organizationId',
    },
  ] as const
  for (const spec of tenureRoutes) {
    app.get(
      spec.path,
      {
        config: { feedCached: true, accessLog: 'contacts' },
        schema: {
          tags: [spec.tag],
          // Stryker disable next-line Regex: both tags ('Contacts', 'Organizations') hold one s, the last letter
          operationId: `list${spec.tag.replace(/s$/, '')}Tenures`,
          summary: `The ${spec.noun}'s tenures, current and ended, with role, contact and organization`,
          description:
            'Every assignment of the ' +
            (spec.owner === 'contactId' ? 'contact' : "organization's people") +
            ' (current and ended; deleted ones, and those of a deleted contact or organization, ' +
            'never), each as a directory entry `{ role, organization, contact, assignment }`, ' +
            'in assignment id order; paged like lists. Restricted details and notes need directory:read.',
          security: [
            {},
            // Stryker disable next-line ObjectLiteral,ArrayDeclaration: openapi-polish rewrites a non-empty security list from the route's scope; only the list's length counts
            { bearerAuth: [] },
          ],
          params: z.strictObject({ id: Id }),
          querystring: TenuresQuery,
          response: {
            200: TenureList,
            400: ProblemSchema,
            401: ProblemSchema,
            403: ProblemSchema,
            404: ProblemSchema,
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params
        if (!spec.find(db, id)) throw notFound(`No ${spec.noun} ${id}`)
        const owner: TenureOwner = spec.owner === 'contactId' ? { contactId: id } : { organizationId: id }
        const page = listTenures(db, owner, request.query)
        const see = canSeeRestricted(request)
        discloseContacts(
          request,
          page.items.map((e) => e.contact),
          see,
        )
        setNextLink(request, reply, page.nextCursor)
        return {
          items: page.items.map((e) => presentEntry(e, see)),
          nextCursor: page.nextCursor,
        }
      },
    )
  }
}
