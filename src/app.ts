import { maxHeaderSize } from 'node:http'
import helmet from '@fastify/helmet'
import Fastify, { type FastifyServerOptions } from 'fastify'
import { validatorCompiler } from 'fastify-type-provider-zod'
import type { Config } from './config.js'
import type { Db } from './db/client.js'
import { serializerCompiler } from './lib/serializer.js'
import { newId } from './lib/write-path.js'
import { assignmentsRoutes } from './modules/assignments/assignments-routes.js'
import { campaignsRoutes } from './modules/campaigns/campaigns-routes.js'
import { withLinkTokensRedacted } from './modules/campaigns/log-redaction.js'
import { verificationPage } from './modules/campaigns/verification-page.js'
import { verificationRoutes } from './modules/campaigns/verification-routes.js'
import { contactsRoutes } from './modules/contacts/contacts-routes.js'
import { directoryRoutes } from './modules/directory/directory-routes.js'
import { healthRoutes } from './modules/health/health-routes.js'
import { importsRoutes } from './modules/imports/imports-routes.js'
import { organizationsRoutes } from './modules/organizations/organizations-routes.js'
import { privacyRoutes } from './modules/privacy/privacy-routes.js'
import { reportsRoutes } from './modules/reports/reports-routes.js'
import { trainedCoverageRoutes } from './modules/reports/trained-coverage.js'
import { changesRoutes } from './modules/revisions/changes-routes.js'
import { rolesRoutes } from './modules/roles/roles-routes.js'
import { statesRoutes } from './modules/states/states-routes.js'
import { trainingRoutes } from './modules/training/training-routes.js'
import { webhooksPlugin } from './modules/webhooks/webhooks-plugin.js'
import { accessLog } from './plugins/access-log.js'
import { authPlugin } from './plugins/auth.js'
import { clientErrorHandler } from './plugins/client-errors.js'
import { consolePlugin } from './plugins/console.js'
import { corsPlugin } from './plugins/cors.js'
import { errorsPlugin, frameworkErrors } from './plugins/errors.js'
import { metricsPlugin } from './plugins/metrics.js'
import { rateLimitsPlugin } from './plugins/rate-limits.js'
import { readCachePlugin } from './plugins/read-cache.js'
import { swaggerPlugin } from './plugins/swagger.js'
import { textHygienePlugin } from './plugins/text-hygiene.js'

export interface AppDeps {
  config: Config
  db: Db
  logger?: FastifyServerOptions['logger']
}

const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
const OPERATIONS = new Set(['/healthz', '/readyz'])

export async function buildApp({ config, db, logger = false }: AppDeps) {
  const app = Fastify({
    // Campaign links carry their token in the path: the request serializer redacts it.
    logger: withLinkTokensRedacted(logger),
    bodyLimit: config.bodyLimit,
    // Behind a reverse proxy (TRUST_PROXY), request.ip is the client's, for rate limits and logs.
    // Fastify 5 fails closed on a bare hop count (a direct client could spoof the header), so a
    // count is this function: trust the nearest `hops` addresses, as documented for TRUST_PROXY.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    requestIdHeader: false,
    // A caller's x-request-id is kept when it is sane, so logs join up across systems.
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId()
    },
    // Path parameters as long as the request line may be: the route schemas bound each one, so
    // an over-long id is the same 400 naming the parameter at any length, not a 414 past 100.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: maxHeaderSize },
    // Requests refused below the routes answer problem+json with an x-request-id too: Node's
    // parser errors (400; 414 and 431 for an over-long request line or header section), a path
    // Fastify cannot decode, and a missing Host header (checked in the errors plugin instead of
    // Node's bare 400).
    clientErrorHandler,
    frameworkErrors,
    http: { requireHostHeader: false },
    // zod validates and our serializer writes every route: handing Fastify the compilers up
    // front keeps it from loading its default ajv and fast-json-stringify ones at start-up.
    // (The option's types describe ajv's compilers; Fastify only calls what the factory returns.)
    schemaController: {
      compilersFactory: {
        buildValidator: (() => validatorCompiler) as never,
        buildSerializer: (() => serializerCompiler) as never,
      },
    },
  })
  // JSON only (imports add CSV and NDJSON): a text/plain body is 415, not a string to validate.
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  )
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  // Health probes are never rate limited or locked; docs and the contract stay public too.
  app.addHook('onRoute', (route) => {
    const url = route.url ?? ''
    const isDocs = url === '/openapi.json' || url.startsWith('/docs')
    // The console's files and the front page: the console itself signs in, then calls the API.
    const isConsole = url === '/' || url.startsWith('/console')
    if (OPERATIONS.has(url) || isDocs || isConsole) {
      route.config = { ...route.config, alwaysPublic: true }
    }
    if (OPERATIONS.has(url)) route.config = { ...route.config, rateLimit: false } as never
  })

  await app.register(errorsPlugin)
  await app.register(helmet, { global: true })
  await app.register(corsPlugin, { origins: config.corsOrigins })
  await app.register(authPlugin, { jwt: config.jwt, publicRead: config.publicRead })
  await app.register(textHygienePlugin)
  await app.register(rateLimitsPlugin, { max: config.rateLimitMax, heavyMax: config.rateLimitHeavyMax })
  await app.register(readCachePlugin, { db, maxBytes: config.readCacheBytes })
  await app.register(accessLog, { db, enabled: config.accessLog })
  await app.register(swaggerPlugin)
  if (config.metrics === 'admin') await app.register(metricsPlugin, { db })
  await app.register(consolePlugin, { oidc: config.oidc })

  await app.register(healthRoutes, { db })
  await app.register(statesRoutes, { db })
  await app.register(rolesRoutes, { db })
  await app.register(organizationsRoutes, { db })
  await app.register(contactsRoutes, { db })
  await app.register(assignmentsRoutes, { db })
  await app.register(directoryRoutes, { db })
  await app.register(changesRoutes, { db })
  await app.register(reportsRoutes, { db })
  await app.register(importsRoutes, { db, config })
  await app.register(privacyRoutes, { db, config })
  await app.register(webhooksPlugin, { db, config: config.webhooks })
  await app.register(trainingRoutes, { db, config })
  await app.register(trainedCoverageRoutes, { db })
  await app.register(campaignsRoutes, { db, config })
  await app.register(verificationRoutes, { db })
  await app.register(verificationPage, { db })

  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
