import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import ICAL from 'ical.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, signToken, snapshot } from '../helpers/build-test-app.js'
import { countsOf, dumpFile, runScript, summary, summaryOf, withDb } from './cli.js'
import { COLUMNS, directoryRows, type Json, type Row, type TestApp, toCsv, toNdjson } from './support.js'

/**
 * The command-line scripts: `import` and `export` against the local database (DATABASE_PATH)
 * through the service's own code, and against a running server with --url and --token.
 */

const SAMPLE = 'test/fixtures/directory-sample.csv'
const TIMEOUT = 90_000

let dir: string
let bigCsv: string
let badCsv: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocdir-scripts-'))
  bigCsv = join(dir, 'directory-200.csv')
  writeFileSync(bigCsv, toCsv(directoryRows()))
  badCsv = join(dir, 'bad.csv')
  writeFileSync(
    badCsv,
    toCsv([
      { stateCode: 'KG', familyName: 'Fine', email: 'fine@mfa.gov.kg' },
      { stateCode: 'KG', familyName: 'Osmonov', email: 'b.osmonov at un.int' },
      {
        stateCode: 'KG',
        organization: 'MFA',
        role: 'national-poc',
        familyName: 'Sadykova',
        externalId: 'kg-sadykova',
        startDate: '2024-13-01',
      },
      { stateCode: 'KG', familyName: 'Toktogulov', externalId: 'kg-toktogulov', phone: '12345' },
    ]),
  )
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('scripts/import.ts and scripts/export.ts on the local database', () => {
  let db: string
  let env: Record<string, string>
  beforeAll(() => {
    db = join(dir, 'local.db')
    env = { DATABASE_PATH: db }
  })

  it('imports the sample file, prints the summary and exits 0', { timeout: TIMEOUT }, async () => {
    const run = await runScript('import.ts', [SAMPLE], env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^Imported:/m)
    expect(summaryOf(run.stdout)).toEqual(summary([5, 0, 0], [6, 0, 0], [6, 0, 0]))
    expect(countsOf(db)).toMatchObject({ organizations: 5, contacts: 6, assignments: 6 })
    const revisions = withDb(db, (d) =>
      d.prepare("select actor, request_id as requestId from revisions where actor <> 'system:seed'").all(),
    ) as { actor: string; requestId: string }[]
    expect(revisions).toHaveLength(5 + 6 + 6)
    expect(new Set(revisions.map((r) => r.actor))).toEqual(new Set(['script:import']))
    expect(new Set(revisions.map((r) => r.requestId)).size).toBe(1)
    const phones = withDb(db, (d) =>
      d.prepare("select contact_details as details from contacts where external_id = 'kg-001'").get(),
    ) as { details: string }
    expect(JSON.parse(phones.details)).toContainEqual(expect.objectContaining({ value: '+996312620545' }))
  })

  it('importing the same file again changes nothing', { timeout: TIMEOUT }, async () => {
    const before = dumpFile(db)
    const run = await runScript('import.ts', [SAMPLE], env)
    expect(run.code, run.stderr).toBe(0)
    expect(summaryOf(run.stdout)).toEqual(summary([0, 0, 5], [0, 0, 6], [0, 0, 6]))
    expect(dumpFile(db)).toBe(before)
  })

  it('--dry-run reports what would change and writes nothing', { timeout: TIMEOUT }, async () => {
    const before = dumpFile(db)
    const run = await runScript('import.ts', [bigCsv, '--dry-run'], env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/Dry run/)
    expect(run.stdout).not.toMatch(/^Imported:/m)
    // The sample is there already: its KG and KZ ministries and the OSCE Secretariat match, and
    // its kz-001 is the 200-row file's kz-001 (whose name and title differ).
    expect(summaryOf(run.stdout)).toEqual(summary([18, 0, 3], [169, 1, 0], [200, 0, 0]))
    expect(dumpFile(db)).toBe(before)
  })

  it('a bad file exits 1, prints "row N, field: message" for every bad row and writes nothing', {
    timeout: TIMEOUT,
  }, async () => {
    const before = dumpFile(db)
    const run = await runScript('import.ts', [badCsv], env)
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/422/)
    const lines = run.stderr.split('\n').filter((l) => /^\s*row \d+, \w+: \S/.test(l))
    expect(lines.map((l) => l.trim().replace(/:.*/, ''))).toEqual([
      'row 2, email',
      'row 3, startDate',
      'row 4, phone',
    ])
    expect(run.stderr).toContain('row 2, email: is not a valid email address')
    expect(dumpFile(db)).toBe(before)
  })

  it('a file that is not CSV at all exits 1 with a message, and a missing file argument exits 2', {
    timeout: TIMEOUT,
  }, async () => {
    const broken = join(dir, 'broken.csv')
    writeFileSync(broken, 'familyName,positionTitle\nOsmonov,"Counsellor\n')
    const before = dumpFile(db)
    const run = await runScript('import.ts', [broken], env)
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/400/)
    expect(run.stderr).not.toMatch(/\n\s+at /)
    expect(dumpFile(db)).toBe(before)
    const usage = await runScript('import.ts', [], env)
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/usage/)
  })

  it('refuses an --actor longer than a token subject may be (the contract bounds a revision actor at 200)', {
    timeout: TIMEOUT,
  }, async () => {
    const before = dumpFile(db)
    const run = await runScript('import.ts', [SAMPLE, '--actor', 'a'.repeat(201)], env)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('pocdir: --actor must be 1 to 200 characters')
    expect(dumpFile(db)).toBe(before)
  })

  it('reads NDJSON and JSON files by their extension', { timeout: TIMEOUT }, async () => {
    const people: Row[] = [
      {
        stateCode: 'KG',
        organization: 'State Customs Service',
        role: 'border-poc',
        externalId: 'kg-010',
        familyName: 'Mamatov',
        startDate: '2022-04-01',
      },
      { externalId: 'kg-011', familyName: 'Temirov', email: 'temirov@mfa.gov.kg' },
    ]
    const nd = join(dir, 'people.ndjson')
    writeFileSync(nd, toNdjson(people, true))
    const run = await runScript('import.ts', [nd], env)
    expect(run.code, run.stderr).toBe(0)
    expect(summaryOf(run.stdout)).toEqual(summary([1, 0, 0], [2, 0, 0], [1, 0, 0]))
    const json = join(dir, 'people.json')
    writeFileSync(json, JSON.stringify(people))
    const again = await runScript('import.ts', [json], env)
    expect(again.code, again.stderr).toBe(0)
    expect(summaryOf(again.stdout)).toEqual(summary([0, 0, 1], [0, 0, 2], [0, 0, 1]))
  })

  it('export --state KG prints CSV of the people serving Kyrgyzstan', { timeout: TIMEOUT }, async () => {
    const run = await runScript('export.ts', ['--state', 'KG'], env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout.split(/\r?\n/)[0]).toBe(COLUMNS.join(','))
    const rows = parseCsv(run.stdout, { columns: true }) as Record<string, string>[]
    expect(new Set(rows.map((r) => r.externalId))).toEqual(new Set(['kg-001', 'kg-002', 'kg-003', 'kg-010']))
    expect(rows.find((r) => r.externalId === 'kg-001')).toMatchObject({
      stateCode: 'KG',
      organization: 'Ministry of Foreign Affairs',
      role: 'national-poc',
      familyName: 'Zhumabekov',
      nameOriginal: 'Асан Жумабеков',
      email: 'a.zhumabekov@mfa.gov.kg',
      phone: '+996312620545',
      startDate: '2024-03-01',
    })
    // The owner of the local database reads restricted details too.
    expect(run.stdout).toContain('a.sadykova@mfa.gov.kg')
    expect(run.stdout).not.toContain('Dzhumabekov')
  })

  it('export --format vcard --state KZ prints vCards of the current KZ people', {
    timeout: TIMEOUT,
  }, async () => {
    const run = await runScript('export.ts', ['--format', 'vcard', '--state', 'KZ'], env)
    expect(run.code, run.stderr).toBe(0)
    const parsed = ICAL.parse(run.stdout) as unknown[]
    const card = new ICAL.Component((Array.isArray(parsed[0]) ? parsed[0] : parsed) as never)
    expect(card.getFirstPropertyValue('version')).toBe('4.0')
    expect(String(card.getFirstPropertyValue('fn'))).toContain('Dzhumabekov')
    expect(run.stdout).not.toContain('Iskakova')
  })

  it('export with an unknown state exits non-zero with a message', { timeout: TIMEOUT }, async () => {
    const run = await runScript('export.ts', ['--state', 'XX'], env)
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(/XX|state/)
    expect(run.stdout).not.toContain('stateCode')
  })
})

