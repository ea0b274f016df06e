import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { bearer, buildTestApp, roleId, snapshot } from '../helpers/build-test-app.js'
import { expectGeneratedAsCommitted } from '../helpers/contract-part.js'
import { problemBody } from '../helpers/http.js'
import { getJson, type Headers, type Json, send, type TestApp, write, writer } from '../memory/support.js'

/**
 * src/modules/assignments/assignments-routes.ts through the app, a fresh app per test on a fixed
 * day (only Date is faked): what a create stores by default, the state a move takes, the states
 * claim (a limited token attaches only a contact it may already change), the organization's
 * state rules, the overlapping primary, deleting an ended tenure, the list's filters, and the
 * handover at its edges (planned end, start date, ended today, handed over already). Every
 * refusal is shown to write nothing.
 */

const TODAY = '2032-03-15'
const TOMORROW = '2032-03-16'

let t: TestApp
let w: Headers
let kgOnly: Headers
let kg: Json
let kz: Json
let intl: Json
let regional: Json
let ngo: Json
let n = 0

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date(`${TODAY}T09:00:00.000Z`))
  t = await buildTestApp()
  w = await writer('assignments-writer')
  kgOnly = await writer('kg-writer', { states: ['KG'] })
  const org = (name: string, kind: string, stateCode?: string) =>
    write(t, 'POST', '/v1/organizations', w, { name, kind, ...(stateCode ? { stateCode } : {}) })
  kg = await org('Ministry KG', 'government', 'KG')
  kz = await org('Ministry KZ', 'government', 'KZ')
  intl = await org('Agency', 'international')
  regional = await org('Regional Body', 'regional')
  ngo = await org('Institute KG', 'ngo', 'KG')
})
afterEach(async () => {
  await t.close()
  vi.useRealTimers()
})

const person = async () =>
  (await write(t, 'POST', '/v1/contacts', w, { familyName: `Person ${++n}` })).id as string
const nat = () => roleId(t.db, 'national-poc')

async function assign(organization: Json, body: Json = {}, headers: Headers = w) {
  return write(t, 'POST', '/v1/assignments', headers, {
    contactId: body.contactId ?? (await person()),
    roleId: nat(),
    organizationId: organization.id,
    startDate: '2020-01-01',
    ...body,
  })
}

/** Sends a request that must be refused with `status`, proves it wrote nothing, answers the problem. */
async function refused(
  method: 'POST' | 'PATCH' | 'DELETE',
  url: string,
  headers: Headers,
  payload: unknown,
  status: number,
) {
  const before = snapshot(t.db)
  const res = await send(t, method, url, headers, payload)
  const body = problemBody(res, status)
  expect(snapshot(t.db), 'a refused request writes nothing').toBe(before)
  return body
}

describe('the assignments in the contract', () => {
  it('are generated exactly as committed', async () => {
    await expectGeneratedAsCommitted({
      prefix: '/v1/assignments',
      paths: [
        '/v1/assignments',
        '/v1/assignments/{id}',
        '/v1/assignments/{id}/history',
        '/v1/assignments/{id}/handover',
      ],
      schemas: [
        'AssignmentCreateInput',
        'AssignmentPatchInput',
        'HandoverInput',
        'Assignment',
        'AssignmentList',
        'HandoverResult',
      ],
    })
  })
})

