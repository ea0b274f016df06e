import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { getJson, listAll, problemBody } from '../helpers/http.js'
import {
  created,
  daysFrom,
  fullSnapshot,
  type Headers,
  type Json,
  post,
  type Scenario,
  seedScenario,
  type TestApp,
} from './support.js'

let t: TestApp
let s: Scenario
let w: Headers
beforeAll(async () => {
  t = await buildTestApp()
  s = await seedScenario(t)
  w = await bearer('directory:write', { sub: 'coordinator' })
})
afterAll(() => t.close())
afterEach(() => vi.useRealTimers())

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

async function kgCampaign(extra: Json = {}) {
  const body = await created(t, '/v1/campaigns', w, {
    title: 'Annual check',
    message: 'Please confirm your entry.',
    dueDate: daysFrom(14),
    stateCodes: ['KG'],
    ...extra,
  })
  const tokenOf = (contact: Json) => body.links.find((l: Json) => l.contactId === contact.id)?.token as string
  return { campaign: body.campaign as Json, links: body.links as Json[], tokenOf }
}

const staleIds = async () =>
  (await listAll(t, '/v1/reports/stale?olderThan=P1Y&limit=500'))
    .filter((i) => i.entity === 'contact')
    .map((i) => i.id)

const INVALID = {
  type: 'urn:pocdir:problem:not-found',
  title: 'Not Found',
  status: 404,
  detail: 'This link does not work: it is unknown, has expired or has already been used',
}

describe("the person's side", () => {
  it('shows the person their own record (their restricted details too, not staff notes) and current posts', async () => {
    const { tokenOf } = await kgCampaign()
    const res = await t.app.inject({ method: 'GET', url: `/v1/verification/${tokenOf(s.asan)}` })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toEqual({
      campaign: { title: 'Annual check', message: 'Please confirm your entry.', dueDate: daysFrom(14) },
      contact: {
        honorific: null,
        givenName: 'Asan',
        familyName: 'Zhumabekov',
        displayName: 'Asan Zhumabekov',
        nameOriginal: null,
        nameLatin: 'Asan Zhumabekov',
        positionTitle: 'Head of Division',
        languages: [],
        contactDetails: [
          { type: 'email', value: 'a.zhumabekov@mfa.gov.kg', label: null, visibility: 'restricted' },
          { type: 'phone', value: '+996312620545', label: null, visibility: 'public' },
        ],
        lastVerifiedAt: null,
      },
      posts: [
        {
          role: 'National point of contact',
          organization: 'Ministry of Foreign Affairs of Kyrgyzstan',
          stateCode: 'KG',
          startDate: '2023-01-01',
          isPrimary: true,
        },
        {
          role: 'Technical point of contact',
          organization: 'Ministry of Foreign Affairs of Kyrgyzstan',
          stateCode: 'KG',
          startDate: '2023-01-01',
          isPrimary: false,
        },
      ],
    })
    expect(res.body).not.toContain('Staff note')
    expect(res.body).not.toContain(s.bermet.id)
  })

  it('confirming sets lastVerifiedAt with the campaign as actor, and the person drops out of the stale report', async () => {
    const { campaign, tokenOf } = await kgCampaign()
    expect(await staleIds()).toEqual(expect.arrayContaining([s.asan.id, s.bermet.id]))
    const res = await post(t, `/v1/verification/${tokenOf(s.asan)}/confirm`, {})
    expect(res.statusCode, res.body).toBe(200)
    const answer = res.json() as Json
    expect(answer).toEqual({ outcome: 'confirmed', at: expect.stringMatching(TIMESTAMP) })
    const contact = await getJson(t, `/v1/contacts/${s.asan.id}`, w)
    expect(contact.lastVerifiedAt).toBe(answer.at)
    const history = await getJson(t, `/v1/contacts/${s.asan.id}/history?limit=1`, w)
    expect(history.items[0]).toMatchObject({
      actor: `campaign:${campaign.id}`,
      action: 'update',
      changes: { lastVerifiedAt: { before: null, after: answer.at } },
    })
    expect(Object.keys(history.items[0].changes)).toEqual(['lastVerifiedAt'])
    const stale = await staleIds()
    expect(stale).not.toContain(s.asan.id)
    expect(stale).toContain(s.bermet.id)
  })

  it('an unknown, a used and an expired link get byte-identical answers, and change nothing', async () => {
    const today = daysFrom(0)
    const { tokenOf: spentLinks } = await kgCampaign()
    const spent = spentLinks(s.bermet)
    await post(t, `/v1/verification/${spent}/confirm`, {})
    const { tokenOf } = await kgCampaign({ dueDate: today })
    const expiring = tokenOf(s.bermet)
    const unknown = 'A'.repeat(43)

    // The last instant of the due day still works; the first of the next does not.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date(`${today}T23:59:59.999Z`) })
    expect((await t.app.inject({ method: 'GET', url: `/v1/verification/${expiring}` })).statusCode).toBe(200)
    vi.setSystemTime(new Date(`${daysFrom(1, new Date(`${today}T12:00:00Z`))}T00:00:00.000Z`))

    const answers: string[] = []
    for (const token of [unknown, spent, expiring, s.bermet.id]) {
      for (const [method, suffix] of [
        ['GET', ''],
        ['POST', '/confirm'],
      ] as const) {
        const before = fullSnapshot(t.db)
        const res = await t.app.inject({ method, url: `/v1/verification/${token}${suffix}` })
        expect(res.statusCode).toBe(404)
        expect(res.json()).toEqual(INVALID)
        expect(res.headers['content-type']).toBe('application/problem+json')
        answers.push(res.body)
        expect(fullSnapshot(t.db)).toBe(before)
      }
      const correction = await t.app.inject({
        method: 'POST',
        url: `/v1/verification/${token}/corrections`,
        payload: { positionTitle: 'x' },
      })
      answers.push(correction.body)
    }
    expect(new Set(answers).size).toBe(1)
    expect(answers).toHaveLength(12)
  })

  it("a link reaches no one else's data: other ids in the path or body are refused and write nothing", async () => {
    const { tokenOf } = await kgCampaign()
    const token = tokenOf(s.asan)
    for (const url of [
      `/v1/verification/${token}/${s.bermet.id}`,
      `/v1/verification/${token}/contacts/${s.bermet.id}`,
    ]) {
      const before = fullSnapshot(t.db)
      problemBody(await t.app.inject({ method: 'GET', url }), 404)
      expect(fullSnapshot(t.db)).toBe(before)
    }
    for (const [payload, path] of [
      [{ id: s.bermet.id, positionTitle: 'x' }, 'id'],
      [{ contactId: s.bermet.id }, 'contactId'],
      [{ notes: 'mine now' }, 'notes'],
      [{ externalId: 'X-1' }, 'externalId'],
      [{ familyName: null }, 'familyName'],
    ] as const) {
      const before = fullSnapshot(t.db)
      const res = await post(t, `/v1/verification/${token}/corrections`, {}, payload)
      expect(problemBody(res, 400).errors).toEqual([{ path, message: expect.any(String) }])
      expect(fullSnapshot(t.db)).toBe(before)
    }
    // Still unspent: the refusals did not use the link up.
    expect((await t.app.inject({ method: 'GET', url: `/v1/verification/${token}` })).statusCode).toBe(200)
  })
})

