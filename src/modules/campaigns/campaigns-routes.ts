import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import type { Db } from '../../db/client.js'
import type { CorrectionRow } from '../../db/schema.js'
import { disclose } from '../../lib/access-log.js'
import { negotiate, sendExport, writeContext } from '../../lib/crud-routes.js'
import { protectCell } from '../../lib/csv-cells.js'
import { lazy } from '../../lib/lazy.js'
import { setNextLink } from '../../lib/pagination.js'
import { conflict, notFound } from '../../lib/problem.js'
import { proposesRestricted } from '../../lib/restricted.js'
import { Id, ProblemSchema } from '../../lib/schemas.js'
import { writeTurn } from '../../lib/write-turn.js'
import { requireScope } from '../../plugins/auth.js'
import { findContact } from '../contacts/contacts-repository.js'
import { hasHistory, listHistory, presentRevision } from '../revisions/revisions-repository.js'
import { RevisionList } from '../revisions/revisions-schemas.js'
import { sendCampaignMail } from './campaign-mail.js'
import { correctionsOf, findCampaign, findCorrection, listCampaigns } from './campaigns-repository.js'
import {
  Campaign,
  CampaignCreate,
  CampaignCreated,
  CampaignList,
  CampaignListQuery,
  CampaignParams,
  CampaignReport,
  Correction,
  CorrectionList,
  IssuedLink,
  MAX_TARGETS,
  RejectBody,
  SendResult,
} from './campaigns-schemas.js'
import {
  acceptCorrection,
  campaignReport,
  createCampaign,
  presentCampaign,
  reissueUnanswered,
  rejectCorrection,
  requireCampaignStates,
} from './campaigns-service.js'

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, ProblemSchema])) as Record<number, typeof ProblemSchema>

const security = [{ bearerAuth: [] }]
const WRITE = 'directory:write' as const
const tags = ['Campaigns']
const NOTE =
  'Needs directory:write; a token limited to states works only on campaigns wholly within its states.'

export const MailMerge = z
  .object({ items: z.array(IssuedLink).max(MAX_TARGETS) })
  .meta({ id: 'CampaignMailMerge' })

const CSV_HEADER = ['name', 'email', 'link']
const csv = lazy<typeof import('csv-stringify/sync')>('csv-stringify/sync')

/** A proposed patch with restricted contact details is the person's restricted data: logged. */
function discloseCorrections(
  request: FastifyRequest,
  rows: Pick<CorrectionRow, 'contactId' | 'patch'>[],
): void {
  const ids = rows.filter((r) => proposesRestricted(r.patch)).map((r) => r.contactId)
  if (ids.length) disclose(request, ids)
}

/** The links answer each person's first e-mail address; a restricted one is logged like any read. */
function discloseEmails(
  request: FastifyRequest,
  db: Db,
  links: { contactId: string; email: string | null }[],
) {
  const ids = links
    .filter(
      (l) =>
        l.email !== null &&
        findContact(db, l.contactId)?.contactDetails.some(
          (d) => d.type === 'email' && d.value === l.email && d.visibility === 'restricted',
        ),
    )
    .map((l) => l.contactId)
  if (ids.length) disclose(request, ids)
}

