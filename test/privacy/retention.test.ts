import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { today } from '../../src/lib/tenure.js'
import { monthsBefore, runRetention } from '../../src/modules/privacy/retention.js'
import { pocdir } from '../cli/run.js'
import { buildTestApp, roleId, snapshot, TEST_SECRET } from '../helpers/build-test-app.js'
import { admin, type Json, revisionsOf, type TestApp, writer } from '../resources/fixtures.js'

let t: TestApp
let organizationId: string

async function person(t: TestApp, name: string, tenures: { startDate: string; endDate?: string }[]) {
  const contact = (
    await t.app.inject({
      method: 'POST',
      url: '/v1/contacts',
      headers: await writer(),
      payload: {
        familyName: name,
        notes: `${name} notes`,
        contactDetails: [{ type: 'email', value: `${name.toLowerCase()}@mail.kg` }],
      },
    })
  ).json() as Json
  for (const tenure of tenures) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/assignments',
      headers: await writer(),
      payload: { contactId: contact.id, roleId: roleId(t.db, 'technical-poc'), organizationId, ...tenure },
    })
    expect(res.statusCode, res.body).toBe(201)
  }
  return String(contact.id)
}

const retention = (dryRun: boolean) =>
  runRetention(t.db, { months: 6, accessLogDays: 365, keepName: true, dryRun, day: '2026-06-15' })

beforeEach(async () => {
  t = await buildTestApp()
  organizationId = String(
    (
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/organizations',
          headers: await writer(),
          payload: { name: 'Ministry', kind: 'government', stateCode: 'KG' },
        })
      ).json() as Json
    ).id,
  )
})
afterEach(() => t.close())

describe('monthsBefore', () => {
  it.each([
    ['2026-06-15', 6, '2025-12-15'],
    ['2026-06-15', 12, '2025-06-15'],
    ['2026-01-15', 1, '2025-12-15'],
    ['2025-03-31', 1, '2025-02-28'],
    ['2024-03-31', 1, '2024-02-29'],
    ['2026-12-31', 6, '2026-06-30'],
    ['2026-06-15', 1200, '1926-06-15'],
  ])('%s minus %i months is %s', (day, months, expected) => {
    expect(monthsBefore(day, months)).toBe(expected)
  })
})

describe('retention (RETENTION_ENDED_MONTHS=6 on 2026-06-15: cutoff 2025-12-15)', () => {
  it('erases exactly the people whose last tenure ended before the cutoff; a dry run lists them and writes nothing', async () => {
    const exactly = await person(t, 'Exactly', [{ startDate: '2020-01-01', endDate: '2025-12-15' }])
    const dayMore = await person(t, 'DayMore', [
      { startDate: '2020-01-01', endDate: '2021-01-01' },
      { startDate: '2022-01-01', endDate: '2025-12-14' },
    ])
    const dayLess = await person(t, 'DayLess', [{ startDate: '2020-01-01', endDate: '2025-12-16' }])
    const current = await person(t, 'Current', [
      { startDate: '2019-01-01', endDate: '2020-01-01' },
      { startDate: '2020-01-01' },
    ])
    const endsLater = await person(t, 'EndsLater', [{ startDate: '2020-01-01', endDate: '2026-06-16' }])
    const never = await person(t, 'Never', [])
    const deleted = await person(t, 'Deleted', [{ startDate: '2020-01-01', endDate: '2024-01-01' }])
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/contacts/${deleted}`, headers: await writer() }))
        .statusCode,
    ).toBe(204)
    const erasedBefore = await person(t, 'Erased', [{ startDate: '2020-01-01', endDate: '2021-01-01' }])
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/contacts/${erasedBefore}/erase`,
      headers: await admin(),
      payload: { reason: 'asked' },
    })
    expect(res.statusCode).toBe(200)

    const before = snapshot(t.db)
    const dry = retention(true)
    expect(dry).toEqual({
      dryRun: true,
      cutoff: '2025-12-15',
      erased: [
        { id: deleted, displayName: 'Deleted', lastEnded: '2024-01-01' },
        { id: dayMore, displayName: 'DayMore', lastEnded: '2025-12-14' },
      ],
      accessLogRemoved: 0,
    })
    expect(snapshot(t.db)).toBe(before)

    const applied = retention(false)
    expect(applied).toEqual({ ...dry, dryRun: false })
    for (const id of [deleted, dayMore]) {
      const last = revisionsOf(t, 'contact', id).at(-1)
      expect(last).toMatchObject({ action: 'erase', actor: 'system:retention', changes: {} })
      const row = t.db.$client.prepare('select notes, contact_details from contacts where id = ?').get(id)
      expect(row).toEqual({ notes: null, contact_details: '[]' })
    }
    const reason = t.db.$client
      .prepare("select reason from revisions where entity_id = ? and action = 'erase'")
      .pluck()
      .get(dayMore)
    expect(reason).toBe('Retention: last tenure ended before 2025-12-15 (RETENTION_ENDED_MONTHS=6)')
    for (const id of [exactly, dayLess, current, endsLater, never]) {
      expect(revisionsOf(t, 'contact', id).map((r) => r.action)).not.toContain('erase')
      expect(t.db.$client.prepare('select notes from contacts where id = ?').pluck().get(id)).toMatch(
        / notes$/,
      )
    }
    // Applied again, it finds nobody: erased people are not erased twice.
    expect(retention(false).erased).toEqual([])
  })

  it('off (months null) erases nobody', async () => {
    await person(t, 'Old', [{ startDate: '2000-01-01', endDate: '2001-01-01' }])
    const report = runRetention(t.db, { months: null, accessLogDays: 365, keepName: true, dryRun: false })
    expect(report).toEqual({ dryRun: false, cutoff: null, erased: [], accessLogRemoved: 0 })
  })

  it('trims the access log to ACCESS_LOG_RETENTION_DAYS: an entry exactly at the cutoff stays', async () => {
    const day = today()
    const cutoff = new Date(Date.parse(`${day}T00:00:00.000Z`) - 30 * 86_400_000)
    const insert = t.db.$client.prepare(
      "insert into access_log (at, reader, method, route, request_id, contact_ids) values (?, 'r', 'GET', '/v1/contacts/:id', ?, '[]')",
    )
    for (const [at, name] of [
      [new Date(cutoff.getTime() - 1), 'older'],
      [cutoff, 'exactly'],
      [new Date(cutoff.getTime() + 1), 'newer'],
    ] as const) {
      insert.run(at.toISOString(), name)
    }
    const dry = runRetention(t.db, { months: null, accessLogDays: 30, keepName: true, dryRun: true })
    expect(dry.accessLogRemoved).toBe(1)
    const applied = runRetention(t.db, { months: null, accessLogDays: 30, keepName: true, dryRun: false })
    expect(applied.accessLogRemoved).toBe(1)
    expect(t.db.$client.prepare('select request_id from access_log order by id').pluck().all()).toEqual([
      'exactly',
      'newer',
    ])
  })
})

