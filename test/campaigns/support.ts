import { expect } from 'vitest'
import type { Db } from '../../src/db/client.js'
import { bearer, roleId, snapshot } from '../helpers/build-test-app.js'
import type { Headers, Json, TestApp } from '../helpers/http.js'
import { getJson } from '../helpers/http.js'

export type { Headers, Json, TestApp }

/** Every row of the campaign tables, with the directory's, to prove a refused request wrote nothing. */
export function fullSnapshot(db: Db): string {
  const extra = ['campaigns', 'campaign_links', 'corrections'].map((t) =>
    db.$client.prepare(`select * from ${t} order by rowid`).all(),
  )
  return snapshot(db) + JSON.stringify(extra)
}

export async function post(t: TestApp, url: string, headers: Headers, payload?: unknown) {
  return t.app.inject({
    method: 'POST',
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
}

export async function created(t: TestApp, url: string, headers: Headers, payload: unknown): Promise<Json> {
  const res = await post(t, url, headers, payload)
  expect(res.statusCode, `POST ${url}: ${res.body}`).toBeLessThan(300)
  return res.json() as Json
}

export interface Scenario {
  kgOrg: Json
  kzOrg: Json
  /** Holds two KG posts (national-poc and technical-poc). */
  asan: Json
  /** KG's mission PoC. */
  bermet: Json
  /** KZ's national PoC. */
  dana: Json
  /** Held a KG post that has ended. */
  former: Json
}

/** Two states' holders; every contact created long ago, so all of them are stale. */
export async function seedScenario(t: TestApp): Promise<Scenario> {
  const w = await bearer('directory:write', { sub: 'setup' })
  const org = (name: string, stateCode: string) =>
    created(t, '/v1/organizations', w, { name, kind: 'government', stateCode })
  const kgOrg = await org('Ministry of Foreign Affairs of Kyrgyzstan', 'KG')
  const kzOrg = await org('Ministry of Foreign Affairs of Kazakhstan', 'KZ')
  const person = (body: Json) => created(t, '/v1/contacts', w, body)
  const asan = await person({
    givenName: 'Asan',
    familyName: 'Zhumabekov',
    positionTitle: 'Head of Division',
    notes: 'Staff note, never shown through a link',
    contactDetails: [
      { type: 'email', value: 'a.zhumabekov@mfa.gov.kg', visibility: 'restricted' },
      { type: 'phone', value: '+996 312 620545', visibility: 'public' },
    ],
  })
  const bermet = await person({
    givenName: 'Bermet',
    familyName: 'Asanova',
    contactDetails: [{ type: 'email', value: 'b.asanova@un.int', visibility: 'public' }],
  })
  const dana = await person({
    givenName: 'Dana',
    familyName: 'Nurlanova',
    contactDetails: [{ type: 'email', value: 'd.nurlanova@mfa.kz' }],
  })
  const former = await person({ givenName: 'Former', familyName: 'Holder' })
  const assign = (contact: Json, organization: Json, role: string, extra: Json = {}) =>
    created(t, '/v1/assignments', w, {
      contactId: contact.id,
      organizationId: organization.id,
      roleId: roleId(t.db, role),
      startDate: '2023-01-01',
      ...extra,
    })
  await assign(asan, kgOrg, 'national-poc', { isPrimary: true })
  await assign(asan, kgOrg, 'technical-poc')
  await assign(bermet, kgOrg, 'mission-poc')
  await assign(dana, kzOrg, 'national-poc')
  await assign(former, kgOrg, 'alternate-poc', { endDate: '2024-01-01' })
  t.db.$client.prepare("update contacts set created_at = '2020-01-01T00:00:00.000Z'").run()
  const fresh = async (c: Json) => getJson(t, `/v1/contacts/${c.id}`, w)
  return {
    kgOrg,
    kzOrg,
    asan: await fresh(asan),
    bermet: await fresh(bermet),
    dana: await fresh(dana),
    former: await fresh(former),
  }
}

export const daysFrom = (days: number, from = new Date()) =>
  new Date(Date.parse(`${from.toISOString().slice(0, 10)}T00:00:00.000Z`) + days * 86_400_000)
    .toISOString()
    .slice(0, 10)

export const TOKEN = /^[A-Za-z0-9_-]{43}$/
