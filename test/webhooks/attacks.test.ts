import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bearer, buildTestApp, signToken, snapshot } from '../helpers/build-test-app.js'
import {
  createAssignment,
  createContact,
  createOrganization,
  expectProblem,
  getJson,
  type Json,
  mergePatch,
  type TestApp,
  writer,
} from '../resources/fixtures.js'
import { type Receiver, startReceiver, verified } from './receiver.js'
import { type Created, FAST } from './support.js'

/**
 * Webhooks attacked as a hostile partner, a hostile admin of another state and a malicious
 * receiver would. Every refusal is proved to write nothing (every table, before and after).
 */
vi.setConfig({ testTimeout: 60_000 })

/** The issuer the app under test expects (the tokens describe sets one). */
let issuer: string | undefined
const adminAuth = () => bearer('directory:admin', { sub: 'admin-alice', ...(issuer ? { iss: issuer } : {}) })

let t: TestApp
const receivers: Receiver[] = []
const servers: (Server | TcpServer)[] = []
const sockets: { destroy(): void }[] = []
const dirs: string[] = []
const receiver = async () => {
  const r = await startReceiver()
  receivers.push(r)
  return r
}

afterEach(async () => {
  issuer = undefined
  for (const s of sockets.splice(0)) s.destroy()
  await t?.close()
  await Promise.all(receivers.splice(0).map((r) => r.close()))
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function subscribe(body: Json): Promise<Created> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: await adminAuth(),
    payload: body,
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as Created
}

async function refusedCreate(payload: unknown) {
  const before = snapshot(t.db)
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: { ...(await adminAuth()), 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  })
  const problem = expectProblem(res, 400)
  expect(snapshot(t.db), 'a refused request writes nothing').toBe(before)
  return problem
}

