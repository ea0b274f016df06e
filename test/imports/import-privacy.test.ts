import type { LightMyRequestResponse } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import {
  admin,
  expectRejected,
  type Headers,
  importer,
  importOk,
  importOnly,
  importRequest,
  type Json,
  type Row,
  result,
  type TestApp,
  toCsv,
} from './support.js'

/**
 * Import privacy, tested as an attacker holding a token without directory:read: two
 * directories that differ only in restricted values (a person's restricted e-mail and phone
 * number), the same import body, and the answers must be byte for byte the same, dry run and
 * real. Before, the counts (`unchanged` where the guess was right, `updated` where not), the
 * match by e-mail (an existing person or a new one) and a states-limited token's 403 (a person
 * of another state found by their e-mail) each told the attacker the restricted value.
 */

const KG_SECRET = { email: 'b.osmonov@mfa.gov.kg', phone: '0312 620545' }
const KG_OTHER = { email: 'b.osmonov.private@mfa.gov.kg', phone: '0312 620546' }
const KZ_SECRET = 'd.iskakova@mfa.kz'
const KZ_OTHER = 'd.iskakova.home@mfa.kz'

const OSMONOV: Row = {
  stateCode: 'KG',
  organization: 'Ministry of Foreign Affairs',
  role: 'national-poc',
  externalId: 'kg-1',
  givenName: 'Bakyt',
  familyName: 'Osmonov',
  positionTitle: 'Counsellor',
  startDate: '2024-03-01',
}
const ISKAKOVA: Row = {
  stateCode: 'KZ',
  organization: 'Ministry of Foreign Affairs',
  role: 'national-poc',
  givenName: 'Dana',
  familyName: 'Iskakova',
  startDate: '2023-01-01',
}

/**
 * A directory where Osmonov (kg-1) has a restricted e-mail and phone number and Iskakova (in
 * KZ, no externalId) a restricted e-mail: `secret` decides which values, nothing else differs.
 */
async function directory(secret: boolean): Promise<TestApp> {
  const t = await buildTestApp()
  const kg = secret ? KG_SECRET : KG_OTHER
  await importOk(
    t,
    toCsv([
      { ...OSMONOV, ...kg },
      { ...ISKAKOVA, email: secret ? KZ_SECRET : KZ_OTHER },
    ]),
    'text/csv',
    await admin(),
  )
  return t
}

let withSecret: TestApp
let without: TestApp
beforeEach(async () => {
  withSecret = await directory(true)
  without = await directory(false)
})
afterEach(async () => {
  await withSecret.close()
  await without.close()
})

const seen = (res: LightMyRequestResponse) => ({
  status: res.statusCode,
  type: res.headers['content-type'],
  body: res.body,
})

/** The attacker's view of `rows` in both directories, dry run then real: asserts it is the same. */
async function sameAnswers(rows: Row[], headers: Headers): Promise<Json[]> {
  const answers: Json[] = []
  for (const query of ['?dryRun=true', '']) {
    const request = importRequest(toCsv(rows), 'text/csv', headers, query)
    const a = seen(await withSecret.app.inject(request))
    const b = seen(await without.app.inject(request))
    expect(b, `the answers to ${query || 'the real run'} differ`).toEqual(a)
    answers.push({ status: a.status, body: JSON.parse(a.body) })
  }
  return answers
}

const ok = (counts: Parameters<typeof result>) => [
  { status: 200, body: result(counts[0], counts[1], counts[2], true) },
  { status: 200, body: result(counts[0], counts[1], counts[2], false) },
]

