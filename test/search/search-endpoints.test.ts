import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import {
  contactIds,
  createContact,
  createOrganization,
  expectProblem,
  getJson,
  type Headers,
  type Json,
  organizationIds,
  reader,
  search,
  type TestApp,
  walk,
  withQ,
  writer,
} from './support.js'

/**
 * `q` on /v1/contacts and /v1/organizations: what a name, title or address finds across
 * scripts and spellings, how the hits rank, and how the ranked list pages.
 */

const sorted = (ids: unknown[]) => [...ids].map(String).sort()

describe('GET /v1/contacts?q= finds people across scripts, spellings and fields', () => {
  let t: TestApp
  let w: Headers
  const c: Record<string, Json> = {}

  beforeAll(async () => {
    t = await buildTestApp()
    w = await writer()
    c.cyrillic = await createContact(t, w, {
      givenName: 'Асан',
      familyName: 'Жумабеков',
      nameOriginal: 'Асан Жумабеков',
    })
    c.latin = await createContact(t, w, { givenName: 'Bakyt', familyName: 'Jumabekov' })
    c.asanOther = await createContact(t, w, { givenName: 'Asan', familyName: 'Sadykov' })
    c.near = await createContact(t, w, { givenName: 'Timur', familyName: 'Zhumagulov' })
    c.titled = await createContact(t, w, {
      givenName: 'Rustam',
      familyName: 'Osmonov',
      positionTitle: 'Head of Export Control Division',
    })
    c.displayed = await createContact(t, w, {
      givenName: 'Nurlan',
      familyName: 'Iskakov',
      displayName: 'N. Iskakov, Plenipotentiary',
    })
    c.latinised = await createContact(t, w, {
      familyName: 'Айтматов',
      nameOriginal: 'Чыңгыз Айтматов',
      nameLatin: 'Chinghiz Aitmatov',
    })
    c.emailed = await createContact(t, w, {
      familyName: 'Karimov',
      contactDetails: [{ type: 'email', value: 'Press.Secretary@Foreign.gov.kg', visibility: 'public' }],
    })
  })
  afterAll(() => t.close())

  it.each([
    'Zhumabekov',
    'zhumabekov',
    'ZHUMABEKOV',
    'Jumabekov',
    'Djumabekov',
    'Dzhumabekov',
    'Жумабеков',
    'жумабеков',
    'zhumab',
    'Жумаб',
    'jumab',
  ])('%s finds the contact stored as Жумабеков and the one stored as Jumabekov', async (q) => {
    const ids = await contactIds(t, q)
    expect(sorted(ids)).toEqual(sorted([c.cyrillic?.id, c.latin?.id]))
  })

  it('answers whole records, as a list read does', async () => {
    const [hit] = await search(t, '/v1/contacts', 'Жумабеков Асан')
    expect(hit).toMatchObject({
      id: c.cyrillic?.id,
      familyName: 'Жумабеков',
      nameOriginal: 'Асан Жумабеков',
      nameLatin: 'Asan Zhumabekov',
      version: 1,
    })
    expect(hit).not.toHaveProperty('notes')
    expect(hit).not.toHaveProperty('deletedAt')
  })

  it('a shorter prefix finds more, a different name finds nothing', async () => {
    expect(sorted(await contactIds(t, 'zhuma'))).toEqual(sorted([c.cyrillic?.id, c.latin?.id, c.near?.id]))
    expect(await contactIds(t, 'zhumagulov')).toEqual([c.near?.id])
    expect(await contactIds(t, 'Zhumabekovich')).toEqual([])
    expect(await contactIds(t, 'umabekov'), 'a match starts at a word, never inside one').toEqual([])
  })

  it('multi-word queries need every word, each by prefix, in any order', async () => {
    expect(await contactIds(t, 'Asan Zhumabekov')).toEqual([c.cyrillic?.id])
    expect(await contactIds(t, 'zhumabekov asan')).toEqual([c.cyrillic?.id])
    expect(await contactIds(t, 'as zhum')).toEqual([c.cyrillic?.id])
    expect(await contactIds(t, 'Асан Жумабеков')).toEqual([c.cyrillic?.id])
    expect(await contactIds(t, '  asan\tzhumab  ')).toEqual([c.cyrillic?.id])
    expect(await contactIds(t, 'bakyt jumabekov')).toEqual([c.latin?.id])
    // "Asan" alone finds both Asans; adding a family name keeps only the one who has both.
    expect(sorted(await contactIds(t, 'asan'))).toEqual(sorted([c.cyrillic?.id, c.asanOther?.id]))
    expect(await contactIds(t, 'asan sadykov')).toEqual([c.asanOther?.id])
    expect(await contactIds(t, 'bakyt sadykov'), 'each word matches, but not in one person').toEqual([])
    expect(await contactIds(t, 'asan zhumabekov sadykov')).toEqual([])
  })

  it('finds a person by position title', async () => {
    expect(await contactIds(t, 'export control')).toEqual([c.titled?.id])
    expect(await contactIds(t, 'division head')).toEqual([c.titled?.id])
    expect(await contactIds(t, 'exp contr')).toEqual([c.titled?.id])
    expect(await contactIds(t, 'rustam export')).toEqual([c.titled?.id])
    expect(await contactIds(t, 'export sadykov')).toEqual([])
  })

  it('finds a person by a display name that is not derived from the names', async () => {
    expect(await contactIds(t, 'plenipotentiary')).toEqual([c.displayed?.id])
    expect(await contactIds(t, 'Plenipot iskakov')).toEqual([c.displayed?.id])
  })

  it('finds a person by an explicit nameLatin, and by the native script', async () => {
    expect(await contactIds(t, 'Chinghiz')).toEqual([c.latinised?.id])
    expect(await contactIds(t, 'chinghiz aitmatov')).toEqual([c.latinised?.id])
    expect(await contactIds(t, 'Чыңгыз')).toEqual([c.latinised?.id])
    expect(await contactIds(t, 'Aytmatov')).toEqual([c.latinised?.id])
  })

  it('finds a person by a public e-mail address, anonymously, whole or in part', async () => {
    for (const q of [
      'press.secretary@foreign.gov.kg',
      'PRESS.SECRETARY@FOREIGN.GOV.KG',
      'press',
      'secretary foreign',
    ]) {
      const hits = await search(t, '/v1/contacts', q)
      expect(
        hits.map((h) => h.id),
        q,
      ).toEqual([c.emailed?.id])
      expect(hits[0]?.contactDetails).toEqual([
        { type: 'email', value: 'press.secretary@foreign.gov.kg', label: null, visibility: 'public' },
      ])
    }
  })

  it('q combines with the other filters', async () => {
    const since = (x: Json | undefined) =>
      `/v1/contacts?updatedSince=${encodeURIComponent(String(x?.createdAt))}`
    expect(await search(t, since(c.cyrillic), 'zhuma')).toHaveLength(3)
    expect(await search(t, since(c.near), 'zhuma')).toHaveLength(1)
    expect(await search(t, since(c.emailed), 'zhuma')).toEqual([])
    expect((await search(t, '/v1/contacts?state=KG', 'zhumabekov')).map((x) => x.id)).toEqual([])
  })

  it('a search that finds nothing is an empty page, not an error', async () => {
    const res = await t.app.inject({ method: 'GET', url: withQ('/v1/contacts', 'Xyzzyplugh') })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ items: [], nextCursor: null })
    expect(res.headers.link).toBeUndefined()
  })
})

