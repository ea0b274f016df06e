import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { errorsPlugin } from '../../src/plugins/errors.js'
import { swaggerPlugin } from '../../src/plugins/swagger.js'
import { buildSeededApp, buildTestApp } from '../helpers/build-test-app.js'

/**
 * src/plugins/swagger.ts beyond the document itself (plugins-swagger.test.ts compares that with
 * the contract): what the reference at /docs passes on from the documentation app (its CSP, its
 * validators, 304s, the client's Connection over a socket), which trailing-slash URLs it answers,
 * the documentation app's log level and its failures (a 500, a build retried), and the route
 * hints read from route config. Apps are built inside each test.
 */
interface LogLine {
  level: number
  msg: string
  component?: string
  err?: { message: string }
}

/** swagger-ui's own CSP for its static pages (`staticCSP: true`), passed on unchanged. */
const SWAGGER_UI_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; frame-ancestors 'self'; img-src 'self' data: validator.swagger.io; object-src 'none'; script-src 'self' ; script-src-attr 'none'; style-src 'self' https: ; upgrade-insecure-requests;"

const NOT_FOUND = (url: string) => ({
  type: 'urn:pocdir:problem:not-found',
  title: 'Not Found',
  status: 404,
  detail: `No route GET ${url}`,
  instance: url,
})

const INTERNAL = (url: string) => ({
  type: 'urn:pocdir:problem:internal-error',
  title: 'Internal Server Error',
  status: 500,
  detail: 'An unexpected error occurred; quote the x-request-id when reporting it',
  instance: url,
})

async function withApp(check: (app: FastifyInstance) => Promise<void>) {
  const { app, db } = await buildSeededApp()
  try {
    await check(app)
  } finally {
    await app.close()
    db.$client.close()
  }
}

/**
 * The plugin alone with the service's error answers and zod compilers, logging at `level` into
 * the returned lines (`false`: logging off), and routes of the test's own.
 */
async function withDocs(
  level: string | false,
  routes: (app: FastifyInstance) => void,
  check: (app: FastifyInstance, log: LogLine[]) => Promise<void>,
) {
  const log: LogLine[] = []
  const app = Fastify({
    logger:
      level === false
        ? false
        : { level, stream: { write: (line: string) => void log.push(JSON.parse(line)) } },
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  await app.register(errorsPlugin)
  await app.register(swaggerPlugin)
  routes(app)
  try {
    await check(app, log)
  } finally {
    await app.close()
  }
}

/** A route whose schema the document cannot be made from: the documentation app answers 500. */
const brokenRoute = (app: FastifyInstance) => {
  app.get('/broken', { schema: { querystring: 'not a schema' as never } }, async () => ({}))
}

/** A GET over a real socket; resolves with the status, headers and body once the answer ends. */
function get(base: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { agent: false, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('what the documentation app says, as the service passes it on', () => {
  it("/docs carries swagger-ui's own CSP, not the API's", async () => {
    await withApp(async (app) => {
      for (const url of ['/docs', '/docs/static/swagger-initializer.js']) {
        const res = await app.inject({ method: 'GET', url })
        expect(res.statusCode, url).toBe(200)
        expect(res.headers['content-security-policy'], url).toBe(SWAGGER_UI_CSP)
      }
      const api = await app.inject({ method: 'GET', url: '/v1/states?limit=1' })
      expect(api.headers['content-security-policy']).not.toBe(SWAGGER_UI_CSP)
    })
  })

  it('over a socket, Connection is the service own: close when the client asks, keep-alive otherwise', async () => {
    await withApp(async (app) => {
      const base = await app.listen({ port: 0, host: '127.0.0.1' })
      const closing = await get(base, '/docs/static/swagger-ui.css', { connection: 'close' })
      expect(closing.status).toBe(200)
      // The documentation app's injected answer always says keep-alive; the client asked for close.
      expect(closing.headers.connection).toBe('close')
      expect(closing.headers['keep-alive']).toBeUndefined()
      const kept = await get(base, '/docs/static/swagger-ui.css', { connection: 'keep-alive' })
      expect(kept.headers.connection).toBe('keep-alive')
      expect(kept.headers['keep-alive']).toBe('timeout=72')
      expect(kept.headers['content-length']).toBe(String(kept.body.length))
      expect(kept.body.equals(closing.body)).toBe(true)
      expect(kept.headers['transfer-encoding']).toBeUndefined()
      expect(kept.headers['cache-control']).toBe('public, max-age=0')
      expect(kept.headers['content-type']).toBe('text/css; charset=utf-8')
    })
  })

  it('a revalidated asset is 304 with no body and no length', async () => {
    await withApp(async (app) => {
      const url = '/docs/static/swagger-ui.css'
      const first = await app.inject({ method: 'GET', url })
      const etag = first.headers.etag as string
      expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/)
      const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } })
      expect(again.statusCode).toBe(304)
      expect(again.rawPayload.length).toBe(0)
      expect(again.headers['content-length']).toBeUndefined()
      expect(again.headers.etag).toBe(etag)
      expect(again.headers['last-modified']).toBe(first.headers['last-modified'])
    })
  })

  it('trailing slashes and unknown paths: /docs/json/ is the document, /docs/static/ and /docs/nothing are 404', async () => {
    await withApp(async (app) => {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
      for (const url of ['/docs/json', '/docs/json/']) {
        const res = await app.inject({ method: 'GET', url })
        expect(res.statusCode, url).toBe(200)
        expect(res.headers['content-type'], url).toBe('application/json; charset=utf-8')
        expect(res.json(), url).toEqual(doc)
      }
      // Without ignoreTrailingSlash the documentation app would serve its static folder's index here.
      for (const url of ['/docs/static/', '/docs/nothing', '/docs/nothing/']) {
        const res = await app.inject({ method: 'GET', url })
        expect(res.statusCode, url).toBe(404)
        expect(res.headers['content-type'], url).toBe('application/problem+json')
        expect(res.json(), url).toEqual(NOT_FOUND(url))
      }
    })
  })

  it('the reference and the document are outside the contract by their own mark (hide)', async () => {
    // buildTestApp fails any answer of a route the contract does not describe, unless the
    // route's schema says hide.
    const { app, db } = await buildTestApp()
    try {
      for (const url of ['/openapi.json', '/docs', '/docs/static/swagger-ui.css']) {
        expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200)
      }
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: object }
      expect(Object.keys(doc.paths).filter((p) => p === '/openapi.json' || p.startsWith('/docs'))).toEqual([])
    } finally {
      await app.close()
      db.$client.close()
    }
  })
})

