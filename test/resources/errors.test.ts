import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import {
  createContact,
  expectProblem,
  expectRejected,
  type Headers,
  lastRevision,
  mergePatch,
  type TestApp,
  writer,
} from './fixtures.js'

let t: TestApp
let auth: Headers
beforeAll(async () => {
  t = await buildTestApp()
  auth = await writer()
})
afterAll(() => t.close())

describe('request bodies', () => {
  it('malformed JSON is 400 problem+json, never a stack trace', async () => {
    const body = await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/contacts',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{"familyName": "Zhumabekov",',
      },
      400,
    )
    expect(body).toMatchObject({ type: 'urn:pocdir:problem:malformed-body', title: 'Bad Request' })
  })

  it('malformed merge-patch JSON is 400 problem+json', async () => {
    const contact = await createContact(t)
    await expectRejected(
      t,
      {
        method: 'PATCH',
        url: `/v1/contacts/${contact.id}`,
        headers: mergePatch(auth),
        payload: "{positionTitle: 'Director'}",
      },
      400,
    )
  })

  it('a body that is not an object (array, string, empty) is 400', async () => {
    for (const payload of ['[]', '"hello"', '42', 'null']) {
      await expectRejected(
        t,
        {
          method: 'POST',
          url: '/v1/contacts',
          headers: { ...auth, 'content-type': 'application/json' },
          payload,
        },
        400,
      )
    }
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/contacts',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '',
      },
      400,
    )
  })

  it('text/plain is 415, on POST and on PATCH, and writes nothing', async () => {
    const contact = await createContact(t)
    const cases: InjectOptions[] = [
      {
        method: 'POST',
        url: '/v1/contacts',
        headers: { ...auth, 'content-type': 'text/plain' },
        payload: '{"familyName":"X"}',
      },
      {
        method: 'PATCH',
        url: `/v1/contacts/${contact.id}`,
        headers: { ...auth, 'content-type': 'text/plain; charset=utf-8' },
        payload: '{"positionTitle":"X"}',
      },
    ]
    for (const request of cases) await expectRejected(t, request, 415)
  })

  it('other wrong content types (application/xml, form) are 415', async () => {
    const cases: InjectOptions[] = [
      {
        method: 'POST',
        url: '/v1/contacts',
        headers: { ...auth, 'content-type': 'application/xml' },
        payload: '<contact/>',
      },
      {
        method: 'POST',
        url: '/v1/organizations',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'name=X&kind=ngo',
      },
    ]
    for (const request of cases) {
      const body = await expectRejected(t, request, 415)
      expect(body).toMatchObject({
        type: 'urn:pocdir:problem:unsupported-media-type',
        title: 'Unsupported Media Type',
      })
    }
  })

  it('merge-patch+json with a charset parameter is accepted', async () => {
    const contact = await createContact(t)
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/v1/contacts/${contact.id}`,
      headers: mergePatch(auth, { 'content-type': 'application/merge-patch+json; charset=utf-8' }),
      payload: JSON.stringify({ positionTitle: 'Director' }),
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ positionTitle: 'Director', version: 2 })
  })
})

describe('body limit', () => {
  let small: TestApp
  beforeAll(async () => {
    small = await buildTestApp({ BODY_LIMIT: '2048' })
  })
  afterAll(() => small.close())

  it('a JSON body over BODY_LIMIT is 413 problem+json and writes nothing', async () => {
    const a = await writer()
    const body = await expectRejected(
      small,
      {
        method: 'POST',
        url: '/v1/contacts',
        headers: a,
        payload: { familyName: 'X', notes: 'n'.repeat(3000) },
      },
      413,
    )
    expect(body).toMatchObject({ type: 'urn:pocdir:problem:payload-too-large', title: 'Content Too Large' })
  })

  it('a merge patch over BODY_LIMIT is 413 too', async () => {
    const a = await writer()
    const created = await small.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: a,
      payload: { familyName: 'X' },
    })
    expect(created.statusCode, created.body).toBe(201)
    await expectRejected(
      small,
      {
        method: 'PATCH',
        url: `/v1/contacts/${created.json().id}`,
        headers: mergePatch(a),
        payload: JSON.stringify({ notes: 'n'.repeat(3000) }),
      },
      413,
    )
  })

  it('a body just under the limit is accepted', async () => {
    const res = await small.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: await writer(),
      payload: { familyName: 'X', notes: 'n'.repeat(1500) },
    })
    expect(res.statusCode, res.body).toBe(201)
  })
})

describe('unknown routes', () => {
  it.each([
    ['GET', '/v1/nope'],
    ['GET', '/nope'],
    ['POST', '/v1/widgets'],
    ['GET', '/v2/contacts'],
  ] as const)('%s %s is 404 problem+json', async (method, url) => {
    const res = await t.app.inject({ method, url })
    const body = expectProblem(res, 404)
    expect(body.detail).toContain(url)
  })
})

describe('x-request-id', () => {
  it('is on every response: success, 201, 304, 4xx and unknown routes', async () => {
    const contact = await createContact(t)
    const responses = [
      await t.app.inject({ method: 'GET', url: '/v1/states/KG' }),
      await t.app.inject({ method: 'GET', url: '/v1/states/KG', headers: { 'if-none-match': '"1"' } }),
      await t.app.inject({
        method: 'POST',
        url: '/v1/contacts',
        headers: auth,
        payload: { familyName: 'Y' },
      }),
      await t.app.inject({ method: 'GET', url: '/v1/states?limit=0' }),
      await t.app.inject({ method: 'GET', url: '/v1/nope' }),
      await t.app.inject({ method: 'DELETE', url: `/v1/contacts/${contact.id}` }),
      await t.app.inject({
        method: 'DELETE',
        url: `/v1/contacts/${contact.id}`,
        headers: { ...auth, 'if-match': '"9"' },
      }),
      await t.app.inject({
        method: 'POST',
        url: '/v1/contacts',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{',
      }),
    ]
    expect(responses.map((r) => r.statusCode)).toEqual([200, 304, 201, 400, 404, 401, 412, 400])
    const ids = responses.map((r) => r.headers['x-request-id'])
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('echoes a sane incoming x-request-id and records it in the revision', async () => {
    const read = await t.app.inject({
      method: 'GET',
      url: '/v1/states/KG',
      headers: { 'x-request-id': 'abc-123' },
    })
    expect(read.headers['x-request-id']).toBe('abc-123')
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: { ...auth, 'x-request-id': 'partner:req.42' },
      payload: { familyName: 'Traced' },
    })
    expect(res.statusCode).toBe(201)
    expect(res.headers['x-request-id']).toBe('partner:req.42')
    expect(lastRevision(t).requestId).toBe('partner:req.42')
    const failed = await t.app.inject({
      method: 'GET',
      url: '/v1/contacts?colour=red',
      headers: { 'x-request-id': 'err-77' },
    })
    expect(failed.statusCode).toBe(400)
    expect(failed.headers['x-request-id']).toBe('err-77')
  })

  it('replaces an unsafe or overlong incoming id with its own', async () => {
    for (const given of ['has spaces', 'new\\nline', 'x'.repeat(129), '<script>']) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/v1/states/KG',
        headers: { 'x-request-id': given },
      })
      expect(res.statusCode).toBe(200)
      const id = res.headers['x-request-id']
      expect(id).toEqual(expect.any(String))
      expect(id).not.toBe(given)
      expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
    }
  })
})

describe('no internals leak', () => {
  it('no error body carries a stack trace, file path or SQL message', async () => {
    const contact = await createContact(t)
    // Each with its exact answer: body and query faults 400, a scope fault 403, a bad token 401.
    const requests: [InjectOptions, number][] = [
      [{ method: 'POST', url: '/v1/contacts', headers: auth, payload: { nope: true } }, 400],
      [
        {
          method: 'POST',
          url: '/v1/contacts',
          headers: { ...auth, 'content-type': 'application/json' },
          payload: '{"a":',
        },
        400,
      ],
      [{ method: 'GET', url: '/v1/contacts?limit=abc' }, 400],
      [{ method: 'GET', url: '/v1/contacts?cursor=%FF%FE' }, 400],
      [{ method: 'GET', url: `/v1/contacts/${'x'.repeat(100)}` }, 400],
      [{ method: 'GET', url: '/v1/states/kg' }, 400],
      [
        { method: 'PATCH', url: `/v1/contacts/${contact.id}`, headers: mergePatch(auth), payload: '[1,2]' },
        400,
      ],
      [
        {
          method: 'POST',
          url: '/v1/assignments',
          headers: auth,
          payload: { contactId: contact.id, roleId: 'x', organizationId: 'y', startDate: '2024-01-01' },
        },
        400,
      ],
      [{ method: 'POST', url: '/v1/states', headers: auth, payload: {} }, 403],
      [{ method: 'GET', url: '/v1/contacts', headers: { authorization: 'Bearer not.a.token' } }, 401],
    ]
    for (const [request, status] of requests) {
      const res = await t.app.inject(request)
      expect(res.statusCode, `${request.method} ${request.url}: ${res.body}`).toBe(status)
      expectProblem(res, status)
    }
  })
})
