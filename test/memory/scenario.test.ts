import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, roleId } from '../helpers/build-test-app.js'

/**
 * The institutional-memory story: a state's PoC is created, verified, handed over twice; the
 * directory now and on each past day names the right person; history tells it with actors.
 */
let t: Awaited<ReturnType<typeof buildTestApp>>
let alice: Record<string, string>
let bob: Record<string, string>
beforeAll(async () => {
  t = await buildTestApp()
  alice = await bearer('directory:write', { sub: 'alice' })
  bob = await bearer('directory:write', { sub: 'bob', states: ['KG'] })
})
afterAll(() => t.close())

async function post(url: string, payload: unknown, headers = alice) {
  const res = await t.app.inject({ method: 'POST', url, headers, payload: payload as object })
  expect(res.statusCode, res.body).toBeLessThan(300)
  return res.json()
}

async function directory(query: string) {
  const res = await t.app.inject({ method: 'GET', url: `/v1/directory?${query}`, headers: alice })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

describe('institutional memory', () => {
  it('keeps who held the national PoC role on every day, through two handovers', async () => {
    const org = await post('/v1/organizations', {
      name: 'Ministry of Foreign Affairs',
      kind: 'government',
      stateCode: 'KG',
    })
    const people = []
    for (const [given, family, original] of [
      ['Asan', 'Zhumabekov', 'Асан Жумабеков'],
      ['Aigul', 'Sadykova', 'Айгүл Садыкова'],
      ['Bakyt', 'Osmonov', 'Бакыт Осмонов'],
    ]) {
      people.push(
        await post('/v1/contacts', { givenName: given, familyName: family, nameOriginal: original }),
      )
    }
    const [p1, p2, p3] = people
    const first = await post('/v1/assignments', {
      contactId: p1.id,
      roleId: roleId(t.db, 'national-poc'),
      organizationId: org.id,
      startDate: '2020-01-15',
      isPrimary: true,
      designationRef: 'NV 1/2020',
    })
    const verified = await t.app.inject({ method: 'POST', url: `/v1/contacts/${p1.id}/verify`, headers: bob })
    expect(verified.statusCode, verified.body).toBe(200)
    expect(Date.parse(verified.json().lastVerifiedAt)).toBeGreaterThan(Date.now() - 60_000)

    const h1 = await t.app.inject({
      method: 'POST',
      url: `/v1/assignments/${first.id}/handover`,
      headers: bob,
      payload: { contactId: p2.id, date: '2022-06-01', endReason: 'Rotated' },
    })
    expect(h1.statusCode, h1.body).toBe(201)
    const { ended, started } = h1.json()
    expect(ended).toMatchObject({
      id: first.id,
      endDate: '2022-06-01',
      endReason: 'Rotated',
      succeededBy: started.id,
    })
    expect(started).toMatchObject({
      contactId: p2.id,
      startDate: '2022-06-01',
      endDate: null,
      isPrimary: true,
      stateCode: 'KG',
    })
    expect(h1.headers.location).toBe(`/v1/assignments/${started.id}`)

    const again = await t.app.inject({
      method: 'POST',
      url: `/v1/assignments/${first.id}/handover`,
      headers: alice,
      payload: { contactId: p3.id, date: '2023-01-01' },
    })
    expect(again.statusCode).toBe(409)

    const h2 = await t.app.inject({
      method: 'POST',
      url: `/v1/assignments/${started.id}/handover`,
      headers: alice,
      payload: { contactId: p3.id, date: '2024-03-10' },
    })
    expect(h2.statusCode, h2.body).toBe(201)
    const third = h2.json().started

    const read = await t.app.inject({ method: 'GET', url: `/v1/assignments/${first.id}` })
    expect(read.json().succeededBy).toBe(started.id)

    const holderOn = async (asOf: string) => {
      const d = await directory(`state=KG&role=national-poc&asOf=${asOf}`)
      return d.items.map((i: { contact: { familyName: string } }) => i.contact.familyName)
    }
    expect(await holderOn('2020-01-14')).toEqual([])
    expect(await holderOn('2020-01-15')).toEqual(['Zhumabekov'])
    expect(await holderOn('2022-05-31')).toEqual(['Zhumabekov'])
    expect(await holderOn('2022-06-01')).toEqual(['Sadykova'])
    expect(await holderOn('2024-03-09')).toEqual(['Sadykova'])
    expect(await holderOn('2024-03-10')).toEqual(['Osmonov'])
    const now = await directory('state=KG')
    expect(now.state.code).toBe('KG')
    expect(now.items).toHaveLength(1)
    expect(now.items[0]).toMatchObject({
      role: { key: 'national-poc' },
      organization: { id: org.id },
      contact: { id: p3.id },
      assignment: { id: third.id },
    })

    const history = await t.app.inject({
      method: 'GET',
      url: `/v1/assignments/${first.id}/history`,
      headers: alice,
    })
    expect(history.statusCode).toBe(200)
    const revs = history.json().items
    expect(revs.map((r: { action: string; actor: string }) => [r.action, r.actor])).toEqual([
      ['update', 'bob'],
      ['create', 'alice'],
    ])
    expect(revs[0].changes).toMatchObject({
      endDate: { before: null, after: '2022-06-01' },
      succeededBy: { before: null, after: started.id },
    })
    const contactHistory = await t.app.inject({ method: 'GET', url: `/v1/contacts/${p1.id}/history` })
    expect(
      contactHistory.json().items.map((r: { action: string; actor: string }) => [r.action, r.actor]),
    ).toEqual([
      ['update', 'bob'],
      ['create', 'alice'],
    ])
    expect(Object.keys(contactHistory.json().items[0].changes)).toEqual(['lastVerifiedAt'])
  })
})
