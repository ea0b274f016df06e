import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countsOf, type RecordCounts, runScript, spawnScript, summary, summaryOf, withDb } from './cli.js'
import { type Row, toCsv } from './support.js'

/**
 * Killed mid-import, the import script leaves the database as it was: rows are applied in one
 * transaction, so a SIGKILL before the commit loses the whole import and nothing else, and
 * `PRAGMA integrity_check` stays clean.
 */

const SAMPLE = 'test/fixtures/directory-sample.csv'
const TOTAL = 20_000
const TIMEOUT = 120_000
const WAIT = 60_000

const STATES: [string, (i: number) => string][] = [
  ['KG', (i) => `0312 ${600000 + (i % 99_999)}`],
  ['KZ', (i) => `8 7172 ${700000 + (i % 99_999)}`],
  ['UZ', (i) => `71 233 ${String(i % 10_000).padStart(4, '0')}`],
]
const ROLES = ['national-poc', 'alternate-poc', 'technical-poc', 'export-control-poc', 'border-poc']

function bigRows(): Row[] {
  const rows: Row[] = []
  for (let i = 0; i < TOTAL; i++) {
    const [stateCode, phone] = STATES[i % STATES.length] as [string, (i: number) => string]
    rows.push({
      stateCode,
      organization: `Agency No. ${Math.floor(i / STATES.length) % 40}`,
      role: ROLES[i % ROLES.length] as string,
      externalId: `bulk-${i}`,
      givenName: 'Aibek',
      familyName: `Bulkov${i}`,
      nameOriginal: `Айбек Бульков${i}`,
      positionTitle: 'Inspector',
      email: `aibek.bulkov.${i}@example.${stateCode.toLowerCase()}`,
      phone: phone(i),
      startDate: `20${10 + (i % 15)}-0${1 + (i % 9)}-1${i % 10}`,
    })
  }
  return rows
}

let dir: string
let big: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocdir-kill-'))
  big = join(dir, 'bulk-20000.csv')
  writeFileSync(big, toCsv(bigRows()))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A database file holding the sample import, and its counts. */
async function preparedDb(name: string): Promise<{ db: string; counts: RecordCounts }> {
  const db = join(dir, name)
  const run = await runScript('import.ts', [SAMPLE], { DATABASE_PATH: db })
  expect(run.code, run.stderr).toBe(0)
  const counts = countsOf(db)
  expect(counts).toMatchObject({ organizations: 5, contacts: 6, assignments: 6 })
  return { db, counts }
}

interface Watched {
  child: ChildProcess
  out: { stdout: string; stderr: string }
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  isRunning: () => boolean
}

function watch(child: ChildProcess): Watched {
  const out = { stdout: '', stderr: '' }
  let running = true
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out.stdout += d
  })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out.stderr += d
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      running = false
      resolve({ code, signal })
    }),
  )
  return { child, out, exited, isRunning: () => running }
}

/** Checks what a killed import must leave behind: a sound file with exactly the old records. */
function expectUntouched(db: string, counts: RecordCounts) {
  withDb(db, (d) => {
    expect(d.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(d.pragma('foreign_key_check')).toEqual([])
  })
  expect(countsOf(db)).toEqual(counts)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('killing the import script mid-import', () => {
  it('once it reports progress, SIGKILL leaves the database intact and as it was', {
    timeout: TIMEOUT,
  }, async () => {
    const { db, counts } = await preparedDb('progress.db')
    const w = watch(spawnScript('import.ts', [big], { DATABASE_PATH: db }))

    // The first progress line with some rows done ("importing [==--] 1500/20000 rows").
    let seen: number | null = null
    const deadline = Date.now() + WAIT
    while (seen === null && w.isRunning() && Date.now() < deadline) {
      for (const m of w.out.stderr.matchAll(/importing\b[^\n]*?(\d+)\/(\d+) rows/g)) {
        if (Number(m[1]) > 0) {
          seen = Number(m[1])
          break
        }
      }
      if (seen === null) await sleep(5)
    }
    const stillRunning = w.isRunning()
    w.child.kill('SIGKILL')
    const { signal } = await w.exited

    expect(seen, `no progress with rows done within ${WAIT} ms; stderr: ${w.out.stderr}`).not.toBeNull()
    expect(
      seen !== TOTAL && stillRunning && !/Imported/.test(w.out.stdout),
      `the import finished before it could be killed: the first progress with rows done was ${seen}/${TOTAL}, ` +
        'so the script printed no progress while it applied the rows (stderr: ' +
        `${JSON.stringify(w.out.stderr)})`,
    ).toBe(true)
    expect(signal).toBe('SIGKILL')
    expectUntouched(db, counts)
  })

  it('SIGKILL while the transaction is writing leaves the database intact and as it was', {
    timeout: TIMEOUT,
  }, async () => {
    const { db, counts } = await preparedDb('journal.db')
    const wal = `${db}-wal`
    const walSize = () => {
      try {
        return statSync(wal).size
      } catch {
        return 0
      }
    }
    const w = watch(spawnScript('import.ts', [big], { DATABASE_PATH: db }))

    // The transaction spills pages into the write-ahead log long before it commits.
    const deadline = Date.now() + WAIT
    let size = 0
    while (w.isRunning() && Date.now() < deadline) {
      size = walSize()
      if (size > 1024 * 1024) break
      await sleep(5)
    }
    const stillRunning = w.isRunning()
    const printed = w.out.stdout
    w.child.kill('SIGKILL')
    const { signal } = await w.exited

    expect(
      stillRunning && !/Imported/.test(printed),
      `the import finished (or failed) before it could be killed; stdout: ${printed}; stderr: ${w.out.stderr}`,
    ).toBe(true)
    expect(size, 'the write-ahead log grew while the import ran').toBeGreaterThan(1024 * 1024)
    expect(signal).toBe('SIGKILL')
    expectUntouched(db, counts)

    // The database still works: the sample is all there, and the whole import applies.
    const again = await runScript('import.ts', [SAMPLE], { DATABASE_PATH: db })
    expect(again.code, again.stderr).toBe(0)
    expect(summaryOf(again.stdout)).toEqual(summary([0, 0, 5], [0, 0, 6], [0, 0, 6]))
    const full = await runScript('import.ts', [big], { DATABASE_PATH: db }, WAIT)
    expect(full.code, full.stderr).toBe(0)
    expect(summaryOf(full.stdout)).toEqual(summary([120, 0, 0], [TOTAL, 0, 0], [TOTAL, 0, 0]))
    withDb(db, (d) => expect(d.pragma('integrity_check', { simple: true })).toBe('ok'))
    expect(countsOf(db)).toMatchObject({
      organizations: counts.organizations + 120,
      contacts: counts.contacts + TOTAL,
      assignments: counts.assignments + TOTAL,
      revisions: counts.revisions + 120 + 2 * TOTAL,
    })
  })
})
