import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { Db } from '../db/client.js'
import { AccessLogWriter } from '../lib/access-log.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The access log's buffer (flush it to read what was logged). */
    accessLog: AccessLogWriter
  }
}

export interface AccessLogOptions {
  db: Db
  /** ACCESS_LOG: off records nothing (the routes still declare what they disclose). */
  enabled: boolean
}

/**
 * Records one access-log entry per successful answer that carried restricted details or notes
 * of contacts (docs/privacy.md#access-log), after the answer is sent, into a buffer written in
 * batches. A route that chose restricted fields without declaring how it logs them fails loudly.
 */
const accessLogPlugin: FastifyPluginAsync<AccessLogOptions> = async (app, { db, enabled }) => {
  const writer = new AccessLogWriter(db)
  app.decorate('accessLog', writer)
  if (enabled) writer.start()

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.restrictedRead && reply.statusCode < 400 && !request.routeOptions.config.accessLog) {
      throw new Error(
        `${request.method} ${request.routeOptions.url} answers restricted fields without declaring its access logging`,
      )
    }
    return payload
  })

  app.addHook('onResponse', async (request, reply) => {
    const contacts = request.disclosedContacts
    const reader = request.principal?.sub ?? request.accessReader
    if (!enabled || !contacts || contacts.size === 0 || !reader) return
    if (reply.statusCode < 200 || reply.statusCode >= 300) return
    writer.push({
      at: new Date().toISOString(),
      reader,
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      requestId: request.id,
      contactIds: contacts,
    })
  })

  app.addHook('onClose', () => writer.close())
}

export const accessLog = fp(accessLogPlugin, { name: 'access-log', dependencies: ['auth'] })
