import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, signToken } from '../helpers/build-test-app.js'
import {
  admin,
  contactIds,
  createContact,
  createOrganization,
  expectProblem,
  type Headers,
  importOnly,
  type Json,
  organizationIds,
  patch,
  reader,
  search,
  type TestApp,
  withQ,
  writer,
} from './support.js'

/**
 * Privacy: contact details are restricted unless created public, and readers without
 * directory:read never see restricted details anywhere — search included. A search that finds
 * a record by a hidden address tells its reader the address, so it must not find it.
 */

const HIDDEN = 'quietperson@hushmail-ministry.kg'
const SHOWN = 'openperson@loudmail-ministry.kg'
const ORG_HIDDEN = 'backoffice@silentdepartment.kg'
const ORG_SHOWN = 'frontdesk@publicdepartment.kg'

let t: TestApp
let w: Headers
let hidden: Json
let shown: Json
let explicit: Json
let org: Json

const asAnonymous = async (): Promise<Headers> => ({})
const asWrongScope = () => importOnly()
const asNoScope = async () => ({ authorization: `Bearer ${await signToken({ sub: 'nobody' })}` })

beforeAll(async () => {
  t = await buildTestApp()
  w = await writer()
  // No visibility given: the address is restricted by default.
  hidden = await createContact(t, w, {
    givenName: 'Quiet',
    familyName: 'Person',
    contactDetails: [{ type: 'email', value: HIDDEN }],
    notes: 'notesonlytoken never searchable',
  })
  shown = await createContact(t, w, {
    givenName: 'Open',
    familyName: 'Person',
    contactDetails: [{ type: 'email', value: SHOWN, visibility: 'public' }],
  })
  explicit = await createContact(t, w, {
    givenName: 'Explicit',
    familyName: 'Person',
    contactDetails: [{ type: 'email', value: 'explicitly.restricted@vault.kg', visibility: 'restricted' }],
  })
  org = await createOrganization(t, w, {
    name: 'Department of Records',
    contactDetails: [
      { type: 'email', value: ORG_HIDDEN },
      { type: 'email', value: ORG_SHOWN, visibility: 'public' },
    ],
  })
})
afterAll(() => t.close())

