import { Writable } from 'node:stream'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { bearer, buildTestApp, TEST_SECRET } from '../helpers/build-test-app.js'
import { problemBody } from '../helpers/http.js'
import {
  created,
  daysFrom,
  fullSnapshot,
  type Json,
  post,
  seedScenario,
  type TestApp,
  TOKEN,
} from './support.js'

interface Captured {
  from: string
  to: string[]
  data: string
}

/** An SMTP server in this process that keeps every message it is given. */
async function startSmtp() {
  const messages: Captured[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as { port: number }
  return { messages, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

/** Quoted-printable soft line breaks and escapes undone, so a link reads as sent. */
const unfold = (qp: string) =>
  qp
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))

describe('sending through SMTP', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>
  let t: TestApp
  beforeAll(async () => {
    smtp = await startSmtp()
    t = await buildTestApp({
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      SMTP_FROM: 'PoC directory <directory@osce.example>',
      PUBLIC_BASE_URL: 'https://pocdir.example.org/',
    })
  })
  afterAll(async () => {
    await t.close()
    await smtp.close()
  })

  it('mails each person with an address their own fresh link; the links issued before stop working', async () => {
    const s = await seedScenario(t)
    const w = await bearer('directory:write', { sub: 'coordinator' })
    const { campaign, links } = await created(t, '/v1/campaigns', w, {
      title: 'Annual check',
      message: 'Please confirm your entry.',
      dueDate: daysFrom(7),
      stateCodes: ['KG', 'KZ'],
    })
    expect(links.map((l: Json) => l.link)).toEqual(
      links.map((l: Json) => `https://pocdir.example.org/verify/${l.token}`),
    )
    const res = await post(t, `/v1/campaigns/${campaign.id}/send`, w)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      sent: [
        { contactId: s.asan.id, name: 'Asan Zhumabekov' },
        { contactId: s.bermet.id, name: 'Bermet Asanova' },
        { contactId: s.dana.id, name: 'Dana Nurlanova' },
      ],
      withoutEmail: [],
      failed: [],
    })
    expect(smtp.messages.map((m) => m.to)).toEqual([
      ['a.zhumabekov@mfa.gov.kg'],
      ['b.asanova@un.int'],
      ['d.nurlanova@mfa.kz'],
    ])
    const mailed = smtp.messages.map((m) => {
      const text = unfold(m.data)
      expect(m.from).toBe('directory@osce.example')
      expect(text).toContain('Subject: Annual check')
      expect(text).toContain('Please confirm your entry.')
      const match = /https:\/\/pocdir\.example\.org\/verify\/([A-Za-z0-9_-]+)/.exec(text)
      expect(match?.[1]).toMatch(TOKEN)
      return match?.[1] as string
    })
    expect(new Set(mailed).size).toBe(3)
    // Each mailed link opens its own person's record; the links from the create answer are void.
    const own = await t.app.inject({ method: 'GET', url: `/v1/verification/${mailed[2]}` })
    expect(own.json().contact.displayName).toBe('Dana Nurlanova')
    for (const l of links) {
      expect((await t.app.inject({ method: 'GET', url: `/v1/verification/${l.token}` })).statusCode).toBe(404)
    }
  })
})