describe('create and update', () => {
  it('a create stores the defaults and the organization’s state, and answers the record without deletedAt', async () => {
    const contactId = await person()
    const res = await send(t, 'POST', '/v1/assignments', w, {
      contactId,
      roleId: nat(),
      organizationId: kg.id,
      startDate: '2020-01-01',
    })
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json() as Json
    expect(body).toEqual({
      id: expect.any(String),
      contactId,
      roleId: nat(),
      organizationId: kg.id,
      stateCode: 'KG',
      startDate: '2020-01-01',
      endDate: null,
      endReason: null,
      isPrimary: false,
      succeededBy: null,
      designationRef: null,
      designationDate: null,
      version: 1,
      createdAt: `${TODAY}T09:00:00.000Z`,
      updatedAt: `${TODAY}T09:00:00.000Z`,
    })
    expect(res.headers.location).toBe(`/v1/assignments/${body.id}`)
    expect(res.headers.etag).toBe('"1"')
    expect(await getJson(t, `/v1/assignments/${body.id}`)).toEqual(body)
    const full = await assign(kg, {
      endDate: '2040-01-01',
      endReason: 'Rotation',
      isPrimary: true,
      designationRef: 'NV 1/2',
      designationDate: '2019-12-01',
    })
    expect(full).toMatchObject({
      endDate: '2040-01-01',
      endReason: 'Rotation',
      isPrimary: true,
      designationRef: 'NV 1/2',
      designationDate: '2019-12-01',
    })
    // At an international body the state is null.
    expect((await assign(intl)).stateCode).toBeNull()
  })

  it('a patch keeps every field it does not name, succeededBy included', async () => {
    const old = await assign(kg, { isPrimary: true, designationRef: 'NV 1', designationDate: '2019-01-01' })
    const handed = await write(t, 'POST', `/v1/assignments/${old.id}/handover`, w, {
      contactId: await person(),
      date: '2030-01-01',
    })
    const patched = await write(t, 'PATCH', `/v1/assignments/${old.id}`, w, { endReason: 'Retired' })
    expect(patched).toEqual({
      ...handed.ended,
      endReason: 'Retired',
      version: 3,
      updatedAt: `${TODAY}T09:00:00.000Z`,
    })
    expect(patched.succeededBy).toBe(handed.started.id)
  })

  it('a move to another organization takes its state unless the patch names one', async () => {
    const a = await assign(kg)
    const moved = await write(t, 'PATCH', `/v1/assignments/${a.id}`, w, { organizationId: kz.id })
    expect(moved.stateCode).toBe('KZ')
    const toIntl = await write(t, 'PATCH', `/v1/assignments/${a.id}`, w, { organizationId: intl.id })
    expect(toIntl.stateCode).toBeNull()
    // An NGO does not fix the state: naming one with the move keeps it.
    const toNgo = await write(t, 'PATCH', `/v1/assignments/${a.id}`, w, {
      organizationId: ngo.id,
      stateCode: 'KZ',
    })
    expect(toNgo.stateCode).toBe('KZ')
    // A patch that does not move keeps the state it has, even one other than the organization's.
    const same = await write(t, 'PATCH', `/v1/assignments/${a.id}`, w, { endReason: 'Noted' })
    expect(same.stateCode).toBe('KZ')
    // A patch naming the state without moving sets it.
    const named = await write(t, 'PATCH', `/v1/assignments/${a.id}`, w, { stateCode: 'TJ' })
    expect(named.stateCode).toBe('TJ')
    // Moving back to the government ministry takes its state.
    const back = await write(t, 'PATCH', `/v1/assignments/${a.id}`, w, { organizationId: kg.id })
    expect(back.stateCode).toBe('KG')
    // A create at an NGO with no state takes the NGO's state; an explicit null stays null.
    expect((await assign(ngo)).stateCode).toBe('KG')
    expect((await assign(ngo, { stateCode: null })).stateCode).toBeNull()
  })

  it('references must exist: contact, role, organization and state, each named', async () => {
    const missing = '00000000-0000-7000-8000-000000000000'
    const base = { contactId: await person(), roleId: nat(), organizationId: ngo.id, startDate: '2020-01-01' }
    const cases: [string, string, string][] = [
      ['contactId', missing, 'contact'],
      ['roleId', missing, 'role'],
      ['organizationId', missing, 'organization'],
      ['stateCode', 'XX', 'state'],
    ]
    for (const [field, value, what] of cases) {
      const body = await refused('POST', '/v1/assignments', w, { ...base, [field]: value }, 400)
      expect(body.errors, field).toEqual([{ path: field, message: `no ${what} with this identifier` }])
    }
  })

  it('the organization’s state rules: a government body’s state, none at an international or regional body', async () => {
    const base = { contactId: await person(), roleId: nat(), startDate: '2020-01-01' }
    const wrong = await refused(
      'POST',
      '/v1/assignments',
      w,
      { ...base, organizationId: kg.id, stateCode: 'KZ' },
      400,
    )
    expect(wrong.errors).toEqual([{ path: 'stateCode', message: "must equal the organization's state (KG)" }])
    for (const org of [intl, regional]) {
      const body = await refused(
        'POST',
        '/v1/assignments',
        w,
        { ...base, organizationId: org.id, stateCode: 'KG' },
        400,
      )
      expect(body.errors).toEqual([
        { path: 'stateCode', message: `must be null for an assignment at a ${org.kind} body` },
      ])
    }
    // An NGO may serve another state.
    expect((await assign(ngo, { stateCode: 'KZ' })).stateCode).toBe('KZ')
  })

  it('one primary holder per role and state at a time; back to back is fine', async () => {
    const first = await assign(kg, { isPrimary: true, endDate: TODAY })
    const next = await assign(kz, { isPrimary: true })
    expect(next.isPrimary).toBe(true)
    const backToBack = await assign(kg, { isPrimary: true, startDate: TODAY })
    expect(backToBack.isPrimary).toBe(true)
    const body = await refused(
      'POST',
      '/v1/assignments',
      w,
      {
        contactId: await person(),
        roleId: nat(),
        organizationId: kg.id,
        startDate: '2033-01-01',
        isPrimary: true,
      },
      409,
    )
    expect(body.detail).toBe(
      `Assignment ${backToBack.id} is the primary holder of this role for an overlapping period; end it or hand it over first`,
    )
    const overlapsOld = await refused(
      'POST',
      '/v1/assignments',
      w,
      {
        contactId: await person(),
        roleId: nat(),
        organizationId: kg.id,
        startDate: '2019-01-01',
        endDate: '2020-06-01',
        isPrimary: true,
      },
      409,
    )
    expect(overlapsOld.detail).toContain(`Assignment ${first.id} is the primary holder`)
    // Not primary: no conflict.
    expect((await assign(kg, { startDate: '2031-01-01' })).isPrimary).toBe(false)
  })

  it('an ended assignment is not deleted; one ending tomorrow is', async () => {
    const endsToday = await assign(kg, { endDate: TODAY })
    const body = await refused('DELETE', `/v1/assignments/${endsToday.id}`, w, undefined, 409)
    expect(body.detail).toBe('Ended assignments are the contact history and are not deleted')
    const endsTomorrow = await assign(kg, { endDate: TOMORROW })
    expect((await send(t, 'DELETE', `/v1/assignments/${endsTomorrow.id}`, w)).statusCode).toBe(204)
    const open = await assign(kg)
    expect((await send(t, 'DELETE', `/v1/assignments/${open.id}`, w)).statusCode).toBe(204)
  })
})