describe('scripts against a running server (--url, --token)', () => {
  let t: TestApp
  let url: string
  beforeAll(async () => {
    t = await buildTestApp()
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  })
  afterAll(() => t.close())

  it('imports over HTTP as the token sub', { timeout: TIMEOUT }, async () => {
    const token = await signToken({ scope: 'directory:import', sub: 'url-importer' })
    const run = await runScript('import.ts', [SAMPLE, '--url', url, '--token', token], {})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^Imported:/m)
    expect(summaryOf(run.stdout)).toEqual(summary([5, 0, 0], [6, 0, 0], [6, 0, 0]))
    const actors = t.db.$client
      .prepare("select distinct actor from revisions where actor <> 'system:seed'")
      .all() as Json[]
    expect(actors).toEqual([{ actor: 'url-importer' }])
  })

  it('--dry-run over HTTP writes nothing', { timeout: TIMEOUT }, async () => {
    // The 200-row file names 15 people by e-mail only: that needs a token that may read them.
    const token = await signToken({ scope: 'directory:import directory:read' })
    const before = snapshot(t.db)
    const run = await runScript('import.ts', [bigCsv, '--dry-run', '--url', url, '--token', token], {})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/Dry run/)
    // The sample is there already: its KG and KZ ministries and the OSCE Secretariat match, and
    // its kz-001 is the 200-row file's kz-001 (whose name and title differ).
    expect(summaryOf(run.stdout)).toEqual(summary([18, 0, 3], [169, 1, 0], [200, 0, 0]))
    expect(snapshot(t.db)).toBe(before)
  })

  it('a bad file over HTTP exits 1 with the row lines', { timeout: TIMEOUT }, async () => {
    const token = await signToken({ scope: 'directory:import' })
    const before = snapshot(t.db)
    const run = await runScript('import.ts', [badCsv, '--url', url, '--token', token], {})
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('row 2, email: is not a valid email address')
    expect(run.stderr).toMatch(/row 3, startDate: \S/)
    expect(run.stderr).toMatch(/row 4, phone: \S/)
    expect(snapshot(t.db)).toBe(before)
  })

  it('without a token, or with a token lacking directory:import, exits 1 with the problem', {
    timeout: TIMEOUT,
  }, async () => {
    const before = snapshot(t.db)
    const anonymous = await runScript('import.ts', [SAMPLE, '--url', url], {})
    expect(anonymous.code).toBe(1)
    expect(anonymous.stderr).toMatch(/401/)
    const writer = await signToken({ scope: 'directory:write' })
    const denied = await runScript('import.ts', [SAMPLE, '--url', url, '--token', writer], {})
    expect(denied.code).toBe(1)
    expect(denied.stderr).toMatch(/403/)
    expect(snapshot(t.db)).toBe(before)
  })

  it('export --url --token --state KG prints the KG people', { timeout: TIMEOUT }, async () => {
    const token = await signToken({ scope: 'directory:read' })
    const run = await runScript('export.ts', ['--state', 'KG', '--url', url, '--token', token], {})
    expect(run.code, run.stderr).toBe(0)
    const rows = parseCsv(run.stdout, { columns: true }) as Record<string, string>[]
    expect(new Set(rows.map((r) => r.externalId))).toEqual(new Set(['kg-001', 'kg-002', 'kg-003']))
    expect(run.stdout).toContain('a.sadykova@mfa.gov.kg')
    // Anonymously, the restricted email is left out.
    const anonymous = await runScript('export.ts', ['--state', 'KG', '--url', url], {})
    expect(anonymous.code, anonymous.stderr).toBe(0)
    expect(anonymous.stdout).toContain('Zhumabekov')
    expect(anonymous.stdout).not.toContain('a.sadykova@mfa.gov.kg')
  })
})