describe('without SMTP', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp({ PUBLIC_BASE_URL: 'https://pocdir.example.org' })
  })
  afterAll(() => t.close())

  it('the mail merge answers name,email,link as protected CSV with fresh links; send is a 409', async () => {
    const s = await seedScenario(t)
    const w = await bearer('directory:write', { sub: 'coordinator' })
    t.db.$client
      .prepare('update contacts set display_name = \'=HYPERLINK("x")\' where id = ?')
      .run(s.bermet.id)
    const { campaign } = await created(t, '/v1/campaigns', w, {
      title: 'Check',
      message: 'Please confirm.',
      dueDate: daysFrom(7),
      stateCodes: ['KG'],
    })
    const before = fullSnapshot(t.db)
    expect(problemBody(await post(t, `/v1/campaigns/${campaign.id}/send`, w), 409).detail).toBe(
      'Sending needs SMTP_URL; use the mail merge instead',
    )
    expect(fullSnapshot(t.db)).toBe(before)
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/campaigns/${campaign.id}/mail-merge`,
      headers: { ...w, accept: 'text/csv' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    const lines = res.body.trim().split('\n')
    const tokens = lines.slice(1).map((l) => /verify\/([A-Za-z0-9_-]{43})$/.exec(l)?.[1])
    expect(lines).toEqual([
      'name,email,link',
      `"'=HYPERLINK(""x"")",b.asanova@un.int,https://pocdir.example.org/verify/${tokens[0]}`,
      `Asan Zhumabekov,a.zhumabekov@mfa.gov.kg,https://pocdir.example.org/verify/${tokens[1]}`,
    ])
    expect((await t.app.inject({ method: 'GET', url: `/v1/verification/${tokens[0]}` })).statusCode).toBe(200)
    // JSON by default; issuing again voids the CSV's links.
    const json = await post(t, `/v1/campaigns/${campaign.id}/mail-merge`, w)
    expect(json.json().items.map((i: Json) => i.contactId)).toEqual([s.bermet.id, s.asan.id])
    expect((await t.app.inject({ method: 'GET', url: `/v1/verification/${tokens[0]}` })).statusCode).toBe(404)
    // A KG-limited read token, an anonymous client: refused, nothing re-issued.
    const unchanged = fullSnapshot(t.db)
    problemBody(await post(t, `/v1/campaigns/${campaign.id}/mail-merge`, await bearer('directory:read')), 403)
    problemBody(await post(t, `/v1/campaigns/${campaign.id}/mail-merge`, {}), 401)
    const kz = await bearer('directory:write', { states: ['KZ'] })
    problemBody(await post(t, `/v1/campaigns/${campaign.id}/mail-merge`, kz), 403)
    expect(fullSnapshot(t.db)).toBe(unchanged)
  })
})

