import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
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
async function withRoot(
  root: string,
  check: (app: ReturnType<typeof Fastify>, log: { level: number; msg: string }[]) => Promise<void>,
) {
  const log: { level: number; msg: string }[] = []
  const app = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => void log.push(JSON.parse(line)) } },
  })
  await app.register(errorsPlugin)
  await app.register(consolePlugin, { oidc: null, root })
  try {
    await check(app, log)
  } finally {
    await app.close()
  }
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

/** A folder holding a console of the test's own. */
function tempRoot() {
  return `${mkdtempSync(join(tmpdir(), 'console-'))}/`
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

describe('what the file app says, as the service passes it on', () => {
  it('over a socket, Connection is the service own: close when the client asks, keep-alive otherwise', async () => {
    await withApp(async (app) => {
      const base = await app.listen({ port: 0, host: '127.0.0.1' })
      const closing = await get(base, '/console/', { connection: 'close' })
      expect(closing.status).toBe(200)
      expect(closing.body.toString()).toBe(index)
      // The file app's injected answer always says keep-alive; the client asked for close.
      expect(closing.headers.connection).toBe('close')
      expect(closing.headers['keep-alive']).toBeUndefined()
      const kept = await get(base, `/console/assets/${script}`, { connection: 'keep-alive' })
      expect(kept.headers.connection).toBe('keep-alive')
      expect(kept.headers['keep-alive']).toBe('timeout=72')
      expect(kept.headers['content-length']).toBe(String(kept.body.length))
      expect(kept.headers['transfer-encoding']).toBeUndefined()
      // The file's headers (type, cache, validators, ranges), the service's own and nothing else.
      expect(Object.keys(kept.headers).sort()).toEqual([
        'accept-ranges',
        'cache-control',
        'connection',
        'content-length',
        'content-security-policy',
        'content-type',
        'cross-origin-opener-policy',
        'cross-origin-resource-policy',
        'date',
        'etag',
        'keep-alive',
        'last-modified',
        'origin-agent-cluster',
        'referrer-policy',
        'strict-transport-security',
        'x-content-type-options',
        'x-dns-prefetch-control',
        'x-download-options',
        'x-frame-options',
        'x-permitted-cross-domain-policies',
        'x-request-id',
        'x-xss-protection',
      ])
    })
  })

  it('a revalidated file is 304 with no body and no length; a range is 206 with its bytes', async () => {
    await withApp(async (app) => {
      const url = `/console/assets/${script}`
      const first = await app.inject({ method: 'GET', url })
      const etag = first.headers.etag as string
      expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/)
      const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } })
      expect(again.statusCode).toBe(304)
      expect(again.rawPayload.length).toBe(0)
      expect(again.headers['content-length']).toBeUndefined()
      expect(again.headers.etag).toBe(etag)
      expect(again.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      const part = await app.inject({ method: 'GET', url, headers: { range: 'bytes=0-9' } })
      expect(part.statusCode).toBe(206)
      expect(part.headers['content-range']).toBe(`bytes 0-9/${first.rawPayload.length}`)
      expect(part.rawPayload.equals(first.rawPayload.subarray(0, 10))).toBe(true)
      expect(part.headers['content-length']).toBe('10')
    })
  })

  it('trailing slashes: /console/assets/ is a page, an asset with a slash is still the asset', async () => {
    await withApp(async (app) => {
      const folder = await app.inject({ method: 'GET', url: '/console/assets/' })
      expect(folder.statusCode).toBe(200)
      expect(folder.body).toBe(index)
      const asset = await app.inject({ method: 'GET', url: `/console/assets/${script}/` })
      expect(asset.statusCode).toBe(200)
      expect(asset.headers['content-type']).toBe('application/javascript; charset=utf-8')
      expect(asset.rawPayload.equals(readFileSync(join(DIST, 'assets', script as string)))).toBe(true)
    })
  })

  it('a file the file app cannot read is the generic 500, and the log says why', async () => {
    const root = tempRoot()
    try {
      writeFileSync(`${root}index.html`, '<p>built</p>')
      mkdirSync(`${root}assets`)
      // A link to itself: stat fails with ELOOP, which @fastify/send answers 500.
      symlinkSync(`${root}assets/loop.js`, `${root}assets/loop.js`)
      await withRoot(root, async (app, log) => {
        const res = await app.inject({ method: 'GET', url: '/console/assets/loop.js' })
        expect(res.statusCode).toBe(500)
        expect(res.json()).toEqual({
          type: 'urn:pocdir:problem:internal-error',
          title: 'Internal Server Error',
          status: 500,
          detail: 'An unexpected error occurred; quote the x-request-id when reporting it',
          instance: '/console/assets/loop.js',
        })
        const errors = log.filter((l) => l.level >= 50) as { err?: { message: string } }[]
        expect(errors.map((l) => l.err?.message)).toEqual(["the console's file app answered 500"])
      })
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('a file app that fails to build is built again on the next request', async () => {
    const dir = tempRoot()
    // consoleBuilt() finds `${root}index.html`, but the root itself is a file: @fastify/static refuses it.
    const root = `${dir}console`
    try {
      writeFileSync(`${root}index.html`, '<p>beside</p>')
      writeFileSync(root, 'not a folder')
      await withRoot(root, async (app) => {
        const failed = await app.inject({ method: 'GET', url: '/console/' })
        expect(failed.statusCode).toBe(500)
        expect(failed.json()).toMatchObject({ type: 'urn:pocdir:problem:internal-error', status: 500 })
        rmSync(root)
        mkdirSync(root)
        writeFileSync(`${root}/index.html`, '<p>inside</p>')
        // The root is now a folder; its index.html (not the one beside it) is served.
        const res = await app.inject({ method: 'GET', url: '/console/anything' })
        expect(res.statusCode).toBe(200)
        expect(res.body).toBe('<p>inside</p>')
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
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
