import { expect } from 'vitest'
import { type Row, result, toCsv } from '../imports/support.js'
import {
  type Cell,
  CONTACT_KINDS,
  type ContactKind,
  hasScope,
  KG_ORG_NAME,
  KINDS,
  type Op,
  type Outcome,
  type Person,
  type Refusal,
  runMatrix,
  send,
  type TokenKind,
  type World,
} from './write-matrix-support.js'

/**
 * Imports, dry run and real: they need directory:import (or admin). A limited token's import is
 * refused, naming the rows, when a row is of another state or of none (field stateCode), or
 * when a row of its state matches a person assigned only elsewhere (field externalId or email,
 * by what matched). A dry run answers exactly what the real import answers and writes nothing.
 */

const START = '2024-06-01'
const kgRow = (extra: Row): Row => ({
  stateCode: 'KG',
  organization: KG_ORG_NAME,
  role: 'technical-poc',
  startDate: START,
  ...extra,
})
const newPerson = (tag: string, extra: Row = {}): Row =>
  kgRow({ externalId: `new-${tag}`, familyName: `New ${tag}`, ...extra })
const byExternalId = (x: Person, tag: string) =>
  kgRow({ externalId: x.externalId, familyName: `Person ${tag}` })
const byEmail = (x: Person, tag: string) => kgRow({ email: x.email, familyName: `Person ${tag}` })

const OTHER_STATE = (row: number, code: string) => ({
  row,
  field: 'stateCode',
  message: expect.stringContaining(code),
})
const NO_STATE = (row: number) => ({ row, field: 'stateCode', message: expect.any(String) })
const ASSIGNED_ELSEWHERE = (row: number, field: 'externalId' | 'email') => ({
  row,
  field,
  message: 'matches a person assigned only in states this token may not change',
})
const refused = (...errors: unknown[]): Refusal => ({ status: 403, detail: /nothing was imported/, errors })

const db = (w: World) => w.t.db.$client
const contactIdOf = (w: World, externalId: string) =>
  (
    db(w).prepare('select id from contacts where external_id = ? and deleted_at is null').get(externalId) as
      | { id: string }
      | undefined
  )?.id
const tenuresAt = (w: World, contactId: string | undefined, state: string | null) =>
  (
    db(w)
      .prepare(
        'select count(*) as n from assignments where contact_id = ? and state_code is ? and start_date = ? and deleted_at is null',
      )
      .get(contactId, state, START) as { n: number }
  ).n

interface Setup {
  x: Person[]
}

interface Case {
  name: string
  /** What an unrestricted import token gets (always 200: every row is valid) and what it writes. */
  counts: ReturnType<typeof result>
  limited: 'same' | Refusal
  override?: (token: TokenKind) => Outcome | undefined
  setup?: (w: World, tag: string) => Promise<Setup>
  rows: (c: Cell<Setup>) => Row[]
  /** After a real import: what must now be stored. */
  written: (c: Cell<Setup>) => void
  /** After a dry run: what must still be absent. */
  absent: (c: Cell<Setup>) => void
}

/**
 * DESIGN's import privacy: a token without directory:read names people by externalId (or record
 * id) only; a row with only an email has no key for it: 422 before any states rule.
 */
const emailIsNoKey = (token: TokenKind): Outcome | undefined =>
  hasScope(token, 'directory:read')
    ? undefined
    : { status: 422, errors: [{ row: 1, field: 'externalId', message: expect.any(String) }] }

const person = (kind: ContactKind) => async (w: World, tag: string) => ({ x: [await w.person(kind, tag)] })
const x0 = (c: Cell<Setup>) => c.ids.x[0] as Person

