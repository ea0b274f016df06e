import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  admin,
  createAssignment,
  createContact,
  createOrganization,
  expectRejected,
  type Headers,
  type Json,
  lastRevision,
  mergePatch,
  PAST,
  type TestApp,
  writer,
} from './fixtures.js'

let t: TestApp
let auth: Headers
beforeAll(async () => {
  t = await buildTestApp()
  auth = await writer()
})
afterAll(() => t.close())

const NO_SUCH_ID = '0192f7a0-3c1e-7d2a-9b1e-000000000000'

const post = (url: string, payload: Json): InjectOptions => ({ method: 'POST', url, headers: auth, payload })
const patch = (url: string, payload: Json): InjectOptions => ({
  method: 'PATCH',
  url,
  headers: mergePatch(auth),
  payload: JSON.stringify(payload),
})
const del = (url: string): InjectOptions => ({ method: 'DELETE', url, headers: auth })

async function ok(request: InjectOptions, status = 200): Promise<Json> {
  const res = await t.app.inject(request)
  expect(res.statusCode, res.body).toBe(status)
  return status === 204 ? {} : (res.json() as Json)
}

describe('strict bodies', () => {
  it('an unknown field in a create body is 400 naming it, for every resource', async () => {
    const org = await createOrganization(t)
    const contact = await createContact(t)
    const bodies: [string, Json, Headers][] = [
      ['/v1/organizations', { name: 'X', kind: 'ngo', colour: 'red' }, auth],
      ['/v1/contacts', { familyName: 'X', colour: 'red' }, auth],
      [
        '/v1/assignments',
        {
          contactId: contact.id,
          organizationId: org.id,
          roleId: roleId(t.db, 'national-poc'),
          startDate: '2024-01-01',
          colour: 'red',
        },
        auth,
      ],
      ['/v1/roles', { key: 'colour-poc', name: 'X', domain: 'general', colour: 'red' }, await admin()],
    ]
    for (const [url, payload, headers] of bodies) {
      const body = await expectRejected(t, { method: 'POST', url, headers, payload }, 400, ['colour'])
      expect(body.errors?.find((e) => e.path === 'colour')?.message).toEqual(expect.any(String))
    }
  })

  it('names nested unknown fields with their path', async () => {
    await expectRejected(
      t,
      post('/v1/contacts', {
        familyName: 'X',
        contactDetails: [{ type: 'email', value: 'x@example.org', colour: 'red' }],
      }),
      400,
      ['contactDetails.0.colour'],
    )
  })

  it('bookkeeping fields (id, version, createdAt) cannot be sent', async () => {
    await expectRejected(t, post('/v1/contacts', { familyName: 'X', version: 9 }), 400, ['version'])
    const contact = await createContact(t)
    await expectRejected(t, patch(`/v1/contacts/${contact.id}`, { id: 'other' }), 400, ['id'])
    await expectRejected(
      t,
      patch(`/v1/contacts/${contact.id}`, { lastVerifiedAt: new Date().toISOString() }),
      400,
      ['lastVerifiedAt'],
    )
  })
})

