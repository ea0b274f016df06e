import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runRetention } from '../../src/modules/privacy/retention.js'
import { bearer, buildTestApp, roleId } from '../helpers/build-test-app.js'
import { ADMIN, admin, type Json, type TestApp, WRITER, writer } from '../resources/fixtures.js'
import { erase, inject, type Person, READER, reader, seedPerson } from './fixtures.js'

/**
 * What other records hold of a person (docs/privacy.md): participation notes (training), the
 * values of campaign corrections and their links. The access log names them, the personal-data
 * document carries them, erasure and retention empty them.
 */

let t: TestApp
let p: Person
let id: string

const NOTE = 'Mentioned a private health matter'
const NOTE_2 = 'Follow-up: moved to a private address'
const PROPOSED = 'aigul.proposed@home.kg'
const detail = (type: string, value: string, visibility: string) => ({ type, value, label: null, visibility })

async function ok(method: 'POST' | 'PATCH', url: string, payload: unknown, headers?: Record<string, string>) {
  const auth = headers ?? (await writer())
  const res = await inject(
    t,
    method,
    url,
    method === 'PATCH' ? { ...auth, 'content-type': 'application/merge-patch+json' } : auth,
    payload,
  )
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
  return res.json() as Json
}

/** A training event the person attended (with notes, changed once) while holding their first post. */
async function seedTraining(contactId: string) {
  const event = await ok('POST', '/v1/training-events', {
    title: 'Export control licensing workshop',
    kind: 'workshop',
    hostStateCode: 'KG',
    startDate: '2024-03-10',
    endDate: '2024-03-12',
  })
  const created = await ok('POST', '/v1/participations', {
    eventId: event.id,
    contactId,
    status: 'attended',
    notes: NOTE,
  })
  const participation = await ok('PATCH', `/v1/participations/${created.id}`, { notes: NOTE_2 })
  return { event, participation }
}

