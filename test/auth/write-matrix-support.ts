import Database from 'better-sqlite3'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../src/db/client.js'
import { bearer, buildTestApp, roleId, signToken, snapshot } from '../helpers/build-test-app.js'
import type { Json } from '../helpers/http.js'
import { auth, expectProblem, expectUnauthorized, type Headers, mergePatch, type TestApp } from './support.js'

/**
 * The write matrix (issue #10): every write rule of DESIGN's "Tokens and scopes", tried with
 * every token kind on every way of reaching the record. An op is one request against one
 * target; its expected answer for each token comes from one model of the rules
 * (`expectedFor`), so a case's expectation is never written by hand per token.
 *
 * The model, in DESIGN's order of checks on a write:
 *   no token or a bad token  → 401
 *   the scope is missing     → 403 ("lacks the … scope"); admin ⇒ every scope, write ⇒ read
 *   the body is bad          → 400/415 for every token that got this far (limited or not)
 *   a limited token (states: ["KG"]) the states rule refuses → 403 naming why
 *   otherwise                → what an unrestricted token gets: the grant, or a later
 *                              refusal of the same request (400 stored-data, 409, 412)
 */

// ---------------------------------------------------------------------------------------------
// Tokens.

type Scope = 'directory:read' | 'directory:write' | 'directory:import' | 'directory:admin'

export interface TokenKind {
  name: string
  sub: string
  /** null: no Authorization header at all. */
  scope: string | null
  states?: string[]
  /** Signed with another secret: fails verification. */
  bad?: boolean
}

export const TOKENS: readonly TokenKind[] = [
  { name: 'no token', sub: '-', scope: null },
  { name: 'a bad token (admin scope, wrong signature)', sub: 'forger', scope: 'directory:admin', bad: true },
  { name: 'read', sub: 'reader', scope: 'directory:read' },
  { name: 'read, limited to KG', sub: 'reader-kg', scope: 'directory:read', states: ['KG'] },
  { name: 'write', sub: 'writer', scope: 'directory:write' },
  { name: 'write, limited to KG', sub: 'writer-kg', scope: 'directory:write', states: ['KG'] },
  { name: 'import', sub: 'importer', scope: 'directory:import' },
  { name: 'import, limited to KG', sub: 'importer-kg', scope: 'directory:import', states: ['KG'] },
  { name: 'admin', sub: 'admin', scope: 'directory:admin' },
  { name: 'admin, limited to KG', sub: 'admin-kg', scope: 'directory:admin', states: ['KG'] },
  {
    name: 'write+import, limited to KG',
    sub: 'coordinator-kg',
    scope: 'directory:write directory:import',
    states: ['KG'],
  },
]

/** DESIGN's implications, written independently of src: admin ⇒ every scope, write ⇒ read. */
export function hasScope(token: TokenKind, scope: Scope): boolean {
  const granted = new Set((token.scope ?? '').split(' '))
  if (granted.has('directory:admin')) return true
  if (scope === 'directory:read' && granted.has('directory:write')) return true
  return granted.has(scope)
}

const limited = (token: TokenKind) => token.states !== undefined

async function headersOf(token: TokenKind): Promise<Headers> {
  if (token.scope === null) return {}
  const claims = { sub: token.sub, ...(token.states ? { states: token.states } : {}) }
  if (token.bad) return bearer(token.scope, { ...claims, secret: 'another-secret-0123456789-abcdefghijk' })
  return auth(await signToken({ scope: token.scope, ...claims }))
}

// ---------------------------------------------------------------------------------------------
// Ops and the model.

export type Path = 'direct' | 'through an assignment' | 'through a handover' | 'import, dry run' | 'import'

/** A refusal: status, what its detail says, and (for imports) the rows it names. */
export interface Refusal {
  status: 400 | 403 | 409 | 412 | 415 | 422
  detail?: RegExp
  errors?: unknown[]
}
export interface Grant {
  status: 200 | 201 | 204
}
export type Outcome = Refusal | Grant
export const isGrant = (o: Outcome): o is Grant => o.status < 300

export interface Cell<S> {
  w: World
  ids: S
  tag: string
  token: TokenKind
  headers: Headers
}

