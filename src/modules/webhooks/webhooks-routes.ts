import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { WebhookConfig } from '../../config.js'
import type { Db } from '../../db/client.js'
import type { WebhookRow } from '../../db/schema.js'
import { notModified, setEtag, writeContext } from '../../lib/crud-routes.js'
import { feedHead } from '../../lib/feed-head.js'
import { applyMergePatch } from '../../lib/merge-patch.js'
import { setNextLink } from '../../lib/pagination.js'
import { invalidField, notFound } from '../../lib/problem.js'
import { Id, IfMatchHeaders, IfNoneMatchHeaders, ProblemSchema } from '../../lib/schemas.js'
import {
  assertIfMatch,
  createRecord,
  deleteRecord,
  type FieldsOf,
  newId,
  now,
  type Tx,
  updateRecord,
} from '../../lib/write-path.js'
import { writeTurn } from '../../lib/write-turn.js'
import { requireScope, requireUnlimited } from '../../plugins/auth.js'
import { issuesToErrors, validationProblem } from '../../plugins/errors.js'
import { listHistory } from '../revisions/revisions-repository.js'
import { findState } from '../states/states-repository.js'
import { listDeliveries } from './delivery-log.js'
import type { Deliveries } from './delivery-runner.js'
import { resolveTarget, UnresolvedTarget, UnsafeTarget } from './targets.js'
import {
  currentSecret,
  cursorOf,
  findWebhook,
  forgetWebhook,
  listWebhooks,
  newSecret,
  presentWebhook,
  resetFailures,
  setSecret,
  startCursor,
} from './webhooks-repository.js'
import {
  DeliveryLog,
  DeliveryLogEntry,
  DeliveryLogQuery,
  Webhook,
  WebhookCreate,
  WebhookHistoryQuery,
  type WebhookInput,
  WebhookList,
  WebhookListQuery,
  WebhookPatch,
  WebhookRevisionList,
  WebhookWithSecret,
} from './webhooks-schemas.js'

const TAG = 'Webhooks'
const SCOPE = 'directory:admin' as const
const security = [{ bearerAuth: [] }]
const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]))
const NOTE = 'Needs directory:admin from a token not limited to states (subscriptions see every state).'
const Params = z.strictObject({ id: Id })
const URL_MAX = 2000

/** Every webhook route: admin scope (401/403 before the body), then no `states` limit (403). */
function admin(request: FastifyRequest) {
  const principal = requireScope(request, SCOPE)
  requireUnlimited(principal, 'webhook subscriptions')
  return principal
}

const toInput = (row: WebhookRow): Record<string, unknown> => ({
  url: row.url,
  entities: row.entities,
  states: row.states,
  active: row.active,
  description: row.description,
  includeRestricted: row.includeRestricted,
})

/**
 * The URL as the service will request it (http://2130706433/ is stored as http://127.0.0.1/), so
 * what admins read and the history show is where deliveries go. The target was checked already.
 */
function normalizedUrl(text: string): string {
  const { href } = new URL(text)
  if (href.length > URL_MAX)
    throw invalidField('url', `must be at most ${URL_MAX} characters once normalized`)
  return href
}

/** The stored fields for validated input; unknown state codes are the request's fault (400). */
function prepare(tx: Tx, input: WebhookInput, current: WebhookRow | undefined): FieldsOf<'webhook'> {
  const url = normalizedUrl(input.url)
  for (const [i, code] of (input.states ?? []).entries()) {
    if (!findState(tx, code)) throw invalidField(`states.${i}`, `is not a known state code (${code})`)
  }
  return {
    id: current?.id ?? newId(),
    url,
    entities: input.entities ?? null,
    states: input.states ?? null,
    active: input.active,
    description: input.description ?? null,
    includeRestricted: input.includeRestricted,
    disabledReason: input.active ? null : (current?.disabledReason ?? null),
    secretRotatedAt: current?.secretRotatedAt ?? null,
  }
}

/**
 * Checks the target before any write (resolving is asynchronous, transactions are not). A host
 * that resolves to a refused address is refused; one that does not resolve yet is accepted for
 * https (a partner may publish its DNS later): every send resolves and checks again anyway.
 */
async function checkTarget(url: string, config: WebhookConfig): Promise<void> {
  try {
    await resolveTarget(url, config)
  } catch (err) {
    if (err instanceof UnresolvedTarget && new URL(url).protocol === 'https:') return
    if (err instanceof UnsafeTarget) throw invalidField('url', err.message)
    throw err
  }
}

