import { createHash } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, buildTestApp, roleId } from '../helpers/build-test-app.js'
import { getJson, problemBody } from '../helpers/http.js'
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
  TOKEN,
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
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

const kgCampaign = (extra: Json = {}) => ({
  title: 'Annual check',
  message: 'Please confirm your entry.',
  dueDate: daysFrom(14),
  stateCodes: ['KG'],
  ...extra,
})

describe('creating a campaign', () => {
  it("issues one link per current holder in KG (a person holding two posts gets one), storing only the tokens' hashes", async () => {
    const dueDate = daysFrom(14)
    const res = await post(t, '/v1/campaigns', w, kgCampaign({ dueDate }))
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json() as Json
    expect(res.headers.location).toBe(`/v1/campaigns/${body.campaign.id}`)
    expect(res.headers['cache-control']).toBe('no-store')
    const expiresAt = `${daysFrom(15)}T00:00:00.000Z`
    expect(body).toEqual({
      campaign: {
        id: expect.any(String),
        title: 'Annual check',
        message: 'Please confirm your entry.',
        dueDate,
        stateCodes: ['KG'],
        roleIds: null,
        version: 1,
        createdAt: expect.stringMatching(TIMESTAMP),
        updatedAt: body.campaign.createdAt,
      },
      links: [
        {
          contactId: s.asan.id,
          name: 'Asan Zhumabekov',
          email: 'a.zhumabekov@mfa.gov.kg',
          token: expect.stringMatching(TOKEN),
          link: `/verify/${body.links[0].token}`,
          expiresAt,
        },
        {
          contactId: s.bermet.id,
          name: 'Bermet Asanova',
          email: 'b.asanova@un.int',
          token: expect.stringMatching(TOKEN),
          link: `/verify/${body.links[1].token}`,
          expiresAt,
        },
      ],
    })
    const stored = t.db.$client
      .prepare(
        'select contact_id as contactId, token_hash as hash, posts from campaign_links where campaign_id = ? order by contact_id',
      )
      .all(body.campaign.id) as { contactId: string; hash: string; posts: string }[]
    expect(stored.map((r) => r.hash).sort()).toEqual(body.links.map((l: Json) => sha256(l.token)).sort())
    const everything = fullSnapshot(t.db)
    for (const l of body.links) expect(everything).not.toContain(l.token)
    const asanPosts = JSON.parse(stored.find((r) => r.contactId === s.asan.id)?.posts ?? '[]') as Json[]
    expect(asanPosts.map((p) => p.roleId).sort()).toEqual(
      [roleId(t.db, 'national-poc'), roleId(t.db, 'technical-poc')].sort(),
    )
  })

  it('is a record with history: its create is in the feed, the message only for readers with directory:read', async () => {
    const head = (t.db.$client.prepare('select max(seq) as n from revisions').get() as { n: number }).n
    const { campaign } = await created(t, '/v1/campaigns', w, kgCampaign({ roles: ['mission-poc'] }))
    expect(campaign.roleIds).toEqual([roleId(t.db, 'mission-poc')])
    const history = await getJson(t, `/v1/campaigns/${campaign.id}/history`, w)
    expect(history.items).toHaveLength(1)
    expect(history.items[0]).toMatchObject({
      actor: 'coordinator',
      action: 'create',
      entity: 'campaign',
      entityId: campaign.id,
    })
    expect(history.items[0].changes.message).toEqual({ before: null, after: 'Please confirm your entry.' })
    const anonymous = await getJson(t, `/v1/changes?after=${head}`)
    const entry = anonymous.items.find((r: Json) => r.entity === 'campaign' && r.entityId === campaign.id)
    expect(entry.changes.title).toEqual({ before: null, after: 'Annual check' })
    expect(entry.changes.message).toBeUndefined()
  })

  it('due date: today is the first allowed day', async () => {
    for (const [dueDate, status] of [
      [daysFrom(-1), 400],
      [daysFrom(0), 201],
      [daysFrom(400), 201],
    ] as const) {
      const res = await post(t, '/v1/campaigns', w, kgCampaign({ dueDate, roles: ['legal-poc'] }))
      expect(res.statusCode, `${dueDate}: ${res.body}`).toBe(status)
      if (status === 400)
        expect(problemBody(res, 400).errors).toEqual([{ path: 'dueDate', message: expect.any(String) }])
    }
  })
})

describe('refused campaign writes write nothing', () => {
  it.each([
    ['anonymous', async () => ({}), kgCampaign(), 401],
    ['read-only', async () => bearer('directory:read'), kgCampaign(), 403],
    [
      'KG-limited targeting KZ',
      async () => bearer('directory:write', { states: ['KG'] }),
      kgCampaign({ stateCodes: ['KZ'] }),
      403,
    ],
    [
      'KG-limited targeting KG and KZ',
      async () => bearer('directory:write', { states: ['KG'] }),
      kgCampaign({ stateCodes: ['KG', 'KZ'] }),
      403,
    ],
    ['an unknown role', async () => bearer('directory:write'), kgCampaign({ roles: ['no-such-role'] }), 400],
    ['an unknown field', async () => bearer('directory:write'), kgCampaign({ sendNow: true }), 400],
  ])('%s', async (_name, headers, body, status) => {
    const before = fullSnapshot(t.db)
    const res = await post(t, '/v1/campaigns', await headers(), body)
    problemBody(res, status)
    expect(fullSnapshot(t.db)).toBe(before)
  })
})