export interface Op<S = undefined> {
  name: string
  path: Path
  scope: Scope
  /** What an unrestricted token with the scope gets. */
  unrestricted: Outcome
  /**
   * What a token limited to KG with the scope gets: 'same' (the states rule lets it through),
   * 'body' (the body is refused first, as for everyone), or the states rule's refusal.
   */
  limited: 'same' | 'body' | Refusal
  /** Token-specific answers the model above does not cover (import privacy). */
  override?: (token: TokenKind) => Outcome | undefined
  /**
   * Records made for the case by an unrestricted admin, before anything is measured: fresh for
   * each granted case; the refused cases of an op share one set (they write nothing).
   */
  setup?: (w: World, tag: string, tokenIndex: number) => Promise<S>
  send: (cell: Cell<S>) => Promise<LightMyRequestResponse>
  /** For a grant: reads the write back (or, for a dry run, checks the report). */
  verify?: (cell: Cell<S>, res: LightMyRequestResponse) => Promise<void> | void
  /**
   * The request may write inside its transaction before it is refused or rolled back (imports):
   * "nothing written" is then proved on the database's contents (`expectSameAs`), not by the
   * connection's change count.
   */
  rollsBack?: boolean
  dryRun?: boolean
}

/** An op of any set-up type, as the tables hold them. */
// biome-ignore lint/suspicious/noExplicitAny: ops of different set-up types share one table
export type AnyOp = Op<any>

export interface Expected {
  status: number
  grant: boolean
  detail?: RegExp
  errors?: unknown[]
}

export function expectedFor<S>(token: TokenKind, op: Op<S>): Expected {
  if (token.scope === null) return { status: 401, grant: false, detail: /bearer token/i }
  if (token.bad) return { status: 401, grant: false, detail: /signature/ }
  if (!hasScope(token, op.scope)) {
    return { status: 403, grant: false, detail: new RegExp(`lacks the ${op.scope} scope`) }
  }
  const special = op.override?.(token)
  if (special) return { ...special, grant: isGrant(special) }
  if (limited(token) && typeof op.limited === 'object') return { ...op.limited, grant: false }
  return { ...op.unrestricted, grant: isGrant(op.unrestricted) }
}

// ---------------------------------------------------------------------------------------------
// The world every op is aimed at, built once per file through the API.

/** The kinds of contact the states rule tells apart, and whether a KG token may change one. */
export const CONTACT_KINDS = {
  none: { label: 'a contact with no assignments', kg: true },
  KG: { label: 'a contact assigned in KG', kg: true },
  exKG: { label: 'a contact with an ended KG assignment and a current KZ one', kg: true },
  pastKG: { label: 'a contact whose only assignment (KG) has ended', kg: true },
  KZ: { label: 'a contact assigned only in KZ', kg: false },
  pastKZ: { label: 'a contact whose only assignment (KZ) has ended', kg: false },
  intl: { label: 'a contact assigned only at an international body', kg: false },
} as const
export type ContactKind = keyof typeof CONTACT_KINDS
export const KINDS = Object.keys(CONTACT_KINDS) as ContactKind[]

export interface Person {
  id: string
  externalId: string
  email: string
}

export interface World {
  t: TestApp
  /** Unrestricted admin, for set-up and read-backs. */
  admin: Headers
  role: (key: string) => string
  orgKG: string
  orgKZ: string
  orgIntl: string
  /** One contact of each kind; ops that do not change who is assigned where aim at these. */
  contact: Record<ContactKind, Person>
  /** contact.KG's current KG post, contact.KZ's current primary KZ post, ended posts of each state. */
  asgKG: string
  asgKZ: string
  asgKGEnded: string
  asgKZEnded: string
  asgIntl: string
  /** A fresh contact of that kind (its tenures at legal-poc). */
  person(kind: ContactKind, tag: string): Promise<Person>
  post(url: string, payload: Json): Promise<string>
  get(url: string): Promise<Json>
}

export const KG_ORG_NAME = 'Ministry of Foreign Affairs of Kyrgyzstan'
export const ENDED = { startDate: '2019-01-01', endDate: '2019-12-31', endReason: 'rotated' }

