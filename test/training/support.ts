import { expect } from 'vitest'
import { roleId } from '../helpers/build-test-app.js'
import type { Headers, Json, TestApp } from '../helpers/http.js'
import { write } from '../memory/support.js'

/** A government organization of `state` and a person holding `role` there from `startDate`. */
export async function holder(
  t: TestApp,
  w: Headers,
  org: Json,
  familyName: string,
  startDate: string,
  role = 'national-poc',
  endDate: string | null = null,
): Promise<{ contact: Json; assignment: Json }> {
  const contact = await write(t, 'POST', '/v1/contacts', w, { givenName: 'Test', familyName })
  const assignment = await write(t, 'POST', '/v1/assignments', w, {
    contactId: contact.id,
    roleId: roleId(t.db, role),
    organizationId: org.id,
    startDate,
    endDate,
  })
  return { contact, assignment }
}

export const ministry = (t: TestApp, w: Headers, stateCode: string, name = `Ministry of ${stateCode}`) =>
  write(t, 'POST', '/v1/organizations', w, { name, kind: 'government', stateCode })

export const event = (t: TestApp, w: Headers, fields: Json) =>
  write(t, 'POST', '/v1/training-events', w, { title: 'Course', kind: 'workshop', ...fields })

export const participate = (t: TestApp, w: Headers, fields: Json) =>
  write(t, 'POST', '/v1/participations', w, fields)

/** Bookkeeping a created record carries. */
export const created = { version: 1, createdAt: expect.any(String), updatedAt: expect.any(String) }