describe('the states claim', () => {
  it('a limited token creates in its state only, at a ministry of its state only, never at a stateless body', async () => {
    expect((await assign(kg, {}, kgOnly)).stateCode).toBe('KG')
    const other = await refused(
      'POST',
      '/v1/assignments',
      kgOnly,
      { contactId: await person(), roleId: nat(), organizationId: kz.id, startDate: '2020-01-01' },
      403,
    )
    expect(other.detail).toBe('The token may not change records of state KZ')
    // Claiming KG at a KZ ministry is KZ's business: refused as such, before the 400 an
    // unlimited token gets.
    const claimed = await refused(
      'POST',
      '/v1/assignments',
      kgOnly,
      {
        contactId: await person(),
        roleId: nat(),
        organizationId: kz.id,
        stateCode: 'KG',
        startDate: '2020-01-01',
      },
      403,
    )
    expect(claimed.detail).toBe('The token may not change records of state KZ')
    const stateless = await refused(
      'POST',
      '/v1/assignments',
      kgOnly,
      { contactId: await person(), roleId: nat(), organizationId: intl.id, startDate: '2020-01-01' },
      403,
    )
    expect(stateless.detail).toBe('Records without a state need a token that is not limited to states')
    // An NGO in KZ serving KG: the NGO is not a government body, so only KG is touched.
    const kzNgo = await write(t, 'POST', '/v1/organizations', w, {
      name: 'Institute KZ',
      kind: 'ngo',
      stateCode: 'KZ',
    })
    expect((await assign(kzNgo, { stateCode: 'KG' }, kgOnly)).stateCode).toBe('KG')
  })

  it('a limited token changes only assignments of its state, before and after', async () => {
    const inKz = await assign(kz)
    const body = await refused('PATCH', `/v1/assignments/${inKz.id}`, kgOnly, { organizationId: kg.id }, 403)
    expect(body.detail).toBe('The token may not change records of state KZ')
    const inKg = await assign(kg)
    const away = await refused('PATCH', `/v1/assignments/${inKg.id}`, kgOnly, { organizationId: kz.id }, 403)
    expect(away.detail).toBe('The token may not change records of state KZ')
    expect(
      (await write(t, 'PATCH', `/v1/assignments/${inKg.id}`, kgOnly, { endReason: 'Fine' })).endReason,
    ).toBe('Fine')
  })

  it('a limited token attaches only a contact it may already change: by create, by repointing, by handover', async () => {
    const kzPerson = await person()
    await assign(kz, { contactId: kzPerson })
    const intlPerson = await person()
    await assign(intl, { contactId: intlPerson })
    const detail = 'The contact is assigned only in states this token may not change'
    for (const contactId of [kzPerson, intlPerson]) {
      const created = await refused(
        'POST',
        '/v1/assignments',
        kgOnly,
        { contactId, roleId: nat(), organizationId: kg.id, startDate: '2020-01-01' },
        403,
      )
      expect(created.detail).toBe(detail)
    }
    const inKg = await assign(kg, {}, kgOnly)
    const repointed = await refused(
      'PATCH',
      `/v1/assignments/${inKg.id}`,
      kgOnly,
      { contactId: kzPerson },
      403,
    )
    expect(repointed.detail).toBe(detail)
    const handed = await refused(
      'POST',
      `/v1/assignments/${inKg.id}/handover`,
      kgOnly,
      { contactId: kzPerson, date: TODAY },
      403,
    )
    expect(handed.detail).toBe(detail)
    // A person with no assignment yet, or one also assigned in KG, may be attached.
    const fresh = await person()
    expect(
      (await write(t, 'PATCH', `/v1/assignments/${inKg.id}`, kgOnly, { contactId: fresh })).contactId,
    ).toBe(fresh)
    await assign(kg, { contactId: kzPerson })
    expect((await assign(kg, { contactId: kzPerson }, kgOnly)).contactId).toBe(kzPerson)
    // An unlimited token attaches anyone.
    const other = await person()
    await assign(kz, { contactId: other })
    expect((await assign(kg, { contactId: other })).contactId).toBe(other)
  })
})

