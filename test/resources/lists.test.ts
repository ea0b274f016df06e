import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  createAssignment,
  createContact,
  createOrganization,
  expectProblem,
  getJson,
  type Json,
  listIds,
  PAST,
  type Res,
  sleep,
  type TestApp,
  writer,
} from './fixtures.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(() => t.close())

interface Page {
  items: Json[]
  nextCursor: string | null
}

const linkNext = (res: Res): string | null => {
  const link = res.headers.link
  if (link === undefined) return null
  const m = /^<([^>]+)>;\s*rel="next"$/.exec(String(link))
  expect(m, `Link header ${link}`).not.toBeNull()
  return m?.[1] ?? null
}

describe('pagination', () => {
  it('defaults to 50 items with a nextCursor and a Link: rel="next" header', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/states' })
    expect(res.statusCode).toBe(200)
    const page = res.json() as Page
    expect(Object.keys(page).sort()).toEqual(['items', 'nextCursor'])
    expect(page.items).toHaveLength(50)
    expect(page.nextCursor).toEqual(expect.any(String))
    const next = linkNext(res)
    expect(next).toBeTruthy()
    const url = new URL(String(next), 'http://x')
    expect(url.pathname).toBe('/v1/states')
    expect(url.searchParams.get('cursor')).toBe(page.nextCursor)
  })

  it('limit=2 pages with nextCursor and Link, keeping the other parameters in the Link', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/states?limit=2&osce=true' })
    const page = res.json() as Page
    expect(page.items.map((s) => s.code)).toEqual(['AD', 'AL'])
    const next = new URL(String(linkNext(res)), 'http://x')
    expect(next.searchParams.get('limit')).toBe('2')
    expect(next.searchParams.get('osce')).toBe('true')
    expect(next.searchParams.get('cursor')).toBe(page.nextCursor)
  })

  it('following the Link header visits every item exactly once, and the last page has none', async () => {
    const all = await getJson<Page>(t, '/v1/states?limit=500')
    expect(all.items).toHaveLength(194)
    expect(all.nextCursor).toBeNull()

    const seen: string[] = []
    let url: string | null = '/v1/states?limit=7'
    let pages = 0
    let last: Res | undefined
    while (url) {
      const res: Res = await t.app.inject({ method: 'GET', url })
      expect(res.statusCode, res.body).toBe(200)
      const page = res.json() as Page
      expect(page.items.length).toBeLessThanOrEqual(7)
      seen.push(...page.items.map((s) => String(s.code)))
      url = linkNext(res)
      expect(url === null).toBe(page.nextCursor === null)
      last = res
      pages++
    }
    expect(pages).toBe(Math.ceil(194 / 7))
    expect(last?.headers.link).toBeUndefined()
    expect(new Set(seen).size).toBe(194)
    expect(seen).toEqual(all.items.map((s) => s.code))
  })

  it('a page that ends exactly at the last item has nextCursor null and no Link', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/v1/states?limit=97' })
    const page = first.json() as Page
    expect(page.items).toHaveLength(97)
    const second = await t.app.inject({ method: 'GET', url: String(linkNext(first)) })
    const rest = second.json() as Page
    expect(rest.items).toHaveLength(97)
    expect(rest.nextCursor).toBeNull()
    expect(second.headers.link).toBeUndefined()
    expect(rest.items[0]?.code).not.toBe(page.items[96]?.code)
  })

  it('limit=500 is allowed; limit 0, 501, -1, 2.5 and "ten" are 400, never capped', async () => {
    const big = await getJson<Page>(t, '/v1/roles?limit=500')
    expect(big.nextCursor).toBeNull()
    for (const limit of ['0', '501', '-1', '2.5', 'ten', '100000']) {
      for (const base of [
        '/v1/states',
        '/v1/contacts',
        '/v1/organizations',
        '/v1/roles',
        '/v1/assignments',
      ]) {
        const res = await t.app.inject({ method: 'GET', url: `${base}?limit=${limit}` })
        expectProblem(res, 400, ['limit'])
      }
    }
  })

  it('a cursor this service did not issue is 400', async () => {
    for (const cursor of ['garbage', '!!!', Buffer.from('{"x":1}').toString('base64url'), 'e30']) {
      for (const base of [
        '/v1/states',
        '/v1/contacts',
        '/v1/organizations',
        '/v1/roles',
        '/v1/assignments',
      ]) {
        const res = await t.app.inject({ method: 'GET', url: `${base}?cursor=${encodeURIComponent(cursor)}` })
        expectProblem(res, 400, ['cursor'])
      }
    }
  })

  it('an unknown query parameter is 400 naming it', async () => {
    for (const base of ['/v1/states', '/v1/contacts', '/v1/organizations', '/v1/roles', '/v1/assignments']) {
      const res = await t.app.inject({ method: 'GET', url: `${base}?colour=red` })
      const body = expectProblem(res, 400, ['colour'])
      expect(body.detail).toContain('colour')
    }
  })

  it('pages through contacts, organizations, assignments and roles without gaps or repeats', async () => {
    const org = await createOrganization(t, { stateCode: 'AM' })
    const created: string[] = []
    for (let i = 0; i < 5; i++) {
      const c = await createContact(t)
      created.push(String(c.id))
      await createAssignment(t, { contactId: c.id, organizationId: org.id, role: 'border-poc' })
    }
    for (const base of ['/v1/contacts', '/v1/organizations', '/v1/assignments', '/v1/roles']) {
      const all = (await getJson<Page>(t, `${base}?limit=500`)).items.map((i) => String(i.id))
      const paged = await listIds(t, `${base}?limit=2`)
      expect(paged, base).toEqual(all)
      expect(new Set(paged).size).toBe(paged.length)
    }
    const contacts = await listIds(t, '/v1/contacts?limit=2')
    for (const id of created) expect(contacts).toContain(id)
  })
})

