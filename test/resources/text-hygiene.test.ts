import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { illFormedText } from '../../src/lib/text-hygiene.js'
import { bearer, buildTestApp, roleId } from '../helpers/build-test-app.js'
import {
  admin,
  createAssignment,
  createContact,
  createOrganization,
  expectProblem,
  expectRejected,
  getJson,
  type Headers,
  type Json,
  mergePatch,
  type TestApp,
  writer,
} from './fixtures.js'

/**
 * Text hygiene (DESIGN.md): every text input is well-formed Unicode (an unpaired surrogate is a
 * 400 naming the field); names and titles hold no control characters but tab and newline; what is
 * stored is valid UTF-8, so every page that shows it parses.
 */

let t: TestApp
let w: Headers
let adm: Headers
beforeAll(async () => {
  t = await buildTestApp()
  w = { ...(await writer()), 'content-type': 'application/json' }
  adm = { ...(await admin()), 'content-type': 'application/json' }
})
afterAll(() => t.close())

const SURROGATE = 'is not well-formed Unicode (it holds an unpaired surrogate)'
const CONTROL = 'must not hold control characters other than tab and newline'

/** A JSON text; JSON.stringify writes a lone surrogate as its `\udxxx` escape, as a client would. */
const json = (body: unknown) => JSON.stringify(body)

/** Refused with 400 naming exactly these paths (each with `message`), and nothing written. */
async function refused(request: InjectOptions, paths: string[], message = SURROGATE) {
  const body = await expectRejected(t, request, 400)
  expect(body).toMatchObject({
    type: 'urn:pocdir:problem:validation-error',
    title: 'Validation failed',
    status: 400,
  })
  expect(body.errors).toEqual(paths.map((path) => ({ path, message })))
  // The problem itself is well-formed, so a strict client can read it.
  expect(JSON.stringify(body)).not.toMatch(/\\ud[89a-f]/i)
  return body
}

const post = (url: string, payload: unknown, headers = w): InjectOptions => ({
  method: 'POST',
  url,
  headers,
  payload: json(payload),
})
const patch = (url: string, payload: unknown, headers = w): InjectOptions => ({
  method: 'PATCH',
  url,
  headers: mergePatch(headers),
  payload: json(payload),
})