export const campaignsRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config }> = async (
  app,
  { db, config },
) => {
  const base = config.publicBaseUrl

  const loadFor = (request: Parameters<typeof requireScope>[0], id: string) => {
    const principal = requireScope(request, WRITE)
    const campaign = findCampaign(db, id)
    if (!campaign) throw notFound(`No campaign ${id}`)
    requireCampaignStates(principal, campaign)
    return { principal, campaign }
  }

  app.get(
    '/v1/campaigns',
    {
      config: { scope: WRITE },
      schema: {
        tags,
        operationId: 'listCampaigns',
        summary: 'List verification campaigns, newest first',
        description: NOTE,
        security,
        querystring: CampaignListQuery,
        response: { 200: CampaignList, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE)
      const page = listCampaigns(db, principal.states, request.query)
      setNextLink(request, reply, page.nextCursor)
      return { items: page.items.map(presentCampaign), nextCursor: page.nextCursor }
    },
  )

  app.post(
    '/v1/campaigns',
    {
      config: { scope: WRITE, accessLog: 'contacts' },
      schema: {
        tags,
        operationId: 'createCampaign',
        summary: 'Start a verification campaign: one single-use link per targeted person',
        description:
          `${NOTE} Targets the current holders of the roles (all when \`roles\` is absent) in the states; a ` +
          'person holding several targeted posts gets one link. The links (tokens) are in this answer only: ' +
          'the service keeps their SHA-256. They expire at the end of the due day (UTC).',
        security,
        body: CampaignCreate,
        response: { 201: CampaignCreated, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE)
      const created = await writeTurn(db).run(() =>
        db.transaction(
          (tx) => createCampaign(tx, writeContext(request, principal), principal, request.body, base),
          { behavior: 'immediate' },
        ),
      )
      discloseEmails(request, db, created.links)
      reply.header('cache-control', 'no-store')
      reply.header('etag', `"${created.campaign.version}"`)
      reply.header('location', `/v1/campaigns/${created.campaign.id}`)
      return reply.code(201).send({ campaign: presentCampaign(created.campaign), links: created.links })
    },
  )

  app.get(
    '/v1/campaigns/:id',
    {
      config: { scope: WRITE },
      schema: {
        tags,
        operationId: 'getCampaign',
        summary: 'Read a campaign',
        description: NOTE,
        security,
        params: CampaignParams,
        response: { 200: Campaign, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { campaign } = loadFor(request, request.params.id)
      reply.header('etag', `"${campaign.version}"`)
      return presentCampaign(campaign)
    },
  )

  app.get(
    '/v1/campaigns/:id/history',
    {
      config: { scope: WRITE },
      schema: {
        tags,
        operationId: 'historyCampaign',
        summary: 'Revisions of a campaign, newest first',
        description: NOTE,
        security,
        params: CampaignParams,
        querystring: CampaignListQuery,
        response: { 200: RevisionList, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      loadFor(request, request.params.id)
      if (!hasHistory(db, 'campaign', request.params.id)) throw notFound(`No campaign ${request.params.id}`)
      const page = listHistory(db, 'campaign', request.params.id, request.query)
      setNextLink(request, reply, page.nextCursor)
      return { items: page.items.map((r) => presentRevision(r, true)), nextCursor: page.nextCursor }
    },
  )

  app.get(
    '/v1/campaigns/:id/report',
    {
      config: { scope: WRITE },
      schema: {
        tags,
        operationId: 'campaignReport',
        summary: 'Who confirmed, who corrected, who has not answered; escalations after the due date',
        description:
          `${NOTE} Per state (of the posts that made each person a target) and person: \`confirmed\`, ` +
          "`corrected` or `no-answer`. After the due date, `escalations` lists everyone without an answer with the state's " +
          'current mission-poc holders to follow up through.',
        security,
        params: CampaignParams,
        response: { 200: CampaignReport, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => campaignReport(db, loadFor(request, request.params.id).campaign),
  )

  app.get(
    '/v1/campaigns/:id/corrections',
    {
      config: { scope: WRITE, accessLog: 'contacts' },
      schema: {
        tags,
        operationId: 'listCampaignCorrections',
        summary: "The corrections people proposed through the campaign's links",
        description: NOTE,
        security,
        params: CampaignParams,
        querystring: CampaignListQuery,
        response: { 200: CorrectionList, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      loadFor(request, request.params.id)
      const page = correctionsOf(db, request.params.id, request.query)
      discloseCorrections(request, page.items)
      setNextLink(request, reply, page.nextCursor)
      return page
    },
  )

  app.post(
    '/v1/campaigns/:id/mail-merge',
    {
      config: { scope: WRITE, accessLog: 'contacts' },
      schema: {
        tags,
        operationId: 'mailMergeCampaign',
        summary: 'Fresh links for everyone who has not answered, for a mail merge (JSON or CSV)',
        description:
          `${NOTE} Issues a new token to each person who has not answered; the links issued before stop ` +
          'working. `Accept: text/csv` answers `name,email,link` rows (cells protected against spreadsheet ' +
          'formulas). 409 after the due date.',
        security,
        params: CampaignParams,
        response: { 200: MailMerge, ...errors(400, 401, 403, 404, 406, 409) },
      },
    },
    async (request, reply) => {
      const type = negotiate(request, ['text/csv'])
      const { campaign } = loadFor(request, request.params.id)
      const issued = await writeTurn(db).run(() =>
        db.transaction((tx) => reissueUnanswered(tx, campaign, base), { behavior: 'immediate' }),
      )
      discloseEmails(
        request,
        db,
        issued.map((i) => i.link),
      )
      reply.header('cache-control', 'no-store')
      if (type === 'text/csv') {
        const rows = issued.map(({ link }) => [link.name, link.email ?? '', link.link].map(protectCell))
        return sendExport(reply, 'text/csv', `campaign-${campaign.id}`, [
          csv().stringify([CSV_HEADER, ...rows]),
        ])
      }
      return { items: issued.map((i) => i.link) }
    },
  )

  app.post(
    '/v1/campaigns/:id/send',
    {
      config: { scope: WRITE },
      schema: {
        tags,
        operationId: 'sendCampaign',
        summary: 'E-mail fresh links to everyone who has not answered (needs SMTP_URL)',
        description:
          `${NOTE} Like the mail merge, issues new tokens (earlier links stop working) and sends each person ` +
          'with an e-mail address the campaign message and their link. 409 when SMTP_URL is not configured or ' +
          'after the due date.',
        security,
        params: CampaignParams,
        response: { 200: SendResult, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { campaign } = loadFor(request, request.params.id)
      const smtp = config.smtp
      if (!smtp) throw conflict('Sending needs SMTP_URL; use the mail merge instead')
      const issued = await writeTurn(db).run(() =>
        db.transaction((tx) => reissueUnanswered(tx, campaign, base), { behavior: 'immediate' }),
      )
      return sendCampaignMail(smtp, campaign, issued, request.log)
    },
  )

  const CorrectionParams = z.strictObject({ id: Id })

  /** One review of a stored correction (accept or reject), in the write turn, then logged. */
  const review = (
    request: FastifyRequest,
    id: string,
    decide: (tx: Parameters<Parameters<Db['transaction']>[0]>[0], correction: CorrectionRow) => CorrectionRow,
  ) =>
    writeTurn(db)
      .run(() =>
        db.transaction(
          (tx) => {
            const correction = findCorrection(tx, id)
            if (!correction) throw notFound(`No correction ${id}`)
            return decide(tx, correction)
          },
          { behavior: 'immediate' },
        ),
      )
      .then((answered) => {
        discloseCorrections(request, [answered])
        return answered
      })

  app.post(
    '/v1/corrections/:id/accept',
    {
      config: { scope: WRITE, accessLog: 'contacts' },
      schema: {
        tags,
        operationId: 'acceptCorrection',
        summary: 'Apply a proposed correction to the contact',
        description:
          'Needs directory:write and, for a limited token, the contact in its states. Writes the change ' +
          "through the contact's history with the reviewer and the campaign both named in the actor, and sets " +
          'lastVerifiedAt. 409 when the correction was already reviewed or the contact changed since it was proposed.',
        security,
        params: CorrectionParams,
        response: { 200: Correction, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = requireScope(request, WRITE)
      return review(request, request.params.id, (tx, correction) =>
        acceptCorrection(tx, principal, correction, request.id),
      )
    },
  )

  app.post(
    '/v1/corrections/:id/reject',
    {
      config: { scope: WRITE, accessLog: 'contacts' },
      schema: {
        tags,
        operationId: 'rejectCorrection',
        summary: 'Turn down a proposed correction, with the reason',
        description:
          'Needs directory:write and, for a limited token, the contact in its states. 409 when already reviewed.',
        security,
        params: CorrectionParams,
        body: RejectBody,
        response: { 200: Correction, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const principal = requireScope(request, WRITE)
      return review(request, request.params.id, (tx, correction) =>
        rejectCorrection(tx, principal, correction, request.body.reason),
      )
    },
  )
}
