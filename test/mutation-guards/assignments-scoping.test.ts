import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  expectRejected,
  type Headers,
  type Json,
  send,
  type TestApp,
  write,
  writer,
} from '../memory/support.js'

/**
 * What the two assignment look-ups behind the write checks match, one condition at a time
 * (src/modules/assignments/assignments-repository.ts): an overlapping primary holder is another
 * live primary of the same role in the same state (or at the same international body); a
 * successor "already holds the role there" only with a live, current tenure of that role at
 * that organization. Each test shows the conflict, then that changing one condition lifts it.
 */
let t: TestApp
let w: Headers
let kg: Json
let kg2: Json
let kz: Json
let intl: Json
let intl2: Json

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer('scoping-writer')
  const org = (name: string, kind: string, stateCode?: string) =>
    write(t, 'POST', '/v1/organizations', w, { name, kind, ...(stateCode ? { stateCode } : {}) })
  kg = await org('Scoping Ministry KG', 'government', 'KG')
  kg2 = await org('Scoping Agency KG', 'government', 'KG')
  kz = await org('Scoping Ministry KZ', 'government', 'KZ')
  intl = await org('Scoping Agency One', 'international')
  intl2 = await org('Scoping Agency Two', 'international')
})
afterAll(() => t.close())

let n = 0
const person = async () => write(t, 'POST', '/v1/contacts', w, { familyName: `Scoping ${++n}` })

const assignment = async (role: string, organization: Json, body: Json = {}) => ({
  contactId: (await person()).id,
  roleId: roleId(t.db, role),
  organizationId: organization.id,
  stateCode: organization.stateCode ?? null,
  startDate: '2020-01-01',
  ...body,
})

const post = async (role: string, organization: Json, body: Json = {}) =>
  send(t, 'POST', '/v1/assignments', w, await assignment(role, organization, body))

const OVERLAP =
  /^Assignment \S+ is the primary holder of this role for an overlapping period; end it or hand it over first$/

describe('an overlapping primary holder', () => {
  it('a non-primary holder does not block a primary; a primary does', async () => {
    expect((await post('national-poc', kg)).statusCode).toBe(201)
    const first = await post('national-poc', kg, { isPrimary: true })
    expect(first.statusCode, first.body).toBe(201)
    const second = await post('national-poc', kg, { isPrimary: true })
    expect(second.statusCode).toBe(409)
    expect(second.json().detail).toMatch(OVERLAP)
    expect(second.json().detail).toContain(first.json().id)
  })

  it('a primary of another state, or of another role, does not block', async () => {
    expect((await post('alternate-poc', kg, { isPrimary: true })).statusCode).toBe(201)
    const kzPrimary = await post('alternate-poc', kz, { isPrimary: true })
    expect(kzPrimary.statusCode, kzPrimary.body).toBe(201)
    const otherRole = await post('legal-poc', kg, { isPrimary: true })
    expect(otherRole.statusCode, otherRole.body).toBe(201)
    // Another organization of the same state is the same state: it blocks.
    expect((await post('alternate-poc', kg2, { isPrimary: true })).statusCode).toBe(409)
  })

  it('a primary does not block changes to itself; once deleted, it blocks nobody', async () => {
    const created = await post('mission-poc', kg, { isPrimary: true })
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    const patched = await send(t, 'PATCH', `/v1/assignments/${id}`, w, { endDate: '2040-01-01' })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.json()).toMatchObject({ id, isPrimary: true, endDate: '2040-01-01' })
    expect((await post('mission-poc', kg, { isPrimary: true })).statusCode).toBe(409)
    expect((await send(t, 'DELETE', `/v1/assignments/${id}`, w)).statusCode).toBe(204)
    const after = await post('mission-poc', kg, { isPrimary: true })
    expect(after.statusCode, after.body).toBe(201)
  })

  it('at international bodies: per body, so another body’s primary does not block', async () => {
    expect((await post('technical-poc', intl, { isPrimary: true })).statusCode).toBe(201)
    const elsewhere = await post('technical-poc', intl2, { isPrimary: true })
    expect(elsewhere.statusCode, elsewhere.body).toBe(201)
    expect((await post('technical-poc', intl, { isPrimary: true })).statusCode).toBe(409)
    // A state's primary of the same role does not block one at an international body, nor the reverse.
    expect((await post('finance-poc', kg, { isPrimary: true })).statusCode).toBe(201)
    expect((await post('finance-poc', intl, { isPrimary: true })).statusCode).toBe(201)
    expect((await post('finance-poc', kz, { isPrimary: true })).statusCode).toBe(201)
  })
})

describe('a successor who already holds the role there', () => {
  const handover = async (role: string, organization: Json, successorId: string) => {
    const outgoing = await post(role, organization)
    expect(outgoing.statusCode, outgoing.body).toBe(201)
    return send(t, 'POST', `/v1/assignments/${outgoing.json().id}/handover`, w, {
      contactId: successorId,
      date: '2024-01-01',
    })
  }

  it('holding it at the same organization blocks (409); at another organization of the state it does not', async () => {
    const held = await post('nuclear-poc', kg)
    const successor = held.json().contactId as string
    const refused = await expectRejected(
      t,
      {
        method: 'POST',
        url: `/v1/assignments/${(await post('nuclear-poc', kg)).json().id}/handover`,
        headers: w,
        payload: { contactId: successor, date: '2024-01-01' },
      },
      409,
    )
    expect(refused.detail).toBe('The successor already holds this role there')
    const res = await handover('nuclear-poc', kg2, successor)
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().started).toMatchObject({
      contactId: successor,
      organizationId: kg2.id,
      stateCode: 'KG',
    })
  })

  it('holding another role at the same organization does not block', async () => {
    const held = await post('chemical-poc', kg)
    const res = await handover('biological-poc', kg, held.json().contactId)
    expect(res.statusCode, res.body).toBe(201)
  })

  it('a deleted holding does not block', async () => {
    const held = await post('border-poc', kg)
    expect((await send(t, 'DELETE', `/v1/assignments/${held.json().id}`, w)).statusCode).toBe(204)
    const res = await handover('border-poc', kg, held.json().contactId)
    expect(res.statusCode, res.body).toBe(201)
  })

  it('at international bodies: holding it at another body does not block; at the same body it does', async () => {
    const held = await post('export-control-poc', intl2)
    const successor = held.json().contactId as string
    const res = await handover('export-control-poc', intl, successor)
    expect(res.statusCode, res.body).toBe(201)
    const again = await handover('export-control-poc', intl2, successor)
    expect(again.statusCode).toBe(409)
    expect(again.json().detail).toBe('The successor already holds this role there')
  })
})