describe('an unpaired surrogate anywhere in a body is a 400 naming the field; nothing is written', () => {
  it('contacts: every text field, at any depth, high or low surrogate, reversed pair', async () => {
    const cases: [Json, string[]][] = [
      [{ familyName: 'Zhumabekov', givenName: 'Asan\ud800' }, ['givenName']],
      [{ familyName: '\udc00Zhumabekov' }, ['familyName']],
      // A pair in the wrong order is two unpaired halves.
      [{ familyName: 'Z\ude00\ud83d' }, ['familyName']],
      [{ familyName: 'Z', displayName: '\ud83d' }, ['displayName']],
      [{ familyName: 'Z', honorific: 'Dr\udbff' }, ['honorific']],
      [
        { familyName: 'Z', nameOriginal: 'Асан\ud800', nameLatin: 'Asan\udfff' },
        ['nameOriginal', 'nameLatin'],
      ],
      [{ familyName: 'Z', positionTitle: '\ud800 Head' }, ['positionTitle']],
      [{ familyName: 'Z', notes: 'note \udc00' }, ['notes']],
      [{ familyName: 'Z', externalId: 'kg-\ud800' }, ['externalId']],
      [{ familyName: 'Z', languages: ['en', 'ru\ud800'] }, ['languages.1']],
      [
        {
          familyName: 'Z',
          contactDetails: [
            { type: 'email', value: 'a@mfa.gov.kg', label: 'office' },
            { type: 'address', value: 'Street \ud800', label: 'home\udc00' },
          ],
        },
        ['contactDetails.1.value', 'contactDetails.1.label'],
      ],
      // Also where the schema would refuse the field anyway: the text is checked first.
      [{ familyName: 'Z', unknown: { deep: ['x', '\ud800'] } }, ['unknown.deep.1']],
    ]
    for (const [body, paths] of cases) await refused(post('/v1/contacts', body), paths)
  })

  it('a key that is not well-formed is named with U+FFFD in its place', async () => {
    await refused(
      post('/v1/contacts', { familyName: 'Z', 'given\ud800': 'x' }),
      ['given\ufffd'],
      SURROGATE.replace('is not', 'is a field name that is not'),
    )
  })

  it('merge patches of contacts, organizations, roles and states', async () => {
    const contact = await createContact(t)
    const org = await createOrganization(t)
    await refused(patch(`/v1/contacts/${contact.id}`, { familyName: 'New\ud800' }), ['familyName'])
    await refused(
      patch(`/v1/contacts/${contact.id}`, {
        contactDetails: [{ type: 'website', value: 'https://a.kg/\ud800' }],
      }),
      ['contactDetails.0.value'],
    )
    await refused(patch(`/v1/organizations/${org.id}`, { acronym: 'M\udc00FA' }), ['acronym'])
    await refused(patch(`/v1/roles/${roleId(t.db, 'national-poc')}`, { description: 'x\ud800' }, adm), [
      'description',
    ])
    await refused(patch('/v1/states/KG', { names: { fr: 'Kirghizistan\ud800' } }, adm), ['names.fr'])
    await refused(patch('/v1/states/KG', { officialName: '\udc00' }, adm), ['officialName'])
  })

  it('creates of organizations, roles, states and assignments, and a handover', async () => {
    await refused(
      post('/v1/organizations', { name: 'Ministry\ud800', kind: 'government', stateCode: 'KG' }),
      ['name'],
    )
    await refused(
      post('/v1/organizations', {
        name: 'Ministry',
        kind: 'government',
        stateCode: 'KG',
        contactDetails: [{ type: 'phone', value: '+996 312 620000', label: 'desk\ud800' }],
      }),
      ['contactDetails.0.label'],
    )
    await refused(post('/v1/roles', { key: 'customs-poc', name: 'Customs\ud800', domain: 'border' }, adm), [
      'name',
    ])
    await refused(
      post(
        '/v1/states',
        {
          code: 'XK',
          iso3: 'XKX',
          name: 'Kosovo',
          officialName: 'Republic of Kosovo',
          names: { en: 'Kosovo', sq: 'Kosov\udc00' },
          unMember: false,
          osceParticipating: false,
        },
        adm,
      ),
      ['names.sq'],
    )
    const contact = await createContact(t)
    const org = await createOrganization(t)
    const base = {
      contactId: contact.id,
      organizationId: org.id,
      roleId: roleId(t.db, 'technical-poc'),
      startDate: '2024-01-01',
    }
    await refused(post('/v1/assignments', { ...base, endReason: 'left\ud800' }), ['endReason'])
    await refused(post('/v1/assignments', { ...base, designationRef: 'NV \udc00' }), ['designationRef'])
    const held = await createAssignment(t, { contactId: contact.id, organizationId: org.id })
    const next = await createContact(t)
    await refused(
      post(`/v1/assignments/${held.id}/handover`, {
        contactId: next.id,
        date: '2025-01-01',
        endReason: 'rotated\ud800',
      }),
      ['endReason'],
    )
  })

  it('the token and its scope are checked first: the same body is 401 without one, 403 with a read token', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: { 'content-type': 'application/json' },
      payload: json({ familyName: '\ud800' }),
    })
    expectProblem(res, 401)
    const reader = await bearer('directory:read')
    const forbidden = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: { ...reader, 'content-type': 'application/json' },
      payload: json({ familyName: '\ud800' }),
    })
    expectProblem(forbidden, 403)
  })

  it('a header that is not well-formed (If-Match, If-None-Match) is a 400 naming it', async () => {
    const contact = await createContact(t)
    await refused(
      {
        method: 'PATCH',
        url: `/v1/contacts/${contact.id}`,
        headers: mergePatch(w, { 'if-match': '"1\ud800"' }),
        payload: json({ notes: 'x' }),
      },
      ['headers.if-match'],
    )
    await refused({ method: 'GET', url: '/v1/states/KG', headers: { 'if-none-match': '"\udc00"' } }, [
      'headers.if-none-match',
    ])
  })

  it('a body nested deeper than any stack is still a clean 400, not a 500', async () => {
    const depth = 200_000
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: w,
      payload: `{"familyName":"Z","x":${'['.repeat(depth)}"\\ud800"${']'.repeat(depth)}}`,
    })
    const body = expectProblem(res, 400)
    // The path names the field to its 999th character; the contract bounds an echoed path at 1,000.
    const path = `x.${Array(depth).fill('0').join('.')}`
    expect(body.errors).toEqual([{ path: `${path.slice(0, 999)}…`, message: SURROGATE }])
    expect(body.detail).toBe(`${`${path}: ${SURROGATE}`.slice(0, 9_999)}…`)
  })
})

