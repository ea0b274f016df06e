import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { accessLog } from '../../src/plugins/access-log.js'
import { metricsPlugin } from '../../src/plugins/metrics.js'
import { readCachePlugin } from '../../src/plugins/read-cache.js'
import { swaggerPlugin } from '../../src/plugins/swagger.js'
import { textHygienePlugin } from '../../src/plugins/text-hygiene.js'
import { buildSeededApp } from '../helpers/build-test-app.js'

/**
 * Plugin names and dependencies as fastify-plugin enforces them: a plugin that needs the token
 * check refuses to start without `auth` registered before it (with the message naming both),
 * and each plugin is registered under its own name, which is how another plugin would declare
 * that it depends on it. Apps are built inside the tests (see plugins-build.test.ts for why).
 */
describe('plugin dependencies', () => {
  const db = () => openDatabase(':memory:')
  const needingAuth = [
    [
      'read-cache',
      (app: ReturnType<typeof Fastify>) => app.register(readCachePlugin, { db: db(), maxBytes: 0 }),
    ],
    ['text-hygiene', (app: ReturnType<typeof Fastify>) => app.register(textHygienePlugin)],
    [
      'access-log',
      (app: ReturnType<typeof Fastify>) => app.register(accessLog, { db: db(), enabled: false }),
    ],
    ['metrics', (app: ReturnType<typeof Fastify>) => app.register(metricsPlugin, { db: db() })],
  ] as const

  for (const [name, register] of needingAuth) {
    it(`${name} refuses to start without auth`, async () => {
      const app = Fastify({ logger: false })
      register(app)
      await expect(app.ready()).rejects.toThrow(`The dependency 'auth' of plugin '${name}' is not registered`)
      await app.close().catch(() => undefined)
    })
  }
})

describe('plugin names', () => {
  it('the app holds each plugin under its own name', async () => {
    const { app, db } = await buildSeededApp({ METRICS: 'admin' })
    try {
      await app.ready()
      for (const name of ['auth', 'read-cache', 'text-hygiene', 'access-log', 'metrics', 'swagger']) {
        expect(app.hasPlugin(name), name).toBe(true)
      }
      expect(swaggerPlugin).toBeTypeOf('function')
    } finally {
      await app.close()
      db.$client.close()
    }
  })
})
