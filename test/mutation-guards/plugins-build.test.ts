import { describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { problemBody, type TestApp } from '../helpers/http.js'

/**
 * Plugins whose hooks and options are set while the app is built (text-hygiene, read-cache),
 * each checked on an app built inside its test, never in a beforeAll: Stryker counts a file whose
 * beforeAll failed as no test run at all, so a change that breaks the build would otherwise be
 * reported as survived.
 */
async function withApp(check: (t: TestApp) => Promise<void>) {
  const t = await buildTestApp()
  try {
    await check(t)
  } finally {
    await t.close()
  }
}

describe('apps built by the tests themselves', () => {
  it('text hygiene: a lone surrogate in a body is a 400 naming the field, and nothing is written', async () => {
    await withApp(async (t) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/contacts',
        headers: { ...(await bearer('directory:write')), 'content-type': 'application/json' },
        payload: '{"familyName":"A\\ud800"}',
      })
      const body = problemBody(res, 400)
      expect(body.errors).toEqual([{ path: 'familyName', message: expect.any(String) }])
      const list = await t.app.inject({ method: 'GET', url: '/v1/contacts' })
      expect(list.json().items).toEqual([])
    })
  })

  it('read cache: a repeated read is served from memory with its weak tag', async () => {
    await withApp(async (t) => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/v1/contacts',
        headers: await bearer('directory:write'),
        payload: { familyName: 'Cached' },
      })
      expect(created.statusCode, created.body).toBe(201)
      const first = await t.app.inject({ method: 'GET', url: '/v1/contacts' })
      expect(first.headers.etag).toMatch(/^W\/"\d+\.\d{4}-\d{2}-\d{2}\.p\."$/)
      t.db.$client.prepare("update contacts set family_name = 'Underneath'").run()
      const hit = await t.app.inject({ method: 'GET', url: '/v1/contacts' })
      expect(hit.body).toBe(first.body)
      expect(hit.headers.etag).toBe(first.headers.etag)
    })
  })
})