describe('the list', () => {
  it('filters by state, organization, contact and role (key or id); unknown ones are 400s naming them', async () => {
    const contactId = await person()
    const a = await assign(kg, { contactId })
    const b = await assign(kz, { contactId })
    const c = await assign(kg, { roleId: roleId(t.db, 'mission-poc') })
    const ids = async (query: string) =>
      (await getJson(t, `/v1/assignments?${query}`)).items.map((x: Json) => x.id)
    expect(await ids('state=KG')).toEqual([a.id, c.id])
    expect(await ids(`organization=${kz.id}`)).toEqual([b.id])
    expect(await ids(`contact=${contactId}`)).toEqual([a.id, b.id])
    expect(await ids('role=mission-poc')).toEqual([c.id])
    expect(await ids(`role=${nat()}&state=KG`)).toEqual([a.id])
    const missing = '00000000-0000-7000-8000-000000000000'
    for (const [query, path, what] of [
      ['state=KX', 'query.state', 'state'],
      [`organization=${missing}`, 'query.organization', 'organization'],
      [`contact=${missing}`, 'query.contact', 'contact'],
      ['role=nope', 'query.role', 'role'],
    ]) {
      const body = problemBody(await t.app.inject({ method: 'GET', url: `/v1/assignments?${query}` }), 400)
      expect(body.errors, query).toEqual([{ path, message: `no ${what} with this identifier` }])
    }
  })
})

