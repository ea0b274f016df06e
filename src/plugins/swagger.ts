import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { ProblemError } from '../lib/problem.js'
import { type OpenApiDoc, polish, ROUTE_HINTS, type RouteHints, SECURITY_SCHEMES } from './openapi-polish.js'

export const API_TITLE = 'pocdir: UNSCR 1540 Points-of-Contact directory'

/** What the document needs of a route. */
type DocumentedRoute = Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config' | 'constraints'>

/**
 * The reference's own routes are the documentation app's (Swagger UI's, under /docs): described
 * again there they would clash with them (`/docs`) or catch its unknown paths (`/docs/*`).
 * `/openapi.json` is left out of the document by its `hide`, as every undocumented route is.
 */
const isDocsRoute = (url: string) => url === '/docs' || url.startsWith('/docs/')

/**
 * The documentation's own Fastify instance: the service's routes again (method, URL, schema,
 * config and constraints, what @fastify/swagger reads; they never answer), @fastify/swagger
 * generating the document from them, and the Swagger UI. Nothing here is needed to answer the
 * API, so it is built on the first request for the document or the UI, not at start-up (a
 * measured bar): loading and registering the two plugins costs about 120 ms here.
 */
async function buildDocsApp(routes: DocumentedRoute[], log: FastifyBaseLogger): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([
    import('fastify'),
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
  ])
  // Never called: the documentation app is asked only for /docs URLs, which isDocsRoute keeps out
  // of `routes` (docs/mutation-testing.md, run CS2).
  // Stryker disable all: never called (above)
  const notServed = () => {
    throw new Error('documentation routes only describe the service')
  }
  // Stryker restore all
  const app = Fastify({
    loggerInstance: log,
    routerOptions: { ignoreTrailingSlash: true },
    // The routes are never called: validation and serialization are never compiled.
    schemaController: {
      compilersFactory: {
        buildValidator: (() => () => () => true) as never,
        buildSerializer: (() => () => JSON.stringify) as never,
      },
    },
  })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: API_TITLE,
        version: '1.4.0',
        description:
          'States, organizations, roles, contacts and their tenure (assignments) for the national ' +
          'Points of Contact under UN Security Council resolution 1540. Errors are RFC 9457 ' +
          'application/problem+json (the Problem schema lists every problem `type`). Lists page with ' +
          'an opaque cursor. Single resources carry `ETag: "<version>"`; PATCH and DELETE honour ' +
          '`If-Match`; reads honour `If-None-Match` (304). Every answer carries `x-request-id`.',
        contact: { name: 'pocdir maintainers' },
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      // Relative: the document describes the deployment that serves it. x-internal false: partners
      // are its audience (OWASP API9 asks for both).
      servers: [
        {
          url: '/',
          description: 'The deployment serving this document (production, staging or a local test instance)',
          'x-internal': false,
        } as { url: string; description: string },
      ],
      tags: [
        { name: 'States', description: 'UN member states and the Holy See (seeded; admins edit)' },
        { name: 'Organizations', description: 'Ministries, agencies and international bodies' },
        { name: 'Roles', description: 'Kinds of post, e.g. national-poc (admins edit)' },
        { name: 'Contacts', description: 'People; restricted details need directory:read' },
        { name: 'Assignments', description: 'Tenures that make a contact a PoC' },
        { name: 'Directory', description: 'Who holds which role, now or on a past day' },
        { name: 'Changes', description: 'The change feed for partners keeping a copy in sync' },
        { name: 'Reports', description: 'Coverage gaps and stale records' },
        { name: 'Imports', description: 'Bulk import of spreadsheet rows' },
        { name: 'Operations', description: 'Health and readiness' },
        {
          name: 'Privacy',
          description: 'Erasure, personal-data copies, the access log and the privacy notice',
        },
      ],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // The route's config says what the document must add (scope, conditional reads, rate
    // limiting); polish() reads it from the operation and removes it.
    transform: (input) => {
      const out = jsonSchemaTransform(input)
      const config = (input.route.config ?? {}) as Record<string, unknown>
      const hints: RouteHints = {
        feedCached: config.feedCached === true,
        scope: typeof config.scope === 'string' ? config.scope : undefined,
        rateLimited: config.rateLimit !== false,
      }
      return { ...out, schema: { ...out.schema, [ROUTE_HINTS]: hints } as typeof out.schema }
    },
    transformObject: (input) => polish(jsonSchemaTransformObject(input) as OpenApiDoc),
  })
  await app.register(async (described) => {
    for (const route of routes) described.route({ ...route, handler: notServed })
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  await app.ready()
  return app
}

/**
 * The documentation app logs its errors but not its requests (the service logs those already):
 * its level is warn, or the service's own when that is higher. (Fastify's logger when logging is
 * off has no isLevelEnabled, and its child is itself.)
 */
function docsLogger(log: FastifyBaseLogger): FastifyBaseLogger {
  const chatty = (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('info')
  return log.child({ component: 'docs' }, { level: chatty ? 'warn' : log.level })
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The OpenAPI document generated from the route schemas (what /openapi.json serves). */
    openApiDocument(): Promise<Record<string, unknown>>
  }
}

/** /openapi.json and the interactive reference at /docs, both generated from the route schemas. */
const docs: FastifyPluginAsync = async (app) => {
  const routes: DocumentedRoute[] = []
  // HEAD routes are derived from GET ones, as the documentation app derives them again.
  app.addHook('onRoute', ({ method, url, schema, config, constraints }) => {
    if (method !== 'HEAD' && !isDocsRoute(url)) routes.push({ method, url, schema, config, constraints })
  })
  let docsApp: Promise<FastifyInstance> | undefined
  const ready = async () => {
    docsApp ??= buildDocsApp(routes, docsLogger(app.log)).catch((err) => {
      docsApp = undefined
      throw err
    })
    return docsApp
  }
  // Never closed: it holds no socket, timer or file (it only answers inject), and neither the two
  // plugins nor Fastify register anything for close() to release.
  app.decorate('openApiDocument', async () => (await ready()).swagger() as Record<string, unknown>)
  app.get('/openapi.json', { schema: { hide: true } }, () => app.openApiDocument())

  const ui = async (request: FastifyRequest, reply: FastifyReply) => {
    // Always a GET: for a HEAD, Fastify drops the body here and keeps its length.
    const res = await (await ready()).inject({ method: 'GET', url: request.url, headers: request.headers })
    // Errors are the service's own: problem+json, like every other answer.
    if (res.statusCode === 404) return reply.callNotFound()
    if (res.statusCode >= 500) throw new Error(`the documentation app answered ${res.statusCode}`)
    if (res.statusCode >= 400) {
      const range = res.headers['content-range']
      if (range !== undefined) reply.header('content-range', range)
      throw new ProblemError(
        res.statusCode,
        `The documentation asset cannot be served as asked (${res.statusCode})`,
      )
    }
    // Its headers describe the asset, except Connection: the injected answer always says
    // keep-alive, whatever the client asked (the rest as in console.ts).
    for (const [name, value] of Object.entries(res.headers)) {
      if (name !== 'connection') reply.header(name, value)
    }
    return reply.code(res.statusCode).send(res.rawPayload.length > 0 ? res.rawPayload : undefined)
  }
  app.get('/docs', { schema: { hide: true } }, ui)
  app.get('/docs/*', { schema: { hide: true } }, ui)
}

export const swaggerPlugin = fp(docs, { name: 'swagger' })
