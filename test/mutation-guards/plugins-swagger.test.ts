import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { OPENAPI_FILE } from '../../scripts/generate-openapi.js'
import { buildSeededApp } from '../helpers/build-test-app.js'

/**
 * src/plugins/swagger.ts and src/plugins/openapi-polish.ts: the document served at
 * /openapi.json is, byte for byte, the committed contract (every title, tag, header, example
 * and security requirement polish() writes), and the reference at /docs answers as the
 * service does (problem+json refusals, HEAD with the length, no request logs of its own).
 * One app per test, built inside it.
 */
interface LogLine {
  level: number
  msg: string
  component?: string
}

async function withApp(
  check: (app: Awaited<ReturnType<typeof buildSeededApp>>['app'], log: LogLine[]) => Promise<void>,
  level = 'info',
) {
  const log: LogLine[] = []
  const { app, db } = await buildSeededApp(
    {},
    { logger: { level, stream: { write: (line: string) => void log.push(JSON.parse(line)) } } },
  )
  try {
    await check(app, log)
  } finally {
    await app.close()
    db.$client.close()
  }
}

describe('/openapi.json', () => {
  it('is the committed contract, byte for byte, the same on a second read', async () => {
    await withApp(async (app) => {
      const res = await app.inject({ method: 'GET', url: '/openapi.json' })
      expect(res.statusCode).toBe(200)
      expect(`${JSON.stringify(res.json(), null, 2)}\n`).toBe(readFileSync(OPENAPI_FILE, 'utf8'))
      expect((await app.inject({ method: 'GET', url: '/openapi.json' })).body).toBe(res.body)
      expect(await app.openApiDocument()).toEqual(res.json())
    })
  })
})

describe('/docs', () => {
  it('serves the reference and its assets, with HEAD keeping the length', async () => {
    await withApp(async (app) => {
      for (const url of ['/docs', '/docs/']) {
        const page = await app.inject({ method: 'GET', url })
        expect(page.statusCode, url).toBe(200)
        expect(page.headers['content-type'], url).toBe('text/html; charset=utf-8')
        expect(page.body, url).toContain('swagger')
      }
      const css = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' })
      expect(css.statusCode).toBe(200)
      expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
      expect(css.headers['content-length']).toBe(String(css.rawPayload.length))
      const head = await app.inject({ method: 'HEAD', url: '/docs/static/swagger-ui.css' })
      expect(head.statusCode).toBe(200)
      expect(head.headers['content-length']).toBe(String(css.rawPayload.length))
      expect(head.body).toBe('')
    })
  })

  it('refusals are the service problem+json with their status; a range refusal keeps Content-Range', async () => {
    await withApp(async (app) => {
      const css = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' })
      const missing = await app.inject({ method: 'GET', url: '/docs/static/nope.js' })
      expect(missing.statusCode).toBe(404)
      expect(missing.headers['content-type']).toBe('application/problem+json')
      // The service's own not-found answer, not a refusal of the documentation app.
      expect(missing.json()).toEqual({
        type: 'urn:pocdir:problem:not-found',
        title: 'Not Found',
        status: 404,
        detail: 'No route GET /docs/static/nope.js',
        instance: '/docs/static/nope.js',
      })
      const bad = await app.inject({ method: 'GET', url: '/docs/static/a%00b.css' })
      expect(bad.statusCode).toBe(400)
      expect(bad.headers['content-type']).toBe('application/problem+json')
      expect(bad.json()).toMatchObject({
        status: 400,
        detail: 'The documentation asset cannot be served as asked (400)',
      })
      const range = await app.inject({
        method: 'GET',
        url: '/docs/static/swagger-ui.css',
        headers: { range: 'bytes=99999999-' },
      })
      expect(range.statusCode).toBe(416)
      expect(range.headers['content-type']).toBe('application/problem+json')
      expect(range.headers['content-range']).toBe(`bytes */${css.rawPayload.length}`)
      expect(range.json()).toMatchObject({
        status: 416,
        detail: 'The documentation asset cannot be served as asked (416)',
      })
      const traversal = await app.inject({ method: 'GET', url: '/docs/static/..%5c..%5cpackage.json' })
      expect(traversal.statusCode).toBe(403)
      expect(traversal.headers['content-range']).toBeUndefined()
      expect(traversal.json()).toMatchObject({
        status: 403,
        detail: 'The documentation asset cannot be served as asked (403)',
      })
    })
  })

  it('the documentation app logs no requests of its own at info; the service logs each once', async () => {
    await withApp(async (app, log) => {
      expect((await app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' })).statusCode).toBe(200)
      expect(log.filter((l) => l.component === 'docs')).toEqual([])
      expect(log.filter((l) => l.msg === 'incoming request')).toHaveLength(1)
    })
  })
})
