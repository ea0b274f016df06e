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
  type World,
} from './write-matrix-support.js'

/**
 * Assignments, reached directly (a limited token creates and changes assignments of its states
 * only) and as the path to a contact (attaching is changing: creating an assignment for a
 * contact, or repointing one's contactId to it, needs the right to change that contact).
 */

const OF_KZ: Refusal = { status: 403, detail: /may not change records of state KZ/ }
const STATELESS: Refusal = { status: 403, detail: /Records without a state need a token that is not limited/ }
const ATTACH: Refusal = {
  status: 403,
  detail: /The contact is assigned only in states this token may not change/,
}
const mayAttach = (kind: ContactKind) => (CONTACT_KINDS[kind].kg ? 'same' : ATTACH)

type Target = 'KG' | 'KZ' | 'intl'
const TARGETS: { target: Target; label: string; limited: 'same' | Refusal }[] = [
  { target: 'KG', label: 'KG', limited: 'same' },
  { target: 'KZ', label: 'KZ', limited: OF_KZ },
  { target: 'intl', label: 'international', limited: STATELESS },
]
const orgOf = (w: World, target: Target) => ({ KG: w.orgKG, KZ: w.orgKZ, intl: w.orgIntl })[target]
const url = (id: string) => `/v1/assignments/${id}`
const tenure = (w: World, contactId: string, organizationId: string, extra: Record<string, unknown> = {}) =>
  w.post('/v1/assignments', {
    contactId,
    organizationId,
    roleId: w.role('technical-poc'),
    startDate: '2023-01-01',
    ...extra,
  })
/** A fresh current post at the target, held by the shared contact of that state. */
const freshPost = (w: World, target: Target) =>
  tenure(w, w.contact[target === 'intl' ? 'intl' : target].id, orgOf(w, target))

interface Attach {
  x: Person
  post: string
}