async function buildWorld(): Promise<World> {
  const t = await buildTestApp()
  const admin = await bearer('directory:admin', { sub: 'setup' })
  const role = (key: string) => roleId(t.db, key)
  const post = async (url: string, payload: Json) => {
    const res = await t.app.inject({ method: 'POST', url, headers: admin, payload })
    expect(res.statusCode, `set-up POST ${url}: ${res.body}`).toBe(201)
    return (res.json() as Json).id as string
  }
  const get = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: admin })
    expect(res.statusCode, `GET ${url}: ${res.body}`).toBe(200)
    return res.json() as Json
  }
  const orgKG = await post('/v1/organizations', { name: KG_ORG_NAME, kind: 'government', stateCode: 'KG' })
  const orgKZ = await post('/v1/organizations', {
    name: 'Ministry of Foreign Affairs of Kazakhstan',
    kind: 'government',
    stateCode: 'KZ',
  })
  const orgIntl = await post('/v1/organizations', { name: 'IAEA', kind: 'international' })
  const tenure = (contactId: string, organizationId: string, extra: Json = {}) =>
    post('/v1/assignments', {
      contactId,
      organizationId,
      roleId: role('legal-poc'),
      startDate: '2020-01-01',
      ...extra,
    })
  const person = async (kind: ContactKind, tag: string): Promise<Person> => {
    const externalId = `p-${tag}`
    const email = `p-${tag}@example.org`
    const id = await post('/v1/contacts', {
      familyName: `Person ${tag}`,
      externalId,
      contactDetails: [{ type: 'email', value: email }],
    })
    if (kind === 'KG') await tenure(id, orgKG)
    if (kind === 'exKG') {
      await tenure(id, orgKG, ENDED)
      await tenure(id, orgKZ)
    }
    if (kind === 'pastKG') await tenure(id, orgKG, ENDED)
    if (kind === 'KZ') await tenure(id, orgKZ)
    if (kind === 'pastKZ') await tenure(id, orgKZ, ENDED)
    if (kind === 'intl') await tenure(id, orgIntl)
    return { id, externalId, email }
  }
  const contact = {} as Record<ContactKind, Person>
  for (const kind of KINDS) contact[kind] = await person(kind, `shared-${kind}`)
  const post2 = (contactId: string, organizationId: string, extra: Json = {}) =>
    post('/v1/assignments', {
      contactId,
      organizationId,
      roleId: role('national-poc'),
      startDate: '2021-01-01',
      ...extra,
    })
  const asgKG = await post2(contact.KG.id, orgKG, { isPrimary: true })
  const asgKZ = await post2(contact.KZ.id, orgKZ, { isPrimary: true })
  const asgKGEnded = await post2(contact.pastKG.id, orgKG, ENDED)
  const asgKZEnded = await post2(contact.pastKZ.id, orgKZ, ENDED)
  const asgIntl = await post2(contact.intl.id, orgIntl)
  return {
    t,
    admin,
    role,
    orgKG,
    orgKZ,
    orgIntl,
    contact,
    asgKG,
    asgKZ,
    asgKGEnded,
    asgKZEnded,
    asgIntl,
    person,
    post,
    get,
  }
}

// ---------------------------------------------------------------------------------------------
// Requests.

export const send = {
  post: (c: Cell<unknown>, url: string, payload: Json, headers: Headers = {}) =>
    c.w.t.app.inject({ method: 'POST', url, headers: { ...c.headers, ...headers }, payload }),
  patch: (c: Cell<unknown>, url: string, payload: Json, headers: Headers = {}) =>
    c.w.t.app.inject({
      method: 'PATCH',
      url,
      headers: mergePatch({ ...c.headers, ...headers }),
      payload: JSON.stringify(payload),
    }),
  delete: (c: Cell<unknown>, url: string, headers: Headers = {}) =>
    c.w.t.app.inject({ method: 'DELETE', url, headers: { ...c.headers, ...headers } }),
  verify: (c: Cell<unknown>, url: string, headers: Headers = {}) =>
    c.w.t.app.inject({ method: 'POST', url: `${url}/verify`, headers: { ...c.headers, ...headers } }),
  csv: (c: Cell<unknown>, csv: string, dryRun: boolean) =>
    c.w.t.app.inject({
      method: 'POST',
      url: `/v1/imports${dryRun ? '?dryRun=true' : ''}`,
      headers: { ...c.headers, 'content-type': 'text/csv' },
      payload: csv,
    }),
}

export const STALE = { 'if-match': '"999"' }

/** A deleted record answers 404. */
export async function expectGone(w: World, url: string) {
  const res = await w.t.app.inject({ method: 'GET', url, headers: w.admin })
  expect(res.statusCode, res.body).toBe(404)
}

