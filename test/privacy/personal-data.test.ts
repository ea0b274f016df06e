import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/build-test-app.js'
import {
  ADMIN,
  admin,
  expectRejected,
  type Json,
  type TestApp,
  WRITER,
  writer,
} from '../resources/fixtures.js'
import { erase, inject, limitedAdmin, type Person, READER, reader, seedPerson } from './fixtures.js'

let t: TestApp
let p: Person
let id: string

beforeEach(async () => {
  t = await buildTestApp()
  p = await seedPerson(t)
  id = String(p.contact.id)
})
afterEach(() => t.close())

const detail = (type: string, value: string, visibility: string) => ({ type, value, label: null, visibility })
const firstDetails = [
  detail('email', 'a.secretova@mfa.gov.kg', 'public'),
  detail('email', 'aigul.private@mail.kg', 'restricted'),
  detail('mobile', '+996555123456', 'restricted'),
]
const secondDetails = [
  detail('email', 'a.secretova@mfa.gov.kg', 'public'),
  detail('email', 'aigul.second@mail.kg', 'restricted'),
  detail('mobile', '+996555123456', 'restricted'),
]
const revision = (version: number, action: string, changes: Json) => ({
  seq: expect.any(Number),
  at: expect.any(String),
  actor: WRITER,
  action,
  entity: 'contact',
  entityId: id,
  requestId: expect.any(String),
  version,
  changes,
})
const created = (value: unknown) => ({ before: null, after: value })

