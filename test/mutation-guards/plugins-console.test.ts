import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { CONSOLE_DIST, consoleBuilt, consoleCsp, consolePlugin } from '../../src/plugins/console.js'
import { errorsPlugin } from '../../src/plugins/errors.js'
import { buildSeededApp } from '../helpers/build-test-app.js'

/**
 * src/plugins/console.ts with exact headers and bodies: the console's CSP (with no provider, an
 * https and an http one), the files (pages answered by index.html, assets by their own bytes
 * with an immutable cache, pre-compressed variants), refusals as problem+json, the console not
 * built yet, the public configuration and the front page. Apps are built inside the tests.
 */
const BASE_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
]
const oidc = (issuer: string) => ({ issuer, clientId: 'console', scopes: 'openid', resource: null })

async function withApp(check: (app: Awaited<ReturnType<typeof buildSeededApp>>['app']) => Promise<void>) {
  const { app, db } = await buildSeededApp()
  try {
    await check(app)
  } finally {
    await app.close()
    db.$client.close()
  }
}

/** The console plugin alone (with the service's error answers), over a folder of the test's own. */
async function withRoot(root: string, check: (app: ReturnType<typeof Fastify>) => Promise<void>) {
  const app = Fastify({ logger: false })
  await app.register(errorsPlugin)
  await app.register(consolePlugin, { oidc: null, root })
  try {
    await check(app)
  } finally {
    await app.close()
  }
}

// Found from this file, not from CONSOLE_DIST: a wrong CONSOLE_DIST must fail the tests, not their set-up.
const DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url))
const index = readFileSync(join(DIST, 'index.html'), 'utf8')
const script = readdirSync(join(DIST, 'assets')).find((f) => f.endsWith('.js') && f.startsWith('index-'))

describe('the CSP', () => {
  it('without a provider: the fixed directives and upgrade-insecure-requests', () => {
    expect(consoleCsp(null)).toBe([...BASE_CSP, 'upgrade-insecure-requests'].join('; '))
  })

  it('an https provider may be fetched from (its origin only) and requests are upgraded', () => {
    expect(consoleCsp(oidc('https://id.example.org/realms/pocdir'))).toBe(
      [
        ...BASE_CSP.map((d) =>
          d === "connect-src 'self'" ? "connect-src 'self' https://id.example.org" : d,
        ),
        'upgrade-insecure-requests',
      ].join('; '),
    )
  })

  it('a plain-http provider (development) is fetched as it is: no upgrade', () => {
    expect(consoleCsp(oidc('http://localhost:8080/'))).toBe(
      BASE_CSP.map((d) => (d === "connect-src 'self'" ? "connect-src 'self' http://localhost:8080" : d)).join(
        '; ',
      ),
    )
  })

  it("is on the console's answers only, not the API's", async () => {
    await withApp(async (app) => {
      const page = await app.inject({ method: 'GET', url: '/console/' })
      expect(page.headers['content-security-policy']).toBe(consoleCsp(null))
      const api = await app.inject({ method: 'GET', url: '/v1/states?limit=1' })
      expect(api.headers['content-security-policy']).not.toBe(consoleCsp(null))
    })
  })
})

