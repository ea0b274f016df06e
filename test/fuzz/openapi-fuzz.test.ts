import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, signToken, snapshot } from '../helpers/build-test-app.js'
import { problemBody, type TestApp } from '../helpers/http.js'
import type { Schema } from './schema-arbitrary.js'
import {
  describeExchange,
  type Operation,
  operationsOf,
  Resolver,
  requestArbitrary,
  toInject,
} from './support.js'

/**
 * Contract-driven fuzzing: every operation of the committed OpenAPI document gets random and
 * hostile values for each of its parameters and bodies, with and without tokens, against one
 * real app whose records the requests keep changing. For every answer: never 5xx, every error
 * is problem+json without a stack trace or SQL, every answer has an x-request-id, and a
 * refused request (or any read) leaves the database exactly as it was.
 *
 * Each operation is one fast-check property with its own fixed seed (derived from FUZZ_SEED
 * and the operation), run without shrinking: the app's data changes with every request, so a
 * shrunk replay would meet other records. A failure prints the request and the answer.
 * FUZZ_SEED and FUZZ_RUNS (runs per operation) change the hunt; FUZZ_VERBOSE=1 prints the
 * answers' statuses per operation; FUZZ_TRACE='POST /v1/imports' prints that operation's answers.
 */

const doc = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as Schema
const operations = operationsOf(doc)

const RUNS = Number(process.env.FUZZ_RUNS ?? 70)
const BASE_SEED = Number(process.env.FUZZ_SEED ?? 1540)
const seedOf = (op: Operation) => [...op.id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, BASE_SEED)

/**
 * Token names (see beforeAll) and how often each is drawn for a valid request (mostly tokens
 * that may write, so writes get through) and for a hostile one (every kind of failure too).
 */
const TOKENS = [
  { name: 'none', valid: 0, hostile: 2 },
  { name: 'read', valid: 1, hostile: 1 },
  { name: 'write', valid: 3, hostile: 2 },
  { name: 'import', valid: 1, hostile: 1 },
  { name: 'admin', valid: 5, hostile: 2 },
  { name: 'writeKG', valid: 2, hostile: 1 },
  { name: 'adminKG', valid: 1, hostile: 1 },
  { name: 'noScope', valid: 0, hostile: 1 },
  { name: 'expired', valid: 0, hostile: 1 },
  { name: 'garbage', valid: 0, hostile: 1 },
]

let t: TestApp
let resolver: Resolver
let admin: Record<string, string>
const authorization: Record<string, string | undefined> = { none: undefined }
/** The database as the last accepted write left it. */
let current = ''
const exercised = new Map<string, number>()
const statuses = new Map<string, Map<number, number>>()

async function send(request: InjectOptions): Promise<LightMyRequestResponse> {
  const res = await t.app.inject(request)
  if (res.statusCode >= 300) throw new Error(`seeding ${request.method} ${request.url}: ${res.body}`)
  return res
}

let seeded = 0