describe('the documentation app: its failures and its log', () => {
  it('its 500 is the generic 500; it logs the error under component docs, the service says why', async () => {
    await withDocs('error', brokenRoute, async (app, log) => {
      const res = await app.inject({ method: 'GET', url: '/docs/json' })
      expect(res.statusCode).toBe(500)
      expect(res.headers['content-type']).toBe('application/problem+json')
      expect(res.json()).toEqual(INTERNAL('/docs/json'))
      expect(log.map((l) => [l.level, l.component, l.err?.message.slice(0, 0)])).toEqual([
        [50, 'docs', ''],
        [50, undefined, ''],
      ])
      expect(log[1]?.err?.message).toBe('the documentation app answered 500')
    })
  })

  it('at info, the documentation app logs its errors but not its requests', async () => {
    await withDocs('info', brokenRoute, async (app, log) => {
      expect((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(500)
      expect(log.filter((l) => l.component === 'docs').map((l) => l.level)).toEqual([50])
      expect(log.filter((l) => l.msg === 'incoming request')).toHaveLength(1)
    })
  })

  it('a service logging only fatal errors gets no error lines from the documentation app either', async () => {
    await withDocs('fatal', brokenRoute, async (app, log) => {
      expect((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(500)
      expect(log).toEqual([])
    })
  })

  it('with logging off, the document and the reference are served', async () => {
    await withDocs(
      false,
      () => undefined,
      async (app) => {
        const doc = await app.inject({ method: 'GET', url: '/openapi.json' })
        expect(doc.statusCode).toBe(200)
        expect(doc.json()).toMatchObject({ openapi: '3.1.0', paths: {} })
        expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(200)
      },
    )
  })

  it('a documentation app that fails to build is built again on the next request', async () => {
    await withDocs(
      'error',
      () => undefined,
      async (app) => {
        // The documentation app's logger is a child of the service's: the first one is unusable.
        const child = app.log.child.bind(app.log)
        let broken = true
        app.log.child = ((bindings, options) => {
          if (bindings.component === 'docs' && broken) {
            broken = false
            return {}
          }
          return child(bindings, options)
        }) as typeof app.log.child
        const failed = await app.inject({ method: 'GET', url: '/openapi.json' })
        expect(failed.statusCode).toBe(500)
        expect(failed.json()).toEqual(INTERNAL('/openapi.json'))
        const res = await app.inject({ method: 'GET', url: '/openapi.json' })
        expect(res.statusCode).toBe(200)
        expect(res.json()).toMatchObject({ openapi: '3.1.0' })
      },
    )
  })
})

describe('route hints', () => {
  it('only a string scope names the scope an operation needs', async () => {
    const routes = (app: FastifyInstance) => {
      const schema = { security: [{ bearerAuth: [] }], response: { 200: z.object({}) } }
      app.get('/numbered', { schema, config: { scope: 42 } as never }, async () => ({}))
      app.post('/written', { schema, config: { scope: 'directory:write' } as never }, async () => ({}))
    }
    await withDocs(false, routes, async (app) => {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
      expect(doc.paths['/numbered'].get.security).toEqual([
        {},
        { bearerAuth: ['directory:read'] },
        { oauth2: ['directory:read'] },
      ])
      expect(doc.paths['/written'].post.security).toEqual([
        { bearerAuth: ['directory:write'] },
        { oauth2: ['directory:write'] },
      ])
    })
  })
})