describe('the page at /verify/{token}', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(() => t.close())

  it('shows the record with a confirm button and a correction form, with no inline script or style, and confirms on POST', async () => {
    const s = await seedScenario(t)
    const w = await bearer('directory:write', { sub: 'coordinator' })
    const { campaign, links } = await created(t, '/v1/campaigns', w, {
      title: 'Annual <check>',
      message: 'Please confirm.',
      dueDate: daysFrom(7),
      stateCodes: ['KG'],
    })
    const [asan, bermet] = links as Json[]
    const page = await t.app.inject({ method: 'GET', url: `/verify/${asan?.token}` })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.body).toContain('<title>Annual &lt;check&gt; · UNSCR 1540 points of contact</title>')
    expect(page.body).toContain('a.zhumabekov@mfa.gov.kg')
    expect(page.body).toContain(`<form method="post" action="${asan?.token}/confirm">`)
    expect(page.body).toContain(`<form method="post" action="${asan?.token}/corrections">`)
    expect(page.body).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i)
    expect(page.body).not.toContain('Bermet')

    const confirmed = await t.app.inject({
      method: 'POST',
      url: `/verify/${asan?.token}/confirm`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    })
    expect(confirmed.statusCode).toBe(200)
    expect(confirmed.body).toContain('Your entry is confirmed.')
    const history = (
      await t.app.inject({ method: 'GET', url: `/v1/contacts/${s.asan.id}/history?limit=1`, headers: w })
    ).json()
    expect(history.items[0].actor).toBe(`campaign:${campaign.id}`)
    const used = await t.app.inject({ method: 'GET', url: `/verify/${asan?.token}` })
    const unknown = await t.app.inject({ method: 'GET', url: `/verify/${'B'.repeat(43)}` })
    expect(used.statusCode).toBe(404)
    expect(used.body).toBe(unknown.body)

    // The correction form: a bad phone number shows the form again; a good one is queued for review.
    const form = (body: string) =>
      t.app.inject({
        method: 'POST',
        url: `/verify/${bermet?.token}/corrections`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: body,
      })
    const bad = await form(
      'givenName=Bermet&familyName=Asanova&positionTitle=Counsellor&email=b.asanova%40un.int&phone=12',
    )
    expect(bad.statusCode).toBe(400)
    expect(bad.body).toContain('is not a valid international phone number')
    const good = await form(
      'givenName=Bermet&familyName=Asanova&positionTitle=Counsellor&email=b.asanova%40un.int&phone=%2B1+212+555+0100',
    )
    expect(good.statusCode).toBe(202)
    const corrections = (
      await t.app.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}/corrections`, headers: w })
    ).json()
    expect(corrections.items[0].patch).toEqual({
      positionTitle: 'Counsellor',
      contactDetails: [
        { type: 'email', value: 'b.asanova@un.int', label: null, visibility: 'public' },
        { type: 'phone', value: '+12125550100', label: null, visibility: 'restricted' },
      ],
    })
  })
})

describe('logs and limits', () => {
  it('no token reaches the log: link paths are redacted in request logs', async () => {
    const lines: string[] = []
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const config = loadConfig({ JWT_SECRET: TEST_SECRET, DATABASE_PATH: ':memory:', RATE_LIMIT_MAX: '0' })
    const db = openDatabase(':memory:')
    runMigrations(db)
    seed(db)
    const app = await buildApp({ config, db, logger: { level: 'info', stream } })
    try {
      const token = 'C'.repeat(43)
      await app.inject({ method: 'GET', url: `/v1/verification/${token}` })
      await app.inject({ method: 'POST', url: `/v1/verification/${token}/confirm` })
      await app.inject({ method: 'GET', url: `/verify/${token}` })
      await app.inject({ method: 'GET', url: `/V1/Verification/${token}` })
      await app.inject({ method: 'GET', url: `/v1/%76erification/${token}` })
      const log = lines.join('')
      expect(log).toContain('/v1/verification/[redacted]')
      expect(log).toContain('/verify/[redacted]')
      expect(log).not.toContain(token)
    } finally {
      await app.close()
      db.$client.close()
    }
  })

  it('link endpoints are rate limited per address on the heavy budget', async () => {
    const t = await buildTestApp({ RATE_LIMIT_MAX: '600', RATE_LIMIT_HEAVY_MAX: '2' })
    try {
      const url = `/v1/verification/${'D'.repeat(43)}`
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(404)
      expect((await t.app.inject({ method: 'GET', url: `/verify/${'E'.repeat(43)}` })).statusCode).toBe(404)
      const third = await t.app.inject({ method: 'GET', url })
      expect(problemBody(third, 429).detail).toBe(
        'Rate limit of 2 exports, searches, imports and link requests per minute exceeded; retry in 1 minute',
      )
      // Other reads keep their own budget.
      expect((await t.app.inject({ method: 'GET', url: '/v1/roles' })).statusCode).toBe(200)
    } finally {
      await t.close()
    }
  })

  it('links work without an account even when public reading is off', async () => {
    const t = await buildTestApp({ PUBLIC_READ: 'false' })
    try {
      await seedScenario(t)
      const w = await bearer('directory:write')
      const { links } = await created(t, '/v1/campaigns', w, {
        title: 'Check',
        message: 'Please confirm.',
        dueDate: daysFrom(3),
        stateCodes: ['KG'],
      })
      problemBody(await t.app.inject({ method: 'GET', url: '/v1/roles' }), 401)
      expect(
        (await t.app.inject({ method: 'GET', url: `/v1/verification/${links[0].token}` })).statusCode,
      ).toBe(200)
      expect((await t.app.inject({ method: 'GET', url: `/verify/${links[0].token}` })).statusCode).toBe(200)
      expect((await post(t, `/v1/verification/${links[0].token}/confirm`, {})).statusCode).toBe(200)
    } finally {
      await t.close()
    }
  })
})