const CASES: Case[] = [
  {
    name: 'a KG row for a new person',
    counts: result({ contacts: 1, assignments: 1 }, {}, { organizations: 1 }),
    limited: 'same',
    rows: (c) => [newPerson(c.tag)],
    written: (c) => expect(tenuresAt(c.w, contactIdOf(c.w, `new-${c.tag}`), 'KG')).toBe(1),
    absent: (c) => expect(contactIdOf(c.w, `new-${c.tag}`)).toBeUndefined(),
  },
  {
    name: 'a KZ row for a new person',
    counts: result({ contacts: 1, assignments: 1 }, {}, { organizations: 1 }),
    limited: refused(OTHER_STATE(1, 'KZ')),
    rows: (c) => [
      newPerson(c.tag, { stateCode: 'KZ', organization: 'Ministry of Foreign Affairs of Kazakhstan' }),
    ],
    written: (c) => expect(tenuresAt(c.w, contactIdOf(c.w, `new-${c.tag}`), 'KZ')).toBe(1),
    absent: (c) => expect(contactIdOf(c.w, `new-${c.tag}`)).toBeUndefined(),
  },
  {
    name: 'a row at an international body (no state)',
    counts: result({ contacts: 1, assignments: 1 }, {}, { organizations: 1 }),
    limited: refused(NO_STATE(1)),
    rows: (c) => [
      newPerson(c.tag, { stateCode: '', organization: 'IAEA', organizationKind: 'international' }),
    ],
    written: (c) => expect(tenuresAt(c.w, contactIdOf(c.w, `new-${c.tag}`), null)).toBe(1),
    absent: (c) => expect(contactIdOf(c.w, `new-${c.tag}`)).toBeUndefined(),
  },
  {
    name: 'a row for a new person without any post (no state)',
    counts: result({ contacts: 1 }),
    limited: refused(NO_STATE(1)),
    rows: (c) => [{ externalId: `new-${c.tag}`, familyName: `New ${c.tag}` }],
    written: (c) => expect(contactIdOf(c.w, `new-${c.tag}`)).toEqual(expect.any(String)),
    absent: (c) => expect(contactIdOf(c.w, `new-${c.tag}`)).toBeUndefined(),
  },
  ...KINDS.map(
    (kind): Case => ({
      name: `a KG row whose externalId matches ${CONTACT_KINDS[kind].label}`,
      counts: result({ assignments: 1 }, {}, { organizations: 1, contacts: 1 }),
      limited: CONTACT_KINDS[kind].kg ? 'same' : refused(ASSIGNED_ELSEWHERE(1, 'externalId')),
      setup: person(kind),
      rows: (c) => [byExternalId(x0(c), c.tag)],
      written: (c) => expect(tenuresAt(c.w, x0(c).id, 'KG')).toBe(1),
      absent: (c) => expect(tenuresAt(c.w, x0(c).id, 'KG')).toBe(0),
    }),
  ),
  ...KINDS.map(
    (kind): Case => ({
      name: `a KG row whose email matches ${CONTACT_KINDS[kind].label}`,
      counts: result({ assignments: 1 }, {}, { organizations: 1, contacts: 1 }),
      limited: CONTACT_KINDS[kind].kg ? 'same' : refused(ASSIGNED_ELSEWHERE(1, 'email')),
      override: emailIsNoKey,
      setup: person(kind),
      rows: (c) => [byEmail(x0(c), c.tag)],
      written: (c) => expect(tenuresAt(c.w, x0(c).id, 'KG')).toBe(1),
      absent: (c) => expect(tenuresAt(c.w, x0(c).id, 'KG')).toBe(0),
    }),
  ),
  ...(['KG', 'KZ'] as const).map(
    (state): Case => ({
      name: `a KG row whose externalId is the record id of a contact assigned only in ${state} (as an export writes it)`,
      counts: result({ assignments: 1 }, {}, { organizations: 1, contacts: 1 }),
      limited: state === 'KG' ? 'same' : refused(ASSIGNED_ELSEWHERE(1, 'externalId')),
      setup: async (w, tag) => {
        const id = await w.post('/v1/contacts', { familyName: `Person ${tag}` })
        await w.post('/v1/assignments', {
          contactId: id,
          organizationId: state === 'KG' ? w.orgKG : w.orgKZ,
          roleId: w.role('legal-poc'),
          startDate: '2020-01-01',
        })
        return { x: [{ id, externalId: id, email: '' }] }
      },
      rows: (c) => [byExternalId(x0(c), c.tag)],
      written: (c) => expect(tenuresAt(c.w, x0(c).id, 'KG')).toBe(1),
      absent: (c) => expect(tenuresAt(c.w, x0(c).id, 'KG')).toBe(0),
    }),
  ),
  {
    name: 'a file with a KZ row and a KG row matching a KZ-only person: the states of rows first (row 3)',
    counts: result({ contacts: 2, assignments: 3 }, {}, { organizations: 2, contacts: 1 }),
    limited: refused(OTHER_STATE(3, 'KZ')),
    setup: person('KZ'),
    rows: (c) => [
      newPerson(c.tag),
      byExternalId(x0(c), c.tag),
      newPerson(`${c.tag}-kz`, {
        stateCode: 'KZ',
        organization: 'Ministry of Foreign Affairs of Kazakhstan',
      }),
    ],
    written: (c) => expect(tenuresAt(c.w, x0(c).id, 'KG')).toBe(1),
    absent: (c) => expect(contactIdOf(c.w, `new-${c.tag}`)).toBeUndefined(),
  },
  {
    name: 'an all-KG file whose rows 2 and 3 match people assigned only in KZ and only internationally',
    counts: result({ contacts: 1, assignments: 4 }, {}, { organizations: 1, contacts: 3 }),
    limited: refused(ASSIGNED_ELSEWHERE(2, 'externalId'), ASSIGNED_ELSEWHERE(3, 'externalId')),
    setup: async (w, tag) => ({
      x: [
        await w.person('KZ', `${tag}-a`),
        await w.person('intl', `${tag}-b`),
        await w.person('exKG', `${tag}-c`),
      ],
    }),
    rows: (c) => [newPerson(c.tag), ...c.ids.x.map((x, i) => byExternalId(x, `${c.tag}-${'abc'[i]}`))],
    written: (c) => {
      for (const x of c.ids.x) expect(tenuresAt(c.w, x.id, 'KG')).toBe(1)
    },
    absent: (c) => {
      expect(contactIdOf(c.w, `new-${c.tag}`)).toBeUndefined()
      for (const x of c.ids.x) expect(tenuresAt(c.w, x.id, 'KG')).toBe(0)
    },
  },
]