const direct: AnyOp[] = [
  ...TARGETS.map(
    ({ target, label, limited }): Op<Person> => ({
      name: `create a ${label} assignment (for a contact with no assignments)`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 201 },
      limited,
      setup: (w, tag) => w.person('none', tag),
      send: (c) =>
        send.post(c, '/v1/assignments', {
          contactId: c.ids.id,
          organizationId: orgOf(c.w, target),
          roleId: c.w.role('technical-poc'),
          startDate: '2024-01-01',
        }),
      verify: async (c, res) => {
        expect(res.headers.location).toBe(url(res.json().id))
        expect(await c.w.get(url(res.json().id))).toMatchObject({
          contactId: c.ids.id,
          stateCode: target === 'intl' ? null : target,
        })
      },
    }),
  ),
  {
    name: 'create one at the KG organization claiming stateCode KZ (403 before 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /must equal the organization's state \(KG\)/ },
    limited: OF_KZ,
    send: (c) =>
      send.post(c, '/v1/assignments', {
        contactId: c.w.contact.none.id,
        organizationId: c.w.orgKG,
        stateCode: 'KZ',
        roleId: c.w.role('technical-poc'),
        startDate: '2024-01-01',
      }),
  },
  {
    name: 'create one at the KZ organization claiming stateCode KG (403 before 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /must equal the organization's state \(KZ\)/ },
    limited: OF_KZ,
    send: (c) =>
      send.post(c, '/v1/assignments', {
        contactId: c.w.contact.none.id,
        organizationId: c.w.orgKZ,
        stateCode: 'KG',
        roleId: c.w.role('technical-poc'),
        startDate: '2024-01-01',
      }),
  },
  ...(['KG', 'KZ'] as const).map(
    (target): Op<undefined> => ({
      name: `create a second current primary national PoC in ${target} (409 once allowed)`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 409, detail: /primary/ },
      limited: target === 'KG' ? 'same' : OF_KZ,
      send: (c) =>
        send.post(c, '/v1/assignments', {
          contactId: c.w.contact.none.id,
          organizationId: orgOf(c.w, target),
          roleId: c.w.role('national-poc'),
          startDate: '2024-01-01',
          isPrimary: true,
        }),
    }),
  ),
  {
    name: 'create a KZ assignment with an unknown contactId (the body first: 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /contact/ },
    limited: 'body',
    send: (c) =>
      send.post(c, '/v1/assignments', {
        contactId: '00000000-0000-7000-8000-000000000000',
        organizationId: c.w.orgKZ,
        roleId: c.w.role('technical-poc'),
        startDate: '2024-01-01',
      }),
  },
  {
    name: 'create a KZ assignment ending before it starts (the body first: 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /endDate|invalid/i },
    limited: 'body',
    send: (c) =>
      send.post(c, '/v1/assignments', {
        contactId: c.w.contact.none.id,
        organizationId: c.w.orgKZ,
        roleId: c.w.role('technical-poc'),
        startDate: '2024-01-01',
        endDate: '2023-01-01',
      }),
  },
  ...TARGETS.map(
    ({ target, label, limited }): Op<undefined> => ({
      name: `change (PATCH) a current ${label} assignment`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 200 },
      limited,
      send: (c) => send.patch(c, url(postOf(c.w, target)), { designationRef: `NV ${c.tag}` }),
      verify: async (c, res) => {
        expect(res.json().designationRef).toBe(`NV ${c.tag}`)
        expect((await c.w.get(url(postOf(c.w, target)))).designationRef).toBe(`NV ${c.tag}`)
      },
    }),
  ),
  ...(['KG', 'KZ'] as const).map(
    (target): Op<undefined> => ({
      name: `change (PATCH) an ended ${target} assignment`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 200 },
      limited: target === 'KG' ? 'same' : OF_KZ,
      send: (c) => send.patch(c, url(endedOf(c.w, target)), { designationRef: `NV ${c.tag}` }),
      verify: async (c) => {
        expect((await c.w.get(url(endedOf(c.w, target)))).designationRef).toBe(`NV ${c.tag}`)
      },
    }),
  ),
  {
    name: 'change a KG assignment to stateCode KZ (403 before 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /must equal the organization's state \(KG\)/ },
    limited: OF_KZ,
    send: (c) => send.patch(c, url(c.w.asgKG), { stateCode: 'KZ' }),
  },
  {
    name: 'move a KG assignment to the KZ organization',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 200 },
    limited: OF_KZ,
    setup: (w) => freshPost(w, 'KG'),
    send: (c) => send.patch(c, url(c.ids), { organizationId: c.w.orgKZ, stateCode: 'KZ' }),
    verify: async (c) =>
      expect(await c.w.get(url(c.ids))).toMatchObject({ organizationId: c.w.orgKZ, stateCode: 'KZ' }),
  },
  {
    name: 'move a KZ assignment to the KG organization',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 200 },
    limited: OF_KZ,
    setup: async (w, tag) => tenure(w, (await w.person('none', tag)).id, w.orgKZ),
    send: (c) => send.patch(c, url(c.ids), { organizationId: c.w.orgKG, stateCode: 'KG' }),
    verify: async (c) =>
      expect(await c.w.get(url(c.ids))).toMatchObject({ organizationId: c.w.orgKG, stateCode: 'KG' }),
  },
  ...TARGETS.map(
    ({ target, label, limited }): Op<undefined> => ({
      name: `change a current ${label} assignment with a stale If-Match (412 once allowed)`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 412, detail: /changed since the entity tag/ },
      limited,
      send: (c) => send.patch(c, url(postOf(c.w, target)), { designationRef: 'Stale' }, STALE),
    }),
  ),
  {
    name: 'change a KZ assignment with an unknown field (the body first: 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /bogus/ },
    limited: 'body',
    send: (c) => send.patch(c, url(c.w.asgKZ), { bogus: true }),
  },
  ...TARGETS.map(
    ({ target, label, limited }): Op<string> => ({
      name: `delete a current ${label} assignment`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 204 },
      limited,
      setup: (w) => freshPost(w, target),
      send: (c) => send.delete(c, url(c.ids)),
      verify: (c) => expectGone(c.w, url(c.ids)),
    }),
  ),
  ...(['KG', 'KZ'] as const).map(
    (target): Op<undefined> => ({
      name: `delete an ended ${target} assignment (409 once allowed)`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 409, detail: /Ended assignments are the contact history/ },
      limited: target === 'KG' ? 'same' : OF_KZ,
      send: (c) => send.delete(c, url(endedOf(c.w, target))),
    }),
  ),
  {
    name: 'delete a current KZ assignment with a stale If-Match (412 once allowed)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 412, detail: /changed since the entity tag/ },
    limited: OF_KZ,
    send: (c) => send.delete(c, url(c.w.asgKZ), STALE),
  },
]

