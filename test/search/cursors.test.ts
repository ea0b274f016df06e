import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'

/** A search's cursor carries the rank; it must not silently end a list without the same kind of order. */
describe('ranked and plain cursors do not mix', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let ranked: { contacts: string; organizations: string }
  let plain: string

  beforeAll(async () => {
    t = await buildTestApp()
    const w = await bearer('directory:write')
    for (const familyName of ['Zedov', 'Zedova', 'Zedenko']) {
      await t.app.inject({ method: 'POST', url: '/v1/contacts', headers: w, payload: { familyName } })
    }
    for (const name of ['Zed Agency', 'Zed Office']) {
      await t.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: w,
        payload: { name, kind: 'government', stateCode: 'KG' },
      })
    }
    ranked = {
      contacts: (await t.app.inject({ url: '/v1/contacts?q=zed&limit=1' })).json().nextCursor,
      organizations: (await t.app.inject({ url: '/v1/organizations?q=zed&limit=1' })).json().nextCursor,
    }
    plain = (await t.app.inject({ url: '/v1/contacts?limit=1' })).json().nextCursor
    expect(ranked.contacts && ranked.organizations && plain).toBeTruthy()
  })
  afterAll(() => t.close())

  it.each([
    ['/v1/contacts?limit=1&cursor=', 'contacts'],
    ['/v1/organizations?limit=1&cursor=', 'organizations'],
  ] as const)('a search cursor on %s without q is 400', async (url, from) => {
    const res = await t.app.inject({ url: `${url}${ranked[from]}` })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
    expect(res.json().errors).toEqual([
      { path: 'cursor', message: 'belongs to a search; repeat the same q with it' },
    ])
  })

  it('a plain cursor with q is 400', async () => {
    const res = await t.app.inject({ url: `/v1/contacts?q=zed&limit=1&cursor=${plain}` })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors[0].path).toBe('cursor')
  })

  it('the search cursor walks the search', async () => {
    const next = await t.app.inject({ url: `/v1/contacts?q=zed&limit=5&cursor=${ranked.contacts}` })
    expect(next.statusCode).toBe(200)
    expect(next.json().items).toHaveLength(2)
  })
})