describe('the files', () => {
  it('/console, /console/ and any page path answer index.html, not cached', async () => {
    await withApp(async (app) => {
      for (const url of ['/console', '/console/', '/console/states/KG', '/console/index.html']) {
        const res = await app.inject({ method: 'GET', url })
        expect(res.statusCode, url).toBe(200)
        expect(res.body, url).toBe(index)
        expect(res.headers['content-type'], url).toBe('text/html; charset=utf-8')
        expect(res.headers['cache-control'], url).toBe('no-cache')
        expect(res.headers['content-length'], url).toBe(String(Buffer.byteLength(index)))
        expect(res.headers['x-request-id'], url).toMatch(/^[0-9a-f-]{36}$/)
      }
    })
  })

  it('an asset answers its own bytes, cached for good; pre-compressed when the client takes it', async () => {
    await withApp(async (app) => {
      const url = `/console/assets/${script}`
      const plain = await app.inject({ method: 'GET', url })
      expect(plain.statusCode).toBe(200)
      expect(plain.rawPayload.equals(readFileSync(join(DIST, 'assets', script as string)))).toBe(true)
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      expect(plain.headers['content-type']).toBe('application/javascript; charset=utf-8')
      const br = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'br' } })
      expect(br.headers['content-encoding']).toBe('br')
      expect(br.rawPayload.equals(readFileSync(join(DIST, 'assets', `${script}.br`)))).toBe(true)
      const head = await app.inject({ method: 'HEAD', url })
      expect(head.statusCode).toBe(200)
      expect(head.headers['content-length']).toBe(String(plain.rawPayload.length))
      expect(head.body).toBe('')
    })
  })

  it('a missing asset is the service 404 problem; an unsatisfiable range keeps its status as a problem', async () => {
    await withApp(async (app) => {
      const missing = await app.inject({ method: 'GET', url: '/console/assets/nope.js' })
      expect(missing.statusCode).toBe(404)
      expect(missing.headers['content-type']).toBe('application/problem+json')
      // The service's own not-found answer, not a refusal of the file app.
      expect(missing.json()).toEqual({
        type: 'urn:pocdir:problem:not-found',
        title: 'Not Found',
        status: 404,
        detail: 'No route GET /console/assets/nope.js',
        instance: '/console/assets/nope.js',
      })
      const bad = await app.inject({ method: 'GET', url: '/console/assets/a%00b.js' })
      expect(bad.statusCode).toBe(400)
      expect(bad.headers['content-type']).toBe('application/problem+json')
      expect(bad.json()).toMatchObject({
        status: 400,
        detail: 'The console file cannot be served as asked (400)',
      })
      const range = await app.inject({
        method: 'GET',
        url: `/console/assets/${script}`,
        headers: { range: 'bytes=99999999-' },
      })
      expect(range.statusCode).toBe(416)
      expect(range.headers['content-type']).toBe('application/problem+json')
      expect(range.json()).toMatchObject({
        status: 416,
        detail: 'The console file cannot be served as asked (416)',
      })
    })
  })

  it('not built yet: 503 not-ready with Retry-After, and answered once it is built', async () => {
    const root = `${mkdtempSync(join(tmpdir(), 'console-'))}/`
    try {
      expect(consoleBuilt(root)).toBe(false)
      expect(consoleBuilt()).toBe(true)
      expect(CONSOLE_DIST).toBe(DIST)
      await withRoot(root, async (app) => {
        for (const url of ['/console/', '/console/assets/a.js']) {
          const res = await app.inject({ method: 'GET', url })
          expect(res.statusCode, url).toBe(503)
          expect(res.headers['retry-after']).toBe('10')
          expect(res.json()).toMatchObject({
            type: 'urn:pocdir:problem:not-ready',
            status: 503,
            detail:
              'The console is not built yet: it is built by npm install and on the first start (npm run console:build builds it by hand); try again shortly',
          })
        }
        writeFileSync(`${root}index.html`, '<p>built</p>')
        expect(consoleBuilt(root)).toBe(true)
        const res = await app.inject({ method: 'GET', url: '/console/anything' })
        expect(res.statusCode).toBe(200)
        expect(res.body).toBe('<p>built</p>')
      })
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('the configuration and the front page', () => {
  it('/console/config.json is the public OIDC configuration, not cached', async () => {
    await withApp(async (app) => {
      const res = await app.inject({ method: 'GET', url: '/console/config.json' })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ oidc: null })
      expect(res.headers['cache-control']).toBe('no-cache')
    })
    const app = Fastify({ logger: false })
    await app.register(consolePlugin, { oidc: oidc('https://id.example.org/') })
    try {
      const res = await app.inject({ method: 'GET', url: '/console/config.json' })
      expect(res.json()).toEqual({ oidc: oidc('https://id.example.org/') })
    } finally {
      await app.close()
    }
  })

  it('/ links to the console and the documentation', async () => {
    await withApp(async (app) => {
      const res = await app.inject({ method: 'GET', url: '/' })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.headers['cache-control']).toBe('no-cache')
      expect(res.body).toBe(`<!doctype html>
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
`)
    })
  })

  it('the console routes are not in the API document', async () => {
    await withApp(async (app) => {
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: object }
      expect(Object.keys(doc.paths).filter((p) => p === '/' || p.startsWith('/console'))).toEqual([])
    })
  })
})
