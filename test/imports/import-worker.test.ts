import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'
import {
  CREATED_ALL,
  directoryRows,
  expectRejected,
  importCsv,
  importer,
  importRequest,
  type Row,
  result,
  type TestApp,
  toCsv,
  toNdjson,
  UNCHANGED_ALL,
} from './support.js'

/**
 * Imports run on the import worker over its own connection to a database file (a private
 * `:memory:` database cannot be shared, so only file databases use the worker): the same answers,
 * the same error shapes across the thread boundary, and the same all-or-nothing writes.
 */

let dir: string
let t: TestApp
let n = 0
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocdir-import-worker-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(async () => {
  await t?.close()
})

const fileApp = (env: Record<string, string> = {}) =>
  buildTestApp({ DATABASE_PATH: join(dir, `db-${++n}.sqlite`), ...env })

const person = (i: number, extra: Row = {}): Row => ({
  stateCode: 'KG',
  organization: 'Ministry of Foreign Affairs',
  role: 'national-poc',
  externalId: `w-${i}`,
  givenName: 'Asan',
  familyName: `Worker${i}`,
  startDate: '2024-03-01',
  ...extra,
})

describe('imports on the worker', () => {
  it('imports the 200-row directory, then finds it unchanged', async () => {
    t = await fileApp()
    expect(t.db.$client.memory).toBe(false)
    expect(await importCsv(t, directoryRows(), await importer())).toEqual(CREATED_ALL)
    expect(await importCsv(t, directoryRows(), await importer())).toEqual(UNCHANGED_ALL)
  })

  it('a dry run answers the counts and writes nothing', async () => {
    t = await fileApp()
    const before = snapshot(t.db)
    expect(await importCsv(t, directoryRows(), await importer(), '?dryRun=true')).toEqual({
      ...CREATED_ALL,
      dryRun: true,
    })
    expect(snapshot(t.db)).toBe(before)
  })

  it('row errors keep their 422 shape across the thread', async () => {
    t = await fileApp()
    const rows = [person(1), person(2, { startDate: '2024-13-01' }), person(3, { role: 'no-such-role' })]
    const body = await expectRejected(t, importRequest(toCsv(rows), 'text/csv', await importer()), 422)
    expect(body).toMatchObject({
      type: 'urn:pocdir:problem:import-rows-rejected',
      title: 'Unprocessable Content',
      status: 422,
      detail: '2 row(s) rejected; nothing was imported',
      errors: [
        { row: 2, field: 'startDate', message: expect.any(String) },
        { row: 3, field: 'role', message: 'no role with key no-such-role' },
      ],
    })
  })

  it("a limited token's rows of other states keep their 403 shape", async () => {
    t = await fileApp()
    const rows = [person(1), person(2, { stateCode: 'KZ' })]
    const headers = await importer('importer-kg', { states: ['KG'] })
    const body = await expectRejected(t, importRequest(toCsv(rows), 'text/csv', headers), 403)
    expect(body).toMatchObject({
      type: 'urn:pocdir:problem:forbidden',
      status: 403,
      errors: [{ row: 2, field: 'stateCode', message: 'the token may not import rows of state KZ' }],
    })
  })

  it('an unknown column keeps its 400 shape', async () => {
    t = await fileApp()
    const csv = 'familyName,externalId,nickname\nWorker,w-1,Bob\n'
    const body = await expectRejected(t, importRequest(csv, 'text/csv', await importer()), 400)
    expect(body).toMatchObject({
      type: 'urn:pocdir:problem:validation-error',
      status: 400,
      errors: [{ path: 'nickname', message: 'is not a known column' }],
    })
  })
})

describe('IMPORT_MAX_ROWS', () => {
  const refused = {
    type: 'urn:pocdir:problem:too-many-rows',
    title: 'Content Too Large',
    status: 413,
    detail:
      'The import has 4 rows; at most 3 are accepted at once (IMPORT_MAX_ROWS): split it into smaller imports',
  }
  const rows = [person(1), person(2), person(3), person(4)]

  for (const [format, body, type] of [
    ['CSV', toCsv(rows), 'text/csv'],
    ['NDJSON (blank lines do not count)', toNdjson(rows, true), 'application/x-ndjson'],
    ['a JSON array', JSON.stringify(rows), 'application/json'],
  ] as const) {
    it(`${format}: more rows than the limit is 413, nothing written`, async () => {
      t = await fileApp({ IMPORT_MAX_ROWS: '3' })
      expect(await expectRejected(t, importRequest(body, type, await importer()), 413)).toMatchObject(refused)
    })
  }

  it('as many rows as the limit are imported', async () => {
    t = await fileApp({ IMPORT_MAX_ROWS: '3' })
    const body = await importCsv(t, rows.slice(0, 3), await importer())
    expect(body).toEqual(result({ organizations: 1, contacts: 3, assignments: 3 }))
  })
})

describe('an import worker that runs out of memory', () => {
  it('answers a generic 500, writes nothing, and the next import and writes succeed', async () => {
    t = await fileApp({ IMPORT_WORKER_MEMORY_MB: '64', LOG_LEVEL: 'silent' })
    const headers = await importer()
    // 50,000 rows (within IMPORT_MAX_ROWS and IMPORT_BODY_LIMIT) need far more than 64 MiB of heap.
    const big = [
      'familyName,givenName,positionTitle,nameOriginal,externalId',
      ...Array.from(
        { length: 50_000 },
        (_, i) => `Family${i},${'G'.repeat(60)},${'T'.repeat(80)},${'O'.repeat(80)},oom-${i}`,
      ),
    ].join('\n')
    const body = await expectRejected(t, importRequest(big, 'text/csv', headers), 500)
    expect(body).toMatchObject({
      type: 'urn:pocdir:problem:internal-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred; quote the x-request-id when reporting it',
    })
    expect(JSON.stringify(body)).not.toMatch(/memory|worker/i)

    // A fresh worker takes the next import; the write lock was not left behind.
    expect(await importCsv(t, [person(1)], headers)).toEqual(
      result({ organizations: 1, contacts: 1, assignments: 1 }),
    )
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: { ...(await bearer('directory:write')), 'content-type': 'application/json' },
      payload: { familyName: 'After' },
    })
    expect(created.statusCode, created.body).toBe(201)
  }, 120_000)
})
