import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import type { Db } from '../../db/client.js'
import { disclose, discloseContacts } from '../../lib/access-log.js'
import { writeContext } from '../../lib/crud-routes.js'
import { setNextLink } from '../../lib/pagination.js'
import { conflict, forbidden, notFound } from '../../lib/problem.js'
import { proposesRestricted } from '../../lib/restricted.js'
import { Id, ProblemSchema } from '../../lib/schemas.js'
import { writeTurn } from '../../lib/write-turn.js'
import { type Principal, requireScope } from '../../plugins/auth.js'
import { presentContact } from '../contacts/contacts-routes.js'
import { Contact } from '../contacts/contacts-schemas.js'
import { listAccessLog } from './access-log-repository.js'
import { eraseContact, findAnyContact, isErased, withSecureDelete } from './erasure.js'
import { personalData } from './personal-data.js'
import { AccessLogList, AccessLogQuery, EraseBody, PersonalData, PrivacyNotice } from './privacy-schemas.js'
import { applyRetention } from './retention.js'

const Params = z.strictObject({ id: Id })
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]))
const security = [{ bearerAuth: [] }]
const DAY_MS = 86_400_000
/** The first retention run waits this long after start-up, so it never competes with it. */
const FIRST_RUN_MS = 60_000

/** Privacy routes reach across states (history, the whole access log): unlimited admins only. */
function requireUnlimitedAdmin(p: Principal, what: string): void {
  if (p.states !== null) throw forbidden(`A token limited to states may not ${what}`)
}

export const privacyRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config }> = async (
  app,
  { db, config },
) => {
  const loadContact = (id: string) => {
    const row = findAnyContact(db, id)
    if (!row) throw notFound(`No contact ${id}`)
    return row
  }

  app.post(
    '/v1/contacts/:id/erase',
    {
      config: { scope: 'directory:admin', accessLog: 'contacts' },
      schema: {
        tags: ['Privacy'],
        operationId: 'eraseContact',
        summary: "Erase a person's personal data",
        description:
          'Needs directory:admin from a token not limited to states. Empties the contact details, notes, ' +
          'honorific, languages and externalId (and the names, when ERASURE_KEEP_NAME is false) in the ' +
          'record and in every earlier revision, re-indexes search, and writes an `erase` revision with ' +
          'the reason. Assignments are untouched. Works on deleted contacts too; erasing again with ' +
          'nothing written since the last erase is 409. ' +
          'See docs/privacy.md.',
        security,
        params: Params,
        body: EraseBody,
        response: { 200: Contact, ...errors(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const principal = requireScope(request, 'directory:admin')
      requireUnlimitedAdmin(principal, 'erase people')
      const row = await writeTurn(db).run(() =>
        withSecureDelete(db, () =>
          db.transaction(
            (tx) => {
              const current = loadContact(request.params.id)
              if (isErased(tx, current.id)) {
                throw conflict(`Contact ${current.id} was erased already and has not changed since`)
              }
              return eraseContact(
                tx,
                writeContext(request, principal),
                current,
                request.body.reason,
                config.erasureKeepName,
              )
            },
            { behavior: 'immediate' },
          ),
        ),
      )
      // The WAL's copies of the rewritten pages go at the next checkpoint; ask for one now.
      db.$client.pragma('wal_checkpoint(PASSIVE)')
      discloseContacts(request, [row], true)
      return presentContact(row, true)
    },
  )

  app.get(
    '/v1/contacts/:id/personal-data',
    {
      config: { scope: 'directory:admin', accessLog: 'contacts' },
      schema: {
        tags: ['Privacy'],
        operationId: 'getPersonalData',
        summary: 'Everything held about a person, as one document',
        description:
          'Needs directory:admin from a token not limited to states. The record with notes and ' +
          'restricted details, its live tenures, its history and the access-log entries about it. ' +
          'Deleted and erased contacts answer too. The read is itself logged.',
        security,
        params: Params,
        response: { 200: PersonalData, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const principal = requireScope(request, 'directory:admin')
      requireUnlimitedAdmin(principal, 'read personal-data documents')
      const row = loadContact(request.params.id)
      const document = personalData(db, row)
      discloseContacts(request, [row], true)
      // Their participation notes and proposed corrections are their restricted data too.
      if (
        document.training.some((t) => 'notes' in t.participation && t.participation.notes !== null) ||
        document.campaigns.some((c) => c.corrections.some((x) => proposesRestricted(x.patch)))
      ) {
        disclose(request, [row.id])
      }
      return document
    },
  )

  app.get(
    '/v1/access-log',
    {
      config: { scope: 'directory:admin' },
      schema: {
        tags: ['Privacy'],
        operationId: 'listAccessLog',
        summary: 'Who read restricted details or notes of whom',
        description:
          'Needs directory:admin from a token not limited to states. Newest first, paged like lists; ' +
          'filters: contact, reader (token subject), from (inclusive) and to (exclusive). Entries are ' +
          'written in batches, within about a second of the read.',
        security,
        querystring: AccessLogQuery,
        response: { 200: AccessLogList, ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const principal = requireScope(request, 'directory:admin')
      requireUnlimitedAdmin(principal, 'read the access log')
      const page = listAccessLog(db, request.query)
      setNextLink(request, reply, page.nextCursor)
      return page
    },
  )

  const notice = {
    controller: config.privacyNotice.controller,
    contact: config.privacyNotice.contact,
    purpose: config.privacyNotice.purpose,
    retention: {
      endedTenureMonths: config.retentionEndedMonths,
      accessLogDays: config.accessLogRetentionDays,
    },
    text: config.privacyNotice.text,
  }
  app.get(
    '/v1/privacy',
    {
      config: { alwaysPublic: true },
      schema: {
        tags: ['Privacy'],
        operationId: 'getPrivacyNotice',
        summary: 'The privacy notice',
        description:
          'Who controls the personal data in the directory, why it is held, how long, and whom to ask. ' +
          'No token needed, even when PUBLIC_READ is off.',
        security: [],
        response: { 200: PrivacyNotice, ...errors(429) },
      },
    },
    async () => notice,
  )

  // The daily retention job: erases people past RETENTION_ENDED_MONTHS (when set) and trims the
  // access log to ACCESS_LOG_RETENTION_DAYS; stopped with the app.
  let timer: NodeJS.Timeout | null = null
  const run = async () => {
    try {
      const report = await applyRetention(db, {
        months: config.retentionEndedMonths,
        accessLogDays: config.accessLogRetentionDays,
        keepName: config.erasureKeepName,
        dryRun: false,
      })
      app.log.info(
        {
          erased: report.erased.map((p) => p.id),
          accessLogRemoved: report.accessLogRemoved,
          cutoff: report.cutoff,
        },
        'retention applied',
      )
    } catch (err) {
      app.log.error({ err }, 'retention failed')
    }
    timer = setTimeout(() => void run(), DAY_MS).unref()
  }
  app.addHook('onReady', async () => {
    timer = setTimeout(() => void run(), FIRST_RUN_MS).unref()
  })
  app.addHook('onClose', async () => {
    if (timer) clearTimeout(timer)
    timer = null
  })
}