describe('handover', () => {
  it('ends the tenure on the date and starts the successor with the same post; headers name the new one', async () => {
    const old = await assign(kg, {
      isPrimary: true,
      endReason: 'Planned',
      endDate: '2033-01-01',
      designationRef: 'NV old',
      designationDate: '2019-01-01',
    })
    const successor = await person()
    const res = await send(
      t,
      'POST',
      `/v1/assignments/${old.id}/handover`,
      { ...w, 'if-match': '"1"' },
      {
        contactId: successor,
        date: TODAY,
        designationRef: 'NV new',
        designationDate: '2032-03-01',
      },
    )
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json() as Json
    const at = `${TODAY}T09:00:00.000Z`
    expect(body).toEqual({
      ended: {
        ...old,
        endDate: TODAY,
        endReason: 'Planned',
        succeededBy: body.started.id,
        version: 2,
        updatedAt: at,
      },
      started: {
        id: expect.any(String),
        contactId: successor,
        roleId: nat(),
        organizationId: kg.id,
        stateCode: 'KG',
        startDate: TODAY,
        endDate: null,
        endReason: null,
        isPrimary: true,
        succeededBy: null,
        designationRef: 'NV new',
        designationDate: '2032-03-01',
        version: 1,
        createdAt: at,
        updatedAt: at,
      },
    })
    expect(res.headers.etag).toBe('"1"')
    expect(res.headers.location).toBe(`/v1/assignments/${body.started.id}`)
    expect(await getJson(t, `/v1/assignments/${body.started.id}`)).toEqual(body.started)
  })

  it('takes the end reason from the body, and leaves the designation empty when not given', async () => {
    const old = await assign(intl)
    const body = await write(t, 'POST', `/v1/assignments/${old.id}/handover`, w, {
      contactId: await person(),
      date: '2031-01-01',
      endReason: 'Rotated',
    })
    expect(body.ended.endReason).toBe('Rotated')
    expect(body.started).toMatchObject({
      stateCode: null,
      startDate: '2031-01-01',
      isPrimary: false,
      designationRef: null,
      designationDate: null,
    })
  })

  it('on the planned end date is fine; the day after is a 400', async () => {
    const old = await assign(kg, { endDate: '2033-01-01' })
    const after = await refused(
      'POST',
      `/v1/assignments/${old.id}/handover`,
      w,
      { contactId: await person(), date: '2033-01-02' },
      400,
    )
    expect(after.errors).toEqual([
      { path: 'date', message: "must not be after the tenure's planned end 2033-01-01" },
    ])
    const on = await write(t, 'POST', `/v1/assignments/${old.id}/handover`, w, {
      contactId: await person(),
      date: '2033-01-01',
    })
    expect(on.ended.endDate).toBe('2033-01-01')
  })

  it('on the start date is fine; the day before is a 400', async () => {
    const old = await assign(kg, { startDate: '2025-06-01' })
    const before = await refused(
      'POST',
      `/v1/assignments/${old.id}/handover`,
      w,
      { contactId: await person(), date: '2025-05-31' },
      400,
    )
    expect(before.errors).toEqual([
      { path: 'date', message: "must not be before the tenure's startDate 2025-06-01" },
    ])
    const on = await write(t, 'POST', `/v1/assignments/${old.id}/handover`, w, {
      contactId: await person(),
      date: '2025-06-01',
    })
    expect(on.ended.endDate).toBe('2025-06-01')
  })

  it('a tenure ending today has ended (409); one ending tomorrow is handed over', async () => {
    const endsToday = await assign(kg, { endDate: TODAY })
    const body = await refused(
      'POST',
      `/v1/assignments/${endsToday.id}/handover`,
      w,
      { contactId: await person(), date: TODAY },
      409,
    )
    expect(body.detail).toBe(`The assignment already ended on ${TODAY}`)
    const endsTomorrow = await assign(kg, { endDate: TOMORROW })
    expect(
      (
        await write(t, 'POST', `/v1/assignments/${endsTomorrow.id}/handover`, w, {
          contactId: await person(),
          date: TODAY,
        })
      ).ended.endDate,
    ).toBe(TODAY)
  })

  it('a future handover leaves the tenure current, once only', async () => {
    const old = await assign(kg)
    const first = await write(t, 'POST', `/v1/assignments/${old.id}/handover`, w, {
      contactId: await person(),
      date: '2040-01-01',
    })
    const again = await refused(
      'POST',
      `/v1/assignments/${old.id}/handover`,
      w,
      { contactId: await person(), date: '2039-01-01' },
      409,
    )
    expect(again.detail).toBe(`The assignment is already handed over to assignment ${first.started.id}`)
  })

  it('the successor must not hold the role there already; holding it elsewhere or ended is fine', async () => {
    const old = await assign(kg)
    const holder = await person()
    await assign(kg, { contactId: holder })
    const body = await refused(
      'POST',
      `/v1/assignments/${old.id}/handover`,
      w,
      { contactId: holder, date: TODAY },
      409,
    )
    expect(body.detail).toBe('The successor already holds this role there')
    const elsewhere = await person()
    await assign(kz, { contactId: elsewhere })
    expect(
      (await write(t, 'POST', `/v1/assignments/${old.id}/handover`, w, { contactId: elsewhere, date: TODAY }))
        .started.contactId,
    ).toBe(elsewhere)
  })

  it('refusals in the contract’s order: 404, 400 unknown contact, 403 state, 409, 412', async () => {
    const missing = '00000000-0000-7000-8000-000000000000'
    const noAssignment = await refused(
      'POST',
      `/v1/assignments/${missing}/handover`,
      w,
      { contactId: await person(), date: TODAY },
      404,
    )
    expect(noAssignment.detail).toBe(`No assignment ${missing}`)
    const inKz = await assign(kz, { endDate: TODAY })
    const noContact = await refused(
      'POST',
      `/v1/assignments/${inKz.id}/handover`,
      kgOnly,
      { contactId: missing, date: TODAY },
      400,
    )
    expect(noContact.errors).toEqual([{ path: 'contactId', message: 'no contact with this identifier' }])
    const state = await refused(
      'POST',
      `/v1/assignments/${inKz.id}/handover`,
      kgOnly,
      { contactId: await person(), date: TODAY },
      403,
    )
    expect(state.detail).toBe('The token may not change records of state KZ')
    const ended = await refused(
      'POST',
      `/v1/assignments/${inKz.id}/handover`,
      { ...w, 'if-match': '"7"' },
      { contactId: await person(), date: TODAY },
      409,
    )
    expect(ended.detail).toBe(`The assignment already ended on ${TODAY}`)
    const open = await assign(kz)
    const stale = await refused(
      'POST',
      `/v1/assignments/${open.id}/handover`,
      { ...w, 'if-match': '"7"' },
      { contactId: await person(), date: TODAY },
      412,
    )
    expect(stale.status).toBe(412)
    // Without write scope: 403 before anything is looked up.
    const read = await bearer('directory:read')
    const scope = await refused(
      'POST',
      `/v1/assignments/${missing}/handover`,
      read,
      { contactId: await person(), date: TODAY },
      403,
    )
    expect(scope.detail).toBe('The token lacks the directory:write scope')
  })
})

