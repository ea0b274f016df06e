import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, roleId } from '../helpers/build-test-app.js'
import { type Headers, type Json, listAll, type TestApp, write, writer } from './support.js'

/**
 * A list page reads its own rows along an index, whatever the size of the state, organization or
 * table it pages through (issue #11, item 2): no page scans a table or sorts a filter's rows. Every
 * statement these lists prepare is planned with EXPLAIN QUERY PLAN, on every page.
 */
let t: TestApp
const sqls: string[] = []
let prepare: (sql: string) => { all: (...args: unknown[]) => unknown[] }
const ids: Record<string, string> = {}

beforeAll(async () => {
  // A fresh app, so every statement is prepared (and planned) while we watch.
  t = await buildTestApp()
  const client = t.db.$client
  prepare = client.prepare.bind(client) as typeof prepare
  client.prepare = ((sql: string) => {
    sqls.push(sql)
    return prepare(sql)
  }) as typeof client.prepare
  const w: Headers = await writer('plan-writer')
  const org = await write(t, 'POST', '/v1/organizations', w, {
    name: 'MFA',
    kind: 'government',
    stateCode: 'KG',
  })
  const customs = await write(t, 'POST', '/v1/organizations', w, {
    name: 'Customs',
    kind: 'government',
    stateCode: 'KG',
  })
  ids.org = org.id
  for (let i = 0; i < 3; i++) {
    const person: Json = await write(t, 'POST', '/v1/contacts', w, { familyName: `Planned ${i}` })
    ids.contact = person.id
    ids[`contact${i}`] = person.id
    await write(t, 'POST', '/v1/assignments', w, {
      contactId: person.id,
      organizationId: org.id,
      roleId: roleId(t.db, i === 0 ? 'national-poc' : 'alternate-poc'),
      startDate: `202${i}-01-01`,
    })
  }
  // The last person holds a second post and has a history of three writes.
  await write(t, 'POST', '/v1/assignments', w, {
    contactId: ids.contact,
    organizationId: customs.id,
    roleId: roleId(t.db, 'technical-poc'),
    startDate: '2024-01-01',
  })
  for (const positionTitle of ['Counsellor', 'Head of Division']) {
    await write(
      t,
      'PATCH',
      `/v1/contacts/${ids.contact}`,
      { ...w, 'content-type': 'application/merge-patch+json' },
      {
        positionTitle,
      },
    )
  }
})
afterAll(() => t.close())

/** The plan of `sql`, one `detail` line per step, parameters bound to null. */
function planOf(sql: string): string {
  const names = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], null]))
  const positional = (sql.match(/\?/g) ?? []).length
  const args = positional > 0 ? Array(positional).fill(null) : Object.keys(names).length > 0 ? [names] : []
  return (prepare(`explain query plan ${sql}`).all(...args) as { detail: string }[])
    .map((r) => r.detail)
    .join(' | ')
}

const TABLE = '(contacts|organizations|assignments|revisions|states|roles)'
// A filtered page searches an index range; only an unfiltered one may walk a table's primary key
// in its own order under a LIMIT (`SCAN states USING INDEX …`), and no page scans a bare table.
const ANY_SCAN = new RegExp(`\\bSCAN ${TABLE}\\b`)
const BARE_SCAN = new RegExp(`\\bSCAN ${TABLE}\\b(?! USING)`)

/** Plans every statement the pages of `url` (one item each) prepare. */
async function expectIndexedPages(url: string, scan: RegExp, walks: string) {
  sqls.length = 0
  const items = await listAll(t, `${url}${url.includes('?') ? '&' : '?'}limit=1`)
  expect(items.length).toBeGreaterThan(1)
  const reads = sqls.filter((sql) => /^\s*select/i.test(sql) && !/cursor-key|max\(seq\)/.test(sql))
  expect(reads.length).toBeGreaterThan(0)
  for (const sql of reads) {
    const plan = planOf(sql)
    expect(plan, sql).not.toMatch(/TEMP B-TREE/)
    expect(plan, sql).not.toMatch(scan)
    // `id in (select …)` materialises every matching row before the page is taken; only the
    // ids of a narrow updatedSince window (fewer than FEW_UPDATED, counted first) may be.
    const bounded =
      /LIST SUBQUERY \d+ \| SEARCH \w+ USING (COVERING )?INDEX \w+_updated(_id)?_idx \(updated_at>\?\)/
    expect(plan.replace(bounded, ''), sql).not.toMatch(/LIST SUBQUERY/)
  }
  // The page itself is read along the filter's own index, in the list's order.
  expect(reads.map(planOf).join(' || ')).toContain(walks)
}