describe('corrections', () => {
  it('a proposal is reviewed and applied, with the reviewer and the campaign both named in history', async () => {
    const { campaign, tokenOf } = await kgCampaign()
    const base = await getJson(t, `/v1/contacts/${s.bermet.id}`, w)
    const proposal = {
      positionTitle: 'Counsellor, Permanent Mission',
      contactDetails: [
        { type: 'email', value: 'B.Asanova@UN.int', visibility: 'public' },
        { type: 'phone', value: '+1 212 555 0100' },
      ],
    }
    const res = await post(t, `/v1/verification/${tokenOf(s.bermet)}/corrections`, {}, proposal)
    expect(res.statusCode, res.body).toBe(202)
    expect(res.json()).toEqual({ outcome: 'corrected', at: expect.stringMatching(TIMESTAMP) })
    // Spent: the same link cannot answer twice.
    expect((await post(t, `/v1/verification/${tokenOf(s.bermet)}/confirm`, {})).statusCode).toBe(404)

    const list = await getJson(t, `/v1/campaigns/${campaign.id}/corrections`, w)
    const pending = {
      id: expect.any(String),
      campaignId: campaign.id,
      contactId: s.bermet.id,
      patch: {
        positionTitle: 'Counsellor, Permanent Mission',
        contactDetails: [
          { type: 'email', value: 'b.asanova@un.int', label: null, visibility: 'public' },
          { type: 'phone', value: '+12125550100', label: null, visibility: 'restricted' },
        ],
      },
      baseVersion: base.version,
      status: 'pending',
      proposedAt: res.json().at,
      reviewedBy: null,
      reviewedAt: null,
      reason: null,
    }
    expect(list).toEqual({ items: [pending], nextCursor: null })
    const id = list.items[0].id

    // A token limited to another state may not review it; nothing changes.
    const kz = await bearer('directory:write', { sub: 'kz-reviewer', states: ['KZ'] })
    const before = fullSnapshot(t.db)
    problemBody(await post(t, `/v1/corrections/${id}/accept`, kz), 403)
    problemBody(await post(t, `/v1/corrections/${id}/reject`, kz, { reason: 'no' }), 403)
    problemBody(await post(t, `/v1/corrections/${id}/accept`, await bearer('directory:read')), 403)
    problemBody(await post(t, `/v1/corrections/${id}/accept`, {}), 401)
    expect(fullSnapshot(t.db)).toBe(before)

    const kg = await bearer('directory:write', { sub: 'kg-reviewer', states: ['KG'] })
    const accepted = await post(t, `/v1/corrections/${id}/accept`, kg)
    expect(accepted.statusCode, accepted.body).toBe(200)
    expect(accepted.json()).toEqual({
      ...pending,
      status: 'accepted',
      reviewedBy: 'kg-reviewer',
      reviewedAt: expect.stringMatching(TIMESTAMP),
    })
    const contact = await getJson(t, `/v1/contacts/${s.bermet.id}`, w)
    expect(contact.positionTitle).toBe('Counsellor, Permanent Mission')
    expect(contact.contactDetails).toEqual(pending.patch.contactDetails)
    expect(contact.lastVerifiedAt).toBe(accepted.json().reviewedAt)
    const history = await getJson(t, `/v1/contacts/${s.bermet.id}/history?limit=1`, w)
    expect(history.items[0].actor).toBe(`kg-reviewer accepting a correction from campaign:${campaign.id}`)
    expect(Object.keys(history.items[0].changes).sort()).toEqual([
      'contactDetails',
      'lastVerifiedAt',
      'positionTitle',
    ])

    // Reviewed once only.
    const again = problemBody(await post(t, `/v1/corrections/${id}/accept`, kg), 409)
    expect(again.detail).toBe('The correction was already accepted')
    s.bermet = contact
  })

  it('accepting a proposal made against an older version is a 409 that writes nothing; it can be rejected with a reason', async () => {
    const { campaign, tokenOf } = await kgCampaign()
    await created(t, `/v1/verification/${tokenOf(s.asan)}/corrections`, {}, { givenName: 'Asanbek' })
    const [correction] = (await getJson(t, `/v1/campaigns/${campaign.id}/corrections`, w)).items
    const current = await getJson(t, `/v1/contacts/${s.asan.id}`, w)
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/contacts/${s.asan.id}`,
      headers: { ...w, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ honorific: 'Mr.' }),
    })
    expect(patched.statusCode).toBe(200)
    const before = fullSnapshot(t.db)
    const res = await post(t, `/v1/corrections/${correction.id}/accept`, w)
    expect(problemBody(res, 409).detail).toBe(
      `The contact changed since the correction was proposed (version ${current.version} then, ${current.version + 1} now); apply it by hand or reject it`,
    )
    expect(fullSnapshot(t.db)).toBe(before)
    problemBody(await post(t, `/v1/corrections/${correction.id}/reject`, w, {}), 400)
    const rejected = await post(t, `/v1/corrections/${correction.id}/reject`, w, {
      reason: 'Superseded by a newer change',
    })
    expect(rejected.json()).toMatchObject({
      status: 'rejected',
      reviewedBy: 'coordinator',
      reason: 'Superseded by a newer change',
    })
    expect((await getJson(t, `/v1/contacts/${s.asan.id}`, w)).givenName).toBe('Asan')
  })
})

describe('the campaign report', () => {
  it('per state and person: confirmed, corrected, no answer; after the due date, escalations name the mission PoC', async () => {
    const dueDate = daysFrom(0)
    const { campaign, tokenOf } = await kgCampaign({ dueDate, stateCodes: ['KG', 'KZ'] })
    await post(t, `/v1/verification/${tokenOf(s.asan)}/confirm`, {})
    const before = await getJson(t, `/v1/campaigns/${campaign.id}/report`, w)
    expect(before).toMatchObject({ overdue: false, escalations: [] })

    const tomorrow = daysFrom(1)
    vi.useFakeTimers({ toFake: ['Date'], now: new Date(`${tomorrow}T08:00:00.000Z`) })
    const late = await bearer('directory:write', { sub: 'coordinator' })
    const report = await getJson(t, `/v1/campaigns/${campaign.id}/report`, late)
    const asanAnswer = report.states[0].people[0].answeredAt
    expect(report).toEqual({
      campaign: { id: campaign.id, title: 'Annual check', dueDate },
      asOf: tomorrow,
      overdue: true,
      states: [
        {
          stateCode: 'KG',
          people: [
            {
              contactId: s.asan.id,
              name: 'Asan Zhumabekov',
              outcome: 'confirmed',
              answeredAt: asanAnswer,
              correction: null,
            },
            {
              contactId: s.bermet.id,
              name: 'Bermet Asanova',
              outcome: 'no-answer',
              answeredAt: null,
              correction: null,
            },
          ],
        },
        {
          stateCode: 'KZ',
          people: [
            {
              contactId: s.dana.id,
              name: 'Dana Nurlanova',
              outcome: 'no-answer',
              answeredAt: null,
              correction: null,
            },
          ],
        },
      ],
      escalations: [
        {
          contactId: s.bermet.id,
          name: 'Bermet Asanova',
          stateCode: 'KG',
          missionPocs: [{ contactId: s.bermet.id, name: 'Bermet Asanova' }],
        },
        { contactId: s.dana.id, name: 'Dana Nurlanova', stateCode: 'KZ', missionPocs: [] },
      ],
    })
    expect(asanAnswer).toMatch(TIMESTAMP)
    // A token limited to KG may not read a campaign that also targets KZ.
    const kg = await bearer('directory:write', { states: ['KG'] })
    problemBody(
      await t.app.inject({ method: 'GET', url: `/v1/campaigns/${campaign.id}/report`, headers: kg }),
      403,
    )
  })
})