describe('contacts: a restricted e-mail address is searchable only with directory:read', () => {
  const HIDDEN_QUERIES = [HIDDEN, 'quietperson', 'hushmail', 'hushmail-ministry', 'quietp hushm']

  it('stores the address restricted by default', async () => {
    const [c] = await search(t, '/v1/contacts', 'quiet person', await reader())
    expect(c?.contactDetails).toEqual([
      { type: 'email', value: HIDDEN, label: null, visibility: 'restricted' },
    ])
  })

  it.each(HIDDEN_QUERIES)('%s finds the person for a reader, a writer and an admin', async (q) => {
    for (const headers of [await reader(), await w, await admin()]) {
      const hits = await search(t, '/v1/contacts', q, headers)
      expect(hits.map((h) => h.id)).toEqual([hidden.id])
      expect(hits[0]?.contactDetails[0]?.value).toBe(HIDDEN)
    }
  })

  it.each(HIDDEN_QUERIES)('%s finds nothing anonymously or for a token without directory:read', async (q) => {
    for (const who of [asAnonymous, asWrongScope, asNoScope]) {
      const res = await t.app.inject({ method: 'GET', url: withQ('/v1/contacts', q), headers: await who() })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toEqual({ items: [], nextCursor: null })
      expect(res.body).not.toContain('quietperson')
    }
  })

  it('an explicitly restricted address is hidden from the anonymous search too', async () => {
    expect(await contactIds(t, 'vault', await reader())).toEqual([explicit.id])
    expect(await contactIds(t, 'explicitly.restricted@vault.kg', await reader())).toEqual([explicit.id])
    expect(await contactIds(t, 'vault')).toEqual([])
    expect(await contactIds(t, 'vault', await asWrongScope())).toEqual([])
  })

  it('a public address is found by everyone, and the names of a restricted-address person still are', async () => {
    for (const headers of [{}, await asWrongScope(), await asNoScope(), await reader()]) {
      expect(await contactIds(t, SHOWN, headers)).toEqual([shown.id])
      expect(await contactIds(t, 'loudmail', headers)).toEqual([shown.id])
      const quiet = await search(t, '/v1/contacts', 'quiet person', headers)
      expect(quiet.map((h) => h.id)).toEqual([hidden.id])
    }
    const [anon] = await search(t, '/v1/contacts', 'quiet person')
    expect(anon?.contactDetails, 'the hit itself is redacted').toEqual([])
    expect(anon).not.toHaveProperty('notes')
  })

  it('notes are never searched, not even by a reader', async () => {
    expect(await contactIds(t, 'notesonlytoken', await reader())).toEqual([])
  })

  it('a restricted word does not lift an anonymous multi-word search', async () => {
    expect(await contactIds(t, 'quiet hushmail', await reader())).toEqual([hidden.id])
    expect(await contactIds(t, 'quiet hushmail')).toEqual([])
    expect(await contactIds(t, 'person hushmail')).toEqual([])
  })

  it('the CSV and vCard exports with q leave out what the search hides', async () => {
    for (const accept of ['text/csv', 'text/vcard']) {
      const anon = await t.app.inject({
        method: 'GET',
        url: withQ('/v1/contacts', 'hushmail'),
        headers: { accept },
      })
      expect(anon.statusCode, anon.body).toBe(200)
      expect(anon.body).not.toContain('Quiet')
      expect(anon.body).not.toContain('quietperson')
      const read = await t.app.inject({
        method: 'GET',
        url: withQ('/v1/contacts', 'hushmail'),
        headers: { accept, ...(await reader()) },
      })
      expect(read.statusCode, read.body).toBe(200)
      expect(read.body).toContain(HIDDEN)
      expect(read.body).not.toContain('Open')
    }
  })

  it('making a public address restricted hides it from the anonymous search at once', async () => {
    const c = await createContact(t, w, {
      familyName: 'Switcher',
      contactDetails: [{ type: 'email', value: 'switcher@flipflop.kg', visibility: 'public' }],
    })
    expect(await contactIds(t, 'flipflop')).toEqual([c.id])
    const res = await patch(t, `/v1/contacts/${c.id}`, w, {
      contactDetails: [{ type: 'email', value: 'switcher@flipflop.kg', visibility: 'restricted' }],
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(await contactIds(t, 'flipflop')).toEqual([])
    expect(await contactIds(t, 'flipflop', await reader())).toEqual([c.id])
    expect(await contactIds(t, 'switcher')).toEqual([c.id])
  })

  it('a token that fails verification is 401 on a search, never downgraded to anonymous', async () => {
    const bad = {
      authorization: `Bearer ${await signToken({ scope: 'directory:read', secret: 'x'.repeat(40) })}`,
    }
    const res = await t.app.inject({ method: 'GET', url: withQ('/v1/contacts', 'person'), headers: bad })
    expectProblem(res, 401)
  })
})

describe('organizations: a restricted e-mail address is searchable only with directory:read', () => {
  it('a reader finds the organization by its restricted address; others do not', async () => {
    for (const q of [ORG_HIDDEN, 'backoffice', 'silentdepartment']) {
      expect(await organizationIds(t, q, await reader()), q).toEqual([org.id])
      expect(await organizationIds(t, q, await bearer('directory:write directory:import')), q).toEqual([
        org.id,
      ])
      expect(await organizationIds(t, q), q).toEqual([])
      expect(await organizationIds(t, q, await asWrongScope()), q).toEqual([])
      expect(await organizationIds(t, q, await asNoScope()), q).toEqual([])
    }
  })

  it('everyone finds it by its public address and its name, redacted for the public', async () => {
    for (const headers of [{}, await asWrongScope(), await reader()]) {
      expect(await organizationIds(t, ORG_SHOWN, headers)).toEqual([org.id])
      expect(await organizationIds(t, 'publicdepartment', headers)).toEqual([org.id])
      expect(await organizationIds(t, 'records department', headers)).toEqual([org.id])
    }
    const [anon] = await search(t, '/v1/organizations', 'records')
    expect(anon?.contactDetails.map((d: Json) => d.value)).toEqual([ORG_SHOWN])
    const [read] = await search(t, '/v1/organizations', 'records', await reader())
    expect(read?.contactDetails.map((d: Json) => d.value)).toEqual([ORG_HIDDEN, ORG_SHOWN])
  })
})

describe('with PUBLIC_READ off', () => {
  it('an anonymous search is 401 and a reader still searches', async () => {
    const closed = await buildTestApp({ PUBLIC_READ: 'false' })
    try {
      const cw = await writer()
      const c = await createContact(closed, cw, { familyName: 'Closedshop' })
      expectProblem(await closed.app.inject({ method: 'GET', url: withQ('/v1/contacts', 'closedshop') }), 401)
      expectProblem(
        await closed.app.inject({ method: 'GET', url: withQ('/v1/directory', 'closedshop') }),
        401,
      )
      expect(await contactIds(closed, 'closedshop', await reader())).toEqual([c.id])
    } finally {
      await closed.close()
    }
  })
})