/** Keeps a handful of live organizations, contacts and assignments (in KG and elsewhere) around. */
async function replenish() {
  const live = (table: string) =>
    t.db.$client.prepare(`select count(*) from ${table} where deleted_at is null`).pluck().get() as number
  const post = async (url: string, payload: object) =>
    (await send({ method: 'POST', url, headers: admin, payload })).json() as { id: string }
  const liveRoles = () =>
    t.db.$client
      .prepare('select id from roles where deleted_at is null order by rowid limit 3')
      .pluck()
      .all() as string[]
  // the fuzz may have deleted KG or KZ too
  const liveState = (code: string) =>
    t.db.$client
      .prepare('select code from states where deleted_at is null order by code = ? desc, code limit 1')
      .pluck()
      .get(code) as string
  // the import example names national-poc: a patch may have renamed it (keys are not clearable
  // but are valid text, so a generated patch renames a role now and then)
  const hasNationalPoc = t.db.$client
    .prepare("select count(*) from roles where deleted_at is null and key = 'national-poc'")
    .pluck()
    .get() as number
  if (hasNationalPoc === 0) {
    await post('/v1/roles', { key: 'national-poc', name: 'National point of contact', domain: 'general' })
  }
  while (liveRoles().length < 3) {
    await post('/v1/roles', {
      key: `fuzz-role-${++seeded}`,
      name: 'Fuzz role',
      domain: 'general',
    })
  }
  const currentTenures = () =>
    t.db.$client
      .prepare('select count(*) from assignments where deleted_at is null and end_date is null')
      .pluck()
      .get() as number
  while (live('organizations') < 4 || live('contacts') < 5 || currentTenures() < 4) {
    const n = ++seeded
    const [roleA = '', roleB = '', roleC = ''] = liveRoles()
    const stateCode = liveState(n % 2 ? 'KG' : 'KZ')
    const org = await post('/v1/organizations', { name: `Ministry ${n}`, kind: 'government', stateCode })
    const intl = await post('/v1/organizations', { name: `Agency ${n}`, kind: 'international' })
    const holder = await post('/v1/contacts', {
      familyName: `Holder${n}`,
      givenName: 'Asan',
      contactDetails: [{ type: 'email', value: `h${n}@example.org`, visibility: 'public' }],
    })
    const successor = await post('/v1/contacts', { familyName: `Successor${n}`, externalId: `ext-${n}` })
    await post('/v1/contacts', { familyName: `Unassigned${n}` })
    await post('/v1/assignments', {
      contactId: holder.id,
      roleId: roleA,
      organizationId: org.id,
      startDate: '2020-01-01',
    })
    await post('/v1/assignments', {
      contactId: successor.id,
      roleId: roleB,
      organizationId: intl.id,
      startDate: '2019-05-01',
      endDate: '2021-05-01',
    })
    await post('/v1/assignments', {
      contactId: successor.id,
      roleId: roleC,
      organizationId: org.id,
      startDate: '2022-02-02',
    })
  }
  // Training events (one hosted by KG, one by no state) with participants.
  while (live('training_events') < 2 || live('participations') < 2) {
    const n = ++seeded
    const hosted = await post('/v1/training-events', {
      title: `Round table ${n}`,
      kind: 'national-roundtable',
      hostStateCode: liveState('KG'),
      startDate: '2021-03-01',
      endDate: '2021-03-02',
    })
    await post('/v1/training-events', {
      title: `Regional course ${n}`,
      kind: 'regional-course',
      startDate: '2022-05-01',
      endDate: '2022-05-05',
    })
    const people = t.db.$client
      .prepare('select id from contacts where deleted_at is null order by rowid desc limit 2')
      .pluck()
      .all() as string[]
    for (const contactId of people) {
      await post('/v1/participations', { eventId: hosted.id, contactId, status: 'completed' })
    }
  }
  // Verification campaigns: a live campaign, unspent link codes, a pending correction to review.
  const openCodes = () => resolver.usableCodes().length
  const pending = () =>
    t.db.$client
      .prepare(
        `select count(*) from corrections r join contacts c on c.id = r.contact_id
          where r.status = 'pending' and c.deleted_at is null and c.version = r.base_version`,
      )
      .pluck()
      .get() as number
  while (openCodes() < 6 || pending() < 2) {
    const issued = (
      await send({
        method: 'POST',
        url: '/v1/campaigns',
        headers: admin,
        payload: {
          title: 'Fuzz check',
          message: 'Please confirm.',
          dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
          stateCodes: [liveState('KG')],
        },
      }).catch(() => undefined)
    )?.json() as { links: { token: string }[] } | undefined
    if (!issued || issued.links.length === 0) break
    resolver.codes.push(...issued.links.map((l) => l.token))
    const first = issued.links[0]?.token
    if (first && pending() < 2) {
      await send({
        method: 'POST',
        url: `/v1/verification/${first}/corrections`,
        payload: { positionTitle: 'Fuzz' },
      })
    }
  }
  if (live('webhooks') < 2) {
    await post('/v1/webhooks', { url: `https://partner-${++seeded}.example.org/hooks`, states: ['KG'] })
  }
  current = snapshot(t.db)
  writtenAtSnapshot = rowsWritten()
}

/**
 * SQLite's count of rows written through this (the app's only) connection. While it stands
 * still nothing was written, so the full snapshot is taken only when it moved; a statement
 * rolled back still moves it, and then the snapshot decides.
 */
const rowsWritten = () => t.db.$client.prepare('select total_changes()').pluck().get() as number
let writtenAtSnapshot = 0

/** An unpaired surrogate as JSON.stringify escapes it: stored text is always well-formed. */
const LONE_SURROGATE =
  /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i

/** The properties every answer must have; throws (with the exchange) when one fails. */
function check(request: InjectOptions, res: LightMyRequestResponse) {
  const read = request.method === 'GET' || request.method === 'HEAD'
  try {
    expect(res.statusCode, 'never a 5xx').toBeLessThan(500)
    expect(res.headers['x-request-id'], 'x-request-id on every answer').toBeTruthy()
    if (res.statusCode >= 400) problemBody(res, res.statusCode)
    if (/json/.test(String(res.headers['content-type']))) {
      expect(res.body, 'answers hold only well-formed Unicode').not.toMatch(LONE_SURROGATE)
    }
    if (rowsWritten() === writtenAtSnapshot) return
    const after = snapshot(t.db)
    if (res.statusCode >= 400 || read) {
      expect(after === current, 'a refused request (or a read) writes nothing').toBe(true)
    }
    current = after
    writtenAtSnapshot = rowsWritten()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`${message}\n-- request --\n${describeExchange(request, res)}`)
  }
}

