import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, signToken } from '../helpers/build-test-app.js'
import {
  expectRejected,
  getJson,
  type Headers,
  importOk,
  importRequest,
  type Json,
  listAll,
  type Row,
  result,
  type TestApp,
  toCsv,
} from './support.js'

/**
 * Imports need directory:import (or admin). A token limited to states may import only rows
 * of its states: any other row, or a row without a state, refuses the whole file with 403
 * naming the rows.
 */

const kg = (n: number, extra: Row = {}): Row => ({
  stateCode: 'KG',
  organization: 'Ministry of Foreign Affairs',
  role: n % 2 ? 'national-poc' : 'alternate-poc',
  externalId: `kg-${n}`,
  familyName: `Zhumabekov${n}`,
  nameOriginal: 'Жумабеков',
  email: `kg${n}@mfa.gov.kg`,
  phone: '0312 620545',
  startDate: '2024-03-01',
  ...extra,
})
const FILE = toCsv([kg(1), kg(2)])

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(() => t.close())

describe('scopes', () => {
  it('no token is a 401 problem, and nothing is written', async () => {
    await expectRejected(t, importRequest(FILE, 'text/csv', {}), 401)
  })

  it('a token that fails verification is a 401 problem', async () => {
    const forged = `Bearer ${await signToken({ scope: 'directory:import', secret: 'another-secret-0123456789-abcdefghijk' })}`
    await expectRejected(t, importRequest(FILE, 'text/csv', { authorization: forged }), 401)
    const expired = `Bearer ${await signToken({ scope: 'directory:import', expiresIn: -60 })}`
    await expectRejected(t, importRequest(FILE, 'text/csv', { authorization: expired }), 401)
  })

  it('directory:read and directory:write tokens are 403 problems, and nothing is written', async () => {
    for (const scope of ['directory:read', 'directory:write', 'directory:read directory:write']) {
      await expectRejected(t, importRequest(FILE, 'text/csv', await bearer(scope)), 403)
      await expectRejected(t, importRequest(FILE, 'text/csv', await bearer(scope), '?dryRun=true'), 403)
    }
  })

  it('a directory:import token imports', async () => {
    const body = await importOk(t, FILE, 'text/csv', await bearer('directory:import', { sub: 'imp' }))
    expect(body).toEqual(result({ organizations: 1, contacts: 2, assignments: 2 }))
  })

  it('an admin token imports', async () => {
    const body = await importOk(t, toCsv([kg(1), kg(2), kg(3)]), 'text/csv', await bearer('directory:admin'))
    expect(body).toEqual(
      result({ contacts: 1, assignments: 1 }, {}, { organizations: 1, contacts: 2, assignments: 2 }),
    )
  })
})

describe('a states-limited import token', () => {
  let limited: Headers
  beforeAll(async () => {
    limited = await bearer('directory:import', { states: ['KG'], sub: 'kg-coordinator' })
  })

  const mixed: Row[] = [
    kg(11),
    kg(12, { stateCode: 'KZ', phone: '8 7172 720518' }),
    kg(13),
    // A person without a tenure belongs to no state.
    { externalId: 'nobody-14', familyName: 'Nobody', email: 'nobody@example.org' },
    kg(15, { stateCode: 'KZ', organization: 'Committee for Atomic and Energy Supervision', phone: '' }),
    {
      organization: 'OSCE Secretariat',
      organizationKind: 'international',
      role: 'technical-poc',
      externalId: 'osce-16',
      familyName: 'Dupont',
      startDate: '2023-01-01',
    },
    kg(17),
  ]

  it('refuses a file with rows of other states or without a state: 403 naming exactly those rows', async () => {
    for (const [body, type] of [
      [toCsv(mixed), 'text/csv'],
      [mixed, 'application/json'],
    ] as const) {
      for (const query of ['', '?dryRun=true']) {
        const problem = await expectRejected(t, importRequest(body, type, limited, query), 403)
        expect(problem.errors).toEqual([
          { row: 2, field: 'stateCode', message: expect.stringContaining('KZ') },
          { row: 4, field: 'stateCode', message: expect.any(String) },
          { row: 5, field: 'stateCode', message: expect.stringContaining('KZ') },
          { row: 6, field: 'stateCode', message: expect.any(String) },
        ])
      }
    }
  })

  it('bad rows are still 422 before the states check', async () => {
    const problem = await expectRejected(
      t,
      importRequest(
        toCsv([kg(21, { email: 'nope' }), kg(22, { stateCode: 'KZ', phone: '' })]),
        'text/csv',
        limited,
      ),
      422,
    )
    expect(problem.errors).toEqual([{ row: 1, field: 'email', message: expect.any(String) }])
  })

  it('imports an all-KG file, as its sub', async () => {
    const rows = [kg(31), kg(32), kg(33, { organization: 'State Customs Service' })]
    const dry = await importOk(t, toCsv(rows), 'text/csv', limited, '?dryRun=true')
    const body = await importOk(t, toCsv(rows), 'text/csv', limited)
    expect(body).toEqual(result({ organizations: 1, contacts: 3, assignments: 3 }, {}, { organizations: 1 }))
    expect(dry).toEqual({ ...body, dryRun: true })
    const contacts = await listAll(t, '/v1/contacts?limit=500', await bearer('directory:admin'))
    const c = contacts.find((x: Json) => x.externalId === 'kg-31')
    const history = await getJson(t, `/v1/contacts/${c?.id}/history`, await bearer('directory:admin'))
    expect(history.items.map((r: Json) => r.actor)).toEqual(['kg-coordinator'])
  })
})