const routes = (id: string, url: string) =>
  [
    { method: 'GET', url: '/v1/webhooks' },
    { method: 'POST', url: '/v1/webhooks', payload: { url } },
    { method: 'GET', url: `/v1/webhooks/${id}` },
    { method: 'PATCH', url: `/v1/webhooks/${id}`, payload: { active: false } },
    { method: 'DELETE', url: `/v1/webhooks/${id}` },
    { method: 'GET', url: `/v1/webhooks/${id}/history` },
    { method: 'GET', url: `/v1/webhooks/${id}/deliveries` },
    { method: 'POST', url: `/v1/webhooks/${id}/rotate-secret` },
    { method: 'POST', url: `/v1/webhooks/${id}/ping` },
  ] as const

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('tokens', () => {
  beforeEach(async () => {
    issuer = 'https://idp.example'
    t = await buildTestApp({ ...FAST, JWT_ISSUER: issuer })
  })

  it('alg none, a forged signature, a wrong issuer, one second expired: 401 on every route, nothing written or sent', async () => {
    const r = await receiver()
    const sub = await subscribe({ url: r.url })
    const exp = Math.floor(Date.now() / 1000) + 3600
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
      sub: 'mallory',
      scope: 'directory:admin',
      iss: 'https://idp.example',
      exp,
    })}.`
    const tokens: [string, string][] = [
      [unsigned, 'The token is signed with an algorithm this service does not accept'],
      [
        await signToken({
          scope: 'directory:admin',
          iss: 'https://idp.example',
          secret: 'not-the-secret-0123456789-abcdefgh',
        }),
        'The token signature is not valid',
      ],
      [
        await signToken({ scope: 'directory:admin', iss: 'https://evil.example' }),
        "The token's iss claim is not accepted",
      ],
      [
        await signToken({ scope: 'directory:admin', iss: 'https://idp.example', expiresIn: -1 }),
        'The token has expired',
      ],
    ]
    const before = snapshot(t.db)
    for (const [token, detail] of tokens) {
      for (const req of routes(sub.id, r.url)) {
        const res = await t.app.inject({ ...req, headers: { authorization: `Bearer ${token}` } } as never)
        expect(expectProblem(res, 401).detail, `${req.method} ${req.url}`).toBe(detail)
      }
    }
    expect(snapshot(t.db)).toBe(before)
    expect(r.received).toHaveLength(0)
  })

  it("a KG-limited admin may not subscribe even to KG alone, nor read, patch or ping another's subscription", async () => {
    const r = await receiver()
    const sub = await subscribe({ url: r.url, states: ['KG'] })
    const kgAdmin = await bearer('directory:admin', { iss: 'https://idp.example', states: ['KG'] })
    const before = snapshot(t.db)
    for (const req of [
      ...routes(sub.id, r.url),
      { method: 'POST', url: '/v1/webhooks', payload: { url: r.url, states: ['KG'] } },
      {
        method: 'PATCH',
        url: `/v1/webhooks/${sub.id}`,
        payload: { states: ['KZ'], includeRestricted: true },
      },
    ]) {
      const res = await t.app.inject({ ...req, headers: kgAdmin } as never)
      expect(expectProblem(res, 403).detail).toBe(
        'A token limited to states may not change webhook subscriptions',
      )
    }
    expect(snapshot(t.db)).toBe(before)
    expect(r.received).toHaveLength(0)
  })
})

describe('targets', () => {
  beforeEach(async () => {
    t = await buildTestApp({ ...FAST, WEBHOOK_ALLOW_LOOPBACK: 'false' })
  })

  it.each([
    [
      'http://2130706433/',
      'must be an https URL (http is allowed only to loopback, when WEBHOOK_ALLOW_LOOPBACK is on)',
    ],
    ['https://2130706433/', 'resolves to a refused address: 127.0.0.1 is a loopback address'],
    ['https://0x7f.1/', 'resolves to a refused address: 127.0.0.1 is a loopback address'],
    ['https://0177.0.0.1/', 'resolves to a refused address: 127.0.0.1 is a loopback address'],
    ['https://127.1:8443/x', 'resolves to a refused address: 127.0.0.1 is a loopback address'],
    ['https://[::ffff:127.0.0.1]/', 'resolves to a refused address: 127.0.0.1 is a loopback address'],
    ['https://[::ffff:7f00:1]/', 'resolves to a refused address: 127.0.0.1 is a loopback address'],
    [
      'https://[::ffff:a9fe:a9fe]/',
      'resolves to a refused address: 169.254.169.254 is a private or link-local address',
    ],
    ['https://[::1]/', 'resolves to a refused address: ::1 is a loopback address'],
    ['https://[::]/', 'resolves to a refused address: :: is in the unspecified range'],
    // IPv4-compatible (deprecated, ::/96): not a public address either.
    ['https://[::127.0.0.1]/', 'resolves to a refused address: ::7f00:1 is not a global unicast address'],
    ['https://[::a00:1]/', 'resolves to a refused address: ::a00:1 is not a global unicast address'],
    ['https://[64:ff9b::7f00:1]/', 'resolves to a refused address: 64:ff9b::7f00:1 is in the rfc6052 range'],
    ['https://[2002:7f00:1::]/', 'resolves to a refused address: 2002:7f00:1:: is in the 6to4 range'],
    ['https://[fec0::1]/', 'resolves to a refused address: fec0::1 is in the deprecatedSiteLocal range'],
    ['https://[fe80::1]/', 'resolves to a refused address: fe80::1 is a private or link-local address'],
    ['https://192.0.2.1/', 'resolves to a refused address: 192.0.2.1 is in the reserved range'],
    ['https://255.255.255.255/', 'resolves to a refused address: 255.255.255.255 is in the broadcast range'],
    ['https://224.0.0.1/', 'resolves to a refused address: 224.0.0.1 is in the multicast range'],
    ['https://100.64.0.1/', 'resolves to a refused address: 100.64.0.1 is a private or link-local address'],
    ['https://good.example@127.0.0.1/', 'must not carry credentials'],
    ['https://127.0.0.1\\@good.example/', 'resolves to a refused address: 127.0.0.1 is a loopback address'],
    ['https://good.example/#x', 'must not carry a fragment'],
    ['javascript:alert(1)', 'must be an https URL'],
    ['file:///etc/passwd', 'must be an https URL'],
    ['//good.example/hook', 'must be an absolute http(s) URL'],
  ])('%s is refused (400, url), nothing written', async (url, message) => {
    const problem = await refusedCreate({ url })
    expect(problem.errors).toEqual([{ path: 'url', message }])
  })

  it('control characters, whitespace and unpaired surrogates in a URL are refused, not silently dropped', async () => {
    for (const url of [
      'https://good.exa\tmple/',
      'https://good.example/\nhook',
      'https://good.example/\u0000',
      ' https://good.example/',
    ]) {
      const problem = await refusedCreate({ url })
      expect(problem.errors).toEqual([{ path: 'url', message: 'must not hold control characters or spaces' }])
    }
    const problem = await refusedCreate({ url: 'https://good.example/\ud800' })
    expect(problem.errors?.[0]?.path).toBe('url')
  })

  it('PATCH judges a new URL like create: 400 naming url, nothing written', async () => {
    const sub = await subscribe({ url: 'https://partner.invalid/hook' })
    const auth = await adminAuth()
    const before = snapshot(t.db)
    for (const [url, message] of [
      ['https://[::a00:1]/', 'resolves to a refused address: ::a00:1 is not a global unicast address'],
      ['https://partner.inva\tlid/hook', 'must not hold control characters or spaces'],
      ['https://0x7f.1/', 'resolves to a refused address: 127.0.0.1 is a loopback address'],
    ]) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/v1/webhooks/${sub.id}`,
        headers: mergePatch(auth, { 'if-match': '"1"' }),
        payload: { url },
      })
      expect(expectProblem(res, 400).errors).toEqual([{ path: 'url', message }])
    }
    expect(snapshot(t.db)).toBe(before)
  })

  it('a stored subscription to loopback is refused at ping time once loopback is not allowed: nothing reaches it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocdir-webhooks-'))
    dirs.push(dir)
    const file = { ...FAST, DATABASE_PATH: join(dir, 'pocdir.db') }
    await t.close()
    const r = await receiver()
    t = await buildTestApp(file)
    const sub = await subscribe({ url: r.url.replace('127.0.0.1', '2130706433') })
    // Stored as the URL the service will request, not as typed.
    expect(sub.url).toBe(r.url)
    await t.close()
    t = await buildTestApp({ ...file, WEBHOOK_ALLOW_LOOPBACK: 'false', WEBHOOK_DELIVERY: 'false' })
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${sub.id}/ping`,
      headers: await adminAuth(),
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      kind: 'ping',
      seq: null,
      attempt: 1,
      status: null,
      error:
        'refused: must be an https URL (http is allowed only to loopback, when WEBHOOK_ALLOW_LOOPBACK is on)',
    })
    expect(r.received).toHaveLength(0)
  })
})

describe('a malicious receiver', () => {
  const listen = async (server: Server | TcpServer) => {
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  }

  it('an endless answer is read up to its limit; headers that never end time out', async () => {
    t = await buildTestApp({ ...FAST, WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_DELIVERY: 'false' })
    const endless = await listen(
      createServer((req, res) => {
        sockets.push(req.socket)
        res.writeHead(200, { 'content-type': 'text/plain' })
        const chunk = Buffer.alloc(64 * 1024, 'x')
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) {}
          if (!res.destroyed) res.once('drain', pump)
        }
        pump()
      }),
    )
    const stalled = await listen(
      createTcpServer((socket) => {
        sockets.push(socket)
        socket.on('error', () => {})
        socket.write('HTTP/1.1 200 OK\r\nX-Slow: ')
      }),
    )
    const auth = await adminAuth()
    const ping = async (url: string) => {
      const sub = await subscribe({ url })
      const res = await t.app.inject({ method: 'POST', url: `/v1/webhooks/${sub.id}/ping`, headers: auth })
      expect(res.statusCode, res.body).toBe(200)
      return res.json() as Json
    }
    expect(await ping(endless)).toMatchObject({ kind: 'ping', attempt: 1, status: 200, error: null })
    expect(await ping(stalled)).toMatchObject({
      kind: 'ping',
      attempt: 1,
      status: null,
      error: 'no answer within 500 ms',
    })
  })
})

describe('bodies', () => {
  beforeEach(async () => {
    t = await buildTestApp({ ...FAST, WEBHOOK_DELIVERY: 'false' })
  })

  it('every entity type may be named at once (eight, not the five the contract first allowed)', async () => {
    const r = await receiver()
    const every = [
      'state',
      'organization',
      'role',
      'contact',
      'assignment',
      'training-event',
      'participation',
      'campaign',
    ]
    const sub = await subscribe({ url: r.url, entities: every })
    expect(sub.entities).toEqual(every)
    const sevenOfThem = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${sub.id}`,
      headers: mergePatch(await adminAuth()),
      payload: { entities: every.slice(0, 7) },
    })
    expect(sevenOfThem.statusCode, sevenOfThem.body).toBe(200)
    expect(sevenOfThem.json()).toMatchObject({ version: 2, entities: every.slice(0, 7) })
  })

  it('duplicates, unknown and wrong types, oversized text are 400', async () => {
    const r = await receiver()
    const sub = await subscribe({ url: r.url })
    expect((await refusedCreate({ url: r.url, entities: ['contact', 'contact'] })).errors).toEqual([
      { path: 'entities', message: 'must not name a type twice' },
    ])
    expect((await refusedCreate({ url: r.url, entities: [] })).errors?.map((e) => e.path)).toEqual([
      'entities',
    ])
    expect((await refusedCreate({ url: r.url, entities: ['webhook'] })).errors?.map((e) => e.path)).toEqual([
      'entities.0',
    ])
    expect((await refusedCreate({ url: r.url, states: ['kg'] })).errors?.map((e) => e.path)).toEqual([
      'states.0',
    ])
    expect((await refusedCreate({ url: r.url, states: ['XK'] })).errors).toEqual([
      { path: 'states.0', message: 'is not a known state code (XK)' },
    ])
    expect((await refusedCreate({ url: r.url, active: 'yes' })).errors?.map((e) => e.path)).toEqual([
      'active',
    ])
    expect((await refusedCreate({ url: r.url, includeRestricted: 1 })).errors?.map((e) => e.path)).toEqual([
      'includeRestricted',
    ])
    expect(
      (await refusedCreate({ url: r.url, description: 'x'.repeat(2001) })).errors?.map((e) => e.path),
    ).toEqual(['description'])
    expect(
      (await refusedCreate({ url: r.url, description: 'bell\u0007' })).errors?.map((e) => e.path),
    ).toEqual(['description'])
    expect((await refusedCreate({ url: `${r.url}?${'a'.repeat(2000)}` })).errors?.map((e) => e.path)).toEqual(
      ['url'],
    )
    expect((await refusedCreate({ url: r.url, id: sub.id })).errors?.length).toBe(1)
    expect((await refusedCreate({ url: r.url, delivery: { position: 0 } })).errors?.length).toBe(1)
  })

  it('If-Match: a stale version is 412 on PATCH, DELETE and rotate-secret, and writes nothing; the current one passes', async () => {
    const r = await receiver()
    const sub = await subscribe({ url: r.url })
    const auth = await adminAuth()
    const before = snapshot(t.db)
    for (const req of [
      {
        method: 'PATCH',
        url: `/v1/webhooks/${sub.id}`,
        headers: mergePatch(auth, { 'if-match': '"2"' }),
        payload: { active: false },
      },
      { method: 'DELETE', url: `/v1/webhooks/${sub.id}`, headers: { ...auth, 'if-match': '"2"' } },
      {
        method: 'POST',
        url: `/v1/webhooks/${sub.id}/rotate-secret`,
        headers: { ...auth, 'if-match': '"0"' },
      },
    ]) {
      expectProblem(await t.app.inject(req as never), 412)
    }
    // A body that is wrong and a stale version: the body is judged first (400).
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${sub.id}`,
      headers: mergePatch(auth, { 'if-match': '"2"' }),
      payload: { includeRestricted: 'yes' },
    })
    expectProblem(bad, 400, ['includeRestricted'])
    expect(snapshot(t.db)).toBe(before)
    const ok = await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${sub.id}`,
      headers: mergePatch(auth, { 'if-match': '"1"' }),
      payload: { includeRestricted: true },
    })
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json()).toMatchObject({ version: 2, includeRestricted: true })
    // Nothing of the subscription, its secret included, in its history.
    const history = await getJson<{ items: Json[] }>(t, `/v1/webhooks/${sub.id}/history`, auth)
    expect(JSON.stringify(history)).not.toContain(sub.secret.slice(6))
    expect(history.items[0]?.changes).toEqual({ includeRestricted: { before: false, after: true } })
  })
})

