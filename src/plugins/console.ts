import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { OidcConfig } from '../config.js'
import { ProblemError, problemType } from '../lib/problem.js'

/** Where `npm run console:build` puts the console (src/plugins -> console/dist, also from dist/). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url))

export const consoleBuilt = (root = CONSOLE_DIST) => existsSync(`${root}index.html`)

/**
 * The console's own CSP, stricter than the API's default: no inline styles either, no framing,
 * and fetches only to the service and, with OIDC, the identity provider (discovery and token
 * requests come from the browser). `upgrade-insecure-requests` is left out for a plain-http
 * provider (development): it would turn those fetches into https ones that cannot connect.
 */
export function consoleCsp(oidc: OidcConfig | null): string {
  const issuer = oidc ? new URL(oidc.issuer) : null
  const directives = [
    "default-src 'self'",
    "base-uri 'self'",
    `connect-src 'self'${issuer ? ` ${issuer.origin}` : ''}`,
    "font-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self'",
  ]
  if (issuer?.protocol !== 'http:') directives.push('upgrade-insecure-requests')
  return directives.join('; ')
}

export interface ConsoleOptions {
  oidc: OidcConfig | null
  /** The built console (a folder path ending in /); tests point it elsewhere. */
  root?: string
}

const notBuilt = () =>
  new ProblemError(
    503,
    'The console is not built yet: it is built by npm install and on the first start (npm run console:build builds it by hand); try again shortly',
    { type: problemType('not-ready'), headers: { 'retry-after': '10' } },
  )

/**
 * The console's files, in a Fastify instance of their own built on the first request for one:
 * @fastify/static and what it loads (about 20 files, 50–80 ms of CPU) are not needed to answer
 * the API, so they stay out of start-up (a measured bar), as the documentation app does.
 */
async function buildFileApp(root: string): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: fastifyStatic }] = await Promise.all([
    import('fastify'),
    import('@fastify/static'),
  ])
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } })
  await app.register(fastifyStatic, {
    root,
    // Stryker disable next-line BooleanLiteral: every URL the file app is asked for starts with /console/, where the route below wins over the one serve: true would add at /* (docs/mutation-testing.md, run CS1)
    serve: false,
    cacheControl: false,
    // Vite names assets by content hash: they never change under the same name.
    setHeaders: (res, path) => {
      res.setHeader(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
    },
    preCompressed: true,
  })
  app.get<{ Params: { '*': string } }>('/console/*', async (request, reply) => {
    const path = request.params['*']
    // Built files live under assets/; any other path is a page of the console.
    const asset = path.startsWith('assets/')
    // Stryker disable next-line StringLiteral: '' names the root folder, whose index @fastify/send serves: this same file (docs/mutation-testing.md, run CS1)
    return reply.sendFile(asset ? path : 'index.html')
  })
  await app.ready()
  return app
}

/**
 * The staff console at /console/: the files Vite built, with every other path under /console/
 * answered by index.html (the console's own router shows the page), and the public
 * configuration the console reads at start. A client of the public API only: nothing here
 * reads the database.
 */
const consolePlugin: FastifyPluginAsync<ConsoleOptions> = async (app, { oidc, root = CONSOLE_DIST }) => {
  const csp = consoleCsp(oidc)
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', csp)
    return payload
  })

  // Never closed: it holds no socket, timer or file (it only answers inject) and neither
  // @fastify/static nor Fastify registers anything for close() to release.
  let fileApp: Promise<FastifyInstance> | undefined
  const serveFile = async (request: FastifyRequest, reply: FastifyReply, url: string) => {
    if (!consoleBuilt(root)) throw notBuilt()
    fileApp ??= buildFileApp(root).catch((err) => {
      fileApp = undefined
      throw err
    })
    // Always a GET: for a HEAD, Fastify drops the body here and keeps its length.
    const res = await (await fileApp).inject({ method: 'GET', url, headers: request.headers })
    // Errors are the service's own: problem+json, like every other answer.
    if (res.statusCode === 404) return reply.callNotFound()
    if (res.statusCode >= 500) throw new Error(`the console's file app answered ${res.statusCode}`)
    if (res.statusCode >= 400) {
      throw new ProblemError(res.statusCode, `The console file cannot be served as asked (${res.statusCode})`)
    }
    // Its headers describe the file, except Connection: the injected answer always says
    // keep-alive, whatever the client asked. It never has Transfer-Encoding or Keep-Alive,
    // Fastify sets Content-Length from the bytes sent, and its Date is this process's clock a
    // moment earlier (docs/mutation-testing.md, run CS1).
    for (const [name, value] of Object.entries(res.headers)) {
      if (name !== 'connection') reply.header(name, value)
    }
    return reply.code(res.statusCode).send(res.rawPayload.length > 0 ? res.rawPayload : undefined)
  }

  const config = { oidc }
  app.get('/console/config.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache')
    return config
  })

  // With ignoreTrailingSlash, /console and /console/ are this route; the wildcard needs a name.
  app.get('/console', { schema: { hide: true } }, (request, reply) =>
    serveFile(request, reply, '/console/index.html'),
  )
  // The file app sees the request's own (still encoded) URL.
  app.get('/console/*', { schema: { hide: true } }, (request, reply) =>
    serveFile(request, reply, request.url),
  )

  // The service's front door points people to the console and the API documentation.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache')
    return LANDING
  })
}

const LANDING = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>pocdir</title></head>
<body>
<main>
<h1>pocdir: the UNSCR 1540 Points-of-Contact directory</h1>
<ul>
<li><a href="/console/">Staff console</a></li>
<li><a href="/docs">API documentation</a> (<a href="/openapi.json">OpenAPI document</a>)</li>
</ul>
</main>
</body>
</html>
`

export { consolePlugin }
