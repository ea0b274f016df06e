/**
 * Page cost of the lists (issue #11, item 2): the same first page of 20 timed on an app holding
 * 20 records of each kind and on one holding 20,000, interleaved, lower quartiles compared; the
 * bar is ≤ 1.5×. The ranked search and the coverage count still grow with the data
 * (docs/development.md, "Page cost and query plans"): their figures are printed, not barred.
 *
 * In-process through `app.inject` with the read cache off, so the figure is the query's, not the
 * socket's. From bench/run.ts, or alone: `npx tsx bench/list-page-cost.ts`.
 * `test/memory/page-cost.test.ts` checks the same lists answer the same records whichever way a
 * page is read, and `test/memory/list-plans.test.ts` the query plans; timing lives here only.
 */
import { pathToFileURL } from 'node:url'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { type Db, openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'
import { seed } from '../src/db/seed.js'
import { ensureSearchIndex } from '../src/lib/search-index.js'

export const OLD = '2025-01-01T00:00:00.000Z'
export const RECENT = '2026-01-01T00:00:00.000Z'
export const pageCostId = (kind: 'a' | 'b' | 'c', i: number) =>
  `${kind}${i.toString(16).padStart(7, '0')}-0000-7000-8000-000000000000`
const id = pageCostId

/**
 * `n` holders in the United States, each a current national PoC of one ministry, every other one
 * with an ended alternate tenure too; `n` organizations in France, the last 20 of them academic
 * (the others NGOs); the last 20 contacts, organizations and current tenures updated recently.
 * Written in one transaction, then indexed for search.
 */
export function populatePageCost(db: Db, n: number): void {
  const c = db.$client
  const roleId = (key: string) =>
    c.prepare('select id from roles where key = ? and deleted_at is null').pluck().get(key) as string
  const national = roleId('national-poc')
  const alternate = roleId('alternate-poc')
  const org = c.prepare(
    `insert into organizations (id, name, kind, state_code, contact_details, created_at, updated_at)
     values (?, ?, ?, ?, '[]', ?, ?)`,
  )
  const contact = c.prepare(
    `insert into contacts (id, family_name, display_name, languages, contact_details, created_at, updated_at)
     values (?, ?, ?, '[]', '[]', ?, ?)`,
  )
  const tenure = c.prepare(
    `insert into assignments (id, contact_id, role_id, organization_id, state_code, start_date, end_date, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  c.transaction(() => {
    const ministry = id('b', 0)
    org.run(ministry, 'Ministry of Foreign Affairs', 'government', 'US', OLD, OLD)
    let a = 0
    for (let i = 1; i <= n; i++) {
      const at = i > n - 20 ? RECENT : OLD
      org.run(id('b', i), `Institute ${i}`, i > n - 20 ? 'academic' : 'ngo', 'FR', OLD, at)
      contact.run(id('c', i), `Holder ${i}`, `Holder ${i}`, OLD, at)
      tenure.run(id('a', ++a), id('c', i), national, ministry, 'US', '2020-01-01', null, OLD, at)
      if (i % 2 === 0) {
        tenure.run(id('a', ++a), id('c', i), alternate, ministry, 'US', '2018-01-01', '2020-01-01', OLD, OLD)
      }
    }
  })()
  ensureSearchIndex(db)
}

type App = Awaited<ReturnType<typeof buildApp>>

async function appOver(n: number): Promise<App> {
  const config = loadConfig({
    JWT_SECRET: 'bench-secret-0123456789-abcdefghijklmnop',
    DATABASE_PATH: ':memory:',
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'silent',
    READ_CACHE_MB: '0',
  })
  const db = openDatabase(config.databasePath)
  runMigrations(db)
  seed(db)
  populatePageCost(db, n)
  const app = await buildApp({ config, db })
  await app.ready()
  return app
}

/** The lower quartile: on a shared machine the slow samples measure the neighbours, not the page. */
const quartile = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 4)] as number

async function timePage(small: App, large: App, url: string) {
  const once = async (app: App) => {
    const start = process.hrtime.bigint()
    const res = await app.inject({ method: 'GET', url })
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    return ms
  }
  for (let i = 0; i < 20; i++) await Promise.all([once(small), once(large)])
  const times = { small: [] as number[], large: [] as number[] }
  for (let i = 0; i < 100; i++) {
    times.small.push(await once(small))
    times.large.push(await once(large))
  }
  return { small: quartile(times.small), large: quartile(times.large) }
}

export const LARGE = 20_000

/** Prints each list's figures; answers whether every barred list is within 1.5×. */
export async function listPageCost(): Promise<boolean> {
  const [small, large] = [await appOver(20), await appOver(LARGE)]
  let met = true
  try {
    const barred: [string, string][] = [
      ['contacts of a state', '/v1/contacts?state=US&limit=20'],
      ['contacts of a state, ended tenures too', '/v1/contacts?state=US&current=false&limit=20'],
      ['contacts of an organization', `/v1/contacts?organization=${id('b', 0)}&limit=20`],
      ['contacts of a role', '/v1/contacts?role=national-poc&limit=20'],
      ['contacts updated since', `/v1/contacts?updatedSince=${RECENT}&limit=20`],
      ['assignments updated since', `/v1/assignments?updatedSince=${RECENT}&limit=20`],
      ['organizations of a kind', '/v1/organizations?kind=academic&limit=20'],
      ['organizations updated since', `/v1/organizations?updatedSince=${RECENT}&limit=20`],
    ]
    const unbarred: [string, string][] = [
      ['ranked search (grows with the matches)', '/v1/contacts?q=holder&limit=20'],
      ['coverage of one state (grows with its holders)', '/v1/reports/coverage?state=US'],
    ]
    for (const [name, url] of [...barred, ...unbarred]) {
      const { small: s, large: l } = await timePage(small, large, url)
      const isBarred = barred.some(([, u]) => u === url)
      if (isBarred && l / s > 1.5) met = false
      console.log(
        `list page of 20, ${name}: ${s.toFixed(2)} ms over 20, ${l.toFixed(2)} ms over ${LARGE} → ${(l / s).toFixed(2)}×${isBarred ? ` (bar ≤ 1.5: ${l / s <= 1.5 ? 'met' : 'NOT met'})` : ''}`,
      )
    }
  } finally {
    await small.close()
    await large.close()
  }
  return met
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await listPageCost()
}