describe('ranking: whole words, then prefixes, then variant spellings', () => {
  let t: TestApp
  let w: Headers
  const c: Record<string, Json> = {}

  beforeAll(async () => {
    t = await buildTestApp()
    w = await writer()
    // Created in an order unlike the ranking: variants first, the exact match last.
    c.variant = await createContact(t, w, { givenName: 'Aida', familyName: 'Jumabekov' })
    c.prefix = await createContact(t, w, { givenName: 'Aida', familyName: 'Zhumabekova' })
    c.exact = await createContact(t, w, { givenName: 'Aida', familyName: 'Zhumabekov' })
  })
  afterAll(() => t.close())

  it('"zhumabekov" answers the exact match, then the prefix, then the variant', async () => {
    expect(await contactIds(t, 'zhumabekov')).toEqual([c.exact?.id, c.prefix?.id, c.variant?.id])
    expect(await contactIds(t, 'Жумабеков')).toEqual([c.exact?.id, c.prefix?.id, c.variant?.id])
  })

  it('the same query in another spelling ranks its own whole-word match first', async () => {
    const ids = await contactIds(t, 'jumabekov')
    expect(ids[0]).toBe(c.variant?.id)
    // Both Zh- spellings are variants of "jumabekov": one tier, in any order.
    expect(sorted(ids.slice(1))).toEqual(sorted([c.exact?.id, c.prefix?.id]))
  })

  it('a multi-word query ranks by its weakest word', async () => {
    expect(await contactIds(t, 'aida zhumabekov')).toEqual([c.exact?.id, c.prefix?.id, c.variant?.id])
    // "ai" is only a prefix, so the best any hit can be is a prefix hit: exact and prefix share a tier.
    const ids = await contactIds(t, 'ai zhumabekov')
    expect(sorted(ids.slice(0, 2))).toEqual(sorted([c.exact?.id, c.prefix?.id]))
    expect(ids[2]).toBe(c.variant?.id)
  })

  describe('with more people in each tier', () => {
    const tiers: Record<'exact' | 'prefix' | 'variant', string[]> = { exact: [], prefix: [], variant: [] }

    beforeAll(async () => {
      const more: [keyof typeof tiers, Json][] = [
        ['variant', { givenName: 'Aida', familyName: 'Djumabekov' }],
        ['prefix', { givenName: 'Аида', familyName: 'Жумабекова', nameOriginal: 'Аида Жумабекова' }],
        ['exact', { givenName: 'Аида', familyName: 'Жумабеков', nameOriginal: 'Аида Жумабеков' }],
        ['variant', { givenName: 'Aida', familyName: 'Dzhumabekova' }],
        ['prefix', { givenName: 'Aida', familyName: 'Zhumabekovna' }],
        ['exact', { givenName: 'Aida', familyName: 'Zhumabekov', positionTitle: 'Counsellor' }],
      ]
      tiers.exact.push(String(c.exact?.id))
      tiers.prefix.push(String(c.prefix?.id))
      tiers.variant.push(String(c.variant?.id))
      for (const [tier, body] of more) tiers[tier].push(String((await createContact(t, w, body)).id))
      await createContact(t, w, { givenName: 'Aida', familyName: 'Sadykova' })
    })

    it('groups every hit in its tier', async () => {
      const ids = await contactIds(t, 'zhumabekov')
      expect(ids).toHaveLength(9)
      expect(sorted(ids.slice(0, 3))).toEqual(sorted(tiers.exact))
      expect(sorted(ids.slice(3, 6))).toEqual(sorted(tiers.prefix))
      expect(sorted(ids.slice(6))).toEqual(sorted(tiers.variant))
    })

    it.each([
      ['zhumabekov', 'zhumabekov'],
      ['Cyrillic', 'Жумабеков'],
      ['two words (a space in the Link)', 'aida zhumabekov'],
      ['two Cyrillic words', 'Аида Жумабеков'],
    ])('limit=1 walks every ranked hit once, in rank order, by nextCursor and by Link (%s)', async (_, q) => {
      const all = await contactIds(t, q)
      expect(all).toHaveLength(9)
      const paged = await walk(t, withQ('/v1/contacts?limit=1', q))
      expect(paged.map((x) => x.id)).toEqual(all)
      expect(new Set(paged.map((x) => x.id)).size).toBe(9)
    })

    it('limit=2 pages split tiers without losing anyone', async () => {
      const all = await contactIds(t, 'zhumabekov')
      const paged = await walk(t, withQ('/v1/contacts?limit=2', 'zhumabekov'))
      expect(paged.map((x) => x.id)).toEqual(all)
    })

    it('the Link header keeps q and limit', async () => {
      const res = await t.app.inject({ method: 'GET', url: withQ('/v1/contacts?limit=4', 'Аида Жумабеков') })
      const link = String(res.headers.link)
      const url = new URL(/^<([^>]+)>/.exec(link)?.[1] ?? '', 'http://x')
      expect(url.pathname).toBe('/v1/contacts')
      expect(url.searchParams.get('q')).toBe('Аида Жумабеков')
      expect(url.searchParams.get('limit')).toBe('4')
      expect(url.searchParams.get('cursor')).toBe(res.json().nextCursor)
    })

    it('a cursor this service did not issue is 400 problem+json, also with q', async () => {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      for (const cursor of [
        'garbage',
        '!!!',
        b64({ x: 1 }),
        b64({ k: 'no-tier' }),
        b64({ k: '7:abc' }),
        b64({ k: 5 }),
      ]) {
        const res = await t.app.inject({
          method: 'GET',
          url: `${withQ('/v1/contacts?limit=1', 'zhumabekov')}&cursor=${encodeURIComponent(cursor)}`,
        })
        const body = expectProblem(res, 400)
        const paths = (body.errors as { path: string }[]).map((e) => e.path)
        expect(
          paths.some((p) => p === 'cursor' || p === 'query.cursor'),
          res.body,
        ).toBe(true)
      }
    })
  })
})

