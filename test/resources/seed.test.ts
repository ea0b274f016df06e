import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { OSCE_PARTICIPATING, seed, seedSource } from '../../src/db/seed.js'
import { buildTestApp, snapshot } from '../helpers/build-test-app.js'
import { expectProblem, getJson, type Json, listIds, type TestApp } from './fixtures.js'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(() => t.close())

const DESIGN_OSCE =
  'AL AD AM AT AZ BY BE BA BG CA HR CY CZ DK EE FI FR GE DE GR VA HU IS IE IT KZ KG LV LI LT LU MT MD MC MN ME NL MK NO PL PT RO RU SM RS SK SI ES SE CH TJ TR TM UA GB US UZ'.split(
    ' ',
  )

async function allStates(): Promise<Json[]> {
  const page = (await getJson(t, '/v1/states?limit=500')) as { items: Json[]; nextCursor: string | null }
  expect(page.nextCursor).toBeNull()
  return page.items
}

describe('seeded states', () => {
  it('holds the 193 UN members and the Holy See, and nothing else', async () => {
    const states = await allStates()
    expect(states).toHaveLength(194)
    const members = states.filter((s) => s.unMember === true)
    expect(members).toHaveLength(193)
    const others = states.filter((s) => s.unMember !== true)
    expect(others.map((s) => s.code)).toEqual(['VA'])
    expect(others[0]).toMatchObject({ code: 'VA', unMember: false, osceParticipating: true })
    // Not UN members, so not seeded.
    const codes = new Set(states.map((s) => s.code))
    for (const absent of ['XK', 'TW', 'PS', 'EH', 'AQ']) expect(codes.has(absent), absent).toBe(false)
  })

  it('marks exactly the 57 OSCE participating States', async () => {
    const states = await allStates()
    const osce = states.filter((s) => s.osceParticipating === true).map((s) => s.code)
    expect(DESIGN_OSCE).toHaveLength(57)
    expect(osce).toHaveLength(57)
    expect([...osce].sort()).toEqual([...DESIGN_OSCE].sort())
    expect([...OSCE_PARTICIPATING].sort()).toEqual([...DESIGN_OSCE].sort())
    for (const s of states) expect(typeof s.osceParticipating, String(s.code)).toBe('boolean')
  })

  it('filters by osce=true and unMember=false', async () => {
    const osce = await listIds(t, '/v1/states?osce=true&limit=20', 'code')
    expect(osce.sort()).toEqual([...DESIGN_OSCE].sort())
    expect(await listIds(t, '/v1/states?unMember=false', 'code')).toEqual(['VA'])
  })

  it('GET /v1/states/KG reads Kyrgyzstan with names in en, fr, ru, es', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/states/KG' })
    expect(res.statusCode).toBe(200)
    expect(res.headers.etag).toBe('"1"')
    const kg = res.json()
    expect(kg).toMatchObject({
      code: 'KG',
      iso3: 'KGZ',
      name: 'Kyrgyzstan',
      unMember: true,
      osceParticipating: true,
      version: 1,
    })
    expect(kg.officialName).toMatch(/Kyrgyz Republic/)
    expect(kg.names).toMatchObject({ en: 'Kyrgyzstan' })
    for (const lang of ['en', 'fr', 'ru', 'es']) expect(kg.names[lang], lang).toEqual(expect.any(String))
    expect(kg.names.ru).toMatch(/[А-Яа-я]/)
    expect(kg).not.toHaveProperty('deletedAt')
    expect(Date.parse(kg.createdAt)).not.toBeNaN()
    expect(kg.createdAt).toMatch(/Z$/)
  })

  it('answers 404 problem+json for a state that is not seeded', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/states/XK' })
    expectProblem(res, 404)
  })

  it('each state is a record of the seed with a revision by system:seed', () => {
    const row = t.db.$client
      .prepare("select actor, action, entity from revisions where entity = 'state' and entity_id = 'KG'")
      .all()
    expect(row).toEqual([{ actor: 'system:seed', action: 'create', entity: 'state' }])
  })
})

describe('seeded roles', () => {
  it('include national-poc, mission-poc, alternate-poc and technical-poc', async () => {
    const page = (await getJson(t, '/v1/roles?limit=500')) as { items: Json[] }
    const keys = page.items.map((r) => r.key)
    for (const key of ['national-poc', 'mission-poc', 'alternate-poc', 'technical-poc']) {
      expect(keys, key).toContain(key)
    }
    expect(new Set(keys).size).toBe(keys.length)
    const national = page.items.find((r) => r.key === 'national-poc')
    expect(national).toMatchObject({ domain: 'general', version: 1, name: expect.any(String) })
  })
})

describe('seed(db) a second time', () => {
  it('adds nothing and changes nothing', () => {
    const before = snapshot(t.db)
    expect(seed(t.db)).toEqual({ states: 0, roles: 0 })
    expect(snapshot(t.db)).toBe(before)
  })
})

describe('the seed is skipped when the database was seeded from the same source', () => {
  it('records its source, skips on the same one, and runs again (adding only what is absent) on another', () => {
    const db = openDatabase(':memory:')
    try {
      runMigrations(db)
      const source = () =>
        db.$client.prepare("select value from settings where name = 'seeded-from'").pluck().get()
      expect(source()).toBeUndefined()
      expect(seed(db)).toEqual({ states: 194, roles: 11 })
      expect(source()).toBe(seedSource())
      expect(seedSource()).toMatch(
        /^world-countries \d+\.\d+\.\d+; roles national-poc mission-poc .* legal-poc$/,
      )
      // The same source: nothing is read or written, even a row removed behind the service's back.
      db.$client.prepare("delete from roles where key = 'legal-poc'").run()
      const before = snapshot(db)
      expect(seed(db)).toEqual({ states: 0, roles: 0 })
      expect(snapshot(db)).toBe(before)
      // Another source (a newer package, a new default role): the seed runs and adds what is absent.
      db.$client
        .prepare("update settings set value = 'world-countries 0.0.1' where name = 'seeded-from'")
        .run()
      expect(seed(db)).toEqual({ states: 0, roles: 1 })
      expect(db.$client.prepare("select count(*) from roles where key = 'legal-poc'").pluck().get()).toBe(1)
      expect(source()).toBe(seedSource())
    } finally {
      db.$client.close()
    }
  })
})