const ops = CASES.flatMap((k) =>
  [true, false].map(
    (dryRun): Op<Setup> => ({
      name: k.name,
      path: dryRun ? 'import, dry run' : 'import',
      scope: 'directory:import',
      unrestricted: { status: 200 },
      limited: k.limited,
      override: k.override,
      setup: k.setup ?? (async () => ({ x: [] })),
      rollsBack: true,
      dryRun,
      send: (c) => send.csv(c, toCsv(k.rows(c)), dryRun),
      verify: (c, res) => {
        expect(res.json()).toEqual({ ...k.counts, dryRun })
        if (dryRun) k.absent(c)
        else k.written(c)
      },
    }),
  ),
)

/** As for every write: Fastify parses the body before the auth hook refuses the token or scope. */
const unparsable: Op<undefined>[] = [
  {
    name: 'an import sent as text/plain (the token and scope first, then 415)',
    path: 'import',
    scope: 'directory:import',
    unrestricted: { status: 415 },
    limited: 'body',
    rollsBack: true,
    send: (c) =>
      c.w.t.app.inject({
        method: 'POST',
        url: '/v1/imports',
        headers: { ...c.headers, 'content-type': 'text/plain' },
        payload: toCsv([newPerson(c.tag)]),
      }),
  },
]

runMatrix('write matrix: imports', [...ops, ...unparsable])