describe('an import-only token cannot learn a restricted value', () => {
  it('guessing the e-mail: the person counts as updated whether it is stored or not', async () => {
    const rows = [{ ...OSMONOV, email: KG_SECRET.email }]
    expect(await sameAnswers(rows, await importOnly())).toEqual(
      ok([{}, { contacts: 1 }, { organizations: 1, assignments: 1 }]),
    )
  })

  it('guessing the phone number: the same', async () => {
    const rows = [{ ...OSMONOV, phone: KG_SECRET.phone }]
    expect(await sameAnswers(rows, await importOnly())).toEqual(
      ok([{}, { contacts: 1 }, { organizations: 1, assignments: 1 }]),
    )
  })

  it('guessing the e-mail with emailVisibility public: the same, and the same public record after', async () => {
    const rows = [{ ...OSMONOV, email: KG_SECRET.email, emailVisibility: 'public' }]
    expect(await sameAnswers(rows, await importOnly())).toEqual(
      ok([{}, { contacts: 1 }, { organizations: 1, assignments: 1 }]),
    )
    // The row says the address is public: a stored restricted copy becomes public, as a missing
    // one is added public. Before, the restricted copy stayed hidden, so the next anonymous read
    // told whether it had been there.
    const publicView = async (t: TestApp) => {
      const [c] = (await t.app.inject({ url: '/v1/contacts?q=osmonov' })).json().items as Json[]
      return { details: c?.contactDetails, version: c?.version }
    }
    const view = await publicView(withSecret)
    expect(view).toEqual({
      details: [{ type: 'email', value: KG_SECRET.email, label: null, visibility: 'public' }],
      version: 2,
    })
    expect(await publicView(without)).toEqual(view)
  })

  it('an e-mail is not a match key: a row without externalId is 422 in both, writing nothing', async () => {
    const rows = [{ ...OSMONOV, externalId: '', email: KG_SECRET.email, familyName: 'Osmonov-Sadykov' }]
    const error = {
      row: 1,
      field: 'externalId',
      message:
        'give externalId (or the record id) to identify the person; without directory:read an email is not a match key',
    }
    const headers = await importOnly()
    for (const t of [withSecret, without]) {
      for (const query of ['', '?dryRun=true']) {
        const problem = await expectRejected(t, importRequest(toCsv(rows), 'text/csv', headers, query), 422)
        expect(problem.errors).toEqual([error])
      }
    }
    const [dry, real] = await sameAnswers(rows, headers)
    expect(dry?.status).toBe(422)
    expect(real?.status).toBe(422)
  })

  it('an e-mail is data: a new externalId with the stored e-mail of a person without one is a new person in both', async () => {
    // Before, Iskakova (no externalId) was found by the e-mail and given the row's externalId.
    const rows = [{ ...ISKAKOVA, externalId: 'kz-2', email: KZ_SECRET }]
    expect(await sameAnswers(rows, await importOnly())).toEqual(
      ok([{ contacts: 1, assignments: 1 }, {}, { organizations: 1 }]),
    )
  })

  it('a states-limited token: a person of another state is not found by their e-mail (no 403 oracle)', async () => {
    const kg = await importOnly('kg-coordinator', { states: ['KG'] })
    // With an externalId of its own, the row is a new person in both directories.
    const rows: Row[] = [
      { ...OSMONOV, externalId: 'kg-9', givenName: 'Dana', familyName: 'Iskakova', email: KZ_SECRET },
    ]
    expect(await sameAnswers(rows, kg)).toEqual(
      ok([{ contacts: 1, assignments: 1 }, {}, { organizations: 1 }]),
    )
    // Without one, 422 in both.
    const [dry, real] = await sameAnswers([{ ...rows[0], externalId: '' }], kg)
    expect([dry?.status, real?.status]).toEqual([422, 422])
    expect(real?.body.errors).toEqual([
      { row: 1, field: 'externalId', message: expect.stringContaining('without directory:read') },
    ])
  })

  it('what the token may see decides as before: a public detail already stored is unchanged', async () => {
    for (const t of [withSecret, without]) {
      await importOk(
        t,
        toCsv([{ ...OSMONOV, email: 'press@mfa.gov.kg', emailVisibility: 'public' }]),
        'text/csv',
        await admin(),
      )
    }
    const rows = [{ ...OSMONOV, email: 'press@mfa.gov.kg' }]
    expect(await sameAnswers(rows, await importOnly())).toEqual(
      ok([{}, {}, { organizations: 1, contacts: 1, assignments: 1 }]),
    )
  })
})

describe('a row that gives a visibility sets it', () => {
  it('on a stored address or number; an empty cell keeps the stored one', async () => {
    const a = await admin()
    const osmonov = async () => {
      const [c] = (await withSecret.app.inject({ url: '/v1/contacts?q=osmonov', headers: a })).json()
        .items as Json[]
      return ((c as Json).contactDetails as Json[]).map((d) => [d.value, d.visibility])
    }
    const made = [
      [KG_SECRET.email, 'restricted'],
      ['+996312620545', 'restricted'],
    ]
    expect(await osmonov()).toEqual(made)
    const row = { ...OSMONOV, ...KG_SECRET }
    expect(await importOk(withSecret, toCsv([row]), 'text/csv', await importer())).toEqual(
      result({}, {}, { organizations: 1, contacts: 1, assignments: 1 }),
    )
    const phonePublic = { ...row, phoneVisibility: 'public' }
    expect(await importOk(withSecret, toCsv([phonePublic]), 'text/csv', await importer())).toEqual(
      result({}, { contacts: 1 }, { organizations: 1, assignments: 1 }),
    )
    expect(await osmonov()).toEqual([made[0], ['+996312620545', 'public']])
    expect(await importOk(withSecret, toCsv([phonePublic]), 'text/csv', await importer())).toEqual(
      result({}, {}, { organizations: 1, contacts: 1, assignments: 1 }),
    )
  })
})

describe('a token that may read restricted values still gets exact counts', () => {
  it('the right guess is unchanged, the wrong one updated; an e-mail names a person', async () => {
    const reader = await importer()
    const rows = [{ ...OSMONOV, email: KG_SECRET.email }]
    expect(await importOk(withSecret, toCsv(rows), 'text/csv', reader, '?dryRun=true')).toEqual(
      result({}, {}, { organizations: 1, contacts: 1, assignments: 1 }, true),
    )
    expect(await importOk(without, toCsv(rows), 'text/csv', reader, '?dryRun=true')).toEqual(
      result({}, { contacts: 1 }, { organizations: 1, assignments: 1 }, true),
    )
    const byEmail = [{ ...OSMONOV, externalId: '', email: KG_SECRET.email }]
    expect(await importOk(withSecret, toCsv(byEmail), 'text/csv', await bearer('directory:admin'))).toEqual(
      result({}, {}, { organizations: 1, contacts: 1, assignments: 1 }),
    )
  })
})
