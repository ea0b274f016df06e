import type { KeyObject } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { SignJWT } from 'jose'
import { expect } from 'vitest'
import { roleId, TEST_SECRET } from '../helpers/build-test-app.js'
import { type Headers, problemBody, type TestApp } from '../helpers/http.js'

export type { Headers, TestApp }

const enc = (s: string) => new TextEncoder().encode(s)
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

export const auth = (token: string): Headers => ({ authorization: `Bearer ${token}` })

/** An unsigned token (`alg: none`, empty signature) with admin scope. */
export function unsignedToken(claims: Record<string, unknown> = {}): string {
  const header = b64url({ alg: 'none', typ: 'JWT' })
  const payload = b64url({ sub: 'mallory', scope: 'directory:admin', exp: now() + 3600, ...claims })
  return `${header}.${payload}.`
}

/** HS512 with the right secret: only HS256 is pinned. */
export function hs512Token(): Promise<string> {
  return new SignJWT({ scope: 'directory:admin' })
    .setProtectedHeader({ alg: 'HS512', typ: 'JWT' })
    .setSubject('mallory')
    .setIssuedAt()
    .setExpirationTime(now() + 3600)
    .sign(enc(TEST_SECRET))
}

/** Right secret and algorithm, but no `exp`. */
export function tokenWithoutExp(): Promise<string> {
  return new SignJWT({ scope: 'directory:admin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('mallory')
    .setIssuedAt()
    .sign(enc(TEST_SECRET))
}

/** Right secret and algorithm, but no `sub`. */
export function tokenWithoutSub(): Promise<string> {
  return new SignJWT({ scope: 'directory:admin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(now() + 3600)
    .sign(enc(TEST_SECRET))
}

/** Asserts an RFC 9457 body and returns it. */
export function expectProblem(res: LightMyRequestResponse, status: number, detail?: RegExp) {
  const body = problemBody(res, status)
  expect((body.title as string).length).toBeGreaterThan(0)
  expect((body.detail as string).length).toBeGreaterThan(0)
  if (status === 401) expect(body.title).toBe('Unauthorized')
  if (status === 403) expect(body.title).toBe('Forbidden')
  if (detail) expect(body.detail).toMatch(detail)
  expect(res.body).not.toMatch(/\bat .+\.(ts|js):\d+/) // never a stack trace
  return body
}

/** 401 problem that also names the Bearer scheme (RFC 6750). */
export function expectUnauthorized(res: LightMyRequestResponse, detail?: RegExp) {
  const body = expectProblem(res, 401, detail)
  expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/)
  return body
}

export const mergePatch = (headers: Headers = {}): Headers => ({
  ...headers,
  'content-type': 'application/merge-patch+json',
})

export interface Fixtures {
  orgId: string
  orgToDeleteId: string
  contactId: string
  contactToDeleteId: string
  assignmentId: string
  assignmentToDeleteId: string
  roleToChangeId: string
  roleToDeleteId: string
}

/** Creates through the API (as `adminHeaders`) one record of each kind to aim writes at. */
export async function createFixtures(t: TestApp, adminHeaders: Headers): Promise<Fixtures> {
  const post = async (url: string, payload: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url, headers: adminHeaders, payload })
    expect(res.statusCode, res.body).toBe(201)
    return (res.json() as { id: string }).id
  }
  const orgId = await post('/v1/organizations', {
    name: 'Ministry of Foreign Affairs',
    kind: 'government',
    stateCode: 'KG',
  })
  const orgToDeleteId = await post('/v1/organizations', {
    name: 'State Customs Service',
    kind: 'government',
    stateCode: 'KG',
  })
  const contactId = await post('/v1/contacts', { givenName: 'Asan', familyName: 'Zhumabekov' })
  const contactToDeleteId = await post('/v1/contacts', { givenName: 'Aigul', familyName: 'Bekova' })
  const roleIdOf = (key: string) => roleId(t.db, key)
  const assignmentId = await post('/v1/assignments', {
    contactId,
    roleId: roleIdOf('national-poc'),
    organizationId: orgId,
    startDate: '2024-01-01',
  })
  const assignmentToDeleteId = await post('/v1/assignments', {
    contactId,
    roleId: roleIdOf('alternate-poc'),
    organizationId: orgId,
    startDate: '2024-02-01',
  })
  const roleToChangeId = await post('/v1/roles', {
    key: 'customs-poc',
    name: 'Customs PoC',
    domain: 'border',
  })
  const roleToDeleteId = await post('/v1/roles', { key: 'unused-poc', name: 'Unused PoC', domain: 'general' })
  return {
    orgId,
    orgToDeleteId,
    contactId,
    contactToDeleteId,
    assignmentId,
    assignmentToDeleteId,
    roleToChangeId,
    roleToDeleteId,
  }
}

export interface WriteRequest {
  url: string
  payload?: Record<string, unknown>
}

export interface WriteOp {
  name: string
  resource: 'organizations' | 'contacts' | 'assignments' | 'roles' | 'states'
  method: 'POST' | 'PATCH' | 'DELETE'
  /** Status the same request answers with a valid admin token. */
  okStatus: number
  /** A valid request against the fixtures: a denial is then about the token only. */
  build(f: Fixtures, roleIdOf: (key: string) => string): WriteRequest
}

/** A valid POST, PATCH and DELETE for every resource. */
export const WRITE_OPS: readonly WriteOp[] = [
  {
    name: 'POST /v1/organizations',
    resource: 'organizations',
    method: 'POST',
    okStatus: 201,
    build: () => ({
      url: '/v1/organizations',
      payload: { name: 'Ministry of Defence', kind: 'government', stateCode: 'KG' },
    }),
  },
  {
    name: 'PATCH /v1/organizations/{id}',
    resource: 'organizations',
    method: 'PATCH',
    okStatus: 200,
    build: (f) => ({ url: `/v1/organizations/${f.orgId}`, payload: { acronym: 'MFA' } }),
  },
  {
    name: 'DELETE /v1/organizations/{id}',
    resource: 'organizations',
    method: 'DELETE',
    okStatus: 204,
    build: (f) => ({ url: `/v1/organizations/${f.orgToDeleteId}` }),
  },
  {
    name: 'POST /v1/contacts',
    resource: 'contacts',
    method: 'POST',
    okStatus: 201,
    build: () => ({
      url: '/v1/contacts',
      payload: { givenName: 'Nurlan', familyName: 'Sadykov', notes: 'x' },
    }),
  },
  {
    name: 'PATCH /v1/contacts/{id}',
    resource: 'contacts',
    method: 'PATCH',
    okStatus: 200,
    build: (f) => ({ url: `/v1/contacts/${f.contactId}`, payload: { positionTitle: 'Director' } }),
  },
  {
    name: 'DELETE /v1/contacts/{id}',
    resource: 'contacts',
    method: 'DELETE',
    okStatus: 204,
    build: (f) => ({ url: `/v1/contacts/${f.contactToDeleteId}` }),
  },
  {
    name: 'POST /v1/assignments',
    resource: 'assignments',
    method: 'POST',
    okStatus: 201,
    build: (f, roleIdOf) => ({
      url: '/v1/assignments',
      payload: {
        contactId: f.contactId,
        roleId: roleIdOf('technical-poc'),
        organizationId: f.orgId,
        startDate: '2024-03-01',
        endDate: '2024-06-01',
      },
    }),
  },
  {
    name: 'PATCH /v1/assignments/{id}',
    resource: 'assignments',
    method: 'PATCH',
    okStatus: 200,
    build: (f) => ({
      url: `/v1/assignments/${f.assignmentId}`,
      payload: { designationRef: 'Note verbale No. 12/345' },
    }),
  },
  {
    name: 'DELETE /v1/assignments/{id}',
    resource: 'assignments',
    method: 'DELETE',
    okStatus: 204,
    build: (f) => ({ url: `/v1/assignments/${f.assignmentToDeleteId}` }),
  },
  {
    name: 'POST /v1/roles',
    resource: 'roles',
    method: 'POST',
    okStatus: 201,
    build: () => ({
      url: '/v1/roles',
      payload: { key: 'sanctions-poc', name: 'Sanctions PoC', domain: 'finance' },
    }),
  },
  {
    name: 'PATCH /v1/roles/{id}',
    resource: 'roles',
    method: 'PATCH',
    okStatus: 200,
    build: (f) => ({ url: `/v1/roles/${f.roleToChangeId}`, payload: { name: 'Customs point of contact' } }),
  },
  {
    name: 'DELETE /v1/roles/{id}',
    resource: 'roles',
    method: 'DELETE',
    okStatus: 204,
    build: (f) => ({ url: `/v1/roles/${f.roleToDeleteId}` }),
  },
  {
    name: 'POST /v1/states',
    resource: 'states',
    method: 'POST',
    okStatus: 201,
    build: () => ({
      url: '/v1/states',
      payload: {
        code: 'XK',
        iso3: 'XKX',
        name: 'Kosovo',
        officialName: 'Republic of Kosovo',
        names: { en: 'Kosovo' },
        unMember: false,
        osceParticipating: false,
      },
    }),
  },
  {
    name: 'PATCH /v1/states/{code}',
    resource: 'states',
    method: 'PATCH',
    okStatus: 200,
    build: () => ({ url: '/v1/states/KG', payload: { name: 'Kyrgyz Republic' } }),
  },
  {
    name: 'DELETE /v1/states/{code}',
    resource: 'states',
    method: 'DELETE',
    okStatus: 204,
    build: () => ({ url: '/v1/states/FJ' }),
  },
]

/** Sends a write op against the fixtures (merge-patch content type for PATCH). */
export function sendOp(t: TestApp, f: Fixtures, op: WriteOp, headers: Headers) {
  const { url, payload } = op.build(f, (key) => roleId(t.db, key))
  if (op.method === 'PATCH') {
    return t.app.inject({
      method: op.method,
      url,
      headers: mergePatch(headers),
      payload: JSON.stringify(payload),
    })
  }
  return t.app.inject({ method: op.method, url, headers, ...(payload ? { payload } : {}) })
}

export const SECRET_NOTE = 'Prefers Russian; private mobile on file'
export const PUBLIC_EMAIL = 'poc@mfa.gov.kg'
export const RESTRICTED_EMAIL = 'a.zhumabekov.private@mail.kg'
export const RESTRICTED_PHONE = '+996312620545'

/** A contact with public and restricted details and notes; returns its id. */
export async function createPrivateContact(t: TestApp, writer: Headers, familyName = 'Zhumabekov') {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/contacts',
    headers: writer,
    payload: {
      givenName: 'Asan',
      familyName,
      contactDetails: [
        { type: 'email', value: PUBLIC_EMAIL, label: 'office', visibility: 'public' },
        { type: 'phone', value: '+996 312 620545' },
        { type: 'email', value: RESTRICTED_EMAIL, visibility: 'restricted' },
        { type: 'address', value: '10 Erkindik Blvd, Bishkek', visibility: 'public' },
      ],
      notes: SECRET_NOTE,
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return (res.json() as { id: string }).id
}

/** The body shows only the public details and no notes at all. */
export function expectRedactedContact(contact: Record<string, unknown>) {
  expect(contact).not.toHaveProperty('notes')
  expect(contact.contactDetails).toEqual([
    { type: 'email', value: PUBLIC_EMAIL, label: 'office', visibility: 'public' },
    { type: 'address', value: '10 Erkindik Blvd, Bishkek', label: null, visibility: 'public' },
  ])
  const text = JSON.stringify(contact)
  for (const secret of [SECRET_NOTE, RESTRICTED_EMAIL, RESTRICTED_PHONE]) expect(text).not.toContain(secret)
}

/** The body shows every detail and the notes. */
export function expectFullContact(contact: Record<string, unknown>) {
  expect(contact.notes).toBe(SECRET_NOTE)
  expect(contact.contactDetails).toEqual([
    { type: 'email', value: PUBLIC_EMAIL, label: 'office', visibility: 'public' },
    { type: 'phone', value: RESTRICTED_PHONE, label: null, visibility: 'restricted' },
    { type: 'email', value: RESTRICTED_EMAIL, label: null, visibility: 'restricted' },
    { type: 'address', value: '10 Erkindik Blvd, Bishkek', label: null, visibility: 'public' },
  ])
}

/** Signs a token with an asymmetric private key (or any jose key) and the given algorithm. */
export function signWith(
  key: KeyObject,
  alg: string,
  { scope = 'directory:read', sub = 'tester', kid, expiresIn = 3600 }: SignOptions = {},
): Promise<string> {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(now() + expiresIn)
    .sign(key)
}

export interface SignOptions {
  scope?: string
  sub?: string
  kid?: string
  expiresIn?: number
}