describe('filters', () => {
  // A small world: two Kyrgyz ministries (one a department of the other), a Kazakh one,
  // an NGO and an international body; contacts holding current and ended roles.
  let kgMfa: Json
  let kgDept: Json
  let kzMfa: Json
  let ngo: Json
  let intl: Json
  const c: Record<string, Json> = {}
  const a: Record<string, Json> = {}

  beforeAll(async () => {
    kgMfa = await createOrganization(t, { name: 'KG MFA' })
    kgDept = await createOrganization(t, { name: 'KG MFA Dept', parentId: kgMfa.id })
    kzMfa = await createOrganization(t, { name: 'KZ MFA', stateCode: 'KZ' })
    ngo = await createOrganization(t, { name: 'KG NGO', kind: 'ngo' })
    intl = await createOrganization(t, { name: 'UNODA', kind: 'international', stateCode: null })
    for (const name of ['current', 'ended', 'kz', 'none', 'future', 'deleted', 'dept']) {
      c[name] = await createContact(t, { familyName: `Filter ${name}` })
    }
    a.current = await createAssignment(t, {
      contactId: c.current?.id,
      organizationId: kgMfa.id,
      role: 'national-poc',
      isPrimary: true,
    })
    a.ended = await createAssignment(t, {
      contactId: c.ended?.id,
      organizationId: kgMfa.id,
      role: 'national-poc',
      startDate: '2020-01-01',
      endDate: PAST,
      endReason: 'rotated',
    })
    a.kz = await createAssignment(t, { contactId: c.kz?.id, organizationId: kzMfa.id, role: 'alternate-poc' })
    a.future = await createAssignment(t, {
      contactId: c.future?.id,
      organizationId: kgMfa.id,
      role: 'alternate-poc',
      endDate: '2999-12-31',
    })
    a.deleted = await createAssignment(t, {
      contactId: c.deleted?.id,
      organizationId: kgMfa.id,
      role: 'national-poc',
    })
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/v1/assignments/${a.deleted.id}`,
      headers: await writer(),
    })
    expect(del.statusCode, del.body).toBe(204)
    a.dept = await createAssignment(t, {
      contactId: c.dept?.id,
      organizationId: kgDept.id,
      role: 'technical-poc',
      startDate: '2019-01-01',
      endDate: '2021-01-01',
    })
  })

  const ids = (...names: string[]) => names.map((n) => String(c[n]?.id)).sort()
  const asg = (...names: string[]) => names.map((n) => String(a[n]?.id)).sort()
  const sorted = async (url: string) => (await listIds(t, url)).sort()

  describe('organizations', () => {
    it('by state, kind and parent', async () => {
      expect(await sorted('/v1/organizations?state=KG')).toEqual(
        [kgMfa.id, kgDept.id, ngo.id].map(String).sort(),
      )
      expect(await sorted('/v1/organizations?state=KZ')).toEqual([String(kzMfa.id)])
      expect(await sorted('/v1/organizations?kind=international')).toEqual([String(intl.id)])
      expect(await sorted('/v1/organizations?kind=ngo&state=KG')).toEqual([String(ngo.id)])
      expect(await sorted(`/v1/organizations?parent=${kgMfa.id}`)).toEqual([String(kgDept.id)])
      expect(await sorted(`/v1/organizations?parent=${kgDept.id}`)).toEqual([])
      expect(await sorted('/v1/organizations?state=FR')).toEqual([])
    })

    it('refuses unknown values with 400', async () => {
      expectProblem(await t.app.inject({ method: 'GET', url: '/v1/organizations?state=XX' }), 400, ['state'])
      expectProblem(await t.app.inject({ method: 'GET', url: '/v1/organizations?state=kg' }), 400, ['state'])
      expectProblem(await t.app.inject({ method: 'GET', url: '/v1/organizations?kind=club' }), 400, ['kind'])
      expectProblem(
        await t.app.inject({
          method: 'GET',
          url: '/v1/organizations?parent=0192f7a0-3c1e-7d2a-9b1e-000000000000',
        }),
        400,
        ['parent'],
      )
    })
  })

  describe('contacts', () => {
    it('without filters lists everyone, assigned or not', async () => {
      const all = await sorted('/v1/contacts')
      for (const name of Object.keys(c)) expect(all).toContain(String(c[name]?.id))
    })

    it('state: current assignments by default; current=false goes through ended ones too', async () => {
      expect(await sorted('/v1/contacts?state=KG')).toEqual(ids('current', 'future'))
      expect(await sorted('/v1/contacts?state=KG&current=true')).toEqual(ids('current', 'future'))
      expect(await sorted('/v1/contacts?state=KG&current=false')).toEqual(
        ids('current', 'ended', 'future', 'dept'),
      )
      expect(await sorted('/v1/contacts?state=KZ')).toEqual(ids('kz'))
      expect(await sorted('/v1/contacts?state=FR')).toEqual([])
    })

    it('organization: same rule', async () => {
      expect(await sorted(`/v1/contacts?organization=${kgMfa.id}`)).toEqual(ids('current', 'future'))
      expect(await sorted(`/v1/contacts?organization=${kgMfa.id}&current=false`)).toEqual(
        ids('current', 'ended', 'future'),
      )
      expect(await sorted(`/v1/contacts?organization=${kgDept.id}`)).toEqual([])
      expect(await sorted(`/v1/contacts?organization=${kgDept.id}&current=false`)).toEqual(ids('dept'))
    })

    it('role by key or id: same rule', async () => {
      const national = roleId(t.db, 'national-poc')
      expect(await sorted('/v1/contacts?role=national-poc')).toEqual(ids('current'))
      expect(await sorted(`/v1/contacts?role=${national}`)).toEqual(ids('current'))
      expect(await sorted('/v1/contacts?role=national-poc&current=false')).toEqual(ids('current', 'ended'))
      expect(await sorted(`/v1/contacts?role=${national}&current=false`)).toEqual(ids('current', 'ended'))
      expect(await sorted('/v1/contacts?role=alternate-poc')).toEqual(ids('kz', 'future'))
      expect(await sorted('/v1/contacts?role=alternate-poc&state=KG')).toEqual(ids('future'))
      expect(await sorted('/v1/contacts?role=mission-poc')).toEqual([])
    })

    it('combined filters must hold through the same assignment', async () => {
      // "ended" held national-poc in KG, but not currently; "kz" holds alternate-poc, not in KG.
      expect(await sorted(`/v1/contacts?state=KZ&organization=${kgMfa.id}`)).toEqual([])
      expect(await sorted('/v1/contacts?state=KZ&role=national-poc&current=false')).toEqual([])
    })

    it('refuses unknown state, organization or role values and bad current with 400', async () => {
      for (const [query, path] of [
        ['state=XX', 'state'],
        ['state=kg', 'state'],
        ['organization=0192f7a0-3c1e-7d2a-9b1e-000000000000', 'organization'],
        ['role=no-such-poc', 'role'],
        ['role=0192f7a0-3c1e-7d2a-9b1e-000000000000', 'role'],
        ['current=yes', 'current'],
        ['updatedSince=yesterday', 'updatedSince'],
      ] as const) {
        expectProblem(await t.app.inject({ method: 'GET', url: `/v1/contacts?${query}` }), 400, [path])
      }
    })
  })

  describe('assignments', () => {
    it('by state, organization, role (key or id), contact and current', async () => {
      expect(await sorted('/v1/assignments?state=KG')).toEqual(asg('current', 'ended', 'future', 'dept'))
      expect(await sorted('/v1/assignments?state=KG&current=true')).toEqual(asg('current', 'future'))
      expect(await sorted('/v1/assignments?state=KG&current=false')).toEqual(asg('ended', 'dept'))
      expect(await sorted(`/v1/assignments?organization=${kgMfa.id}`)).toEqual(
        asg('current', 'ended', 'future'),
      )
      expect(await sorted('/v1/assignments?role=national-poc')).toEqual(asg('current', 'ended'))
      expect(await sorted(`/v1/assignments?role=${roleId(t.db, 'national-poc')}&current=true`)).toEqual(
        asg('current'),
      )
      expect(await sorted(`/v1/assignments?contact=${c.ended?.id}`)).toEqual(asg('ended'))
      expect(await sorted(`/v1/assignments?contact=${c.none?.id}`)).toEqual([])
      expect(await sorted('/v1/assignments?state=KZ&role=alternate-poc')).toEqual(asg('kz'))
      // Deleted assignments never show.
      expect(await sorted(`/v1/assignments?contact=${c.deleted?.id}`)).toEqual([])
      const item = (await getJson<Page>(t, `/v1/assignments?contact=${c.current?.id}`)).items[0]
      expect(item).toMatchObject({
        id: a.current?.id,
        contactId: c.current?.id,
        organizationId: kgMfa.id,
        stateCode: 'KG',
        isPrimary: true,
        endDate: null,
      })
    })

    it('refuses unknown values with 400', async () => {
      for (const [query, path] of [
        ['state=XX', 'state'],
        ['organization=0192f7a0-3c1e-7d2a-9b1e-000000000000', 'organization'],
        ['role=no-such-poc', 'role'],
        ['contact=0192f7a0-3c1e-7d2a-9b1e-000000000000', 'contact'],
        ['current=1', 'current'],
      ] as const) {
        expectProblem(await t.app.inject({ method: 'GET', url: `/v1/assignments?${query}` }), 400, [path])
      }
    })
  })

  describe('updatedSince (inclusive)', () => {
    it('lists only records updated at or after the instant, on every list', async () => {
      const auth = await writer()
      const oldOrg = await createOrganization(t, { stateCode: 'GE' })
      const oldContact = await createContact(t)
      await sleep(15)
      const since = new Date().toISOString()
      await sleep(15)
      const newOrg = await createOrganization(t, { stateCode: 'GE' })
      const newContact = await createContact(t)
      const newAsg = await createAssignment(t, { contactId: newContact.id, organizationId: newOrg.id })

      const q = `updatedSince=${encodeURIComponent(since)}`
      expect(await sorted(`/v1/organizations?${q}`)).toEqual([String(newOrg.id)])
      expect(await sorted(`/v1/contacts?${q}`)).toEqual([String(newContact.id)])
      expect(await sorted(`/v1/assignments?${q}`)).toEqual([String(newAsg.id)])
      expect(await sorted(`/v1/states?${q}`)).toEqual([])
      expect(await sorted(`/v1/roles?${q}`)).toEqual([])

      // Inclusive: the exact updatedAt of a record finds it.
      const exact = `updatedSince=${encodeURIComponent(String(newOrg.updatedAt))}`
      expect(await listIds(t, `/v1/organizations?${exact}`)).toContain(String(newOrg.id))

      // An update brings an old record back into the window.
      const patched = await t.app.inject({
        method: 'PATCH',
        url: `/v1/contacts/${oldContact.id}`,
        headers: auth,
        payload: { positionTitle: 'Moved' },
      })
      expect(patched.statusCode, patched.body).toBe(200)
      expect(await sorted(`/v1/contacts?${q}`)).toEqual([String(oldContact.id), String(newContact.id)].sort())
      expect(await sorted(`/v1/organizations?${q}&state=GE`)).toEqual([String(newOrg.id)])
      expect(await listIds(t, '/v1/organizations?state=GE')).toContain(String(oldOrg.id))
    })

    it('refuses a value that is not an RFC 3339 timestamp', async () => {
      for (const base of [
        '/v1/organizations',
        '/v1/contacts',
        '/v1/assignments',
        '/v1/states',
        '/v1/roles',
      ]) {
        expectProblem(await t.app.inject({ method: 'GET', url: `${base}?updatedSince=yesterday` }), 400, [
          'updatedSince',
        ])
      }
    })
  })
})