describe('GET /v1/contacts/{id}/personal-data', () => {
  it("a seeded person's document: record with restricted details, tenures, history and who read them", async () => {
    const read = await inject(t, 'GET', `/v1/contacts/${id}`, await reader())
    await t.app.accessLog.flush()
    const res = await inject(t, 'GET', `/v1/contacts/${id}/personal-data`, await admin())
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json() as Json
    expect(body).toEqual({
      contactId: id,
      generatedAt: expect.any(String),
      erased: false,
      deletedAt: null,
      record: {
        id,
        honorific: 'Ms.',
        givenName: 'Aigul',
        familyName: 'Secretova',
        displayName: 'Aigul Secretova',
        nameOriginal: null,
        nameLatin: 'Aigul Secretova',
        positionTitle: 'Head of Export Control',
        languages: ['ky', 'ru'],
        contactDetails: secondDetails,
        notes: 'Home: Changed Lane 6',
        externalId: 'HR-77',
        lastVerifiedAt: null,
        version: 2,
        createdAt: p.contact.createdAt,
        updatedAt: p.contact.updatedAt,
      },
      tenures: [
        {
          id: p.first.id,
          contactId: id,
          roleId: p.first.roleId,
          organizationId: p.organization.id,
          stateCode: 'KG',
          startDate: '2024-01-01',
          endDate: '2025-06-01',
          endReason: 'Rotated',
          isPrimary: true,
          succeededBy: p.second.id,
          designationRef: null,
          designationDate: null,
          version: 2,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      ],
      history: [
        revision(1, 'create', {
          id: created(id),
          honorific: created('Ms.'),
          givenName: created('Aigul'),
          familyName: created('Secretova'),
          displayName: created('Aigul Secretova'),
          nameOriginal: created(null),
          nameLatin: created('Aigul Secretova'),
          positionTitle: created('Head of Export Control'),
          languages: created(['ky', 'ru']),
          contactDetails: created(firstDetails),
          notes: created('Home: Secret Lane 5'),
          externalId: created('HR-77'),
          lastVerifiedAt: created(null),
        }),
        revision(2, 'update', {
          contactDetails: { before: firstDetails, after: secondDetails },
          notes: { before: 'Home: Secret Lane 5', after: 'Home: Changed Lane 6' },
        }),
      ],
      accessLog: expect.any(Array),
      training: [],
      campaigns: [],
    })
    // Who read the restricted details: the writer's own answers (create, update), then the reader.
    const log = body.accessLog as Json[]
    expect(log.at(-1)).toEqual({
      id: expect.any(Number),
      at: expect.any(String),
      reader: READER,
      method: 'GET',
      route: '/v1/contacts/:id',
      requestId: read.headers['x-request-id'],
      contactIds: [id],
    })
    expect(log.map((e) => [e.reader, e.method, e.route])).toEqual([
      [WRITER, 'POST', '/v1/contacts'],
      [WRITER, 'PATCH', '/v1/contacts/:id'],
      [ADMIN, 'GET', '/v1/contacts/:id'],
      [READER, 'GET', '/v1/contacts/:id'],
    ])
  })

  it('after erasure: the record and history hold no personal values, erased is true, the erase revision is there', async () => {
    await erase(t, id)
    const body = (await inject(t, 'GET', `/v1/contacts/${id}/personal-data`, await admin())).json() as Json
    expect(body.erased).toBe(true)
    expect(body.record).toMatchObject({
      contactDetails: [],
      notes: null,
      honorific: null,
      externalId: null,
      languages: [],
    })
    expect((body.history as Json[]).map((r) => r.action)).toEqual(['create', 'update', 'erase'])
    expect((body.history as Json[]).at(-1)).toMatchObject({
      actor: ADMIN,
      reason: 'Request of the person, letter of 2026-11-30',
      changes: {},
    })
  })

  it('refuses anonymous (401), read, write tokens and a state-limited admin (403), unknown ids (404); writes nothing', async () => {
    const url = `/v1/contacts/${id}/personal-data`
    await t.app.accessLog.flush()
    const log = () => t.db.$client.prepare('select count(*) from access_log').pluck().get()
    const entries = log()
    await expectRejected(t, { method: 'GET', url }, 401)
    await expectRejected(t, { method: 'GET', url, headers: await reader() }, 403)
    await expectRejected(t, { method: 'GET', url, headers: await writer() }, 403)
    const limited = await expectRejected(t, { method: 'GET', url, headers: await limitedAdmin() }, 403)
    expect(limited.detail).toBe('A token limited to states may not read personal-data documents')
    await expectRejected(
      t,
      {
        method: 'GET',
        url: '/v1/contacts/0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f/personal-data',
        headers: await admin(),
      },
      404,
    )
    await t.app.accessLog.flush()
    expect(log()).toBe(entries)
  })
})

describe('GET /v1/privacy', () => {
  it('answers the configured notice without a token, even when PUBLIC_READ is off', async () => {
    const u = await buildTestApp({
      PUBLIC_READ: 'false',
      PRIVACY_CONTROLLER: '1540 Committee support team',
      PRIVACY_CONTACT: 'privacy@example.org',
      RETENTION_ENDED_MONTHS: '24',
      ACCESS_LOG_RETENTION_DAYS: '90',
    })
    try {
      const res = await u.app.inject({ method: 'GET', url: '/v1/privacy' })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({
        controller: '1540 Committee support team',
        contact: 'privacy@example.org',
        purpose:
          'To let the officials and organizations who implement UN Security Council resolution 1540 ' +
          'find and reach the national Points of Contact, and to keep a record of who held which post when.',
        retention: { endedTenureMonths: 24, accessLogDays: 90 },
        text: null,
      })
      expect((await u.app.inject({ method: 'GET', url: '/v1/roles' })).statusCode).toBe(401)
    } finally {
      await u.close()
    }
  })

  it('serves PRIVACY_NOTICE_FILE as text; an unreadable file stops start-up', async () => {
    const u = await buildTestApp({ PRIVACY_NOTICE_FILE: 'docs/privacy.md' })
    try {
      const body = (await u.app.inject({ method: 'GET', url: '/v1/privacy' })).json() as Json
      expect(body.text).toMatch(/^# Privacy/)
      expect(body.retention).toEqual({ endedTenureMonths: null, accessLogDays: 365 })
    } finally {
      await u.close()
    }
    await expect(buildTestApp({ PRIVACY_NOTICE_FILE: 'no/such/file.md' })).rejects.toThrow(
      /^Invalid configuration: PRIVACY_NOTICE_FILE cannot be read \(ENOENT/,
    )
  })
})