describe('organizations', () => {
  it('a government organization needs a stateCode', async () => {
    await expectRejected(t, post('/v1/organizations', { name: 'MFA', kind: 'government' }), 400, [
      'stateCode',
    ])
    await expectRejected(
      t,
      post('/v1/organizations', { name: 'MFA', kind: 'government', stateCode: null }),
      400,
      ['stateCode'],
    )
    const org = await createOrganization(t)
    await expectRejected(t, patch(`/v1/organizations/${org.id}`, { stateCode: null }), 400, ['stateCode'])
  })

  it('international and regional bodies have no stateCode', async () => {
    for (const kind of ['international', 'regional']) {
      await expectRejected(t, post('/v1/organizations', { name: 'UNODA', kind, stateCode: 'KG' }), 400, [
        'stateCode',
      ])
    }
    const gov = await createOrganization(t)
    await expectRejected(t, patch(`/v1/organizations/${gov.id}`, { kind: 'international' }), 400, [
      'stateCode',
    ])
    const intl = await ok(post('/v1/organizations', { name: 'OSCE CPC', kind: 'regional' }), 201)
    expect(intl).toMatchObject({ kind: 'regional', stateCode: null, parentId: null })
  })

  it('an unknown or malformed stateCode is 400', async () => {
    await expectRejected(
      t,
      post('/v1/organizations', { name: 'MFA', kind: 'government', stateCode: 'XX' }),
      400,
      ['stateCode'],
    )
    await expectRejected(
      t,
      post('/v1/organizations', { name: 'MFA', kind: 'government', stateCode: 'kg' }),
      400,
      ['stateCode'],
    )
    const org = await createOrganization(t)
    await expectRejected(t, patch(`/v1/organizations/${org.id}`, { stateCode: 'XX' }), 400, ['stateCode'])
  })

  it('an unknown parentId is 400', async () => {
    await expectRejected(
      t,
      post('/v1/organizations', { name: 'Dept', kind: 'government', stateCode: 'KG', parentId: NO_SUCH_ID }),
      400,
      ['parentId'],
    )
  })

  it('a deleted parent counts as unknown', async () => {
    const parent = await createOrganization(t)
    await ok(del(`/v1/organizations/${parent.id}`), 204)
    await expectRejected(
      t,
      post('/v1/organizations', { name: 'Dept', kind: 'government', stateCode: 'KG', parentId: parent.id }),
      400,
      ['parentId'],
    )
  })

  it('a parent in another state is 400', async () => {
    const kz = await createOrganization(t, { stateCode: 'KZ' })
    await expectRejected(
      t,
      post('/v1/organizations', { name: 'Dept', kind: 'government', stateCode: 'KG', parentId: kz.id }),
      400,
      ['parentId'],
    )
    const kg = await createOrganization(t)
    await expectRejected(t, patch(`/v1/organizations/${kg.id}`, { parentId: kz.id }), 400, ['parentId'])
    // Moving a department to another state while its parent stays behind.
    const dept = await createOrganization(t, { parentId: kg.id })
    await expectRejected(t, patch(`/v1/organizations/${dept.id}`, { stateCode: 'KZ' }), 400, ['parentId'])
  })

  it('moving a parent to another state leaves no department behind (409: it conflicts with the stored departments)', async () => {
    const parent = await createOrganization(t)
    await createOrganization(t, { parentId: parent.id })
    const body = await expectRejected(t, patch(`/v1/organizations/${parent.id}`, { stateCode: 'KZ' }), 409)
    expect(body).toMatchObject({
      type: 'urn:pocdir:problem:conflict',
      detail: 'The organization has departments or assignments in its state; it cannot move to another state',
    })
  })

  it('an organization cannot become its own ancestor', async () => {
    const a = await createOrganization(t, { name: 'A' })
    const b = await createOrganization(t, { name: 'B', parentId: a.id })
    const c = await createOrganization(t, { name: 'C', parentId: b.id })
    await expectRejected(t, patch(`/v1/organizations/${a.id}`, { parentId: c.id }), 400, ['parentId'])
    await expectRejected(t, patch(`/v1/organizations/${a.id}`, { parentId: b.id }), 400, ['parentId'])
    await expectRejected(t, patch(`/v1/organizations/${a.id}`, { parentId: a.id }), 400, ['parentId'])
    // Re-parenting without a cycle is fine.
    const moved = await ok(patch(`/v1/organizations/${c.id}`, { parentId: a.id }))
    expect(moved).toMatchObject({ parentId: a.id, version: 2 })
  })

  it('deleting an organization with current assignments is 409; once they end it is allowed', async () => {
    const org = await createOrganization(t)
    const contact = await createContact(t)
    const asg = await createAssignment(t, {
      contactId: contact.id,
      organizationId: org.id,
      role: 'legal-poc',
    })
    await expectRejected(t, del(`/v1/organizations/${org.id}`), 409)
    await ok(patch(`/v1/assignments/${asg.id}`, { endDate: PAST, startDate: '2022-01-01' }))
    await ok(del(`/v1/organizations/${org.id}`), 204)
  })

  it('deleting an organization that still has departments is 409', async () => {
    const parent = await createOrganization(t)
    await createOrganization(t, { parentId: parent.id })
    await expectRejected(t, del(`/v1/organizations/${parent.id}`), 409)
  })

  it('a duplicate externalId is 409', async () => {
    await createOrganization(t, { externalId: 'org-ext-1' })
    await expectRejected(
      t,
      post('/v1/organizations', { name: 'Other', kind: 'ngo', externalId: 'org-ext-1' }),
      409,
    )
  })
})