// ---------------------------------------------------------------------------------------------
// The runner.

/** Rows inserted, updated or deleted on the app's connection so far (rolled-back ones included). */
// Rows the request wrote. The access log's batches (entries of earlier answers, written in the
// background) land in between; each adds as many rows as it adds changes, so they cancel out.
const changes = (t: TestApp) =>
  (
    t.db.$client.prepare('select total_changes() - (select count(*) from access_log) as n').get() as {
      n: number
    }
  ).n

const lastActor = (t: TestApp) =>
  (t.db.$client.prepare('select actor from revisions order by seq desc limit 1').get() as { actor: string })
    .actor

const outcomeName = (e: Expected) => (e.grant ? `${e.status}` : `${e.status} refused`)

/**
 * One describe per op, one case per token kind, named by the op, the token and the answer.
 * Cases run in order against one app, so every op must leave the world's rule-relevant facts
 * (who is assigned where) as they were, or work on records its `setup` made fresh.
 */
export function runMatrix(title: string, ops: readonly AnyOp[]): void {
  describe(title, () => {
    let w: World
    const headers = new Map<TokenKind, Headers>()
    beforeAll(async () => {
      w = await buildWorld()
      for (const token of TOKENS) headers.set(token, await headersOf(token))
    })
    afterAll(() => w.t.close())

    ops.forEach((op, opIndex) => {
      describe(`[${op.path}] ${op.name}`, () => {
        // A refused case writes nothing (each case proves it), so the records one refused case
        // was set up with serve the next refused case as they were; a granted case gets its own.
        let forRefusals: Promise<unknown> | undefined
        const setUp = (tag: string, tokenIndex: number, grant: boolean) => {
          if (!op.setup) return undefined
          if (grant) return op.setup(w, tag, tokenIndex)
          forRefusals ??= op.setup(w, tag, tokenIndex)
          return forRefusals
        }
        TOKENS.forEach((token, tokenIndex) => {
          const exp = expectedFor(token, op)
          it(`${token.name} → ${outcomeName(exp)}`, async () => {
            // Unique per granted case (what it writes is told apart by it); shared by refused ones.
            const tag = exp.grant ? `${opIndex}x${tokenIndex}` : `${opIndex}r`
            const ids = await setUp(tag, tokenIndex, exp.grant)
            const cell: Cell<unknown> = { w, ids, tag, token, headers: headers.get(token) as Headers }
            await runCell(op, exp, cell)
          })
        })
      })
    })
  })
}

/**
 * The whole database as it stands: better-sqlite3 serializes an in-memory database into one
 * buffer (a copy of its pages), cheap enough to take for every case.
 */
const image = (t: TestApp): Buffer => t.db.$client.serialize()

/**
 * Proves the database holds what it held when `before` was taken. Equal pages prove it at once;
 * otherwise (a rolled-back transaction may leave pages laid out differently) every row of every
 * table is compared with the shared `snapshot`, the earlier state read from the saved image.
 */
function expectSameAs(t: TestApp, before: Buffer, message: string) {
  if (image(t).equals(before)) return
  const then = new Database(before)
  try {
    expect(snapshot(t.db), message).toBe(snapshot({ $client: then } as unknown as Db))
  } finally {
    then.close()
  }
}

async function runCell<S>(op: Op<S>, exp: Expected, cell: Cell<S>) {
  const { t } = cell.w
  const saved = op.rollsBack || op.dryRun ? image(t) : undefined
  const before = changes(t)
  const res = await op.send(cell)
  if (exp.grant) {
    expect(res.statusCode, res.body).toBe(exp.status)
    if (op.dryRun) {
      expectSameAs(t, saved as Buffer, 'a dry run writes nothing')
    } else {
      expect(changes(t), 'a granted write writes').toBeGreaterThan(before)
      expect(lastActor(t), 'the last revision is this token’s').toBe(cell.token.sub)
    }
    await op.verify?.(cell, res)
    return
  }
  const body =
    exp.status === 401 ? expectUnauthorized(res, exp.detail) : expectProblem(res, exp.status, exp.detail)
  if (exp.errors) expect(body.errors).toEqual(exp.errors)
  if (saved) expectSameAs(t, saved, 'a refused request writes nothing')
  else expect(changes(t), 'a refused request writes nothing, not even a row it rolls back').toBe(before)
}