const postOf = (w: World, target: Target) => ({ KG: w.asgKG, KZ: w.asgKZ, intl: w.asgIntl })[target]
const endedOf = (w: World, target: 'KG' | 'KZ') => (target === 'KG' ? w.asgKGEnded : w.asgKZEnded)

/** Attaching is changing: each kind of contact, reached by creating or repointing a post. */
const attach: AnyOp[] = [
  ...KINDS.map(
    (kind): Op<Person> => ({
      name: `create a KG assignment for ${CONTACT_KINDS[kind].label}`,
      path: 'through an assignment',
      scope: 'directory:write',
      unrestricted: { status: 201 },
      limited: mayAttach(kind),
      setup: (w, tag) => w.person(kind, tag),
      send: (c) =>
        send.post(c, '/v1/assignments', {
          contactId: c.ids.id,
          organizationId: c.w.orgKG,
          roleId: c.w.role('technical-poc'),
          startDate: '2024-01-01',
        }),
      verify: async (c, res) => {
        expect(await c.w.get(url(res.json().id))).toMatchObject({ contactId: c.ids.id, stateCode: 'KG' })
      },
    }),
  ),
  ...KINDS.map(
    (kind): Op<Attach> => ({
      name: `repoint a KG assignment's contactId to ${CONTACT_KINDS[kind].label}`,
      path: 'through an assignment',
      scope: 'directory:write',
      unrestricted: { status: 200 },
      limited: mayAttach(kind),
      setup: async (w, tag) => ({ x: await w.person(kind, tag), post: await freshPost(w, 'KG') }),
      send: (c) => send.patch(c, url(c.ids.post), { contactId: c.ids.x.id }),
      verify: async (c, res) => {
        expect(res.json().contactId).toBe(c.ids.x.id)
        expect((await c.w.get(url(c.ids.post))).contactId).toBe(c.ids.x.id)
      },
    }),
  ),
  ...(['KZ', 'intl'] as const).map(
    (target): Op<Attach> => ({
      name: `repoint a current ${target === 'KZ' ? 'KZ' : 'international'} assignment to a contact with no assignments`,
      path: 'through an assignment',
      scope: 'directory:write',
      unrestricted: { status: 200 },
      limited: target === 'KZ' ? OF_KZ : STATELESS,
      setup: async (w, tag) => ({ x: await w.person('none', tag), post: await freshPost(w, target) }),
      send: (c) => send.patch(c, url(c.ids.post), { contactId: c.ids.x.id }),
      verify: async (c) => expect((await c.w.get(url(c.ids.post))).contactId).toBe(c.ids.x.id),
    }),
  ),
  {
    name: 'repoint a KG assignment to a contact assigned only in KZ with a stale If-Match (403 before 412)',
    path: 'through an assignment',
    scope: 'directory:write',
    unrestricted: { status: 412, detail: /changed since the entity tag/ },
    limited: ATTACH,
    send: (c) => send.patch(c, url(c.w.asgKG), { contactId: c.w.contact.KZ.id }, STALE),
  },
]

runMatrix('write matrix: assignments', [...direct, ...attach])