describe('pocdir retention', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pocdir-retention-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('--dry-run lists who would be erased; without it, erases them and says so', {
    timeout: 120_000,
  }, async () => {
    const path = join(dir, 'pocdir.db')
    const db = openDatabase(path)
    runMigrations(db)
    seed(db)
    const app = await buildApp({ config: loadConfig({ JWT_SECRET: TEST_SECRET, DATABASE_PATH: path }), db })
    const prev = t
    t = { ...t, app, db } as TestApp
    organizationId = String(
      (
        (
          await app.inject({
            method: 'POST',
            url: '/v1/organizations',
            headers: await writer(),
            payload: { name: 'Ministry', kind: 'government', stateCode: 'KG' },
          })
        ).json() as Json
      ).id,
    )
    const ended = monthsBefore(today(), 6)
    const dayBefore = new Date(Date.parse(`${ended}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
    const gone = await person(t, 'Gone', [{ startDate: '2020-01-01', endDate: dayBefore }])
    await person(t, 'Stays', [{ startDate: '2020-01-01', endDate: ended }])
    await app.close()
    db.$client.close()
    t = prev

    const env = { DATABASE_PATH: path, JWT_SECRET: TEST_SECRET }
    const dry = await pocdir(['retention', '--dry-run', '--months', '6'], env)
    expect(dry).toEqual({
      code: 0,
      stderr: '',
      stdout:
        `People whose last tenure ended before ${ended}: 1 would be erased\n` +
        `  ${gone}  Gone  (last tenure ended ${dayBefore})\n` +
        'Access log: 0 entries older than 365 days would be removed\n' +
        'Dry run: nothing was changed\n',
    })
    const applied = await pocdir(['retention'], { ...env, RETENTION_ENDED_MONTHS: '6' })
    expect(applied.stdout).toBe(
      `People whose last tenure ended before ${ended}: 1 erased\n` +
        `  ${gone}  Gone  (last tenure ended ${dayBefore})\n` +
        'Access log: 0 entries older than 365 days removed\n',
    )
    const off = await pocdir(['retention', '--dry-run'], env)
    expect(off.stdout).toBe(
      'People: not erased automatically (RETENTION_ENDED_MONTHS is off; --months sets a period)\n' +
        'Access log: 0 entries older than 365 days would be removed\n' +
        'Dry run: nothing was changed\n',
    )
    const bad = await pocdir(['retention', '--months', '0'], env)
    expect(bad).toEqual({
      code: 1,
      stdout: '',
      stderr: 'pocdir: --months must be a whole number of months from 1 to 1200\n',
    })
  })
})
