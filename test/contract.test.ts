import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { OPENAPI_FILE, renderOpenApi } from '../scripts/generate-openapi.js'

type Operation = {
  summary?: string
  tags?: string[]
  operationId?: string
  security?: unknown[]
  responses: Record<string, { content?: Record<string, unknown> }>
  requestBody?: { content: Record<string, { schema: unknown }> }
}

describe('OpenAPI contract', () => {
  it('the committed openapi/openapi.json is what the code generates (run `npm run openapi`)', async () => {
    const generated = await renderOpenApi()
    const committed = readFileSync(OPENAPI_FILE, 'utf8')
    expect(committed).toBe(generated)
  })

  it('documents every operation: summary, tag, id, security and problem+json errors', async () => {
    const doc = JSON.parse(await renderOpenApi()) as {
      openapi: string
      paths: Record<string, Record<string, Operation>>
      components: { schemas: Record<string, unknown> }
    }
    expect(doc.openapi).toBe('3.1.0')
    const ids = new Set<string>()
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`
        expect(op.summary, where).toBeTruthy()
        expect(op.tags?.length, where).toBeGreaterThan(0)
        expect(op.operationId, where).toBeTruthy()
        expect(ids.has(op.operationId as string), `${where} duplicate operationId`).toBe(false)
        ids.add(op.operationId as string)
        expect(op.security, where).toBeDefined()
        for (const [code, response] of Object.entries(op.responses)) {
          if (Number(code) >= 400) {
            expect(Object.keys(response.content ?? {}), `${where} ${code}`).toEqual([
              'application/problem+json',
            ])
          }
        }
        // Campaign link endpoints take no token to be refused for (a presented bad one is still 401).
        if (path.startsWith('/v1/') && method !== 'get' && !path.startsWith('/v1/verification/')) {
          expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '403']))
        }
      }
    }
    for (const name of ['Contact', 'Organization', 'Assignment', 'Role', 'State', 'Problem']) {
      expect(doc.components.schemas, name).toHaveProperty(name)
    }
    const createContact = doc.paths['/v1/contacts']?.post
    expect(createContact?.requestBody?.content['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/ContactCreateInput',
    })
    expect(doc.components.schemas.ContactCreateInput).toHaveProperty('example')
  })

  it('serves the same document at /openapi.json and the interactive reference at /docs', async () => {
    const { buildTestApp } = await import('./helpers/build-test-app.js')
    const t = await buildTestApp({ PUBLIC_READ: 'false' })
    try {
      const live = await t.app.inject({ method: 'GET', url: '/openapi.json' })
      expect(live.statusCode).toBe(200)
      expect(`${JSON.stringify(live.json(), null, 2)}\n`).toBe(readFileSync(OPENAPI_FILE, 'utf8'))
      const docs = await t.app.inject({ method: 'GET', url: '/docs/' })
      expect(docs.statusCode).toBe(200)
      expect(docs.headers['content-type']).toContain('text/html')
      expect(docs.body).toContain('swagger')
      const css = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' })
      expect(css.statusCode).toBe(200)
      expect(css.headers['content-type']).toContain('text/css')
      expect(css.body).toContain('.swagger-ui')
      // The reference's own misses are the service's 404 problem, not another app's shape.
      const missing = await t.app.inject({ method: 'GET', url: '/docs/static/nope.js' })
      expect(missing.statusCode).toBe(404)
      expect(missing.headers['content-type']).toContain('application/problem+json')
      expect(missing.json()).toMatchObject({ status: 404, title: 'Not Found' })
      expect(missing.headers['x-request-id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      )
      // The assets' other refusals keep their status, as problem+json; HEAD keeps the length.
      const range = await t.app.inject({
        method: 'GET',
        url: '/docs/static/swagger-ui.css',
        headers: { range: 'bytes=99999999-' },
      })
      expect(range.statusCode).toBe(416)
      expect(range.headers['content-type']).toContain('application/problem+json')
      expect(range.headers['content-range']).toBe(`bytes */${css.rawPayload.length}`)
      for (const [url, status] of [
        ['/docs/static/..%5c..%5cpackage.json', 403],
        ['/docs/static/a%00b.css', 400],
        ['/docs/static/', 404],
      ] as const) {
        const refused = await t.app.inject({ method: 'GET', url })
        expect(refused.statusCode, url).toBe(status)
        expect(refused.headers['content-type'], url).toContain('application/problem+json')
        expect(refused.json(), url).toMatchObject({ status })
      }
      const head = await t.app.inject({ method: 'HEAD', url: '/docs/static/swagger-ui.css' })
      expect(head.statusCode).toBe(200)
      expect(head.headers['content-length']).toBe(String(css.rawPayload.length))
      expect(head.body).toBe('')
    } finally {
      await t.close()
    }
  })
})