describe('the handover and the write lock', () => {
  it('takes the lock before it reads: held by another connection, a handover that would be a 412 fails on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocdir-handover-lock-'))
    const file = await buildTestApp({ DATABASE_PATH: join(dir, 'pocdir.db') })
    try {
      const ministry = await write(file, 'POST', '/v1/organizations', w, {
        name: 'Ministry KG',
        kind: 'government',
        stateCode: 'KG',
      })
      const holder = await write(file, 'POST', '/v1/contacts', w, { familyName: 'Holder' })
      const successor = await write(file, 'POST', '/v1/contacts', w, { familyName: 'Successor' })
      const post = await write(file, 'POST', '/v1/assignments', w, {
        contactId: holder.id,
        roleId: roleId(file.db, 'national-poc'),
        organizationId: ministry.id,
        startDate: '2020-01-01',
      })
      const handover = () =>
        send(
          file,
          'POST',
          `/v1/assignments/${post.id}/handover`,
          { ...w, 'if-match': '"7"' },
          {
            contactId: successor.id,
            date: TODAY,
          },
        )
      const before = snapshot(file.db)
      file.db.$client.pragma('busy_timeout = 0')
      const other = openDatabase(join(dir, 'pocdir.db'))
      other.$client.exec('begin immediate')
      try {
        expect(problemBody(await handover(), 500).detail).toBe(
          'An unexpected error occurred; quote the x-request-id when reporting it',
        )
      } finally {
        other.$client.exec('rollback')
        other.$client.close()
      }
      expect(problemBody(await handover(), 412).status).toBe(412)
      expect(snapshot(file.db)).toBe(before)
    } finally {
      await file.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
