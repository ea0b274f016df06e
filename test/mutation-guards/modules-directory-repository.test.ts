import { describe, expect, it } from 'vitest'
import { type Db, openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { encodeCursor } from '../../src/lib/pagination.js'
import { createRecord, type WriteContext } from '../../src/lib/write-path.js'
import {
  type DirectoryFilter,
  listDirectory,
  listTenures,
} from '../../src/modules/directory/directory-repository.js'

/**
 * src/modules/directory/directory-repository.ts called directly on a fresh migrated and seeded
 * database per test (no app, so a mutant costs milliseconds): who holds a role on `asOf`
 * ([startDate, endDate)), the page order (role key, primary first, startDate, id), every filter,
 * paging through the segments at every page size, search, and the tenure lists.
 */

const ctx: WriteContext = { actor: 'guard', requestId: 'guard-request' }
const DAY = '2030-05-15'

function fresh() {
  const db = openDatabase(':memory:')
  runMigrations(db)
  seed(db)
  let n = 0
  const id = (prefix: string) => `${prefix}-${String(++n).padStart(3, '0')}`
  const roleOf = (key: string) =>
    db.$client.prepare('select id from roles where key = ?').pluck().get(key) as string
  const org = (name: string, stateCode: string | null, email?: { value: string; restricted?: boolean }) =>
    createRecord(db, ctx, 'organization', {
      id: id('org'),
      name,
      acronym: null,
      kind: stateCode ? 'government' : 'international',
      stateCode,
      parentId: null,
      website: null,
      contactDetails: email
        ? [
            {
              type: 'email',
              value: email.value,
              label: null,
              visibility: email.restricted ? 'restricted' : 'public',
            },
          ]
        : [],
      externalId: null,
      lastVerifiedAt: null,
    })
  const person = (familyName: string, restrictedEmail?: string) =>
    createRecord(db, ctx, 'contact', {
      id: id('con'),
      honorific: null,
      givenName: null,
      familyName,
      displayName: familyName,
      nameOriginal: null,
      nameLatin: null,
      positionTitle: null,
      languages: [],
      contactDetails: restrictedEmail
        ? [{ type: 'email', value: restrictedEmail, label: null, visibility: 'restricted' }]
        : [],
      notes: null,
      externalId: null,
      lastVerifiedAt: null,
    })
  const assign = (
    contactId: string,
    role: string,
    organization: { id: string; stateCode: string | null },
    body: { startDate?: string; endDate?: string | null; isPrimary?: boolean; idPrefix?: string } = {},
  ) =>
    createRecord(db, ctx, 'assignment', {
      id: id(body.idPrefix ?? 'asg'),
      contactId,
      roleId: roleOf(role),
      organizationId: organization.id,
      stateCode: organization.stateCode,
      startDate: body.startDate ?? '2020-01-01',
      endDate: body.endDate ?? null,
      endReason: null,
      isPrimary: body.isPrimary ?? false,
      succeededBy: null,
      designationRef: null,
      designationDate: null,
    })
  const remove = (table: string, rowId: string) =>
    db.$client
      .prepare(`update ${table} set deleted_at = ? where id = ?`)
      .run('2030-01-01T00:00:00.000Z', rowId)
  return { db, roleOf, org, person, assign, remove }
}

const ids = (page: { items: { assignment: { id: string } }[] }) => page.items.map((e) => e.assignment.id)

/** Every page at page size `limit`, following the cursors; the items' assignment ids in order. */
function walk(db: Db, filter: Omit<DirectoryFilter, 'limit' | 'cursor'>, limit: number) {
  const all: string[] = []
  let cursor: string | undefined
  for (let i = 0; i < 50; i++) {
    const page = listDirectory(db, { ...filter, limit, cursor })
    expect(page.items.length).toBeLessThanOrEqual(limit)
    all.push(...ids(page))
    if (page.nextCursor === null) return all
    cursor = page.nextCursor
  }
  throw new Error('paging did not end')
}

describe('who holds a role on asOf', () => {
  it('a tenure starting on the day or ending after it counts; ending on the day or starting after it does not', () => {
    const f = fresh()
    const kg = f.org('Ministry KG', 'KG')
    const who = f.person('Holder').id
    const a = {
      startsToday: f.assign(who, 'national-poc', kg, { startDate: DAY }).id,
      endsToday: f.assign(who, 'national-poc', kg, { endDate: DAY }).id,
      endsTomorrow: f.assign(who, 'national-poc', kg, { startDate: '2020-01-02', endDate: '2030-05-16' }).id,
      startsTomorrow: f.assign(who, 'national-poc', kg, { startDate: '2030-05-16' }).id,
      endedYesterday: f.assign(who, 'national-poc', kg, { endDate: '2030-05-14' }).id,
      open: f.assign(who, 'national-poc', kg, { startDate: '2019-12-31' }).id,
    }
    const expected = [a.open, a.endsTomorrow, a.startsToday]
    expect(ids(listDirectory(f.db, { asOf: DAY, limit: 50 }))).toEqual(expected)
    // The search path applies the same rule.
    expect(
      ids(listDirectory(f.db, { asOf: DAY, limit: 50, search: { q: 'holder', seeRestricted: false } })),
    ).toEqual(expected)
    // The day before, the one ending today was held; the one starting today was not yet, and
    // the one ending that day was not either.
    expect(ids(listDirectory(f.db, { asOf: '2030-05-14', limit: 50 }))).toEqual([
      a.open,
      a.endsToday,
      a.endsTomorrow,
    ])
    expect(ids(listDirectory(f.db, { asOf: '2030-05-13', limit: 50 }))).toEqual([
      a.open,
      a.endsToday,
      a.endedYesterday,
      a.endsTomorrow,
    ])
  })

  it('leaves out deleted assignments, deleted contacts and deleted organizations', () => {
    const f = fresh()
    const kg = f.org('Ministry KG', 'KG')
    const other = f.org('Agency KG', 'KG')
    const kept = f.assign(f.person('Kept').id, 'national-poc', kg).id
    f.remove('assignments', f.assign(f.person('Gone assignment').id, 'national-poc', kg).id)
    const goneContact = f.person('Gone contact').id
    f.assign(goneContact, 'national-poc', kg)
    f.remove('contacts', goneContact)
    f.assign(f.person('Gone org').id, 'national-poc', other)
    f.remove('organizations', other.id)
    expect(ids(listDirectory(f.db, { asOf: DAY, limit: 50 }))).toEqual([kept])
    expect(
      ids(listDirectory(f.db, { asOf: DAY, limit: 50, search: { q: 'gone', seeRestricted: false } })),
    ).toEqual([])
  })

  it('a deleted role is left out', () => {
    const f = fresh()
    const kg = f.org('Ministry KG', 'KG')
    const kept = f.assign(f.person('Kept').id, 'national-poc', kg).id
    f.assign(f.person('Other').id, 'mission-poc', kg)
    f.remove('roles', f.roleOf('mission-poc'))
    expect(ids(listDirectory(f.db, { asOf: DAY, limit: 50 }))).toEqual([kept])
    expect(walk(f.db, { asOf: DAY }, 1)).toEqual([kept])
  })
})

/** Two states, two organizations in KG, three roles, primaries and others, back-to-back holders. */
function directory() {
  const f = fresh()
  const kg = f.org('Customs KG', 'KG')
  const kg2 = f.org('Ministry KG', 'KG')
  const kz = f.org('Customs KZ', 'KZ')
  const intl = f.org('Agency', null)
  const p = (name: string) => f.person(name).id
  const a = {
    // national-poc in KG: two primaries (back to back: one ends today, its successor starts
    // today), then others by start date, then id.
    natPrimaryOld: f.assign(p('Alpha'), 'national-poc', kg, { isPrimary: true, endDate: DAY }).id,
    natPrimaryNew: f.assign(p('Bravo'), 'national-poc', kg, { isPrimary: true, startDate: DAY }).id,
    natPrimary2: f.assign(p('Charlie'), 'national-poc', kg2, { isPrimary: true, startDate: '2021-01-01' }).id,
    natOther1: f.assign(p('Delta'), 'national-poc', kg, { startDate: '2022-01-01' }).id,
    natOther2: f.assign(p('Echo'), 'national-poc', kg2, { startDate: '2019-01-01' }).id,
    natOther3: f.assign(p('Foxtrot'), 'national-poc', kg, { startDate: '2019-01-01' }).id,
    // mission-poc in KG: one other only.
    misOther: f.assign(p('Golf'), 'mission-poc', kg2, { startDate: '2018-01-01' }).id,
    // technical-poc in KG: a primary and an other.
    techPrimary: f.assign(p('Hotel'), 'technical-poc', kg, { isPrimary: true }).id,
    techOther: f.assign(p('India'), 'technical-poc', kg).id,
    // Elsewhere.
    kzNat: f.assign(p('Juliett'), 'national-poc', kz, { isPrimary: true }).id,
    kzMis: f.assign(p('Kilo'), 'mission-poc', kz).id,
    intlNat: f.assign(p('Lima'), 'national-poc', intl).id,
  }
  return { f, kg, kg2, kz, intl, a }
}

describe('page order and filters', () => {
  it('orders by role key, primary first, startDate, id', () => {
    const { f, a } = directory()
    const kgOrder = [
      // mission-poc < national-poc < technical-poc
      a.misOther,
      a.natPrimary2,
      a.natPrimaryNew,
      a.natOther3,
      a.natOther2,
      a.natOther1,
      a.techPrimary,
      a.techOther,
    ]
    // natOther3 and natOther2 start on the same day: by id, and natOther2 has the smaller id.
    kgOrder.splice(3, 2, a.natOther2, a.natOther3)
    expect(ids(listDirectory(f.db, { asOf: DAY, state: 'KG', limit: 50 }))).toEqual(kgOrder)
    const everything = ids(listDirectory(f.db, { asOf: DAY, limit: 50 }))
    expect(everything).toEqual([
      a.misOther,
      a.kzMis,
      a.kzNat,
      a.natPrimary2,
      a.natPrimaryNew,
      a.natOther2,
      a.natOther3,
      a.intlNat,
      a.natOther1,
      a.techPrimary,
      a.techOther,
    ])
    // The day before: the old primary holds, its successor not yet.
    expect(
      ids(
        listDirectory(f.db, { asOf: '2030-05-14', state: 'KG', roleId: f.roleOf('national-poc'), limit: 50 }),
      ),
    ).toEqual([a.natPrimaryOld, a.natPrimary2, a.natOther2, a.natOther3, a.natOther1])
  })

  it('filters by state, organization and role, alone and together, on both paths', () => {
    const { f, kg, kg2, kz, a } = directory()
    const nat = f.roleOf('national-poc')
    const cases: [Omit<DirectoryFilter, 'limit' | 'asOf'>, string[]][] = [
      [{ state: 'KZ' }, [a.kzMis, a.kzNat]],
      [{ organizationId: kg2.id }, [a.misOther, a.natPrimary2, a.natOther2]],
      [
        { roleId: nat },
        [a.kzNat, a.natPrimary2, a.natPrimaryNew, a.natOther2, a.natOther3, a.intlNat, a.natOther1],
      ],
      [{ state: 'KG', roleId: nat }, [a.natPrimary2, a.natPrimaryNew, a.natOther2, a.natOther3, a.natOther1]],
      [{ organizationId: kg.id, roleId: nat }, [a.natPrimaryNew, a.natOther3, a.natOther1]],
      [{ state: 'KZ', organizationId: kg.id }, []],
      [{ organizationId: kz.id, roleId: f.roleOf('mission-poc') }, [a.kzMis]],
    ]
    for (const [filter, expected] of cases) {
      expect(ids(listDirectory(f.db, { asOf: DAY, limit: 50, ...filter })), JSON.stringify(filter)).toEqual(
        expected,
      )
      for (const limit of [1, 2, 3]) {
        expect(walk(f.db, { asOf: DAY, ...filter }, limit), `${JSON.stringify(filter)} by ${limit}`).toEqual(
          expected,
        )
      }
    }
    // With a search every holder here matches "customs" through the organization or nobody does.
    const customs = { q: 'customs', seeRestricted: false }
    expect(ids(listDirectory(f.db, { asOf: DAY, limit: 50, search: customs, state: 'KZ' }))).toEqual([
      a.kzMis,
      a.kzNat,
    ])
    expect(
      ids(listDirectory(f.db, { asOf: DAY, limit: 50, search: customs, organizationId: kg2.id })),
    ).toEqual([])
    expect(
      ids(listDirectory(f.db, { asOf: DAY, limit: 50, search: customs, roleId: f.roleOf('technical-poc') })),
    ).toEqual([a.techPrimary, a.techOther])
    expect(
      ids(
        listDirectory(f.db, {
          asOf: DAY,
          limit: 50,
          search: customs,
          state: 'KG',
          organizationId: kg.id,
          roleId: nat,
        }),
      ),
    ).toEqual([a.natPrimaryNew, a.natOther3, a.natOther1])
  })

  it('pages through every segment at every page size, the same as one page', () => {
    const { f } = directory()
    const full = ids(listDirectory(f.db, { asOf: DAY, limit: 50 }))
    expect(full).toHaveLength(11)
    for (let limit = 1; limit <= 12; limit++) {
      expect(walk(f.db, { asOf: DAY }, limit), `page size ${limit}`).toEqual(full)
      expect(walk(f.db, { asOf: DAY, state: 'KG' }, limit), `KG by ${limit}`).toEqual(
        ids(listDirectory(f.db, { asOf: DAY, state: 'KG', limit: 50 })),
      )
    }
    const search = { q: 'customs', seeRestricted: false }
    const found = ids(listDirectory(f.db, { asOf: DAY, limit: 50, search }))
    expect(found).toHaveLength(7)
    for (let limit = 1; limit <= 8; limit++) {
      expect(walk(f.db, { asOf: DAY, search }, limit), `search by ${limit}`).toEqual(found)
    }
  })

  it('a page that ends exactly at a segment end still has a cursor, and the next page starts the next segment', () => {
    const { f, a } = directory()
    // KG: mission (1) | national primaries (2) | national others (3) | technical primary (1) | other (1)
    const first = listDirectory(f.db, { asOf: DAY, state: 'KG', limit: 3 })
    expect(ids(first)).toEqual([a.misOther, a.natPrimary2, a.natPrimaryNew])
    expect(first.nextCursor).not.toBeNull()
    const second = listDirectory(f.db, {
      asOf: DAY,
      state: 'KG',
      limit: 3,
      cursor: first.nextCursor ?? undefined,
    })
    expect(ids(second)).toEqual([a.natOther2, a.natOther3, a.natOther1])
    const third = listDirectory(f.db, {
      asOf: DAY,
      state: 'KG',
      limit: 3,
      cursor: second.nextCursor ?? undefined,
    })
    expect(ids(third)).toEqual([a.techPrimary, a.techOther])
    expect(third.nextCursor).toBeNull()
  })

  it('a cursor whose role was deleted goes on with the next role; one for another role than the filter goes on after it', () => {
    const { f, a } = directory()
    const first = listDirectory(f.db, { asOf: DAY, state: 'KG', limit: 1 })
    expect(ids(first)).toEqual([a.misOther])
    f.remove('roles', f.roleOf('mission-poc'))
    const next = listDirectory(f.db, {
      asOf: DAY,
      state: 'KG',
      limit: 2,
      cursor: first.nextCursor ?? undefined,
    })
    expect(ids(next)).toEqual([a.natPrimary2, a.natPrimaryNew])

    const g = directory()
    const nat = g.f.roleOf('national-poc')
    const tech = g.f.roleOf('technical-poc')
    const atNat = listDirectory(g.f.db, { asOf: DAY, state: 'KG', roleId: nat, limit: 1 })
    expect(ids(atNat)).toEqual([g.a.natPrimary2])
    // A national-poc cursor used with the technical-poc filter: its role is not the filter's,
    // so only later roles are read, and technical-poc comes after national-poc.
    expect(
      ids(
        listDirectory(g.f.db, {
          asOf: DAY,
          state: 'KG',
          roleId: tech,
          limit: 5,
          cursor: atNat.nextCursor ?? undefined,
        }),
      ),
    ).toEqual([g.a.techPrimary, g.a.techOther])
    // The same cursor with the mission-poc filter: mission-poc sorts before, so nothing is left.
    expect(
      ids(
        listDirectory(g.f.db, {
          asOf: DAY,
          state: 'KG',
          roleId: g.f.roleOf('mission-poc'),
          limit: 5,
          cursor: atNat.nextCursor ?? undefined,
        }),
      ),
    ).toEqual([])
  })

  it('a signed cursor that does not hold a sort key is refused as a cursor error, on both paths', () => {
    const f = fresh()
    for (const key of ['not json', '["national-poc",0,"2020-01-01"]', '{"k":1}', '["a","0","b","c"]']) {
      const cursor = encodeCursor(f.db, key)
      for (const search of [undefined, { q: 'x', seeRestricted: false }]) {
        expect(() => listDirectory(f.db, { asOf: DAY, limit: 5, cursor, search })).toThrow(
          expect.objectContaining({
            status: 400,
            message: 'cursor: is not a cursor this service issued',
          }),
        )
      }
    }
  })
})

describe('search', () => {
  it('each word may match the contact or the organization, and every word must match', () => {
    const f = fresh()
    const customs = f.org('State Customs Service', 'KG')
    const ministry = f.org('Ministry of Foreign Affairs', 'KG')
    const rustamCustoms = f.assign(f.person('Rustam').id, 'national-poc', customs).id
    const rustamMinistry = f.assign(f.person('Rustamov').id, 'mission-poc', ministry).id
    const other = f.assign(f.person('Aigul').id, 'national-poc', customs).id
    const search = (q: string) =>
      ids(listDirectory(f.db, { asOf: DAY, limit: 50, search: { q, seeRestricted: false } }))
    expect(search('rustam customs')).toEqual([rustamCustoms])
    expect(search('rustam')).toEqual([rustamMinistry, rustamCustoms])
    expect(search('customs')).toEqual([rustamCustoms, other])
    expect(search('aigul ministry')).toEqual([])
  })

  it('finds a holder by a restricted e-mail only when restricted details may be seen', () => {
    const f = fresh()
    const kg = f.org('Ministry KG', 'KG', { value: 'desk@hidden-org.example', restricted: true })
    const byContact = f.assign(f.person('Person', 'secret@hidden-person.example').id, 'national-poc', kg).id
    const search = (q: string, seeRestricted: boolean) =>
      ids(listDirectory(f.db, { asOf: DAY, limit: 50, search: { q, seeRestricted } }))
    expect(search('hidden-person', false)).toEqual([])
    expect(search('hidden-person', true)).toEqual([byContact])
    expect(search('hidden-org', false)).toEqual([])
    expect(search('hidden-org', true)).toEqual([byContact])
  })
})

describe('entries', () => {
  it('each entry carries its assignment, role, contact and organization as stored', () => {
    const f = fresh()
    const kg = f.org('Ministry KG', 'KG')
    const who = f.person('Holder')
    const held = f.assign(who.id, 'national-poc', kg, { isPrimary: true, startDate: '2024-02-03' })
    const [entry] = listDirectory(f.db, { asOf: DAY, limit: 5 }).items
    expect(entry).toEqual({
      assignment: { ...held },
      role: expect.objectContaining({ id: f.roleOf('national-poc'), key: 'national-poc', deletedAt: null }),
      contact: { ...who },
      organization: { ...kg },
    })
    expect(entry?.assignment.isPrimary).toBe(true)
    const [tenure] = listTenures(f.db, { contactId: who.id }, { limit: 5 }).items
    expect(tenure).toEqual(entry)
  })
})

describe('tenure lists', () => {
  it('a contact’s or an organization’s live tenures, current and ended, in id order, page by page', () => {
    const f = fresh()
    const kg = f.org('Ministry KG', 'KG')
    const kz = f.org('Ministry KZ', 'KZ')
    const who = f.person('Holder').id
    const someone = f.person('Someone').id
    const t1 = f.assign(who, 'national-poc', kg, { endDate: '2021-01-01' }).id
    const t2 = f.assign(someone, 'national-poc', kg).id
    const t3 = f.assign(who, 'mission-poc', kz, { startDate: '2040-01-01' }).id
    f.remove('assignments', f.assign(who, 'technical-poc', kg).id)
    const t5 = f.assign(who, 'technical-poc', kg, { isPrimary: true }).id
    const walkTenures = (owner: { contactId: string } | { organizationId: string }, limit: number) => {
      const all: string[] = []
      let cursor: string | undefined
      for (let i = 0; i < 20; i++) {
        const page = listTenures(f.db, owner, { limit, cursor })
        expect(page.items.length).toBeLessThanOrEqual(limit)
        all.push(...ids(page))
        if (page.nextCursor === null) return all
        cursor = page.nextCursor
      }
      throw new Error('paging did not end')
    }
    for (const limit of [1, 2, 3, 10]) {
      expect(walkTenures({ contactId: who }, limit)).toEqual([t1, t3, t5])
      expect(walkTenures({ organizationId: kg.id }, limit)).toEqual([t1, t2, t5])
      expect(walkTenures({ organizationId: kz.id }, limit)).toEqual([t3])
      expect(walkTenures({ contactId: someone }, limit)).toEqual([t2])
    }
    const first = listTenures(f.db, { contactId: who }, { limit: 2 })
    expect(ids(first)).toEqual([t1, t3])
    expect(
      ids(listTenures(f.db, { contactId: who }, { limit: 2, cursor: first.nextCursor ?? undefined })),
    ).toEqual([t5])
  })
})