describe('privacy of deliveries without includeRestricted', () => {
  beforeEach(async () => {
    t = await buildTestApp(FAST)
  })

  it('a restricted-only update, notes and an erase reach the receiver exactly as the anonymous feed shows them', async () => {
    const r = await receiver()
    const start = (await getJson<{ nextAfter: number }>(t, '/v1/changes?after=latest')).nextAfter
    const sub = await subscribe({ url: r.url })
    const w = await writer()
    const org = await createOrganization(t, { stateCode: 'KG' })
    const c = await createContact(t, {
      notes: 'lives above the bakery',
      contactDetails: [{ type: 'email', value: 'secret-one@example.org', visibility: 'restricted' }],
    })
    await createAssignment(t, { contactId: c.id, organizationId: org.id })
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/contacts/${c.id}`,
      headers: mergePatch(w),
      payload: {
        notes: 'moved to the coast',
        contactDetails: [{ type: 'email', value: 'secret-two@example.org', visibility: 'restricted' }],
      },
    })
    expect(patched.statusCode, patched.body).toBe(200)
    const beforeErase = (await getJson<{ items: Json[] }>(t, `/v1/changes?after=${start}&limit=1000`)).items
    await r.until((got) => got.length >= beforeErase.length)
    const erased = await t.app.inject({
      method: 'POST',
      url: `/v1/contacts/${c.id}/erase`,
      headers: await adminAuth(),
      payload: { reason: 'Letter of Ms Secret-Reason' },
    })
    expect(erased.statusCode, erased.body).toBe(200)
    const anonymous = (await getJson<{ items: Json[] }>(t, `/v1/changes?after=${start}&limit=1000`)).items
    expect(anonymous.map((e) => `${e.entity}:${e.action}`)).toEqual([
      'organization:create',
      'contact:create',
      'assignment:create',
      'contact:update',
      'contact:erase',
    ])
    // The update changed restricted values only: the public feed shows it with nothing changed.
    expect(anonymous[3]?.changes).toEqual({})
    await r.until((got) => got.length >= anonymous.length)
    // An erase rewrites the earlier revisions in the feed; what was sent before it was the feed then.
    const got = r.received.map((x) => verified(sub.secret, x))
    expect(got.slice(0, 4)).toEqual(beforeErase)
    expect(got[4]).toEqual(anonymous[4])
    expect(got).toHaveLength(5)
    const sent = r.received.map((x) => x.body).join('\n')
    for (const word of ['secret-one', 'secret-two', 'bakery', 'coast', 'Secret-Reason', 'notes']) {
      expect(sent).not.toContain(word)
    }
  })
})
