import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { disclose } from '../../src/lib/access-log.js'
import { canSeeRestricted } from '../../src/plugins/auth.js'
import { bearer, buildSeededApp } from '../helpers/build-test-app.js'

/**
 * src/plugins/access-log.ts, condition by condition, on apps built inside each test (never in a
 * beforeAll: Stryker counts a file whose beforeAll failed as no test run) with routes of the
 * test's own, so each status, reader and shutdown path is reached exactly.
 */
interface LogLine {
  level: number
  msg: string
  err?: { message: string }
}

async function withApp(
  check: (
    app: FastifyInstance,
    db: Awaited<ReturnType<typeof buildSeededApp>>['db'],
    log: LogLine[],
  ) => Promise<void>,
  env: Record<string, string> = {},
) {
  const log: LogLine[] = []
  const { app, db } = await buildSeededApp(env, {
    logger: { level: 'error', stream: { write: (line: string) => void log.push(JSON.parse(line)) } },
  })
  try {
    await check(app, db, log)
  } finally {
    await app.close()
    db.$client.close()
  }
}

type Db = Awaited<ReturnType<typeof buildSeededApp>>['db']
const rows = (db: Db) =>
  db.$client
    .prepare(
      'select reader, method, route, request_id as requestId, contact_ids as contactIds from access_log',
    )
    .all()

/** A route that discloses contact `c-1` and answers `status` (given as ?status=). */
function disclosing(app: FastifyInstance) {
  app.get(
    '/test/disclosing',
    { config: { accessLog: 'contacts' } },
    async (
      request: FastifyRequest<{ Querystring: { status?: string; link?: string } }>,
      reply: FastifyReply,
    ) => {
      if (request.query.link) request.accessReader = `link:${request.query.link}`
      disclose(request, ['c-1'])
      return reply.code(Number(request.query.status ?? 200)).send({ ok: true })
    },
  )
}

afterEach(() => {
  vi.useRealTimers()
})

describe('the undeclared-route guard', () => {
  it('fails a restricted answer below 400 (399 included), with a message naming the route; 400 and 404 pass', async () => {
    await withApp(async (app, _db, log) => {
      app.get(
        '/test/forgetful',
        async (request: FastifyRequest<{ Querystring: { status: string } }>, reply: FastifyReply) => {
          const restricted = canSeeRestricted(request)
          return reply.code(Number(request.query.status)).send({ restricted })
        },
      )
      const headers = await bearer('directory:read')
      for (const status of [200, 399]) {
        const res = await app.inject({ method: 'GET', url: `/test/forgetful?status=${status}`, headers })
        expect(res.statusCode).toBe(500)
        expect(res.json().detail).toBe(
          'An unexpected error occurred; quote the x-request-id when reporting it',
        )
      }
      const failures = log.filter((l) => l.err)
      expect(failures.map((l) => l.err?.message)).toEqual([
        'GET /test/forgetful answers restricted fields without declaring its access logging',
        'GET /test/forgetful answers restricted fields without declaring its access logging',
      ])
      for (const status of [400, 404]) {
        const res = await app.inject({ method: 'GET', url: `/test/forgetful?status=${status}`, headers })
        expect(res.statusCode).toBe(status)
        expect(res.json()).toEqual({ restricted: true })
      }
      // Anonymous: nothing restricted was chosen, so the route answers as it likes.
      const anonymous = await app.inject({ method: 'GET', url: '/test/forgetful?status=200' })
      expect(anonymous.statusCode).toBe(200)
      expect(anonymous.json()).toEqual({ restricted: false })
    })
  })

  it('lets a route that declares its logging answer restricted fields', async () => {
    await withApp(async (app) => {
      app.get('/test/declared', { config: { accessLog: 'not-personal' } }, async (request) => ({
        restricted: canSeeRestricted(request),
      }))
      const res = await app.inject({
        method: 'GET',
        url: '/test/declared',
        headers: await bearer('directory:read'),
      })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ restricted: true })
    })
  })
})

describe('the entry', () => {
  it('is written for 200 and 299 only: not for 199, 300, 304, 400 or 404', async () => {
    await withApp(async (app, db) => {
      disclosing(app)
      const headers = await bearer('directory:read', { sub: 'reader-1' })
      const ids: string[] = []
      for (const status of [199, 200, 299, 300, 304, 400, 404]) {
        const res = await app.inject({ method: 'GET', url: `/test/disclosing?status=${status}`, headers })
        expect(res.statusCode).toBe(status)
        if (status === 200 || status === 299) ids.push(res.headers['x-request-id'] as string)
      }
      await app.accessLog.flush()
      expect(rows(db)).toEqual(
        ids.map((requestId) => ({
          reader: 'reader-1',
          method: 'GET',
          route: '/test/disclosing',
          requestId,
          contactIds: '["c-1"]',
        })),
      )
    })
  })

  it('names a campaign link as the reader when no token reads', async () => {
    await withApp(async (app, db, log) => {
      disclosing(app)
      const res = await app.inject({ method: 'GET', url: '/test/disclosing?link=camp-1' })
      expect(res.statusCode).toBe(200)
      await app.accessLog.flush()
      expect(rows(db)).toEqual([
        {
          reader: 'link:camp-1',
          method: 'GET',
          route: '/test/disclosing',
          requestId: res.headers['x-request-id'],
          contactIds: '["c-1"]',
        },
      ])
      expect(log).toEqual([])
    })
  })

  it('is not written for an anonymous answer with no link, nor when nothing was disclosed', async () => {
    await withApp(async (app, db) => {
      disclosing(app)
      app.get('/test/nothing', { config: { accessLog: 'contacts' } }, async (request) => {
        disclose(request, [])
        return { ok: true }
      })
      expect((await app.inject({ method: 'GET', url: '/test/disclosing' })).statusCode).toBe(200)
      const headers = await bearer('directory:read')
      expect((await app.inject({ method: 'GET', url: '/test/nothing', headers })).statusCode).toBe(200)
      await app.accessLog.flush()
      expect(rows(db)).toEqual([])
    })
  })

  it('is not written with ACCESS_LOG=off', async () => {
    await withApp(
      async (app, db) => {
        disclosing(app)
        const res = await app.inject({
          method: 'GET',
          url: '/test/disclosing',
          headers: await bearer('directory:read'),
        })
        expect(res.statusCode).toBe(200)
        await app.accessLog.flush()
        expect(rows(db)).toEqual([])
      },
      { ACCESS_LOG: 'off' },
    )
  })
})

describe('the buffer', () => {
  it('is written when the app closes', async () => {
    const { app, db } = await buildSeededApp()
    try {
      disclosing(app)
      const res = await app.inject({
        method: 'GET',
        url: '/test/disclosing',
        headers: await bearer('directory:read'),
      })
      expect(res.statusCode).toBe(200)
      expect(rows(db)).toEqual([])
      await app.close()
      expect(rows(db)).toHaveLength(1)
    } finally {
      await app.close()
      db.$client.close()
    }
  })

  it('is written every second on its own when the log is on', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    await withApp(async (app, db) => {
      disclosing(app)
      const res = await app.inject({
        method: 'GET',
        url: '/test/disclosing',
        headers: await bearer('directory:read'),
      })
      expect(res.statusCode).toBe(200)
      expect(rows(db)).toEqual([])
      await vi.advanceTimersByTimeAsync(999)
      expect(rows(db)).toEqual([])
      await vi.advanceTimersByTimeAsync(1)
      expect(rows(db)).toHaveLength(1)
    })
  })
})
