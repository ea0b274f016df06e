import { expect } from 'vitest'
import type { Headers, Json } from '../helpers/http.js'
import {
  type AnyOp,
  type Cell,
  CONTACT_KINDS,
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
 * Handovers: the post must be of the token's states, and handing it to a successor attaches the
 * successor, so a limited token needs the right to change the successor too. 403 comes before
 * the 409s (an ended post, a successor who already holds it), the 400s on stored data (a date
 * before the tenure) and the 412 of a stale If-Match.
 */

const OF_KZ: Refusal = { status: 403, detail: /may not change records of state KZ/ }
const STATELESS: Refusal = { status: 403, detail: /Records without a state need a token that is not limited/ }
const ATTACH: Refusal = {
  status: 403,
  detail: /The contact is assigned only in states this token may not change/,
}

type Target = 'KG' | 'KZ' | 'intl'
const orgOf = (w: World, target: Target) => ({ KG: w.orgKG, KZ: w.orgKZ, intl: w.orgIntl })[target]
/** A fresh current post at the target, held by the shared contact of that state. */
const freshPost = (w: World, target: Target) =>
  w.post('/v1/assignments', {
    contactId: w.contact[target].id,
    organizationId: orgOf(w, target),
    roleId: w.role('technical-poc'),
    startDate: '2023-01-01',
  })

interface Handover {
  post: string
  successor: Person
}
const handover = (c: Cell<unknown>, post: string, body: Json, headers: Headers = {}) =>
  send.post(c, `/v1/assignments/${post}/handover`, body, headers)

async function expectHandedOver(w: World, res: { json(): unknown }, ids: Handover) {
  const { ended, started } = res.json() as Record<string, Record<string, unknown>>
  expect(ended).toMatchObject({ id: ids.post, endDate: '2025-01-01', succeededBy: started?.id })
  expect(started).toMatchObject({ contactId: ids.successor.id, startDate: '2025-01-01', endDate: null })
  expect(await w.get(`/v1/assignments/${ids.post}`)).toMatchObject({ endDate: '2025-01-01' })
  expect(await w.get(`/v1/assignments/${started?.id}`)).toMatchObject({ contactId: ids.successor.id })
}

const ops: AnyOp[] = [
  ...KINDS.map(
    (kind): Op<Handover> => ({
      name: `hand over a KG post to ${CONTACT_KINDS[kind].label}`,
      path: 'through a handover',
      scope: 'directory:write',
      unrestricted: { status: 201 },
      limited: CONTACT_KINDS[kind].kg ? 'same' : ATTACH,
      setup: async (w, tag) => ({ post: await freshPost(w, 'KG'), successor: await w.person(kind, tag) }),
      send: (c) => handover(c, c.ids.post, { contactId: c.ids.successor.id, date: '2025-01-01' }),
      verify: (c, res) => expectHandedOver(c.w, res, c.ids),
    }),
  ),
  ...(['KZ', 'intl'] as const).map(
    (target): Op<Handover> => ({
      name: `hand over a ${target === 'KZ' ? 'KZ' : 'international'} post to a contact with no assignments`,
      path: 'through a handover',
      scope: 'directory:write',
      unrestricted: { status: 201 },
      limited: target === 'KZ' ? OF_KZ : STATELESS,
      setup: async (w, tag) => ({ post: await freshPost(w, target), successor: await w.person('none', tag) }),
      send: (c) => handover(c, c.ids.post, { contactId: c.ids.successor.id, date: '2025-01-01' }),
      verify: (c, res) => expectHandedOver(c.w, res, c.ids),
    }),
  ),
  ...(['KG', 'KZ'] as const).map(
    (target): Op<undefined> => ({
      name: `hand over an ended ${target} post (409 once allowed)`,
      path: 'through a handover',
      scope: 'directory:write',
      unrestricted: { status: 409, detail: /already ended/ },
      limited: target === 'KG' ? 'same' : OF_KZ,
      send: (c) =>
        handover(c, target === 'KG' ? c.w.asgKGEnded : c.w.asgKZEnded, {
          contactId: c.w.contact.none.id,
          date: '2025-01-01',
        }),
    }),
  ),
  ...(['KG', 'KZ'] as const).map(
    (target): Op<undefined> => ({
      name: `hand over the ${target} primary post to its own holder (409 once allowed)`,
      path: 'through a handover',
      scope: 'directory:write',
      unrestricted: { status: 409, detail: /already holds/ },
      limited: target === 'KG' ? 'same' : OF_KZ,
      send: (c) =>
        handover(c, target === 'KG' ? c.w.asgKG : c.w.asgKZ, {
          contactId: c.w.contact[target].id,
          date: '2025-01-01',
        }),
    }),
  ),
  ...(['KG', 'KZ'] as const).map(
    (target): Op<undefined> => ({
      name: `hand over the ${target} primary post on a date before it started (400 once allowed)`,
      path: 'through a handover',
      scope: 'directory:write',
      unrestricted: { status: 400, detail: /startDate/ },
      limited: target === 'KG' ? 'same' : OF_KZ,
      send: (c) =>
        handover(c, target === 'KG' ? c.w.asgKG : c.w.asgKZ, {
          contactId: c.w.contact.none.id,
          date: '2000-01-01',
        }),
    }),
  ),
  ...(['KG', 'KZ'] as const).map(
    (target): Op<undefined> => ({
      name: `hand over the ${target} primary post with a stale If-Match (412 once allowed)`,
      path: 'through a handover',
      scope: 'directory:write',
      unrestricted: { status: 412, detail: /changed since the entity tag/ },
      limited: target === 'KG' ? 'same' : OF_KZ,
      send: (c) =>
        handover(
          c,
          target === 'KG' ? c.w.asgKG : c.w.asgKZ,
          { contactId: c.w.contact.none.id, date: '2025-01-01' },
          STALE,
        ),
    }),
  ),
  {
    name: 'hand over the KG primary post to a contact assigned only in KZ with a stale If-Match (403 before 412)',
    path: 'through a handover',
    scope: 'directory:write',
    unrestricted: { status: 412, detail: /changed since the entity tag/ },
    limited: ATTACH,
    send: (c) => handover(c, c.w.asgKG, { contactId: c.w.contact.KZ.id, date: '2025-01-01' }, STALE),
  },
  {
    name: 'hand over the KZ primary post without a date (the body first: 400)',
    path: 'through a handover',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /date/ },
    limited: 'body',
    send: (c) => handover(c, c.w.asgKZ, { contactId: c.w.contact.none.id }),
  },
  {
    name: 'hand over the KZ primary post to an unknown contact (the body first: 400)',
    path: 'through a handover',
    scope: 'directory:write',
    unrestricted: { status: 400, detail: /contact/ },
    limited: 'body',
    send: (c) =>
      handover(c, c.w.asgKZ, { contactId: '00000000-0000-7000-8000-000000000000', date: '2025-01-01' }),
  },
]

runMatrix('write matrix: handovers', ops)