describe('assignments', () => {
  let kg: Json
  let kz: Json
  let person: Json
  beforeAll(async () => {
    kg = await createOrganization(t, { name: 'KG MFA' })
    kz = await createOrganization(t, { name: 'KZ MFA', stateCode: 'KZ' })
    person = await createContact(t)
  })
  const body = (extra: Json = {}): Json => ({
    contactId: person.id,
    organizationId: kg.id,
    roleId: roleId(t.db, 'technical-poc'),
    startDate: '2024-01-01',
    ...extra,
  })

  it('takes its stateCode from a government organization', async () => {
    const a = await ok(post('/v1/assignments', body()), 201)
    expect(a).toMatchObject({
      stateCode: 'KG',
      isPrimary: false,
      endDate: null,
      succeededBy: null,
      version: 1,
    })
  })

  it('endDate before startDate is 400 on create and on patch', async () => {
    await expectRejected(
      t,
      post('/v1/assignments', body({ startDate: '2024-05-02', endDate: '2024-05-01' })),
      400,
      ['endDate'],
    )
    const a = await ok(post('/v1/assignments', body()), 201)
    await expectRejected(t, patch(`/v1/assignments/${a.id}`, { endDate: '2023-12-31' }), 400, ['endDate'])
    // Same day is allowed (endDate >= startDate).
    const same = await ok(
      post('/v1/assignments', body({ startDate: '2024-05-01', endDate: '2024-05-01' })),
      201,
    )
    expect(same.endDate).toBe('2024-05-01')
  })

  it('malformed dates are 400', async () => {
    await expectRejected(t, post('/v1/assignments', body({ startDate: '2024-13-01' })), 400, ['startDate'])
    await expectRejected(t, post('/v1/assignments', body({ startDate: '01/02/2024' })), 400, ['startDate'])
  })

  it("a stateCode differing from its government organization's state is 400", async () => {
    await expectRejected(t, post('/v1/assignments', body({ stateCode: 'KZ' })), 400, ['stateCode'])
    await expectRejected(t, post('/v1/assignments', body({ stateCode: 'XX' })), 400, ['stateCode'])
    const a = await ok(post('/v1/assignments', body()), 201)
    await expectRejected(t, patch(`/v1/assignments/${a.id}`, { stateCode: 'KZ' }), 400, ['stateCode'])
    // Moving to another state's organization never leaves the old stateCode behind: a patch
    // that names only the organization takes the organization's state along.
    const follow = await ok(patch(`/v1/assignments/${a.id}`, { organizationId: kz.id }))
    expect(follow).toMatchObject({ organizationId: kz.id, stateCode: 'KZ', version: 2 })
    // Moving together with the new state is always fine.
    const b = await ok(post('/v1/assignments', body()), 201)
    const moved = await ok(patch(`/v1/assignments/${b.id}`, { organizationId: kz.id, stateCode: 'KZ' }))
    expect(moved).toMatchObject({ organizationId: kz.id, stateCode: 'KZ', version: 2 })
  })

  it('an assignment at an international body has no stateCode', async () => {
    const intl = await createOrganization(t, { name: 'UNODA', kind: 'international', stateCode: null })
    await expectRejected(
      t,
      post('/v1/assignments', body({ organizationId: intl.id, stateCode: 'KG' })),
      400,
      ['stateCode'],
    )
    const a = await ok(post('/v1/assignments', body({ organizationId: intl.id })), 201)
    expect(a.stateCode).toBeNull()
  })

  it("moving a government organization to another state does not strand its assignments' stateCode", async () => {
    const org = await createOrganization(t)
    await createAssignment(t, { contactId: person.id, organizationId: org.id, role: 'finance-poc' })
    // The move is refused (409, the stored assignments conflict with it), never carried out
    // with the assignments left in the old state.
    const body = await expectRejected(t, patch(`/v1/organizations/${org.id}`, { stateCode: 'KZ' }), 409)
    expect(body).toMatchObject({
      type: 'urn:pocdir:problem:conflict',
      detail: 'The organization has departments or assignments in its state; it cannot move to another state',
    })
  })

  it('an unknown contactId, roleId or organizationId is 400, not 404', async () => {
    for (const field of ['contactId', 'roleId', 'organizationId']) {
      const problem = await expectRejected(t, post('/v1/assignments', body({ [field]: NO_SUCH_ID })), 400, [
        field,
      ])
      const entity = field.replace(/Id$/, '')
      expect(problem.detail).toBe(`${field}: no ${entity} with this identifier`)
    }
    const a = await ok(post('/v1/assignments', body()), 201)
    for (const field of ['contactId', 'roleId', 'organizationId']) {
      await expectRejected(t, patch(`/v1/assignments/${a.id}`, { [field]: NO_SUCH_ID }), 400, [field])
    }
  })

  it('a deleted contact counts as unknown', async () => {
    const gone = await createContact(t)
    await ok(del(`/v1/contacts/${gone.id}`), 204)
    await expectRejected(t, post('/v1/assignments', body({ contactId: gone.id })), 400, ['contactId'])
  })

  describe('one current primary per (state, role)', () => {
    const national = () => roleId(t.db, 'national-poc')

    it('a second current primary is 409; non-primary, other states and other roles are fine', async () => {
      const first = await ok(post('/v1/assignments', body({ roleId: national(), isPrimary: true })), 201)
      expect(first.isPrimary).toBe(true)
      const other = await createContact(t)
      const dept = await createOrganization(t, { name: 'KG Security Council' })
      // Another organization of the same state: still the same (state, role).
      await expectRejected(
        t,
        post(
          '/v1/assignments',
          body({ roleId: national(), isPrimary: true, contactId: other.id, organizationId: dept.id }),
        ),
        409,
      )
      const second = await ok(post('/v1/assignments', body({ roleId: national(), contactId: other.id })), 201)
      expect(second.isPrimary).toBe(false)
      await expectRejected(t, patch(`/v1/assignments/${second.id}`, { isPrimary: true }), 409)
      await ok(
        post(
          '/v1/assignments',
          body({ roleId: national(), isPrimary: true, organizationId: kz.id, stateCode: 'KZ' }),
        ),
        201,
      )
      await ok(post('/v1/assignments', body({ roleId: roleId(t.db, 'mission-poc'), isPrimary: true })), 201)
      // A tenure that ends in the future is still current.
      await ok(patch(`/v1/assignments/${first.id}`, { endDate: '2999-01-01' }))
      await expectRejected(t, patch(`/v1/assignments/${second.id}`, { isPrimary: true }), 409)
      // Once the first has ended, the next primary is fine.
      await ok(patch(`/v1/assignments/${first.id}`, { endDate: PAST, startDate: '2020-01-01' }))
      const now = await ok(patch(`/v1/assignments/${second.id}`, { isPrimary: true }))
      expect(now).toMatchObject({ isPrimary: true, version: 2 })
      // And an ended primary may be created alongside a current one.
      await ok(
        post(
          '/v1/assignments',
          body({ roleId: national(), isPrimary: true, startDate: '2010-01-01', endDate: '2012-01-01' }),
        ),
        201,
      )
    })

    it('for international bodies, per (organization, role)', async () => {
      const un = await createOrganization(t, {
        name: 'UN 1540 Committee',
        kind: 'international',
        stateCode: null,
      })
      const iaea = await createOrganization(t, { name: 'IAEA', kind: 'international', stateCode: null })
      const role = roleId(t.db, 'nuclear-poc')
      await ok(post('/v1/assignments', body({ organizationId: un.id, roleId: role, isPrimary: true })), 201)
      await expectRejected(
        t,
        post('/v1/assignments', body({ organizationId: un.id, roleId: role, isPrimary: true })),
        409,
      )
      await ok(post('/v1/assignments', body({ organizationId: iaea.id, roleId: role, isPrimary: true })), 201)
    })
  })

  it('deleting an ended assignment is 409; a current one can be deleted', async () => {
    const ended = await ok(post('/v1/assignments', body({ startDate: '2020-01-01', endDate: PAST })), 201)
    const body409 = await expectRejected(t, del(`/v1/assignments/${ended.id}`), 409)
    expect(body409).toMatchObject({
      type: 'urn:pocdir:problem:conflict',
      detail: 'Ended assignments are the contact history and are not deleted',
    })
    const current = await ok(post('/v1/assignments', body()), 201)
    await ok(del(`/v1/assignments/${current.id}`), 204)
  })

  it('a role used by assignments cannot be deleted (409)', async () => {
    await expectRejected(
      t,
      { method: 'DELETE', url: `/v1/roles/${roleId(t.db, 'technical-poc')}`, headers: await admin() },
      409,
    )
  })
})

