import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportChunks } from '../../src/modules/exports/export-jobs.js'
import type { ExportJob } from '../../src/modules/exports/export-protocol.js'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { directoryRows, expectProblem, importCsv, importer, type Row, type TestApp } from './support.js'

/**
 * Exports of a database file are read and written by the export worker on its own connection and
 * streamed back chunk by chunk: the bytes are exactly what the same export read on the request
 * thread gives (the tests in exports.test.ts and export-safety.test.ts pin those), over several
 * pages too, and a bad cursor is still a clean 400 before anything is sent.
 */

let dir: string
let t: TestApp
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pocdir-export-worker-'))
  t = await buildTestApp({ DATABASE_PATH: join(dir, 'export.sqlite') })
  await importCsv(t, directoryRows(), await importer())
  // More than two export pages (500 people a page) of one state.
  const many: Row[] = Array.from({ length: 1_100 }, (_, i) => ({
    stateCode: 'TJ',
    organization: `Agency ${i % 7}`,
    role: 'technical-poc',
    externalId: `many-${i}`,
    givenName: 'Dilshod',
    familyName: `Pagesov${i}`,
    email: `d.pagesov.${i}@example.tj`,
    emailVisibility: i % 2 === 0 ? 'public' : 'restricted',
    startDate: '2023-01-01',
  }))
  await importCsv(t, many, await importer())
}, 120_000)
afterAll(async () => {
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The export read inline on the request thread's connection, as it was before the worker. */
function inline(job: ExportJob): string {
  let out = ''
  const chunks = exportChunks(t.db, job)
  for (let next = chunks.next(); !next.done; next = chunks.next()) out += next.value
  return out
}

const cases: [string, string, string, ExportJob, boolean][] = [
  [
    'every contact as CSV, anonymous',
    '/v1/contacts',
    'text/csv',
    { what: 'contacts', query: { limit: 500 } as never, seeRestricted: false, format: 'csv' },
    false,
  ],
  [
    'every contact as CSV, with directory:read',
    '/v1/contacts',
    'text/csv',
    { what: 'contacts', query: { limit: 500 } as never, seeRestricted: true, format: 'csv' },
    true,
  ],
  [
    'TJ contacts as vCard',
    '/v1/contacts?state=TJ',
    'text/vcard',
    {
      what: 'contacts',
      query: { limit: 500, state: 'TJ' } as never,
      seeRestricted: false,
      format: 'vcard',
    },
    false,
  ],
]

describe('exports through the export worker', () => {
  it('the database is a file, so the worker serves it', () => {
    expect(t.db.$client.memory).toBe(false)
  })

  for (const [name, url, accept, job, read] of cases) {
    it(`${name}: the same bytes as read inline`, async () => {
      const headers = { accept, ...(read ? await bearer('directory:read') : {}) }
      const res = await t.app.inject({ method: 'GET', url, headers })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toBe(`${accept}; charset=utf-8`)
      expect(res.body.length).toBeGreaterThan(100_000)
      expect(res.body).toBe(inline(job))
    })
  }

  it('the directory CSV of a state over three pages: the same bytes as read inline', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/directory?state=TJ&asOf=2025-01-01',
      headers: { accept: 'text/csv' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-disposition']).toBe('attachment; filename="directory-TJ-2025-01-01.csv"')
    const body = inline({
      what: 'directory',
      filter: { state: 'TJ', asOf: '2025-01-01', limit: 50 },
      seeRestricted: false,
    })
    expect(res.body).toBe(body)
    expect(body.split('\n').filter((l) => l.includes(',Pagesov'))).toHaveLength(1_100)
  })

  it('a cursor the service did not issue is a clean 400 before any byte streams', async () => {
    for (const list of ['/v1/contacts?limit=1', '/v1/directory?state=TJ&limit=1']) {
      const { nextCursor } = (await t.app.inject({ method: 'GET', url: list })).json() as {
        nextCursor: string
      }
      // Well-formed, so the query schema lets it through to the export's first page.
      const i = nextCursor.length - 2
      const altered = `${nextCursor.slice(0, i)}${nextCursor[i] === 'A' ? 'B' : 'A'}${nextCursor.slice(i + 1)}`
      const res = await t.app.inject({
        method: 'GET',
        url: `${list.replace(/[?&]limit=1$/, '')}${list.includes('state') ? '&' : '?'}cursor=${altered}`,
        headers: { accept: 'text/csv' },
      })
      const body = expectProblem(res, 400)
      expect(res.headers['content-disposition']).toBeUndefined()
      // The worker's ProblemError, whole across the thread boundary.
      expect(body).toMatchObject({
        type: 'urn:pocdir:problem:validation-error',
        title: 'Validation failed',
        status: 400,
        detail: 'cursor: is not a cursor this service issued',
        errors: [{ path: 'cursor', message: 'is not a cursor this service issued' }],
      })
    }
  })
})