describe('GET /v1/organizations?q=', () => {
  let t: TestApp
  let w: Headers
  const o: Record<string, Json> = {}

  beforeAll(async () => {
    t = await buildTestApp()
    w = await writer()
    o.mfaKg = await createOrganization(t, w, { name: 'Ministry of Foreign Affairs', acronym: 'MFA' })
    o.mfaKz = await createOrganization(t, w, {
      name: 'Ministry of Foreign Affairs of the Republic of Kazakhstan',
      acronym: 'MFA',
      stateCode: 'KZ',
    })
    o.defence = await createOrganization(t, w, { name: 'Министерство обороны', acronym: 'МО' })
    o.customs = await createOrganization(t, w, {
      name: 'State Customs Service',
      acronym: 'SCS',
      contactDetails: [{ type: 'email', value: 'registry@customs.kg', visibility: 'public' }],
    })
    o.osce = await createOrganization(t, w, {
      name: 'Organization for Security and Co-operation in Europe',
      acronym: 'OSCE',
      kind: 'international',
      stateCode: null,
    })
  })
  afterAll(() => t.close())

  it('finds by acronym, in any case', async () => {
    for (const q of ['MFA', 'mfa', 'Mfa']) {
      expect(sorted(await organizationIds(t, q)), q).toEqual(sorted([o.mfaKg?.id, o.mfaKz?.id]))
    }
    expect(await organizationIds(t, 'OSCE')).toEqual([o.osce?.id])
    expect(await organizationIds(t, 'scs')).toEqual([o.customs?.id])
  })

  it('finds by name, every word by prefix', async () => {
    expect(sorted(await organizationIds(t, 'foreign affairs'))).toEqual(sorted([o.mfaKg?.id, o.mfaKz?.id]))
    expect(await organizationIds(t, 'foreign affairs kazakh')).toEqual([o.mfaKz?.id])
    expect(await organizationIds(t, 'customs')).toEqual([o.customs?.id])
    expect(await organizationIds(t, 'co-operation europe')).toEqual([o.osce?.id])
    expect(await organizationIds(t, 'customs europe')).toEqual([])
  })

  it('finds a Cyrillic name from Cyrillic and from Latin, and not from an unrelated English word', async () => {
    expect(await organizationIds(t, 'Министерство')).toEqual([o.defence?.id])
    expect(await organizationIds(t, 'министерство обороны')).toEqual([o.defence?.id])
    expect(await organizationIds(t, 'ministerstvo')).toEqual([o.defence?.id])
    expect(await organizationIds(t, 'oborony')).toEqual([o.defence?.id])
    expect(await organizationIds(t, 'oboroni'), 'y/i variant').toEqual([o.defence?.id])
    expect(sorted(await organizationIds(t, 'ministry'))).toEqual(sorted([o.mfaKg?.id, o.mfaKz?.id]))
  })

  it('finds by a public e-mail address', async () => {
    expect(await organizationIds(t, 'registry@customs.kg')).toEqual([o.customs?.id])
  })

  it('combines with state=, kind= and answers whole organizations', async () => {
    expect(await organizationIds(t, 'MFA', {}, '?state=KZ')).toEqual([o.mfaKz?.id])
    expect(await organizationIds(t, 'MFA', {}, '?state=KG')).toEqual([o.mfaKg?.id])
    expect(await organizationIds(t, 'MFA', {}, '?state=UZ')).toEqual([])
    expect(await organizationIds(t, 'OSCE', {}, '?state=KG')).toEqual([])
    expect(await organizationIds(t, 'ministry', {}, '?kind=international')).toEqual([])
    expect(await organizationIds(t, 'europe', {}, '?kind=international')).toEqual([o.osce?.id])
    const [hit] = await search(t, '/v1/organizations?state=KZ', 'mfa', await reader())
    expect(hit).toMatchObject({
      id: o.mfaKz?.id,
      name: 'Ministry of Foreign Affairs of the Republic of Kazakhstan',
      acronym: 'MFA',
      stateCode: 'KZ',
      kind: 'government',
    })
  })

  it('ranks whole-word matches before variants and pages them with limit=1', async () => {
    const extra = await createOrganization(t, w, { name: 'Ministries Coordination Council' })
    // "ministry" is a whole word of both MFAs; folded ("ministri") it is a prefix of "ministries".
    const ids = await organizationIds(t, 'ministry')
    expect(ids).toHaveLength(3)
    expect(sorted(ids.slice(0, 2))).toEqual(sorted([o.mfaKg?.id, o.mfaKz?.id]))
    expect(ids[2]).toBe(extra.id)
    // "ministr" is a plain prefix of all three English names, and of no Cyrillic one.
    expect(sorted(await organizationIds(t, 'ministr'))).toEqual(sorted([o.mfaKg?.id, o.mfaKz?.id, extra.id]))
    for (const q of ['ministry', 'ministr']) {
      const paged = await walk(t, withQ('/v1/organizations?limit=1', q))
      expect(paged.map((x) => x.id)).toEqual(await organizationIds(t, q))
    }
  })

  it('an unknown state with q is still 400', async () => {
    const res = await t.app.inject({ method: 'GET', url: withQ('/v1/organizations?state=XX', 'mfa') })
    expectProblem(res, 400)
  })

  it('the list without q is unchanged (id order, every organization)', async () => {
    const page = await getJson(t, '/v1/organizations?limit=500')
    const ids = page.items.map((x: Json) => x.id)
    expect(ids).toEqual(sorted(ids))
  })
})
