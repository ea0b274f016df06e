import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Db } from '../../db/client.js'
import { discloseRevisions } from '../../lib/access-log.js'
import { feedHead } from '../../lib/feed-head.js'
import { ProblemSchema } from '../../lib/schemas.js'
import { canSeeRestricted } from '../../plugins/auth.js'
import { listChanges, presentRevision } from './revisions-repository.js'
import { ChangeFeed, ChangesQuery } from './revisions-schemas.js'

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
          'Readers without directory:read get notes and restricted details removed.',
        security: [{}, { bearerAuth: [] }],
        querystring: ChangesQuery,
        response: { 200: ChangeFeed, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request) => {
      const { after, limit } = request.query
      if (after === 'latest') return { items: [], nextAfter: feedHead(db) }
      const rows = listChanges(db, after, limit)
      const see = canSeeRestricted(request)
      discloseRevisions(request, db, rows, see)
      return {
        items: rows.map((r) => presentRevision(r, see)),
        nextAfter: rows.length > 0 ? (rows[rows.length - 1]?.seq ?? after) : after,
      }
    },
  )
}