describe('list pages read along an index', () => {
  it.each([
    [
      'organizations of a state',
      () => '/v1/organizations?state=KG',
      ANY_SCAN,
      'organizations_state_id_idx (state_code=?',
    ],
    [
      'organizations of a kind',
      () => '/v1/organizations?kind=government',
      ANY_SCAN,
      'organizations_kind_id_idx (kind=?',
    ],
    [
      'contacts of a state',
      () => '/v1/contacts?state=KG',
      ANY_SCAN,
      'assignments_state_contact_idx (state_code=?',
    ],
    [
      'contacts of a state, ended tenures too',
      () => '/v1/contacts?state=KG&current=false',
      ANY_SCAN,
      'assignments_state_contact_idx (state_code=?',
    ],
    [
      'contacts of an organization',
      () => `/v1/contacts?organization=${ids.org}`,
      ANY_SCAN,
      'assignments_org_contact_idx (organization_id=?',
    ],
    [
      'contacts of a role',
      () => '/v1/contacts?role=alternate-poc',
      ANY_SCAN,
      'assignments_role_contact_idx (role_id=?',
    ],
    // A combination walks the narrowest filter's index and checks the others in it.
    [
      'contacts of a role in a state',
      () => '/v1/contacts?state=KG&role=alternate-poc&current=false',
      ANY_SCAN,
      'assignments_state_contact_idx (state_code=?',
    ],
    [
      'contacts of a role in an organization of a state',
      () => `/v1/contacts?state=KG&organization=${ids.org}&role=alternate-poc`,
      ANY_SCAN,
      'assignments_org_contact_idx (organization_id=?',
    ],
    // A window of fewer than FEW_UPDATED records: its ids come from the (updated_at, id) index alone.
    [
      'contacts updated since',
      () => '/v1/contacts?updatedSince=2000-01-01T00:00:00Z',
      ANY_SCAN,
      'COVERING INDEX contacts_updated_id_idx (updated_at>?)',
    ],
    // …or, on assignments, from the (updated_at) index, at most FEW_UPDATED rows.
    [
      'assignments updated since',
      () => '/v1/assignments?updatedSince=2000-01-01T00:00:00Z',
      ANY_SCAN,
      'INDEX assignments_updated_idx (updated_at>?)',
    ],
    [
      'organizations updated since',
      () => '/v1/organizations?updatedSince=2000-01-01T00:00:00Z',
      ANY_SCAN,
      'COVERING INDEX organizations_updated_id_idx (updated_at>?)',
    ],
    [
      'assignments of a state',
      () => '/v1/assignments?state=KG',
      ANY_SCAN,
      'assignments_state_id_idx (state_code=?',
    ],
    [
      'assignments of an organization',
      () => `/v1/assignments?organization=${ids.org}`,
      ANY_SCAN,
      'assignments_org_id_idx (organization_id=?',
    ],
    [
      'assignments of a contact',
      () => `/v1/assignments?contact=${ids.contact}`,
      ANY_SCAN,
      'assignments_contact_id_idx (contact_id=?',
    ],
    ['the stale report', () => '/v1/reports/stale?olderThan=PT0S', ANY_SCAN, '_stale_idx'],
    ['a record history', () => `/v1/contacts/${ids.contact}/history`, ANY_SCAN, 'revisions_entity_idx'],
    ['states', () => '/v1/states', BARE_SCAN, ''],
    ['roles', () => '/v1/roles', BARE_SCAN, ''],
  ])('%s: no table scan, no sort, no list of every match, on any page', async (_name, url, scan, walks) => {
    await expectIndexedPages(url(), scan, walks)
  })

  it('the stale report pages in the order of one sorted union of both tables, at every page size', async () => {
    const expected = (
      t.db.$client
        .prepare(
          `select entity, id from (
             select 'contact' as entity, id, coalesce(last_verified_at, created_at) as since
               from contacts where deleted_at is null
             union all
             select 'organization', id, coalesce(last_verified_at, created_at) from organizations
              where deleted_at is null)
           order by since, entity, id`,
        )
        .all() as { entity: string; id: string }[]
    ).map((r) => `${r.entity}:${r.id}`)
    expect(expected.length).toBe(5)
    for (const limit of [1, 2, 3, 500]) {
      const paged = await listAll(t, `/v1/reports/stale?olderThan=PT0S&limit=${limit}`)
      expect(paged.map((r: Json) => `${r.entity}:${r.id}`)).toEqual(expected)
    }
  })

  it('organizations of a parent: no table scan, no sort, on any page', async () => {
    // Last in the file: the stale report above counts the fixture's records.
    for (const name of ['Consular Department', 'Legal Department']) {
      await write(t, 'POST', '/v1/organizations', await writer('plan-writer'), {
        name,
        kind: 'government',
        stateCode: 'KG',
        parentId: ids.org,
      })
    }
    await expectIndexedPages(
      `/v1/organizations?parent=${ids.org}`,
      ANY_SCAN,
      'organizations_parent_id_idx (parent_id=?',
    )
  })

  it('training events and participations updated since: their ids from the updated_at index', async () => {
    const w = await writer('plan-writer')
    const event = async (title: string) =>
      write(t, 'POST', '/v1/training-events', w, {
        title,
        kind: 'other',
        startDate: '2024-03-01',
        endDate: '2024-03-02',
      })
    const first = await event('Round table')
    await event('Workshop')
    for (const contactId of [ids.contact0, ids.contact1]) {
      await write(t, 'POST', '/v1/participations', w, { eventId: first.id, contactId, status: 'attended' })
    }
    const since = 'updatedSince=2000-01-01T00:00:00Z'
    await expectIndexedPages(
      `/v1/training-events?${since}`,
      ANY_SCAN,
      'INDEX training_events_updated_idx (updated_at>?)',
    )
    await expectIndexedPages(
      `/v1/participations?${since}`,
      ANY_SCAN,
      'INDEX participations_updated_idx (updated_at>?)',
    )
  })
})
