import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Db } from '../../db/client.js'
import { subtractDuration } from '../../lib/duration.js'
import { paginate, setNextLink } from '../../lib/pagination.js'
import { mustExist } from '../../lib/references.js'
import { ProblemSchema } from '../../lib/schemas.js'
import { today } from '../../lib/tenure.js'
import { findRoleByKeyOrId } from '../roles/roles-repository.js'
import { findState } from '../states/states-repository.js'
import { TrainedCoverage, TrainedCoverageQuery } from './trained-coverage-schemas.js'

interface Untrained {
  contactId: string
  displayName: string
  assignmentId: string
  lastCompleted: string | null
}

interface HolderRow {
  stateCode: string
  roleKey: string
  assignmentId: string
  contactId: string
  displayName: string
  lastCompleted: string | null
}

/** States with a current holder (of `roleId`, when given), a page at a time by code. */
function statesWithHolders(
  db: Db,
  day: string,
  filter: {
    state?: string | undefined
    roleId?: string | undefined
    limit: number
    cursor?: string | undefined
  },
) {
  return paginate(
    db,
    filter,
    (r: { code: string; name: string }) => r.code,
    (after, take) =>
      db.$client
        .prepare(
          `select s.code, s.name from states s
            where s.deleted_at is null and s.code > ?
              and (? is null or s.code = ?)
              and exists (select 1 from assignments a
                           where a.state_code = s.code and a.deleted_at is null
                             and (? is null or a.role_id = ?)
                             and a.start_date <= ? and (a.end_date is null or a.end_date > ?))
            order by s.code limit ?`,
        )
        .all(
          after ?? '',
          filter.state ?? null,
          filter.state ?? null,
          filter.roleId ?? null,
          filter.roleId ?? null,
          day,
          day,
          take,
        ) as { code: string; name: string }[],
  )
}

/**
 * Today's holders in `stateCodes`, each with the end date of the last event the person
 * completed (any post, any time; null when never): the person is trained, not the post.
 */
function holdersWithTraining(db: Db, stateCodes: string[], roleId: string | undefined, day: string) {
  // Stryker disable next-line ArrayDeclaration: with no state on the page, no holder is ever looked at
  if (stateCodes.length === 0) return []
  return db.$client
    .prepare(
      `select a.state_code as stateCode, r.key as roleKey, a.id as assignmentId, c.id as contactId,
              c.display_name as displayName,
              (select max(e.end_date) from participations p
                 join training_events e on e.id = p.event_id and e.deleted_at is null
                where p.contact_id = c.id and p.deleted_at is null and p.status = 'completed') as lastCompleted
         from assignments a
         join contacts c on c.id = a.contact_id
         join roles r on r.id = a.role_id
        where a.deleted_at is null
          and a.state_code in (select value from json_each(?))
          and (? is null or a.role_id = ?)
          and a.start_date <= ? and (a.end_date is null or a.end_date > ?)
        order by a.state_code, r.key, c.display_name, c.id, a.id`,
    )
    .all(JSON.stringify(stateCodes), roleId ?? null, roleId ?? null, day, day) as HolderRow[]
}

export const trainedCoverageRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/v1/reports/trained-coverage',
    {
      config: { feedCached: true },
      schema: {
        tags: ['Reports'],
        operationId: 'trainedCoverageReport',
        summary: 'Of the current holders per state and role, who completed training within a period',
        description:
          'Per state with current holders (`state=` one state) and role (`role=` one role), how many of the ' +
          'holders completed a training event that ended within `period` (default P3Y) before today, and who ' +
          'did not (`lastCompleted` null: never), to invite. Only `completed` participations count. Pages by state.',
        security: [
          {},
          // Stryker disable next-line ObjectLiteral,ArrayDeclaration: openapi-polish rewrites a non-empty security list from the route's scope; only the list's length counts
          { bearerAuth: [] },
        ],
        querystring: TrainedCoverageQuery,
        response: { 200: TrainedCoverage, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (request, reply) => {
      const q = request.query
      if (q.state) mustExist(findState(db, q.state), 'query.state', 'state')
      const roleId = q.role ? mustExist(findRoleByKeyOrId(db, q.role), 'query.role', 'role').id : undefined
      const since = subtractDuration(q.period, new Date(), 'query.period').toISOString().slice(0, 10)
      const day = today()
      const page = statesWithHolders(db, day, { state: q.state, roleId, limit: q.limit, cursor: q.cursor })
      const holders = holdersWithTraining(
        db,
        page.items.map((s) => s.code),
        roleId,
        day,
      )
      setNextLink(request, reply, page.nextCursor)
      return {
        period: q.period,
        since,
        items: page.items.map((s) => {
          const roles = new Map<
            string,
            { role: string; holders: number; trained: number; untrained: Untrained[] }
          >()
          for (const h of holders) {
            if (h.stateCode !== s.code) continue
            let entry = roles.get(h.roleKey)
            if (!entry) {
              entry = { role: h.roleKey, holders: 0, trained: 0, untrained: [] }
              roles.set(h.roleKey, entry)
            }
            entry.holders++
            if (h.lastCompleted !== null && h.lastCompleted >= since) entry.trained++
            else {
              entry.untrained.push({
                contactId: h.contactId,
                displayName: h.displayName,
                assignmentId: h.assignmentId,
                lastCompleted: h.lastCompleted,
              })
            }
          }
          return { stateCode: s.code, name: s.name, roles: [...roles.values()] }
        }),
        nextCursor: page.nextCursor,
      }
    },
  )
}
