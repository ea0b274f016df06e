import { type ChildProcess, fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { type Db, openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { bearer, roleId, TEST_SECRET } from '../helpers/build-test-app.js'
import type { Json } from '../helpers/http.js'

/**
 * Write races that can really happen: two service processes, each with its own SQLite
 * connection, serve one database file (WAL) and receive conflicting writes at the same
 * moment. A barrier makes the race real: this test holds the database's write lock while both
 * requests arrive, so both processes are in flight and waiting on the lock when it is
 * released. Exactly one write may win; the other gets its precise refusal; nothing is
 * written twice and nothing fails with a 500 (SQLITE_BUSY).
 */

const ROUNDS = 10
const dir = mkdtempSync(join(tmpdir(), 'pocdir-races-'))
const env = {
  PATH: process.env.PATH ?? '',
  JWT_SECRET: TEST_SECRET,
  DATABASE_PATH: join(dir, 'pocdir.db'),
  RATE_LIMIT_MAX: '0',
  LOG_LEVEL: 'silent',
}
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const today = () => new Date().toISOString().slice(0, 10)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Server {
  child: ChildProcess
  url: string
  arrivals: number
}

function start(): Promise<Server> {
  const child = fork('test/concurrency/serve.ts', [], {
    execArgv: ['--import', 'tsx'],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const server: Server = { child, url: '', arrivals: 0 }
  return new Promise((resolve, reject) => {
    child.on('message', (m: { ready?: string; arrived?: boolean }) => {
      if (m.arrived) server.arrivals++
      if (m.ready) {
        server.url = m.ready
        resolve(server)
      }
    })
    child.on('exit', (code) => reject(new Error(`server process exited with ${code}`)))
  })
}

let db: Db
let local: App
let servers: [Server, Server]
let w: Record<string, string>
beforeAll(async () => {
  const config = loadConfig(env)
  db = openDatabase(config.databasePath)
  runMigrations(db)
  seed(db)
  // An app in this process over the same file, for fixtures only (never during a race).
  local = await buildApp({ config, db })
  await local.ready()
  w = await bearer('directory:write', { sub: 'racer' })
  const [a, b] = await Promise.all([start(), start()])
  servers = [a, b]
}, 120_000)

afterAll(async () => {
  await Promise.all(
    (servers ?? []).map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.child.exitCode !== null) return resolve()
          s.child.removeAllListeners('exit')
          s.child.on('exit', () => resolve())
          s.child.disconnect()
        }),
    ),
  )
  await local?.close()
  db?.$client.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Request {
  method: 'POST' | 'PATCH'
  url: string
  headers: Record<string, string>
  body: Json
}

interface Answer {
  status: number
  contentType: string | null
  requestId: string | null
  etag: string | null
  body: Json
}

async function send(server: Server, request: Request): Promise<Answer> {
  const res = await fetch(`${server.url}${request.url}`, {
    method: request.method,
    headers: request.headers,
    body: JSON.stringify(request.body),
  })
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    requestId: res.headers.get('x-request-id'),
    etag: res.headers.get('etag'),
    body: (await res.json()) as Json,
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/**
 * Sends `first` to one process and `second` to the other while this test holds the write
 * lock; once both have arrived (and had time to reach their write transaction), lets go.
 */
async function race(first: Request, second: Request): Promise<[Answer, Answer]> {
  const [a, b] = servers
  const arrived = [a.arrivals, b.arrivals]
  db.$client.exec('BEGIN IMMEDIATE')
  let answers: Promise<[Answer, Answer]>
  try {
    answers = Promise.all([send(a, first), send(b, second)])
    await until(() => a.arrivals > (arrived[0] ?? 0) && b.arrivals > (arrived[1] ?? 0), 'both requests')
    await sleep(100)
  } finally {
    db.$client.exec('ROLLBACK')
  }
  return answers
}

/** The single winner and single loser of a race, by status. */
function outcome(answers: [Answer, Answer], won: number, lost: number) {
  const statuses = answers.map((a) => a.status).sort()
  expect(statuses, JSON.stringify(answers.map((a) => a.body))).toEqual([won, lost].sort())
  const winner = answers.findIndex((a) => a.status === won)
  const loser = 1 - winner
  const lostAnswer = answers[loser] as Answer
  expect(lostAnswer.contentType).toBe('application/problem+json')
  expect(lostAnswer.requestId).toMatch(REQUEST_ID)
  return { winner, loser, won: answers[winner] as Answer, lost: lostAnswer }
}

const maxSeq = () =>
  (db.$client.prepare('select coalesce(max(seq), 0) as n from revisions').get() as { n: number }).n

interface RevisionRow {
  action: string
  entity: string
  entityId: string
  requestId: string
  changes: string
}
const revisionsAfter = (seq: number) =>
  db.$client
    .prepare(
      'select action, entity, entity_id as entityId, request_id as requestId, changes from revisions where seq > ? order by seq',
    )
    .all(seq) as RevisionRow[]

async function create(url: string, payload: Json): Promise<Json> {
  const res = await local.inject({ method: 'POST', url, headers: w, payload })
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as Json
}

let unique = 0
const person = () => create('/v1/contacts', { familyName: `Racer ${unique++}` })

/** Both processes read the feed after `seq`: each sees the winner's revisions, and only those. */
async function feedAgrees(seq: number, expected: number): Promise<void> {
  for (const server of servers) {
    const res = await fetch(`${server.url}/v1/changes?after=${seq}`, { headers: w })
    expect(res.status).toBe(200)
    const page = (await res.json()) as { items: { seq: number }[] }
    expect(page.items.map((r) => r.seq)).toEqual(Array.from({ length: expected }, (_, i) => seq + i + 1))
  }
}

describe('two processes, one database: races on one record', () => {
  it('PATCH with the same If-Match: one 200, one 412, version +1, one revision', async () => {
    const contact = await person()
    const url = `/v1/contacts/${contact.id}`
    const patch = (version: number, title: string): Request => ({
      method: 'PATCH',
      url,
      headers: { ...w, 'content-type': 'application/merge-patch+json', 'if-match': `"${version}"` },
      body: { positionTitle: title },
    })
    for (let round = 0; round < ROUNDS; round++) {
      const version = round + 1
      const seq = maxSeq()
      const titles = [`Title A${round}`, `Title B${round}`]
      const answers = await race(patch(version, titles[0] as string), patch(version, titles[1] as string))
      const { winner, won, lost } = outcome(answers, 200, 412)

      expect(lost.body).toEqual({
        type: 'urn:pocdir:problem:precondition-failed',
        title: 'Precondition Failed',
        status: 412,
        detail: `The record is at version ${version + 1}; it changed since the entity tag you sent`,
        instance: url,
      })
      expect(won.etag).toBe(`"${version + 1}"`)
      expect(won.body).toMatchObject({ id: contact.id, version: version + 1, positionTitle: titles[winner] })

      const row = db.$client
        .prepare('select version, position_title as t from contacts where id = ?')
        .get(contact.id)
      expect(row).toEqual({ version: version + 1, t: titles[winner] })
      const written = revisionsAfter(seq)
      expect(written).toHaveLength(1)
      expect(written[0]).toMatchObject({
        action: 'update',
        entity: 'contact',
        entityId: contact.id,
        requestId: won.requestId,
      })
      expect(JSON.parse(written[0]?.changes ?? '')).toEqual({
        positionTitle: { before: round === 0 ? null : expect.any(String), after: titles[winner] },
      })
      await feedAgrees(seq, 1)
    }
  }, 120_000)

  it('two handovers of one assignment: one 201, one 409 (already ended), one successor, two revisions', async () => {
    const org = await create('/v1/organizations', {
      name: 'Ministry of Racing',
      kind: 'government',
      stateCode: 'KG',
    })
    const role = roleId(db, 'technical-poc')
    for (let round = 0; round < ROUNDS; round++) {
      const holder = await person()
      const successors = [await person(), await person()]
      const old = await create('/v1/assignments', {
        contactId: holder.id,
        organizationId: org.id,
        roleId: role,
        startDate: '2024-01-01',
      })
      const url = `/v1/assignments/${old.id}/handover`
      const handover = (to: Json): Request => ({
        method: 'POST',
        url,
        headers: { ...w, 'content-type': 'application/json', 'if-match': '"1"' },
        body: { contactId: to.id, date: today() },
      })
      const seq = maxSeq()
      const answers = await race(handover(successors[0] as Json), handover(successors[1] as Json))
      const { winner, won, lost } = outcome(answers, 201, 409)

      // Conflicts come before preconditions: the loser's If-Match is stale too, but 409 says why.
      expect(lost.body).toEqual({
        type: 'urn:pocdir:problem:conflict',
        title: 'Conflict',
        status: 409,
        detail: `The assignment already ended on ${today()}`,
        instance: url,
      })
      const started = won.body.started as Json
      expect(won.body.ended).toMatchObject({
        id: old.id,
        version: 2,
        endDate: today(),
        succeededBy: started.id,
      })
      expect(started).toMatchObject({ contactId: (successors[winner] as Json).id, version: 1, endDate: null })

      const tenures = db.$client
        .prepare('select id from assignments where contact_id in (?, ?)')
        .all((successors[0] as Json).id, (successors[1] as Json).id)
      expect(tenures).toEqual([{ id: started.id }])
      const written = revisionsAfter(seq)
      expect(written.map((r) => [r.action, r.entityId, r.requestId])).toEqual([
        ['create', started.id, won.requestId],
        ['update', old.id, won.requestId],
      ])
      await feedAgrees(seq, 2)
    }
  }, 120_000)

  it('two creates of a current primary holder for one state and role: one 201, one 409, one revision', async () => {
    const states = ['KG', 'KZ', 'UZ', 'TJ', 'TM', 'AM', 'AZ', 'GE', 'MD', 'UA']
    const role = roleId(db, 'national-poc')
    for (let round = 0; round < ROUNDS; round++) {
      const stateCode = states[round] as string
      const org = await create('/v1/organizations', {
        name: `Primary race ministry ${round}`,
        kind: 'government',
        stateCode,
      })
      const primary = (who: Json): Request => ({
        method: 'POST',
        url: '/v1/assignments',
        headers: { ...w, 'content-type': 'application/json' },
        body: {
          contactId: who.id,
          organizationId: org.id,
          roleId: role,
          startDate: '2024-01-01',
          isPrimary: true,
        },
      })
      const [first, second] = [primary(await person()), primary(await person())]
      const seq = maxSeq()
      const answers = await race(first, second)
      const { won, lost } = outcome(answers, 201, 409)

      expect(lost.body).toEqual({
        type: 'urn:pocdir:problem:conflict',
        title: 'Conflict',
        status: 409,
        detail: `Assignment ${won.body.id} is the primary holder of this role for an overlapping period; end it or hand it over first`,
        instance: '/v1/assignments',
      })
      expect(won.body).toMatchObject({ stateCode, organizationId: org.id, isPrimary: true, version: 1 })
      const holders = db.$client
        .prepare('select id from assignments where state_code = ? and role_id = ? and is_primary = 1')
        .all(stateCode, role)
      expect(holders).toEqual([{ id: won.body.id }])
      const written = revisionsAfter(seq)
      expect(written.map((r) => [r.action, r.entity, r.entityId, r.requestId])).toEqual([
        ['create', 'assignment', won.body.id, won.requestId],
      ])
      await feedAgrees(seq, 1)
    }
  }, 120_000)
})
