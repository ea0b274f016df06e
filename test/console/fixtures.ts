import { roleId } from '../helpers/build-test-app.js'
import { adminHeaders, type TestServer } from './harness.js'

async function post<T>(server: TestServer, url: string, payload: unknown): Promise<T> {
  const res = await server.app.inject({
    method: 'POST',
    url,
    headers: await adminHeaders(),
    payload: payload as object,
  })
  if (res.statusCode !== 201) throw new Error(`${url} answered ${res.statusCode}: ${res.body}`)
  return res.json() as T
}

/**
 * Kyrgyzstan and Kazakhstan with a ministry and a national PoC each, written through the API:
 * KG's PoC is known by a Cyrillic name, has a restricted e-mail and a public phone.
 */
export async function seedConsoleData(server: TestServer) {
  const nationalPoc = roleId(server.db, 'national-poc')
  const kgMfa = await post<{ id: string }>(server, '/v1/organizations', {
    name: 'Ministry of Foreign Affairs of the Kyrgyz Republic',
    acronym: 'MFA',
    kind: 'government',
    stateCode: 'KG',
  })
  const kzMfa = await post<{ id: string }>(server, '/v1/organizations', {
    name: 'Ministry of Foreign Affairs of the Republic of Kazakhstan',
    kind: 'government',
    stateCode: 'KZ',
  })
  const zhumabekov = await post<{ id: string }>(server, '/v1/contacts', {
    givenName: 'Бакыт',
    familyName: 'Жумабеков',
    positionTitle: 'Head of the Arms Control Division',
    contactDetails: [
      { type: 'email', value: 'b.zhumabekov@mfa.example.kg', visibility: 'restricted' },
      { type: 'phone', value: '+996 312 62 05 45', visibility: 'public' },
    ],
    notes: 'Prefers calls in the morning',
  })
  const sadykova = await post<{ id: string }>(server, '/v1/contacts', {
    givenName: 'Aida',
    familyName: 'Sadykova',
    positionTitle: 'Counsellor',
  })
  const nurlanova = await post<{ id: string }>(server, '/v1/contacts', {
    givenName: 'Aigerim',
    familyName: 'Nurlanova',
    contactDetails: [{ type: 'email', value: 'a.nurlanova@mfa.example.kz', visibility: 'restricted' }],
  })
  const kgPoc = await post<{ id: string }>(server, '/v1/assignments', {
    contactId: zhumabekov.id,
    roleId: nationalPoc,
    organizationId: kgMfa.id,
    stateCode: 'KG',
    startDate: '2022-03-01',
    isPrimary: true,
  })
  const kzPoc = await post<{ id: string }>(server, '/v1/assignments', {
    contactId: nurlanova.id,
    roleId: nationalPoc,
    organizationId: kzMfa.id,
    stateCode: 'KZ',
    startDate: '2023-05-15',
    isPrimary: true,
  })
  // KZ's PoC was last verified 30 months ago (no API writes the past: set in the database
  // before anything is read, so no cached page holds the old value).
  const longAgo = new Date()
  longAgo.setMonth(longAgo.getMonth() - 30)
  server.db.$client
    .prepare('update contacts set last_verified_at = ? where id = ?')
    .run(longAgo.toISOString().replace(/\.\d+Z$/, 'Z'), nurlanova.id)
  return { kgMfa, kzMfa, zhumabekov, sadykova, nurlanova, kgPoc, kzPoc, kzVerifiedAt: longAgo }
}
