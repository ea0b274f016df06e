import { expect } from 'vitest'
import { bearer, roleId } from '../helpers/build-test-app.js'
import { admin, type Json, type TestApp, writer } from '../resources/fixtures.js'

/** A person with every kind of personal value, a tenure handed over to a successor, and history. */

export const READER = 'reader-rita'
export const reader = () => bearer('directory:read', { sub: READER })
/** An admin token limited to one state: privacy routes refuse it (they reach across states). */
export const limitedAdmin = () => bearer('directory:admin', { sub: 'admin-kg', states: ['KG'] })

/** Every personal value the person ever had; none may be readable after erasure. */
export const SECRETS = [
  'aigul.private@mail.kg',
  'aigul.second@mail.kg',
  'a.secretova@mfa.gov.kg',
  '+996555123456',
  'Secret Lane 5',
  'Changed Lane 6',
  'HR-77',
]

export interface Person {
  contact: Json
  successor: Json
  organization: Json
  first: Json
  second: Json
}

export async function inject(
  t: TestApp,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  headers = {},
  payload?: unknown,
) {
  return t.app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as Json }),
  })
}

async function ok(t: TestApp, method: 'POST' | 'PATCH', url: string, payload: unknown, status = 200) {
  const headers =
    method === 'PATCH'
      ? { ...(await writer()), 'content-type': 'application/merge-patch+json' }
      : await writer()
  const res = await inject(t, method, url, headers, payload)
  expect(res.statusCode, res.body).toBe(status)
  return res.json() as Json
}

export async function seedPerson(t: TestApp): Promise<Person> {
  const organization = await ok(
    t,
    'POST',
    '/v1/organizations',
    { name: 'Ministry of Foreign Affairs', kind: 'government', stateCode: 'KG' },
    201,
  )
  const contact = await ok(
    t,
    'POST',
    '/v1/contacts',
    {
      honorific: 'Ms.',
      givenName: 'Aigul',
      familyName: 'Secretova',
      positionTitle: 'Head of Export Control',
      languages: ['ky', 'ru'],
      contactDetails: [
        { type: 'email', value: 'a.secretova@mfa.gov.kg', visibility: 'public' },
        { type: 'email', value: 'aigul.private@mail.kg', visibility: 'restricted' },
        { type: 'mobile', value: '+996 555 123456', visibility: 'restricted' },
      ],
      notes: 'Home: Secret Lane 5',
      externalId: 'HR-77',
    },
    201,
  )
  const id = String(contact.id)
  // History with before and after values of the personal fields.
  await ok(t, 'PATCH', `/v1/contacts/${id}`, {
    contactDetails: [
      { type: 'email', value: 'a.secretova@mfa.gov.kg', visibility: 'public' },
      { type: 'email', value: 'aigul.second@mail.kg', visibility: 'restricted' },
      { type: 'mobile', value: '+996 555 123456', visibility: 'restricted' },
    ],
    notes: 'Home: Changed Lane 6',
  })
  const successor = await ok(t, 'POST', '/v1/contacts', { givenName: 'Bakyt', familyName: 'Nextov' }, 201)
  const first = await ok(
    t,
    'POST',
    '/v1/assignments',
    {
      contactId: id,
      roleId: roleId(t.db, 'national-poc'),
      organizationId: organization.id,
      stateCode: 'KG',
      startDate: '2024-01-01',
      isPrimary: true,
    },
    201,
  )
  const handover = await ok(
    t,
    'POST',
    `/v1/assignments/${first.id}/handover`,
    { contactId: successor.id, date: '2025-06-01', endReason: 'Rotated' },
    201,
  )
  return {
    contact: (await inject(t, 'GET', `/v1/contacts/${id}`, await admin())).json() as Json,
    successor,
    organization,
    first: handover.ended as Json,
    second: handover.started as Json,
  }
}

export async function erase(t: TestApp, id: unknown, reason = 'Request of the person, letter of 2026-11-30') {
  return inject(t, 'POST', `/v1/contacts/${id}/erase`, await admin(), { reason })
}
