import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/client.js'
import { ProblemError, problemType } from '../../lib/problem.js'
import { ProblemSchema } from '../../lib/schemas.js'

const Status = z.object({ status: z.enum(['ok', 'ready']) }).meta({ id: 'HealthStatus' })

// The probes answer fixed objects: plain JSON.stringify, so the first probe after start-up
// does not wait for the schema serializer to load (the first API response pays for that).
const plainJson = () => (data: unknown) => JSON.stringify(data)

export const healthRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/healthz',
    {
      serializerCompiler: plainJson,
      schema: {
        tags: ['Operations'],
        operationId: 'healthz',
        summary: 'Liveness: the process answers',
        description: 'For a process supervisor: 200 while the process runs. No token, no rate limit.',
        security: [],
        response: { 200: Status },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      serializerCompiler: plainJson,
      schema: {
        tags: ['Operations'],
        operationId: 'readyz',
        summary: 'Readiness: the database answers',
        description:
          'For a load balancer: 200 when the database answers, else 503 problem+json. No token, no rate limit.',
        security: [],
        response: { 200: Status, 503: ProblemSchema },
      },
    },
    async () => {
      try {
        db.$client.prepare('select 1').get()
      } catch {
        throw new ProblemError(503, 'The database does not answer', {
          type: problemType('not-ready'),
        })
      }
      return { status: 'ready' as const }
    },
  )
}
