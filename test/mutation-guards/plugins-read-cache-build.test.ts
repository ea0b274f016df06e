import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { buildSeededApp } from '../helpers/build-test-app.js'

/**
 * src/plugins/read-cache.ts on apps built inside each test: READ_CACHE_MB=0 (tags and 304s, no
 * memory), answers Fastify serializes to text (reports) cached like the byte pages of lists,
 * and a route marked cached that answers another method than GET left alone. A hit is told from
 * a miss by changing a row underneath the service (no revision, so the head stays).
 */
async function withApp(
  check: (app: FastifyInstance, db: Awaited<ReturnType<typeof buildSeededApp>>['db']) => Promise<void>,
  env: Record<string, string> = {},
) {
  const { app, db } = await buildSeededApp(env)
  try {
    await check(app, db)
  } finally {
    await app.close()
    db.$client.close()
  }
}

describe('READ_CACHE_MB=0', () => {
  it('keeps nothing: a change underneath shows at once, and tags and 304s still work', async () => {
    await withApp(
      async (app, db) => {
        const first = await app.inject({ method: 'GET', url: '/v1/states?limit=1' })
        expect(first.statusCode).toBe(200)
        const tag = first.headers.etag as string
        expect(tag).toMatch(/^W\/"\d+\.\d{4}-\d{2}-\d{2}\.p\."$/)
        const code = first.json().items[0].code as string
        db.$client.prepare('update states set official_name = ? where code = ?').run('Underneath', code)
        const second = await app.inject({ method: 'GET', url: '/v1/states?limit=1' })
        expect(second.json().items[0].officialName).toBe('Underneath')
        expect(second.headers.etag).toBe(tag)
        const notModified = await app.inject({
          method: 'GET',
          url: '/v1/states?limit=1',
          headers: { 'if-none-match': tag },
        })
        expect(notModified.statusCode).toBe(304)
        expect(notModified.headers.etag).toBe(tag)
      },
      { READ_CACHE_MB: '0' },
    )
  })
})

describe('answers serialized to text', () => {
  it('a report is served from memory on the second read, with its tag', async () => {
    await withApp(async (app, db) => {
      const url = '/v1/reports/coverage?state=KG'
      const first = await app.inject({ method: 'GET', url })
      expect(first.statusCode, first.body).toBe(200)
      expect(first.json().items[0].name).toBe('Kyrgyzstan')
      // Renamed underneath (no revision): a fresh read would show the new name.
      db.$client.prepare("update states set name = 'Underneath' where code = 'KG'").run()
      const hit = await app.inject({ method: 'GET', url })
      expect(hit.body).toBe(first.body)
      expect(hit.headers.etag).toBe(first.headers.etag)
      expect(hit.headers['content-type']).toBe(first.headers['content-type'])
    })
  })

  it('a route of our own answering text through the serializer is cached too', async () => {
    await withApp(async (app) => {
      let n = 0
      app.get('/test/counted', { config: { feedCached: true } }, async () => ({ n: ++n }))
      const first = await app.inject({ method: 'GET', url: '/test/counted' })
      expect(first.json()).toEqual({ n: 1 })
      const hit = await app.inject({ method: 'GET', url: '/test/counted' })
      expect(hit.json()).toEqual({ n: 1 })
      expect(hit.headers.etag).toBe(first.headers.etag)
      expect(n).toBe(1)
    })
  })
})

describe('only GET and HEAD', () => {
  it('a cached route answering POST gets no tag, never a 304, and is never stored', async () => {
    await withApp(async (app) => {
      let n = 0
      app.post('/test/counted', { config: { feedCached: true } }, async () => ({ n: ++n }))
      const first = await app.inject({ method: 'POST', url: '/test/counted' })
      expect(first.json()).toEqual({ n: 1 })
      expect(first.headers.etag).toBeUndefined()
      expect(first.headers.vary).toBeUndefined()
      const again = await app.inject({
        method: 'POST',
        url: '/test/counted',
        headers: { 'if-none-match': '*' },
      })
      expect(again.statusCode).toBe(200)
      expect(again.json()).toEqual({ n: 2 })
      expect(again.headers.etag).toBeUndefined()
    })
  })
})