describe('roles', () => {
  it('a duplicate key is 409, on create and on rename', async () => {
    const a = await admin()
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/roles',
        headers: a,
        payload: { key: 'national-poc', name: 'Dup', domain: 'general' },
      },
      409,
    )
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/roles',
      headers: a,
      payload: { key: 'harbour-poc', name: 'Harbour', domain: 'border' },
    })
    expect(created.statusCode, created.body).toBe(201)
    await expectRejected(
      t,
      {
        method: 'PATCH',
        url: `/v1/roles/${created.json().id}`,
        headers: mergePatch(a),
        payload: JSON.stringify({ key: 'mission-poc' }),
      },
      409,
    )
  })

  it('a key that is not a slug and an unknown domain are 400', async () => {
    const a = await admin()
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/roles',
        headers: a,
        payload: { key: 'Not A Slug', name: 'X', domain: 'general' },
      },
      400,
      ['key'],
    )
    await expectRejected(
      t,
      {
        method: 'POST',
        url: '/v1/roles',
        headers: a,
        payload: { key: 'space-poc', name: 'X', domain: 'space' },
      },
      400,
      ['domain'],
    )
  })
})

describe('contacts', () => {
  it('a duplicate externalId is 409, on create and on patch; a deleted one may be reused', async () => {
    const first = await createContact(t, { externalId: 'mfa-kg-0001' })
    await expectRejected(t, post('/v1/contacts', { familyName: 'Other', externalId: 'mfa-kg-0001' }), 409)
    const second = await createContact(t, { externalId: 'mfa-kg-0002' })
    await expectRejected(t, patch(`/v1/contacts/${second.id}`, { externalId: 'mfa-kg-0001' }), 409)
    await ok(del(`/v1/contacts/${first.id}`), 204)
    await ok(post('/v1/contacts', { familyName: 'Reuse', externalId: 'mfa-kg-0001' }), 201)
  })

  it('deleting a contact with current assignments is 409; with only ended ones it is allowed', async () => {
    const org = await createOrganization(t)
    const contact = await createContact(t)
    const asg = await createAssignment(t, {
      contactId: contact.id,
      organizationId: org.id,
      role: 'chemical-poc',
    })
    await expectRejected(t, del(`/v1/contacts/${contact.id}`), 409)
    await ok(patch(`/v1/assignments/${asg.id}`, { endDate: PAST, startDate: '2021-01-01' }))
    await ok(del(`/v1/contacts/${contact.id}`), 204)
  })

  it('an invalid email is 400 at contactDetails.N.value', async () => {
    await expectRejected(
      t,
      post('/v1/contacts', {
        familyName: 'X',
        contactDetails: [
          { type: 'phone', value: '+996 312 620545' },
          { type: 'email', value: 'not-an-email' },
        ],
      }),
      400,
      ['contactDetails.1.value'],
    )
    const contact = await createContact(t)
    await expectRejected(
      t,
      patch(`/v1/contacts/${contact.id}`, { contactDetails: [{ type: 'email', value: 'a@@b' }] }),
      400,
      ['contactDetails.0.value'],
    )
  })

  it('a phone number that is not international is 400 at contactDetails.N.value', async () => {
    for (const type of ['phone', 'mobile', 'fax']) {
      await expectRejected(
        t,
        post('/v1/contacts', { familyName: 'X', contactDetails: [{ type, value: '0312 620545' }] }),
        400,
        ['contactDetails.0.value'],
      )
    }
    await expectRejected(
      t,
      post('/v1/organizations', {
        name: 'X',
        kind: 'ngo',
        contactDetails: [{ type: 'phone', value: '12345' }],
      }),
      400,
      ['contactDetails.0.value'],
    )
  })

  it('normalises phones to E.164 and lower-cases emails; visibility defaults to restricted', async () => {
    const contact = await ok(
      post('/v1/contacts', {
        familyName: 'Smith',
        contactDetails: [
          { type: 'email', value: '  John.Smith@UN.ORG ', visibility: 'public' },
          { type: 'phone', value: '+1 212 963 1234', label: 'office' },
          { type: 'mobile', value: '+7 701 123 4567' },
          { type: 'fax', value: '+44 20 7946 0958' },
        ],
      }),
      201,
    )
    expect(contact.contactDetails).toEqual([
      { type: 'email', value: 'john.smith@un.org', label: null, visibility: 'public' },
      { type: 'phone', value: '+12129631234', label: 'office', visibility: 'restricted' },
      { type: 'mobile', value: '+77011234567', label: null, visibility: 'restricted' },
      { type: 'fax', value: '+442079460958', label: null, visibility: 'restricted' },
    ])
    const patched = await ok(
      patch(`/v1/contacts/${contact.id}`, {
        contactDetails: [{ type: 'phone', value: '+996 (312) 62-05-45' }],
      }),
    )
    expect(patched.contactDetails).toEqual([
      { type: 'phone', value: '+996312620545', label: null, visibility: 'restricted' },
    ])
    // Sending the same details unnormalised again changes nothing.
    const same = await ok(
      patch(`/v1/contacts/${contact.id}`, {
        contactDetails: [{ type: 'phone', value: '+996 312 620545' }],
        languages: [],
      }),
    )
    expect(same.version).toBe(2)
    // The stored row holds the normalised value too.
    const row = t.db.$client.prepare('select contact_details from contacts where id = ?').get(contact.id) as {
      contact_details: string
    }
    expect(JSON.parse(row.contact_details)[0].value).toBe('+996312620545')
  })

  it('derives nameLatin from a Cyrillic nameOriginal, and re-derives it when nameOriginal changes', async () => {
    const contact = await ok(
      post('/v1/contacts', { givenName: 'Асан', familyName: 'Жумабеков', nameOriginal: 'Асан Жумабеков' }),
      201,
    )
    expect(contact).toMatchObject({
      displayName: 'Асан Жумабеков',
      nameOriginal: 'Асан Жумабеков',
      nameLatin: 'Asan Zhumabekov',
    })
    const patched = await ok(patch(`/v1/contacts/${contact.id}`, { nameOriginal: 'Бакыт Жумабеков' }))
    expect(patched).toMatchObject({
      nameOriginal: 'Бакыт Жумабеков',
      nameLatin: 'Bakyt Zhumabekov',
      version: 2,
    })
    expect(lastRevision(t).changes).toEqual({
      nameOriginal: { before: 'Асан Жумабеков', after: 'Бакыт Жумабеков' },
      nameLatin: { before: 'Asan Zhumabekov', after: 'Bakyt Zhumabekov' },
    })
    // Clearing nameOriginal derives from the display name.
    const cleared = await ok(patch(`/v1/contacts/${contact.id}`, { nameOriginal: null }))
    expect(cleared).toMatchObject({ nameOriginal: null, nameLatin: 'Asan Zhumabekov' })
  })

  it('keeps a nameLatin that was given explicitly', async () => {
    const contact = await ok(
      post('/v1/contacts', {
        familyName: 'Жумабеков',
        nameOriginal: 'Асан Жумабеков',
        nameLatin: 'Asan Dzhumabekov',
      }),
      201,
    )
    expect(contact.nameLatin).toBe('Asan Dzhumabekov')
    const patched = await ok(patch(`/v1/contacts/${contact.id}`, { positionTitle: 'Director' }))
    expect(patched.nameLatin).toBe('Asan Dzhumabekov')
    const renamed = await ok(patch(`/v1/contacts/${contact.id}`, { nameLatin: null }))
    expect(renamed.nameLatin).toBe('Asan Zhumabekov')
  })

  it('derives nameLatin from the display name when there is no nameOriginal', async () => {
    const contact = await ok(post('/v1/contacts', { givenName: 'José', familyName: 'Müller' }), 201)
    expect(contact).toMatchObject({
      displayName: 'José Müller',
      nameLatin: 'Jose Muller',
      nameOriginal: null,
    })
  })

  it('derives displayName from the names, and re-derives it when they change', async () => {
    const contact = await ok(
      post('/v1/contacts', { honorific: 'Dr.', givenName: 'Aida', familyName: 'Bekova' }),
      201,
    )
    expect(contact.displayName).toBe('Aida Bekova')
    const family = await ok(post('/v1/contacts', { familyName: 'Bekova' }), 201)
    expect(family.displayName).toBe('Bekova')
    const patched = await ok(patch(`/v1/contacts/${contact.id}`, { familyName: 'Bekova-Tokaeva' }))
    expect(patched).toMatchObject({ displayName: 'Aida Bekova-Tokaeva', nameLatin: 'Aida Bekova-Tokaeva' })
    const explicit = await ok(patch(`/v1/contacts/${contact.id}`, { displayName: 'Dr. A. Bekova' }))
    expect(explicit.displayName).toBe('Dr. A. Bekova')
    const kept = await ok(patch(`/v1/contacts/${contact.id}`, { givenName: 'Aigul' }))
    expect(kept.displayName).toBe('Dr. A. Bekova')
  })

  it('a contact needs a familyName; blank names are 400', async () => {
    await expectRejected(t, post('/v1/contacts', { givenName: 'Asan' }), 400, ['familyName'])
    await expectRejected(t, post('/v1/contacts', { familyName: '   ' }), 400, ['familyName'])
    const contact = await createContact(t)
    await expectRejected(t, patch(`/v1/contacts/${contact.id}`, { familyName: null }), 400, ['familyName'])
  })
})
