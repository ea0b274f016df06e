import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import type { Db } from '../../db/client.js'
import type { RevisionRow } from '../../db/schema.js'
import { discloseRevisions } from '../../lib/access-log.js'
import { feedHead } from '../../lib/feed-head.js'
import { ProblemSchema } from '../../lib/schemas.js'
import type { Tx } from '../../lib/write-path.js'
import { canSeeRestricted } from '../../plugins/auth.js'
import { findContact } from '../contacts/contacts-repository.js'
import { findOrganization } from '../organizations/organizations-repository.js'
import { findRole } from '../roles/roles-repository.js'
import { findState } from '../states/states-repository.js'
import { listChanges, presentRevision } from './revisions-repository.js'
import { ChangeFeed, ChangesQuery, type FeedName } from './revisions-schemas.js'

type Named = z.infer<typeof FeedName>['entity']

/** The change fields that point to a record another entity names. */
const POINTERS: Record<string, Named> = {
  contactId: 'contact',
  organizationId: 'organization',
  roleId: 'role',
  parentId: 'organization',
  stateCode: 'state',
}

const NAME_OF: Record<Named, (db: Tx, id: string) => string | undefined> = {
  state: (db, code) => findState(db, code)?.name,
  organization: (db, id) => findOrganization(db, id)?.name,
  role: (db, id) => findRole(db, id)?.name,
  contact: (db, id) => findContact(db, id)?.displayName,
}

/**
 * The current names of the live records a feed page mentions: each revision's subject and the
 * records its changes point to (after the change). Names are public in every view.
 */
function namesOf(db: Tx, rows: readonly RevisionRow[]): z.infer<typeof FeedName>[] {
  const wanted = new Map<string, { entity: Named; id: string }>()
  const want = (entity: Named, id: unknown) => {
    if (typeof id === 'string') wanted.set(`${entity}:${id}`, { entity, id })
  }
  for (const r of rows) {
    if (r.entity in NAME_OF) want(r.entity as Named, r.entityId)
    for (const [field, entity] of Object.entries(POINTERS)) want(entity, r.changes[field]?.after)
  }
  const names: z.infer<typeof FeedName>[] = []
  for (const { entity, id } of wanted.values()) {
    const name = NAME_OF[entity](db, id)
    if (name !== undefined) names.push({ entity, id, name })
  }
  return names
}

export const changesRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/v1/changes',
    {
      config: { feedCached: true, accessLog: 'contacts' },
      schema: {
        tags: ['Changes'],
        operationId: 'listChanges',
        summary: 'The change feed: every write, oldest first',
        description:
          'Every create, update and delete (as a tombstone) of every entity in commit order. Start ' +
          'with after=0 (or after=latest to start from now) and pass nextAfter back until items is empty; ' +
          "replaying the feed rebuilds the directory; each entry carries the record's version. " +
          'names=true adds the current names of the records the page mentions. ' +
          'Readers without directory:read get notes and restricted details removed.',
        security: [{}, { bearerAuth: [] }],
        querystring: ChangesQuery,
        response: { 200: ChangeFeed, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => {
      const { after, limit, names } = request.query
      if (after === 'latest') return { items: [], nextAfter: feedHead(db), ...(names ? { names: [] } : {}) }
      const rows = listChanges(db, after, limit)
      const see = canSeeRestricted(request)
      discloseRevisions(request, db, rows, see)
      return {
        items: rows.map((r) => presentRevision(r, see)),
        ...(names ? { names: namesOf(db, rows) } : {}),
        nextAfter: rows.length > 0 ? (rows[rows.length - 1]?.seq ?? after) : after,
      }
    },
  )
}