export const webhooksRoutes: FastifyPluginAsyncZod<{
  db: Db
  deliveryLog: Db
  config: WebhookConfig
  loop: Deliveries
}> = async (app, { db, deliveryLog, config, loop }) => {
  const load = (tx: Tx, id: string) => {
    const row = findWebhook(tx, id)
    if (!row) throw notFound(`No webhook subscription ${id}`)
    return row
  }
  const present = (tx: Tx, row: WebhookRow) => presentWebhook(row, cursorOf(tx, row.id))

  app.get(
    '/v1/webhooks',
    {
      config: { scope: SCOPE },
      schema: {
        tags: [TAG],
        operationId: 'listWebhooks',
        summary: 'List webhook subscriptions',
        description: NOTE,
        security,
        querystring: WebhookListQuery,
        response: { 200: WebhookList, ...problems(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      admin(request)
      const page = listWebhooks(db, request.query)
      setNextLink(request, reply, page.nextCursor)
      return { items: page.items.map((r) => present(db, r)), nextCursor: page.nextCursor }
    },
  )

  app.post(
    '/v1/webhooks',
    {
      config: { scope: SCOPE },
      schema: {
        tags: [TAG],
        operationId: 'createWebhook',
        summary: 'Create a webhook subscription',
        description: `${NOTE} Answers the signing secret, once. Deliveries start with the next change after this one.`,
        security,
        body: WebhookCreate,
        response: { 201: WebhookWithSecret, ...problems(400, 401, 403, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const principal = admin(request)
      await checkTarget(request.body.url, config)
      const secret = newSecret()
      const created = await writeTurn(db).run(() =>
        db.transaction(
          (tx) => {
            const fields = prepare(tx, request.body, undefined)
            const row = createRecord(tx, writeContext(request, principal), 'webhook', fields)
            setSecret(tx, row.id, secret)
            startCursor(tx, row.id, feedHead(db))
            return { ...present(tx, row), secret }
          },
          { behavior: 'immediate' },
        ),
      )
      setEtag(reply, created.version)
      reply.header('location', `/v1/webhooks/${created.id}`)
      return reply.code(201).send(created)
    },
  )

  app.get(
    '/v1/webhooks/:id',
    {
      config: { scope: SCOPE },
      schema: {
        tags: [TAG],
        operationId: 'getWebhook',
        summary: 'Read a webhook subscription',
        description: `${NOTE} Answers ETag; If-None-Match with it answers 304. The secret is never shown again.`,
        security,
        params: Params,
        headers: IfNoneMatchHeaders,
        response: {
          200: Webhook,
          304: z.null().describe('Not modified'),
          ...problems(400, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      admin(request)
      const row = load(db, request.params.id)
      setEtag(reply, row.version)
      if (notModified(request, row.version)) return reply.code(304).send(null)
      return present(db, row)
    },
  )

  app.patch(
    '/v1/webhooks/:id',
    {
      config: { scope: SCOPE },
      schema: {
        tags: [TAG],
        operationId: 'updateWebhook',
        summary: 'Update a webhook subscription (JSON Merge Patch)',
        description:
          `${NOTE} Setting active to true again clears disabledReason and resumes from the stored ` +
          'position (nothing missed is skipped). Send If-Match to avoid lost updates.',
        security,
        params: Params,
        headers: IfMatchHeaders,
        body: WebhookPatch,
        response: { 200: Webhook, ...problems(400, 401, 403, 404, 412, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const principal = admin(request)
      const patchedUrl = (request.body as { url?: unknown }).url
      if (typeof patchedUrl === 'string') await checkTarget(patchedUrl, config)
      const row = await writeTurn(db).run(() =>
        db.transaction(
          (tx) => {
            const current = load(tx, request.params.id)
            const merged = applyMergePatch(toInput(current), request.body)
            const parsed = WebhookCreate.safeParse(merged)
            if (!parsed.success) throw validationProblem(issuesToErrors(parsed.error.issues))
            const fields = prepare(tx, parsed.data, current)
            assertIfMatch(request.headers['if-match'], current.version)
            if (fields.active && !current.active) resetFailures(tx, current.id)
            return updateRecord(tx, writeContext(request, principal), 'webhook', current, fields)
          },
          { behavior: 'immediate' },
        ),
      )
      setEtag(reply, row.version)
      return present(db, row)
    },
  )

  app.delete(
    '/v1/webhooks/:id',
    {
      config: { scope: SCOPE },
      schema: {
        tags: [TAG],
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook subscription',
        description: `${NOTE} Stops deliveries; the secret, position and delivery log are dropped; the history stays.`,
        security,
        params: Params,
        headers: IfMatchHeaders,
        response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 412, 429) },
      },
    },
    async (request, reply) => {
      const principal = admin(request)
      const deleted = await writeTurn(db).run(() =>
        db.transaction(
          (tx) => {
            const current = load(tx, request.params.id)
            assertIfMatch(request.headers['if-match'], current.version)
            deleteRecord(tx, writeContext(request, principal), 'webhook', current)
            forgetWebhook(tx, current.id)
            return current.id
          },
          { behavior: 'immediate' },
        ),
      )
      await loop.forget(deleted)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/v1/webhooks/:id/history',
    {
      config: { scope: SCOPE },
      schema: {
        tags: [TAG],
        operationId: 'historyWebhook',
        summary: 'Revisions of a webhook subscription, newest first',
        description: `${NOTE} These revisions are not in the public change feed. A deleted subscription keeps its history.`,
        security,
        params: Params,
        querystring: WebhookHistoryQuery,
        response: { 200: WebhookRevisionList, ...problems(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      admin(request)
      const page = listHistory(db, 'webhook', request.params.id, request.query)
      if (page.items.length === 0 && !request.query.cursor) {
        throw notFound(`No webhook subscription ${request.params.id}`)
      }
      setNextLink(request, reply, page.nextCursor)
      // Revisions of entity webhook hold the subscription's own fields, as WebhookRevision types them.
      return page as unknown as z.output<typeof WebhookRevisionList>
    },
  )

  app.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      config: { scope: SCOPE },
      schema: {
        tags: [TAG],
        operationId: 'rotateWebhookSecret',
        summary: 'Replace the signing secret',
        description:
          `${NOTE} Answers the new secret, once. For WEBHOOK_SECRET_OVERLAP_MS deliveries carry a ` +
          'signature with the old secret too, so a receiver can switch without losing a message.',
        security,
        params: Params,
        headers: IfMatchHeaders,
        response: { 200: WebhookWithSecret, ...problems(401, 403, 404, 412, 429) },
      },
    },
    async (request, reply) => {
      const principal = admin(request)
      const secret = newSecret()
      const rotated = await writeTurn(db).run(() =>
        db.transaction(
          (tx) => {
            const current = load(tx, request.params.id)
            assertIfMatch(request.headers['if-match'], current.version)
            const at = now()
            const previous = currentSecret(tx, current.id)
            setSecret(
              tx,
              current.id,
              secret,
              previous
                ? { secret: previous, until: new Date(Date.parse(at) + config.secretOverlapMs).toISOString() }
                : undefined,
            )
            const row = updateRecord(tx, writeContext(request, principal), 'webhook', current, {
              secretRotatedAt: at,
            })
            return { ...present(tx, row), secret }
          },
          { behavior: 'immediate' },
        ),
      )
      setEtag(reply, rotated.version)
      return rotated
    },
  )

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { scope: SCOPE },
      schema: {
        tags: [TAG],
        operationId: 'listWebhookDeliveries',
        summary: 'The delivery log of a subscription, newest first',
        description: `${NOTE} Each attempt: seq, attempt, status, duration, error; the newest WEBHOOK_LOG_KEEP are kept.`,
        security,
        params: Params,
        querystring: DeliveryLogQuery,
        response: { 200: DeliveryLog, ...problems(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      admin(request)
      load(db, request.params.id)
      const page = listDeliveries(db, deliveryLog, request.params.id, request.query)
      setNextLink(request, reply, page.nextCursor)
      return page
    },
  )

  app.post(
    '/v1/webhooks/:id/ping',
    {
      config: { scope: SCOPE },
      schema: {
        tags: [TAG],
        operationId: 'pingWebhook',
        summary: 'Send a signed ping to the target now',
        description:
          `${NOTE} Sends \`{ "type": "ping", "webhookId", "at" }\` signed like every delivery (webhook-id ` +
          '`ping_<uuid>`), active or not, and answers the attempt as logged. The feed position does not move.',
        security,
        params: Params,
        response: { 200: DeliveryLogEntry, ...problems(401, 403, 404, 429) },
      },
    },
    async (request) => {
      admin(request)
      const row = load(db, request.params.id)
      return loop.ping(row.id, row.url)
    },
  )
}