describe('the check over parsed inputs, as imports and query strings reach it', () => {
  it('names the path of every ill-formed string and key, in document order, with the prefix given', () => {
    expect(illFormedText({ q: 'x\ud800', state: 'KG', role: ['a', '\udc00'] }, 'query')).toEqual([
      { path: 'query.q', message: SURROGATE },
      { path: 'query.role.1', message: SURROGATE },
    ])
    expect(illFormedText({ id: '\ud800' }, 'params')).toEqual([{ path: 'params.id', message: SURROGATE }])
    expect(illFormedText([{ givenName: 'A\ud800', familyName: 'B' }, { familyName: '\udc00' }])).toEqual([
      { path: '0.givenName', message: SURROGATE },
      { path: '1.familyName', message: SURROGATE },
    ])
    expect(illFormedText('\ud800')).toEqual([{ path: '(root)', message: SURROGATE }])
    expect(illFormedText({ a: 'ok 😀', b: ['\u4e00\ud840\udc00'], c: 1, d: null, e: true })).toEqual([])
  })

  it('stops at 20 errors', () => {
    expect(illFormedText(Array(50).fill('\ud800'))).toHaveLength(20)
  })
})

describe('control characters in names and titles', () => {
  const controls = ['\u0000', '\u0007', '\r', '\u000b', '\u000c', '\u001b', '\u007f', '\u0085', '\u009f']

  it('are refused (400 naming the field), in the middle of every contact name and title field', async () => {
    for (const c of controls) {
      for (const field of [
        'givenName',
        'familyName',
        'displayName',
        'honorific',
        'nameOriginal',
        'nameLatin',
        'positionTitle',
      ]) {
        await refused(post('/v1/contacts', { familyName: 'Z', [field]: `A${c}B` }), [field], CONTROL)
      }
    }
    const contact = await createContact(t)
    await refused(
      patch(`/v1/contacts/${contact.id}`, { positionTitle: 'Head\r\nof Unit' }),
      ['positionTitle'],
      CONTROL,
    )
  })

  it('are refused in organization name and acronym, role name, and state names', async () => {
    await refused(
      post('/v1/organizations', { name: 'Min\u0000istry', kind: 'government', stateCode: 'KG' }),
      ['name'],
      CONTROL,
    )
    const org = await createOrganization(t)
    await refused(patch(`/v1/organizations/${org.id}`, { acronym: 'M\rFA' }), ['acronym'], CONTROL)
    await refused(
      post('/v1/roles', { key: 'customs-poc', name: 'Cus\u001btoms', domain: 'border' }, adm),
      ['name'],
      CONTROL,
    )
    await refused(
      patch(`/v1/roles/${roleId(t.db, 'national-poc')}`, { name: 'National\u0085PoC' }, adm),
      ['name'],
      CONTROL,
    )
    await refused(patch('/v1/states/KG', { name: 'Kyr\u0007gyzstan' }, adm), ['name'], CONTROL)
    await refused(
      patch('/v1/states/KG', { officialName: 'Kyrgyz\u000bRepublic' }, adm),
      ['officialName'],
      CONTROL,
    )
    await refused(patch('/v1/states/KG', { names: { fr: 'Kirghi\u007fzistan' } }, adm), ['names.fr'], CONTROL)
  })

  it('tab and newline are allowed in names and titles, and read back as sent', async () => {
    const res = await t.app.inject(
      post('/v1/contacts', {
        familyName: 'Zhu\tmabekov',
        positionTitle: 'Head of Division\nNuclear Safety Unit',
      }),
    )
    expect(res.statusCode, res.body).toBe(201)
    const read = await getJson(t, `/v1/contacts/${res.json().id}`, w)
    expect(read).toMatchObject({
      familyName: 'Zhu\tmabekov',
      positionTitle: 'Head of Division\nNuclear Safety Unit',
    })
    const org = await t.app.inject(
      post('/v1/organizations', { name: 'Ministry\tof\nDefence', kind: 'government', stateCode: 'KG' }),
    )
    expect(org.statusCode, org.body).toBe(201)
  })

  it('free text (notes, role description) may hold them', async () => {
    const res = await t.app.inject(
      post('/v1/contacts', { familyName: 'Notes', notes: 'line 1\r\nline 2\u0007' }),
    )
    expect(res.statusCode, res.body).toBe(201)
  })
})