/** A current post, so campaigns target the person; two campaigns: one answered with a correction. */
async function seedCampaigns() {
  await ok('POST', '/v1/assignments', {
    contactId: id,
    roleId: roleId(t.db, 'technical-poc'),
    organizationId: p.organization.id,
    stateCode: 'KG',
    startDate: '2025-06-01',
  })
  const dueDate = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10)
  const campaign = async (title: string) => {
    const body = await ok('POST', '/v1/campaigns', {
      title,
      message: 'Please check.',
      dueDate,
      stateCodes: ['KG'],
    })
    const link = (body.links as Json[]).find((l) => l.contactId === id) as Json
    return { campaign: body.campaign as Json, token: String(link.token) }
  }
  const answered = await campaign('Annual check')
  const open = await campaign('Second check')
  const proposal = {
    contactDetails: [
      { type: 'email', value: 'a.secretova@mfa.gov.kg', visibility: 'public' },
      { type: 'email', value: PROPOSED, visibility: 'restricted' },
    ],
  }
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/verification/${answered.token}/corrections`,
    payload: proposal,
  })
  expect(res.statusCode, res.body).toBe(202)
  return { answered, open, proposal }
}

const logged = async () => {
  await t.app.accessLog.flush()
  return (
    t.db.$client.prepare('select reader, method, route, contact_ids from access_log order by id').all() as {
      reader: string
      method: string
      route: string
      contact_ids: string
    }[]
  ).map((e) => [e.reader, e.method, e.route, JSON.parse(e.contact_ids)])
}

beforeEach(async () => {
  t = await buildTestApp()
  p = await seedPerson(t)
  id = String(p.contact.id)
})
afterEach(() => t.close())

describe('the access log names the person behind participation notes and proposed corrections', () => {
  it('participation reads, the training record, history and the feed by a reader; none for anonymous', async () => {
    // The successor has nothing restricted of their own: only the participation's notes disclose them.
    const bakyt = String(p.successor.id)
    const { participation } = await seedTraining(bakyt)
    const start = (await logged()).length
    const routes = [
      `/v1/participations/${participation.id}`,
      `/v1/participations?contact=${bakyt}`,
      `/v1/participations/${participation.id}/history`,
      `/v1/contacts/${bakyt}/training`,
      '/v1/changes?after=0&limit=1000',
    ]
    for (const url of routes) {
      expect((await inject(t, 'GET', url)).statusCode).toBe(200)
      const res = await inject(t, 'GET', url, await reader())
      expect(res.statusCode, res.body).toBe(200)
      expect(res.body).toContain(NOTE_2)
    }
    expect((await logged()).slice(start)).toEqual([
      [READER, 'GET', '/v1/participations/:id', [bakyt]],
      [READER, 'GET', '/v1/participations', [bakyt]],
      [READER, 'GET', '/v1/participations/:id/history', [bakyt]],
      [READER, 'GET', '/v1/contacts/:id/training', [bakyt]],
      // The feed: the seeded person's own revisions, then the successor's participation.
      [READER, 'GET', '/v1/changes', [id, bakyt]],
    ])
  })

  it('staff reading corrections with restricted proposed values; the person opening their own link', async () => {
    const { answered, open } = await seedCampaigns()
    const start = (await logged()).length
    const list = await inject(t, 'GET', `/v1/campaigns/${answered.campaign.id}/corrections`, await writer())
    expect(list.statusCode, list.body).toBe(200)
    expect(list.body).toContain(PROPOSED)
    const page = await t.app.inject({ method: 'GET', url: `/v1/verification/${open.token}` })
    expect(page.statusCode, page.body).toBe(200)
    expect((await logged()).slice(start)).toEqual([
      [WRITER, 'GET', '/v1/campaigns/:id/corrections', [id]],
      [`link:${open.campaign.id}`, 'GET', '/v1/verification/:code', [id]],
    ])
  })
  it('links answered with a restricted e-mail address (campaign start, mail merge) name that person only', async () => {
    const hidden = await ok('POST', '/v1/contacts', {
      familyName: 'Hiddenova',
      contactDetails: [{ type: 'email', value: 'hidden@home.kg', visibility: 'restricted' }],
    })
    await ok('POST', '/v1/assignments', {
      contactId: hidden.id,
      roleId: roleId(t.db, 'alternate-poc'),
      organizationId: p.organization.id,
      stateCode: 'KG',
      startDate: '2025-01-01',
    })
    const start = (await logged()).length
    const dueDate = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10)
    const body = await ok('POST', '/v1/campaigns', {
      title: 'Check',
      message: 'Please.',
      dueDate,
      stateCodes: ['KG'],
    })
    // The successor (no e-mail) is targeted too; only the restricted address is a disclosure.
    expect((body.links as Json[]).map((l) => [l.contactId, l.email])).toEqual([
      [p.successor.id, null],
      [hidden.id, 'hidden@home.kg'],
    ])
    await ok('POST', `/v1/campaigns/${(body.campaign as Json).id}/mail-merge`, undefined)
    expect((await logged()).slice(start)).toEqual([
      [WRITER, 'POST', '/v1/campaigns', [hidden.id]],
      [WRITER, 'POST', '/v1/campaigns/:id/mail-merge', [hidden.id]],
    ])
  })
})

describe('GET /v1/contacts/{id}/personal-data: training and campaigns', () => {
  it("carries the person's participations with the event and the post held, and their links and corrections", async () => {
    const { event, participation } = await seedTraining(id)
    const { answered, open, proposal } = await seedCampaigns()
    const body = (await inject(t, 'GET', `/v1/contacts/${id}/personal-data`, await admin())).json() as Json
    expect(body.training).toEqual([
      {
        event: {
          id: event.id,
          title: 'Export control licensing workshop',
          kind: 'workshop',
          organisers: [],
          hostStateCode: 'KG',
          location: null,
          startDate: '2024-03-10',
          endDate: '2024-03-12',
          languages: [],
          description: null,
          externalRef: null,
          version: 1,
          createdAt: event.createdAt,
          updatedAt: event.updatedAt,
        },
        participation: {
          id: participation.id,
          eventId: event.id,
          contactId: id,
          assignmentId: p.first.id,
          status: 'attended',
          certificateRef: null,
          notes: NOTE_2,
          version: 2,
          createdAt: participation.createdAt,
          updatedAt: participation.updatedAt,
        },
        post: {
          assignmentId: p.first.id,
          role: 'National point of contact',
          organization: 'Ministry of Foreign Affairs',
          stateCode: 'KG',
        },
      },
    ])
    const link = (campaign: Json) => ({
      campaignId: campaign.id,
      title: campaign.title,
      issuedAt: expect.any(String),
      expiresAt: expect.any(String),
    })
    expect(body.campaigns).toEqual([
      {
        ...link(answered.campaign),
        outcome: 'corrected',
        answeredAt: expect.any(String),
        corrections: [
          {
            id: expect.any(String),
            campaignId: answered.campaign.id,
            contactId: id,
            patch: {
              contactDetails: proposal.contactDetails.map((d) => detail(d.type, d.value, d.visibility)),
            },
            baseVersion: 2,
            status: 'pending',
            proposedAt: expect.any(String),
            reviewedBy: null,
            reviewedAt: null,
            reason: null,
          },
        ],
      },
      { ...link(open.campaign), outcome: null, answeredAt: null, corrections: [] },
    ])
    expect(JSON.stringify(body)).not.toMatch(/token/i)
  })

  it('a person with neither answers empty sections', async () => {
    const body = (
      await inject(t, 'GET', `/v1/contacts/${p.successor.id}/personal-data`, await admin())
    ).json()
    expect(body).toMatchObject({ training: [], campaigns: [] })
  })
})

describe('erasure reaches participation notes, corrections and campaign links', () => {
  it('after erasure no past note or proposed value is readable through any route; one erase revision only', async () => {
    const { participation } = await seedTraining(id)
    const { answered, open } = await seedCampaigns()
    const routes = [
      `/v1/participations/${participation.id}`,
      `/v1/participations?contact=${id}`,
      `/v1/participations/${participation.id}/history`,
      `/v1/contacts/${id}/training`,
      '/v1/changes?after=0&limit=1000',
      `/v1/campaigns/${answered.campaign.id}/corrections`,
      `/v1/contacts/${id}/personal-data`,
    ]
    const secrets = [NOTE, NOTE_2, PROPOSED]
    const read = async () => {
      const out: string[] = []
      for (const url of routes) {
        const res = await inject(t, 'GET', url, await admin())
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
        out.push(res.body)
      }
      return out.join('\n')
    }
    const before = await read()
    for (const secret of secrets) expect(before).toContain(secret)
    const revisions = () => t.db.$client.prepare('select count(*) from revisions').pluck().get() as number
    const count = revisions()

    expect((await erase(t, id)).statusCode).toBe(200)
    expect(revisions()).toBe(count + 1)
    expect(
      t.db.$client.prepare('select entity, action from revisions order by seq desc limit 1').get(),
    ).toEqual({
      entity: 'contact',
      action: 'erase',
    })
    const after = await read()
    for (const secret of secrets) expect(after).not.toContain(secret)
    const stored = JSON.stringify(
      ['participations', 'revisions', 'corrections', 'search_documents'].map((table) =>
        t.db.$client.prepare(`select * from ${table}`).all(),
      ),
    )
    for (const secret of secrets) expect(stored).not.toContain(secret)

    // The participation itself stays (institutional memory), without notes.
    const record = (await inject(t, 'GET', `/v1/participations/${participation.id}`, await admin())).json()
    expect(record).toEqual({ ...participation, notes: null })

    // The pending correction is closed by the eraser with its values gone; the open link is void.
    const corrections = (
      await inject(t, 'GET', `/v1/campaigns/${answered.campaign.id}/corrections`, await admin())
    ).json() as Json
    expect(corrections.items).toEqual([
      expect.objectContaining({
        contactId: id,
        patch: {},
        status: 'rejected',
        reviewedBy: ADMIN,
        reviewedAt: expect.any(String),
        reason: 'The person was erased; the proposed values were removed',
      }),
    ])
    expect((await t.app.inject({ method: 'GET', url: `/v1/verification/${open.token}` })).statusCode).toBe(
      404,
    )
  })

  it('erasing again is 409 until a participation note is written again, then it erases that too', async () => {
    const { participation } = await seedTraining(id)
    expect((await erase(t, id)).statusCode).toBe(200)
    expect((await erase(t, id)).statusCode).toBe(409)
    const doc = async () => (await inject(t, 'GET', `/v1/contacts/${id}/personal-data`, await admin())).json()
    expect((await doc()).erased).toBe(true)
    await ok('PATCH', `/v1/participations/${participation.id}`, { notes: 'Came back, new remark' })
    expect((await doc()).erased).toBe(false)
    expect((await erase(t, id)).statusCode).toBe(200)
    const stored = JSON.stringify(t.db.$client.prepare('select * from participations, revisions').all())
    expect(stored).not.toContain('new remark')
    expect((await doc()).erased).toBe(true)
  })

  it('retention erases the same way', async () => {
    const { participation } = await seedTraining(id)
    const report = runRetention(t.db, {
      months: 6,
      accessLogDays: 365,
      keepName: true,
      dryRun: false,
      day: '2026-06-15',
    })
    expect(report.erased.map((e) => e.id)).toContain(id)
    const notes = t.db.$client
      .prepare('select notes from participations where id = ?')
      .pluck()
      .get(participation.id)
    expect(notes).toBeNull()
    const history = JSON.stringify(
      t.db.$client.prepare("select changes from revisions where entity = 'participation'").all(),
    )
    expect(history).not.toContain(NOTE)
    expect(history).not.toContain(NOTE_2)
    const read = await inject(
      t,
      'GET',
      `/v1/participations/${participation.id}`,
      await bearer('directory:read'),
    )
    expect(read.json()).toEqual({ ...participation, notes: null })
  })
})