/** A mail server that takes every message, so campaign mailings can succeed too. */
let smtp: SMTPServer | undefined

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (stream, _session, done) => {
      stream.resume()
      stream.on('end', () => done())
    },
  })
  await new Promise<void>((resolve) => smtp?.listen(0, '127.0.0.1', resolve))
  const { port } = smtp.server.address() as { port: number }
  t = await buildTestApp({
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SMTP_FROM: 'fuzz@example.org',
    PUBLIC_BASE_URL: 'https://pocdir.example.org',
    // Subscriptions are created and pinged, never delivered to: nothing leaves the machine.
    WEBHOOK_DELIVERY: 'false',
  })
  resolver = new Resolver(t.db)
  admin = await bearer('directory:admin', { sub: 'fuzz-admin' })
  const token = async (scope: string, claims = {}) =>
    `Bearer ${await signToken({ scope, sub: 'fuzzer', ...claims })}`
  authorization.read = await token('directory:read')
  authorization.write = await token('directory:write')
  authorization.import = await token('directory:import')
  authorization.admin = await token('directory:admin')
  authorization.writeKG = await token('directory:write directory:import', { states: ['KG'] })
  authorization.adminKG = await token('directory:admin', { states: ['KG'] })
  authorization.noScope = await token('')
  authorization.expired = await token('directory:admin', { expiresIn: -60 })
  authorization.garbage = `Bearer ${authorization.admin?.slice(7, -4)}AAAA`
})

afterAll(async () => {
  await t?.close()
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()))
})

describe('OpenAPI-driven fuzz: no 5xx, problem+json errors, refused requests write nothing', () => {
  beforeEach(replenish)

  it('the committed document has operations to fuzz', () => {
    expect(operations.length).toBeGreaterThan(30)
  })

  for (const op of operations) {
    it(
      op.id,
      async () => {
        await fc.assert(
          fc.asyncProperty(requestArbitrary(doc, op, TOKENS), async (req) => {
            const request = toInject(op, req, resolver, (name) => authorization[name])
            let res: LightMyRequestResponse
            try {
              res = await t.app.inject(request)
            } catch (error) {
              throw new Error(`inject threw ${error}\n-- request --\n${describeExchange(request, undefined)}`)
            }
            exercised.set(op.id, (exercised.get(op.id) ?? 0) + 1)
            const seen = statuses.get(op.id) ?? new Map<number, number>()
            statuses.set(op.id, seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1))
            if (process.env.FUZZ_TRACE === op.id)
              console.log(req.token, res.statusCode, res.body.slice(0, 200))
            check(request, res)
          }),
          // a shared app changes with every request: shrinking would replay on other data
          { seed: seedOf(op), numRuns: RUNS, endOnFailure: true },
        )
      },
      Math.max(20_000, RUNS * 300),
    )
  }

  it('methods the document does not list for a path are refused as problem+json and write nothing', async () => {
    const undocumented = [...new Set(operations.map((op) => op.path))].flatMap((path) => {
      const listed = operations.filter((op) => op.path === path)
      const model = listed.find((op) => op.bodies.length > 0) ?? listed[0]
      return ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
        .filter((method) => model && !listed.some((op) => op.method === method))
        .map((method) => ({ ...(model as Operation), method, id: `${method} ${path}` }))
    })
    const arbitrary = fc.oneof(
      ...undocumented.map((op) => requestArbitrary(doc, op, TOKENS).map((req) => ({ op, req }))),
    )
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ op, req }) => {
        const request = toInject(op, req, resolver, (name) => authorization[name])
        const res = await t.app.inject(request)
        check(request, res)
        expect(res.statusCode, describeExchange(request, res)).toBeGreaterThanOrEqual(400)
      }),
      { seed: BASE_SEED, numRuns: RUNS, endOnFailure: true },
    )
  })

  it('exercised every operation of the document, refused and accepted', () => {
    if (process.env.FUZZ_VERBOSE) {
      for (const op of operations)
        console.log(op.id, JSON.stringify(Object.fromEntries(statuses.get(op.id) ?? [])))
    }
    for (const op of operations) {
      expect(exercised.get(op.id) ?? 0, op.id).toBeGreaterThanOrEqual(RUNS)
      const seen = [...(statuses.get(op.id)?.keys() ?? [])]
      expect(
        seen.some((s) => s < 300),
        `${op.id} was accepted at least once (got ${seen})`,
      ).toBe(true)
      expect(
        seen.some((s) => s >= 400),
        `${op.id} was refused at least once (got ${seen})`,
      ).toBe(true)
    }
  })
})
