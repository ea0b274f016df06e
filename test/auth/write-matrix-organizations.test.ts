import { expect } from 'vitest'
import {
  type AnyOp,
  expectGone,
  type Op,
  type Refusal,
  runMatrix,
  STALE,
  send,
  type World,
} from './write-matrix-support.js'

/**
 * Organizations, reached directly: a limited token may create and change organizations of its
 * states only; international and regional bodies need an unlimited token; moving a record out of
 * its states is 403 before any 409 or 412.
 */

const OF_KZ: Refusal = { status: 403, detail: /may not change records of state KZ/ }
const STATELESS: Refusal = { status: 403, detail: /Records without a state need a token that is not limited/ }

type Target = 'KG' | 'KZ' | 'intl'
const TARGETS: { target: Target; label: string; limited: 'same' | Refusal }[] = [
  { target: 'KG', label: 'a KG organization', limited: 'same' },
  { target: 'KZ', label: 'a KZ organization', limited: OF_KZ },
  { target: 'intl', label: 'an international organization', limited: STATELESS },
]
const shared = (w: World, target: Target) => ({ KG: w.orgKG, KZ: w.orgKZ, intl: w.orgIntl })[target]
const bodyOf = (target: Target, name: string) =>
  target === 'intl' ? { name, kind: 'international' } : { name, kind: 'government', stateCode: target }
/** A fresh organization without departments or assignments. */
const fresh = (target: Target) => (w: World, tag: string) =>
  w.post('/v1/organizations', bodyOf(target, `Org ${tag}`))
const url = (id: string) => `/v1/organizations/${id}`

const ops: AnyOp[] = [
  ...TARGETS.map(
    ({ target, label, limited }): Op<undefined> => ({
      name: `create ${label}`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 201 },
      limited,
      send: (c) => send.post(c, '/v1/organizations', bodyOf(target, `Created ${c.tag}`)),
      verify: async (c, res) => {
        const id = res.json().id
        expect(res.headers.location).toBe(url(id))
        expect(await c.w.get(url(id))).toMatchObject({
          name: `Created ${c.tag}`,
          stateCode: target === 'intl' ? null : target,
        })
      },
    }),
  ),
  {
    name: 'create a regional organization',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 201 },
    limited: STATELESS,
    send: (c) => send.post(c, '/v1/organizations', { name: `CSTO ${c.tag}`, kind: 'regional' }),
    verify: async (c, res) => {
      expect(await c.w.get(url(res.json().id))).toMatchObject({ kind: 'regional', stateCode: null })
    },
  },
  ...TARGETS.map(
    ({ target, label, limited }): Op<undefined> => ({
      name: `change (PATCH) ${label}`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 200 },
      limited,
      send: (c) => send.patch(c, url(shared(c.w, target)), { acronym: `A${c.tag}` }),
      verify: async (c, res) => {
        expect(res.json().acronym).toBe(`A${c.tag}`)
        expect((await c.w.get(url(shared(c.w, target)))).acronym).toBe(`A${c.tag}`)
      },
    }),
  ),
  ...TARGETS.map(
    ({ target, label, limited }): Op<undefined> => ({
      name: `verify ${label}`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 200 },
      limited,
      send: (c) => send.verify(c, url(shared(c.w, target))),
      verify: async (c, res) => {
        expect(res.json().lastVerifiedAt).toEqual(expect.any(String))
        expect((await c.w.get(url(shared(c.w, target)))).lastVerifiedAt).toBe(res.json().lastVerifiedAt)
      },
    }),
  ),
  ...TARGETS.map(
    ({ target, label, limited }): Op<string> => ({
      name: `delete ${label} without assignments`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 204 },
      limited,
      setup: fresh(target),
      send: (c) => send.delete(c, url(c.ids)),
      verify: (c) => expectGone(c.w, url(c.ids)),
    }),
  ),
  ...TARGETS.map(
    ({ target, label, limited }): Op<undefined> => ({
      name: `delete ${label} that has assignments (409 once allowed)`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 409, detail: /assignments/ },
      limited,
      send: (c) => send.delete(c, url(shared(c.w, target))),
    }),
  ),
  ...TARGETS.map(
    ({ target, label, limited }): Op<undefined> => ({
      name: `change ${label} with a stale If-Match (412 once allowed)`,
      path: 'direct',
      scope: 'directory:write',
      unrestricted: { status: 412, detail: /changed since the entity tag/ },
      limited,
      send: (c) => send.patch(c, url(shared(c.w, target)), { acronym: 'Stale' }, STALE),
    }),
  ),
  {
    name: 'verify a KZ organization with a stale If-Match',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 412, detail: /changed since the entity tag/ },
    limited: OF_KZ,
    send: (c) => send.verify(c, url(c.w.orgKZ), STALE),
  },
  {
    name: 'move a KG organization that has assignments to KZ (403 before 409)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 409, detail: /cannot move to another state/ },
    limited: OF_KZ,
    send: (c) => send.patch(c, url(c.w.orgKG), { stateCode: 'KZ' }),
  },
  {
    name: 'move a KG organization without assignments to KZ',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 200 },
    limited: OF_KZ,
    setup: fresh('KG'),
    send: (c) => send.patch(c, url(c.ids), { stateCode: 'KZ' }),
    verify: async (c) => expect((await c.w.get(url(c.ids))).stateCode).toBe('KZ'),
  },
  {
    name: 'move a KZ organization without assignments to KG',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 200 },
    limited: OF_KZ,
    setup: fresh('KZ'),
    send: (c) => send.patch(c, url(c.ids), { stateCode: 'KG' }),
    verify: async (c) => expect((await c.w.get(url(c.ids))).stateCode).toBe('KG'),
  },
  {
    name: 'turn a KG organization into an international one',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 200 },
    limited: STATELESS,
    setup: fresh('KG'),
    send: (c) => send.patch(c, url(c.ids), { kind: 'international', stateCode: null }),
    verify: async (c) =>
      expect(await c.w.get(url(c.ids))).toMatchObject({ kind: 'international', stateCode: null }),
  },
  {
    name: 'put a KG department under a KZ ministry (400 for any token: the record stays in KG)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /parentId|same state/ },
    limited: 'same',
    setup: fresh('KG'),
    send: (c) => send.patch(c, url(c.ids), { parentId: c.w.orgKZ }),
  },
  {
    name: 'change a KZ organization with an unknown field (the body first: 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /bogus/ },
    limited: 'body',
    send: (c) => send.patch(c, url(c.w.orgKZ), { bogus: true }),
  },
  {
    name: 'create a KZ organization with an unknown state code (the body first: 400)',
    path: 'direct',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /stateCode|state/ },
    limited: 'body',
    send: (c) => send.post(c, '/v1/organizations', { name: 'Nowhere', kind: 'government', stateCode: 'QQ' }),
  },
]

runMatrix('write matrix: organizations', ops)
