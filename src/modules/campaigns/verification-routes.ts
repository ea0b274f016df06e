import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Db } from '../../db/client.js'
import { discloseToLink } from '../../lib/access-log.js'
import { ProblemError, problemType } from '../../lib/problem.js'
import { ProblemSchema } from '../../lib/schemas.js'
import { writeTurn } from '../../lib/write-turn.js'
import { Answered, CorrectionPatch, LinkCode, OwnRecord } from './campaigns-schemas.js'
import { confirmLink, openLink, ownRecord, proposeCorrection } from './campaigns-service.js'

/**
 * The one answer for a link that does not work, whatever the reason (unknown, expired, used,
 * its person or campaign deleted): the same status and the same bytes, without the URL (which
 * holds the token) as `instance`, so no answer tells one case from another.
 */
export const INVALID_LINK = new ProblemError(
  404,
  'This link does not work: it is unknown, has expired or has already been used',
  { type: problemType('not-found') },
).toBody()

export function sendInvalidLink(reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .header('cache-control', 'no-store')
    .type('application/problem+json')
    .serializer(JSON.stringify)
    .send(INVALID_LINK)
}

/**
 * Link endpoints are reachable without an account, even with PUBLIC_READ off. The rate-limits
 * plugin counts them against the heavy budget (RATE_LIMIT_HEAVY_MAX per address and minute).
 */
export const linkRouteConfig = { alwaysPublic: true, accessLog: 'contacts' as const }

const errors = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema }
const tags = ['Verification links']
const security = [{}]

export const verificationRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const config = linkRouteConfig
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })

  app.get(
    '/v1/verification/:code',
    {
      config,
      schema: {
        tags,
        operationId: 'getOwnRecord',
        summary: "The record behind a campaign link: the person's own entry and current posts",
        description:
          'No account: the link is the credential. Shows the person their own entry, restricted details ' +
          'included (they are theirs), and nothing about anyone else. An unknown, expired or used link ' +
          'answers the same 404. Rate limited per address.',
        security,
        params: LinkCode,
        response: { 200: OwnRecord, ...errors },
      },
    },
    async (request, reply) => {
      const usable = openLink(db, request.params.code)
      if (!usable) return sendInvalidLink(reply)
      discloseToLink(request, usable.campaign.id, usable.contact)
      return ownRecord(db, usable)
    },
  )

  app.post(
    '/v1/verification/:code/confirm',
    {
      config,
      schema: {
        tags,
        operationId: 'confirmOwnRecord',
        summary: 'Confirm that the entry is correct (spends the link)',
        description:
          "Sets the contact's lastVerifiedAt through its history, with `campaign:<id>` as the actor. The link " +
          'then stops working.',
        security,
        params: LinkCode,
        response: { 200: Answered, ...errors },
      },
    },
    async (request, reply) => {
      const answer = await writeTurn(db).run(() =>
        db.transaction((tx) => confirmLink(tx, request.params.code, request.id), { behavior: 'immediate' }),
      )
      if (!answer) return sendInvalidLink(reply)
      return answer
    },
  )

  app.post(
    '/v1/verification/:code/corrections',
    {
      config,
      schema: {
        tags,
        operationId: 'correctOwnRecord',
        summary: 'Propose corrections to the entry (spends the link)',
        description:
          "An RFC 7396 merge patch of the contact's own fields (names, position title, languages, contact " +
          'details; not notes or the external id). Staff review it before it changes the directory. The link ' +
          'then stops working.',
        security,
        params: LinkCode,
        body: CorrectionPatch,
        response: { 202: Answered, ...errors },
      },
    },
    async (request, reply) => {
      const answer = await writeTurn(db).run(() =>
        db.transaction(
          (tx) => proposeCorrection(tx, request.params.code, request.body as Record<string, unknown>),
          { behavior: 'immediate' },
        ),
      )
      if (!answer) return sendInvalidLink(reply)
      return reply.code(202).send(answer)
    },
  )
}
