import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { WebhookConfig } from '../../config.js'
import type { Db } from '../../db/client.js'
import { closeDeliveryLog, openDeliveryLog } from './delivery-log.js'
import { deliveries } from './delivery-runner.js'
import { webhooksRoutes } from './webhooks-routes.js'

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Webhook subscriptions, their delivery log (a file of its own, delivery-log.ts) and their
 * delivery loop. The loop starts when the app is ready (unless
 * WEBHOOK_DELIVERY is off), in its own worker thread (delivery-runner.ts), wakes after every
 * successful write so deliveries follow commits closely, and is stopped, in-flight requests
 * aborted and what was delivered stored, when the app closes.
 */
const webhooks: FastifyPluginAsync<{ db: Db; config: WebhookConfig }> = async (app, { db, config }) => {
  const deliveryLog = openDeliveryLog(db)
  const loop = deliveries(db, deliveryLog, config, app.log.child({ module: 'webhooks' }))
  await app.register(webhooksRoutes, { db, deliveryLog, config, loop })
  app.addHook('onClose', async () => {
    if (config.delivery) await loop.stop()
    closeDeliveryLog(deliveryLog, db)
  })
  if (!config.delivery) return
  app.addHook('onReady', async () => loop.start())
  app.addHook('onResponse', async (request, reply) => {
    if (WRITES.has(request.method) && reply.statusCode < 400) loop.nudge()
  })
}

export const webhooksPlugin = fp(webhooks, { name: 'webhooks' })
