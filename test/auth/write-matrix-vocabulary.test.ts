import { expect } from 'vitest'
import {
  type AnyOp,
  expectGone,
  type Op,
  type Refusal,
  runMatrix,
  STALE,
  send,
} from './write-matrix-support.js'

/**
 * Roles and states are changed only by admins, and the states claim binds admin tokens too: a
 * KG-limited admin may change neither (not even the state KG), and is refused before any 409 or
 * 412 the same request would meet.
 */

const ROLES: Refusal = { status: 403, detail: /A token limited to states may not change roles/ }
const STATES: Refusal = { status: 403, detail: /A token limited to states may not change states/ }

/** Seeded states nothing refers to, one per token kind, so each granted delete has its own. */
const UNUSED = ['FJ', 'TV', 'NR', 'PW', 'KI', 'WS', 'TO', 'VU', 'SB', 'MH', 'FM', 'TL']
/** User-assigned codes, one per token kind, for creates. */
const NEW = (i: number) => `X${String.fromCharCode(65 + i)}`

const ops: AnyOp[] = [
  {
    name: 'create a role',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 201 },
    limited: ROLES,
    send: (c) => send.post(c, '/v1/roles', { key: `role-${c.tag}`, name: `Role ${c.tag}`, domain: 'border' }),
    verify: async (c, res) => {
      expect(res.headers.location).toBe(`/v1/roles/${res.json().id}`)
      expect((await c.w.get(`/v1/roles/${res.json().id}`)).key).toBe(`role-${c.tag}`)
    },
  },
  {
    name: 'change (PATCH) a role',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 200 },
    limited: ROLES,
    send: (c) => send.patch(c, `/v1/roles/${c.w.role('border-poc')}`, { name: `Border ${c.tag}` }),
    verify: async (c) =>
      expect((await c.w.get(`/v1/roles/${c.w.role('border-poc')}`)).name).toBe(`Border ${c.tag}`),
  },
  {
    name: 'delete an unused role',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 204 },
    limited: ROLES,
    setup: (w, tag) => w.post('/v1/roles', { key: `unused-${tag}`, name: 'Unused', domain: 'general' }),
    send: (c) => send.delete(c, `/v1/roles/${c.ids}`),
    verify: (c) => expectGone(c.w, `/v1/roles/${c.ids}`),
  },
  {
    name: 'create a role with a taken key (403 before 409)',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 409, detail: /Role key national-poc is taken/ },
    limited: ROLES,
    send: (c) => send.post(c, '/v1/roles', { key: 'national-poc', name: 'Again', domain: 'general' }),
  },
  {
    name: 'delete a role in use (403 before 409)',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 409 },
    limited: ROLES,
    send: (c) => send.delete(c, `/v1/roles/${c.w.role('national-poc')}`),
  },
  {
    name: 'change a role with a stale If-Match (403 before 412)',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 412, detail: /changed since the entity tag/ },
    limited: ROLES,
    send: (c) => send.patch(c, `/v1/roles/${c.w.role('border-poc')}`, { name: 'Stale' }, STALE),
  },
  {
    name: 'create a role with an unknown domain (the body first: 400)',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 400, detail: /domain/ },
    limited: 'body',
    send: (c) => send.post(c, '/v1/roles', { key: `bad-${c.tag}`, name: 'Bad', domain: 'astrology' }),
  },
  {
    name: 'create a state',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 201 },
    limited: STATES,
    setup: async (_w, _tag, i) => NEW(i),
    send: (c) =>
      send.post(c, '/v1/states', {
        code: c.ids,
        iso3: `${c.ids}X`,
        name: `Land ${c.tag}`,
        officialName: `Republic of Land ${c.tag}`,
        names: { en: `Land ${c.tag}` },
        unMember: false,
        osceParticipating: false,
      }),
    verify: async (c) => expect((await c.w.get(`/v1/states/${c.ids}`)).name).toBe(`Land ${c.tag}`),
  },
  ...(['KG', 'KZ'] as const).map(
    (code): Op<undefined> => ({
      name: `change (PATCH) the state ${code}`,
      path: 'direct',
      scope: 'directory:admin',
      unrestricted: { status: 200 },
      limited: STATES,
      send: (c) => send.patch(c, `/v1/states/${code}`, { officialName: `Republic ${c.tag}` }),
      verify: async (c) =>
        expect((await c.w.get(`/v1/states/${code}`)).officialName).toBe(`Republic ${c.tag}`),
    }),
  ),
  {
    name: 'delete an unused state',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 204 },
    limited: STATES,
    setup: async (_w, _tag, i) => UNUSED[i],
    send: (c) => send.delete(c, `/v1/states/${c.ids}`),
    verify: (c) => expectGone(c.w, `/v1/states/${c.ids}`),
  },
  {
    name: 'delete the state KZ, which has organizations (403 before 409)',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 409 },
    limited: STATES,
    send: (c) => send.delete(c, '/v1/states/KZ'),
  },
  {
    name: 'create the state KG again (403 before 409)',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 409, detail: /exists or existed/ },
    limited: STATES,
    send: (c) =>
      send.post(c, '/v1/states', {
        code: 'KG',
        iso3: 'KGZ',
        name: 'Kyrgyzstan',
        officialName: 'Kyrgyz Republic',
        names: { en: 'Kyrgyzstan' },
        unMember: true,
        osceParticipating: true,
      }),
  },
  {
    name: 'change the state KG with a stale If-Match (403 before 412)',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 412, detail: /changed since the entity tag/ },
    limited: STATES,
    send: (c) => send.patch(c, '/v1/states/KG', { name: 'Stale' }, STALE),
  },
  {
    name: 'change the state KZ with an unknown field (the body first: 400)',
    path: 'direct',
    scope: 'directory:admin',
    unrestricted: { status: 400, detail: /bogus/ },
    limited: 'body',
    send: (c) => send.patch(c, '/v1/states/KZ', { bogus: true }),
  },
]

runMatrix('write matrix: roles and states', ops)
