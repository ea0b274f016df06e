import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directoryRows, toCsv } from '../../bench/dataset.js'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'

/**
 * Nothing stalls the service (DESIGN's bar, measured by `npm run bench`): while a 20,000-row
 * import runs on the import worker, and while two full exports stream from the export worker,
 * `/healthz` and a single-record read over a real socket keep answering. The bound here (1 s)
 * is generous: before the workers, every read waited for the whole import (3.7–5.7 s) or
 * export (about 3 s). A write sent during the import waits its turn and then succeeds.
 */

const ROWS = 20_000
const BOUND_MS = 1_000

let dir: string
let t: Awaited<ReturnType<typeof buildTestApp>>
let base: string
let contactId: string
let admin: Record<string, string>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pocdir-heavy-'))
  t = await buildTestApp({ DATABASE_PATH: join(dir, 'heavy.sqlite') })
  base = await t.app.listen({ port: 0, host: '127.0.0.1' })
  admin = await bearer('directory:admin', { sub: 'admin-heavy' })
  const res = await fetch(`${base}/v1/contacts`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ familyName: 'Readwell', givenName: 'Rita' }),
  })
  expect(res.status).toBe(201)
  contactId = ((await res.json()) as { id: string }).id
}, 60_000)

afterAll(async () => {
  await t?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Reads /healthz and the contact, one after the other, until `work` settles; their latencies. */
async function readWhile(work: Promise<unknown>): Promise<{ healthz: number[]; record: number[] }> {
  let done = false
  void work.finally(() => {
    done = true
  })
  const healthz: number[] = []
  const record: number[] = []
  while (!done) {
    for (const [url, into] of [
      ['/healthz', healthz],
      [`/v1/contacts/${contactId}`, record],
    ] as const) {
      const start = performance.now()
      const res = await fetch(`${base}${url}`)
      await res.arrayBuffer()
      expect(res.status).toBe(200)
      into.push(performance.now() - start)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  return { healthz, record }
}

/**
 * Resolves once another connection holds the database's write lock (a probe's `BEGIN IMMEDIATE`
 * is refused at once), so a write can be sent while the import is writing, whatever the upload
 * of its body took; rejects if `work` settles first.
 */
async function whileWriteLockHeld(file: string, work: Promise<unknown>): Promise<void> {
  let settled = false
  void work.finally(() => {
    settled = true
  })
  const probe = new Database(file, { timeout: 0 })
  try {
    while (!settled) {
      try {
        probe.exec('BEGIN IMMEDIATE')
        probe.exec('ROLLBACK')
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') return
        throw err
      }
      await new Promise((r) => setTimeout(r, 10))
    }
    throw new Error('the import ended before it was seen holding the write lock')
  } finally {
    probe.close()
  }
}

describe('reads during heavy work', () => {
  it('answer within a second during a 20,000-row import; a write sent meanwhile waits, then succeeds', async () => {
    const rows = directoryRows({
      states: ['KG', 'KZ', 'UZ'],
      people: ROWS,
      tenuresPerPerson: 1,
      organizationsPerState: 12,
    })
    const importer = await bearer('directory:import directory:read', { sub: 'importer-heavy' })
    const started = performance.now()
    let importEnded = 0
    const importing = fetch(`${base}/v1/imports`, {
      method: 'POST',
      headers: { ...importer, 'content-type': 'text/csv' },
      body: toCsv(rows),
    }).then(async (res) => {
      importEnded = performance.now()
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    })
    // A write while the import holds the write turn: it waits (never busy, never 500).
    const writing = whileWriteLockHeld(join(dir, 'heavy.sqlite'), importing).then(async () => {
      const res = await fetch(`${base}/v1/contacts/${contactId}`, {
        method: 'PATCH',
        headers: { ...admin, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ positionTitle: 'Patched during the import' }),
      })
      return {
        status: res.status,
        body: (await res.json()) as Record<string, unknown>,
        at: performance.now(),
      }
    })
    const reads = await readWhile(importing)
    const imported = await importing
    const written = await writing

    expect(imported.status, JSON.stringify(imported.body)).toBe(200)
    expect(imported.body).toEqual({
      dryRun: false,
      created: { organizations: 36, contacts: ROWS, assignments: ROWS },
      updated: { organizations: 0, contacts: 0, assignments: 0 },
      unchanged: { organizations: 0, contacts: 0, assignments: 0 },
    })
    expect(written.status, JSON.stringify(written.body)).toBe(200)
    expect(written.body).toMatchObject({
      id: contactId,
      positionTitle: 'Patched during the import',
      version: 2,
    })
    // The import took long enough for the write to be sent while it ran, and the write waited.
    expect(importEnded - started).toBeGreaterThan(1_000)
    expect(written.at).toBeGreaterThanOrEqual(importEnded)

    expect(reads.healthz.length).toBeGreaterThan(5)
    expect(Math.max(...reads.healthz)).toBeLessThan(BOUND_MS)
    expect(Math.max(...reads.record)).toBeLessThan(BOUND_MS)
    console.log(stats('during the import', reads))
  }, 240_000)

  it('answer within a second during two concurrent full exports', async () => {
    const exporting = Promise.all(
      [0, 1].map(async () => {
        const res = await fetch(`${base}/v1/contacts`, { headers: { accept: 'text/csv' } })
        const text = await res.text()
        return { status: res.status, lines: text.split('\n').length }
      }),
    )
    const reads = await readWhile(exporting)
    const exports = await exporting
    // The header, one line per person (one tenure each) and the final newline.
    expect(exports).toEqual([
      { status: 200, lines: ROWS + 3 },
      { status: 200, lines: ROWS + 3 },
    ])
    expect(reads.healthz.length).toBeGreaterThan(2)
    expect(Math.max(...reads.healthz)).toBeLessThan(BOUND_MS)
    expect(Math.max(...reads.record)).toBeLessThan(BOUND_MS)
    console.log(stats('during two full exports', reads))
  }, 120_000)
})

function stats(when: string, reads: { healthz: number[]; record: number[] }): string {
  const p = (xs: number[], q: number) =>
    [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1]?.toFixed(1)
  return `${when}: /healthz n=${reads.healthz.length} p50=${p(reads.healthz, 0.5)} max=${p(reads.healthz, 1)} ms; GET contact p50=${p(reads.record, 0.5)} max=${p(reads.record, 1)} ms`
}
