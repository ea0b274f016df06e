import { expect } from 'vitest'
import {
  type AnyOp,
  CONTACT_KINDS,
  type ContactKind,
  expectGone,
  KINDS,
  type Op,
  type Person,
  type Refusal,
  runMatrix,
  STALE,
  send,
} from './write-matrix-support.js'

/**
 * Contacts, reached directly: create, PATCH, DELETE and verify, for every kind of contact the
 * states rule tells apart. A limited token may create a contact (it belongs to no state until
 * assigned) and may change one with no assignments or with any assignment, current or ended, in
 * its states.
 */

const NOT_ITS_CONTACT: Refusal = {
  status: 403,
  detail: /The contact has no assignment in the states this token may change/,
}
const kgMay = (kind: ContactKind) => (CONTACT_KINDS[kind].kg ? 'same' : NOT_ITS_CONTACT)
const label = (kind: ContactKind) => CONTACT_KINDS[kind].label
const url = (p: Person) => `/v1/contacts/${p.id}`
/** Kinds whose contact holds no current post, so a delete is not a conflict. */
const deletable = (kind: ContactKind) => kind === 'none' || kind === 'pastKG' || kind === 'pastKZ'

/**
 * Fastify parses the body (415 for an unsupported type, 400 for malformed JSON) before the auth
 * plugin's preValidation hook raises the token's 401 or the scope's 403, so DESIGN's order
 * (token, scope, then body) does not hold for bodies that fail to parse.
 */
const ops: AnyOp[] = [
  {
    name: 'create a contact',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 201 },
    limited: 'same',
    send: (c) => send.post(c, '/v1/contacts', { familyName: `Created ${c.tag}`, notes: 'private' }),
    verify: async (c, res) => {
      const id = res.json().id
      expect(res.headers.location).toBe(`/v1/contacts/${id}`)
      expect(await c.w.get(`/v1/contacts/${id}`)).toMatchObject({
        familyName: `Created ${c.tag}`,
        version: 1,
      })
    },
  },
  {
    name: 'create a contact with the externalId of a KZ-only contact (409 for everyone with the scope)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 409, detail: /externalId p-shared-KZ belongs to another contact/ },
    limited: 'same',
    send: (c) => send.post(c, '/v1/contacts', { familyName: 'Clash', externalId: c.w.contact.KZ.externalId }),
  },
  ...KINDS.map(
    (kind): Op<undefined> => ({
      name: `change (PATCH) ${label(kind)}`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 200 },
      limited: kgMay(kind),
      send: (c) => send.patch(c, url(c.w.contact[kind]), { positionTitle: `Title ${c.tag}` }),
      verify: async (c, res) => {
        expect(res.json().positionTitle).toBe(`Title ${c.tag}`)
        expect((await c.w.get(url(c.w.contact[kind]))).positionTitle).toBe(`Title ${c.tag}`)
      },
    }),
  ),
  ...KINDS.map(
    (kind): Op<undefined> => ({
      name: `verify ${label(kind)}`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 200 },
      limited: kgMay(kind),
      send: (c) => send.verify(c, url(c.w.contact[kind])),
      verify: async (c, res) => {
        const body = res.json()
        expect(body.lastVerifiedAt).toEqual(expect.any(String))
        expect(await c.w.get(url(c.w.contact[kind]))).toMatchObject({
          lastVerifiedAt: body.lastVerifiedAt,
          version: body.version,
        })
      },
    }),
  ),
  ...KINDS.map(
    (kind): Op<Person | undefined> => ({
      name: `delete ${label(kind)}${deletable(kind) ? '' : ' (it holds a current post: 409 once allowed)'}`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: deletable(kind) ? { status: 204 } : { status: 409, detail: /holds current assignments/ },
      limited: kgMay(kind),
      // A deletable contact is made fresh for each case; the others are never deleted.
      setup: deletable(kind) ? (w, tag) => w.person(kind, tag) : undefined,
      send: (c) => send.delete(c, url(c.ids ?? c.w.contact[kind])),
      verify: (c) => expectGone(c.w, url(c.ids as Person)),
    }),
  ),
  ...KINDS.map(
    (kind): Op<undefined> => ({
      name: `change ${label(kind)} with a stale If-Match`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 412, detail: /changed since the entity tag/ },
      limited: kgMay(kind),
      send: (c) => send.patch(c, url(c.w.contact[kind]), { positionTitle: 'Stale' }, STALE),
    }),
  ),
  {
    name: 'verify a contact assigned only in KZ with a stale If-Match',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 412, detail: /changed since the entity tag/ },
    limited: NOT_ITS_CONTACT,
    send: (c) => send.verify(c, url(c.w.contact.KZ), STALE),
  },
  {
    name: 'delete a contact assigned only in KZ with a stale If-Match',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 409, detail: /holds current assignments/ },
    limited: NOT_ITS_CONTACT,
    send: (c) => send.delete(c, url(c.w.contact.KZ), STALE),
  },
  {
    name: 'give a contact assigned only in KZ the externalId of a KG contact (403 before 409)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 409, detail: /belongs to another contact/ },
    limited: NOT_ITS_CONTACT,
    send: (c) => send.patch(c, url(c.w.contact.KZ), { externalId: c.w.contact.KG.externalId }),
  },
  {
    name: 'give a KG contact the externalId of a KZ-only contact (its own record: 409)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 409, detail: /belongs to another contact/ },
    limited: 'same',
    send: (c) => send.patch(c, url(c.w.contact.KG), { externalId: c.w.contact.KZ.externalId }),
  },
  {
    name: 'change a contact assigned only in KZ with an unknown field (the body first: 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /bogus/ },
    limited: 'body',
    send: (c) => send.patch(c, url(c.w.contact.KZ), { bogus: true }),
  },
  {
    name: 'change a contact assigned only in KZ with an invalid email (the body first: 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400 },
    limited: 'body',
    send: (c) => send.patch(c, url(c.w.contact.KZ), { contactDetails: [{ type: 'email', value: 'nope' }] }),
  },
  {
    name: 'create a contact with a text/plain body (the token and scope first, then 415)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 415 },
    limited: 'body',
    send: (c) =>
      c.w.t.app.inject({
        method: 'POST',
        url: '/v1/contacts',
        headers: { ...c.headers, 'content-type': 'text/plain' },
        payload: 'familyName=Nobody',
      }),
  },
  {
    name: 'create a contact with malformed JSON (the token and scope first, then 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400 },
    limited: 'body',
    send: (c) =>
      c.w.t.app.inject({
        method: 'POST',
        url: '/v1/contacts',
        headers: { ...c.headers, 'content-type': 'application/json' },
        payload: '{"familyName":',
      }),
  },
]

runMatrix('write matrix: contacts', ops)