describe('astral characters (proper surrogate pairs) are kept intact everywhere', () => {
  /** Strictly parsed: the bytes are valid UTF-8, and the JSON holds no surrogate escapes. */
  async function strictGet(url: string, headers: Headers) {
    const res = await t.app.inject({ method: 'GET', url, headers })
    expect(res.statusCode, res.body).toBe(200)
    expect(new TextDecoder('utf-8', { fatal: true }).decode(res.rawPayload)).toBe(res.body)
    expect(Buffer.from(res.body, 'utf8').toString('utf8')).toBe(res.body)
    expect(res.body).not.toMatch(/\\ud[89a-f]/i)
    return JSON.parse(res.body) as Json
  }

  it('an emoji and a CJK Extension B name read back in the record, the history and the change feed', async () => {
    const r = await bearer('directory:read')
    const givenName = '𠀀𠀁 Ali 😀'
    const familyName = 'Zhumabekov 👩🏽‍💼'
    const res = await t.app.inject(post('/v1/contacts', { givenName, familyName, positionTitle: '𝔥𝔢𝔞𝔡' }))
    expect(res.statusCode, res.body).toBe(201)
    const id = res.json().id as string
    expect(await strictGet(`/v1/contacts/${id}`, r)).toMatchObject({
      givenName,
      familyName,
      displayName: `${givenName} ${familyName}`,
      positionTitle: '𝔥𝔢𝔞𝔡',
    })
    const history = await strictGet(`/v1/contacts/${id}/history`, r)
    expect((history.items as Json[])[0]).toMatchObject({
      changes: {
        givenName: { before: null, after: givenName },
        familyName: { before: null, after: familyName },
      },
    })
    let feed = await strictGet('/v1/changes?limit=1000', r)
    let items = feed.items as Json[]
    while (!items.some((i) => i.entityId === id)) {
      feed = await strictGet(`/v1/changes?limit=1000&after=${feed.nextAfter}`, r)
      items = feed.items as Json[]
      expect(items.length).toBeGreaterThan(0)
    }
    expect(items.find((i) => i.entityId === id)).toMatchObject({
      changes: { givenName: { after: givenName } },
    })
    const list = await strictGet('/v1/contacts?limit=500', r)
    expect((list.items as Json[]).find((c) => c.id === id)).toMatchObject({ givenName, familyName })
  })
})

// Import rows: imports read JSON and NDJSON bodies as text and parse them themselves, so the
// check over parsed inputs sees only the text; src/modules/imports/import-parse.ts calls
// illFormedText on each parsed row and answers 400 naming row and column (as its other refusals).
describe('import rows that are not well-formed', () => {
  const row = { externalId: 'kg-x', givenName: 'Asan\ud800', familyName: 'Zhumabekov' }
  const importer = () => bearer('directory:import directory:read')

  for (const [format, contentType, payload] of [
    ['a JSON array', 'application/json', json([row])],
    ['NDJSON', 'application/x-ndjson', `${json(row)}\n`],
  ] as const) {
    it(`${format}: 400 naming givenName, nothing written`, async () => {
      const body = await expectRejected(
        t,
        {
          method: 'POST',
          url: '/v1/imports',
          headers: { ...(await importer()), 'content-type': contentType },
          payload,
        },
        400,
      )
      expect(body).toMatchObject({ type: 'urn:pocdir:problem:validation-error', title: 'Validation failed' })
      expect(body.errors).toEqual([{ row: 1, field: 'givenName', message: SURROGATE }])
    })
  }
})
