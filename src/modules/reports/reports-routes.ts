import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Db } from '../../db/client.js'
import { subtractDuration } from '../../lib/duration.js'
import { setNextLink } from '../../lib/pagination.js'
import { mustExist } from '../../lib/references.js'
import { ProblemSchema } from '../../lib/schemas.js'
import { today } from '../../lib/tenure.js'
import { findRoleByKeyOrId } from '../roles/roles-repository.js'
import { findState, listStates } from '../states/states-repository.js'
import { countHolders, listStale } from './reports-repository.js'
import { Coverage, CoverageQuery, Stale, StaleQuery } from './reports-schemas.js'

const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema }

export const reportsRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/v1/reports/coverage',
    {
      config: { feedCached: true },
      schema: {
        tags: ['Reports'],
        operationId: 'coverageReport',
        summary: 'Which states lack a current holder of which required role',
        description:
          'Per state, each required role (default `national-poc`; `roles=` a comma list) with its number of ' +
          'current holders and whether it is vacant; filter with `osce=true` or `state=`. Pages like a list.',
        security: [
          {},
          // Stryker disable next-line ObjectLiteral,ArrayDeclaration: openapi-polish rewrites a non-empty security list from the route's scope; only the list's length counts
          { bearerAuth: [] },
        ],
        querystring: CoverageQuery,
        response: { 200: Coverage, ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query
      const keys = [...new Set((q.roles ?? 'national-poc').split(',').map((k) => k.trim()))]
      const roles = keys.map((k) => mustExist(findRoleByKeyOrId(db, k), 'query.roles', `role ${k}`))
      if (q.state) mustExist(findState(db, q.state), 'query.state', 'state')
      const page = q.state
        ? // Stryker disable next-line MethodExpression: mustExist above has found the state, so the filter keeps it
          { items: [findState(db, q.state)].filter((s) => s !== undefined), nextCursor: null }
        : listStates(db, { limit: q.limit, cursor: q.cursor, osce: q.osce })
      const counts = countHolders(
        db,
        page.items.map((s) => s.code),
        roles.map((r) => r.id),
        today(),
      )
      setNextLink(request, reply, page.nextCursor)
      return {
        roles: roles.map((r) => r.key),
        items: page.items.map((s) => ({
          stateCode: s.code,
          name: s.name,
          roles: roles.map((r) => {
            const holders = counts.get(`${s.code}|${r.id}`) ?? 0
            return { role: r.key, holders, vacant: holders === 0 }
          }),
        })),
        nextCursor: page.nextCursor,
      }
    },
  )

  app.get(
    '/v1/reports/stale',
    {
      schema: {
        tags: ['Reports'],
        operationId: 'staleReport',
        summary: 'Contacts and organizations not verified for longer than a duration',
        description: 'Compares lastVerifiedAt, or the creation time when never verified; stalest first.',
        security: [
          {},
          // Stryker disable next-line ObjectLiteral,ArrayDeclaration: openapi-polish rewrites a non-empty security list from the route's scope; only the list's length counts
          { bearerAuth: [] },
        ],
        querystring: StaleQuery,
        response: { 200: Stale, ...errors },
      },
    },
    async (request, reply) => {
      const cutoff = subtractDuration(request.query.olderThan, new Date(), 'query.olderThan').toISOString()
      const page = listStale(db, cutoff, request.query)
      setNextLink(request, reply, page.nextCursor)
      return {
        items: page.items.map(({ entity, id, name, lastVerifiedAt }) => ({
          entity,
          id,
          name,
          lastVerifiedAt,
        })),
        nextCursor: page.nextCursor,
      }
    },
  )
}
