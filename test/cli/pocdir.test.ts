import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pocdir, type Server, startServer } from './run.js'

/** `pocdir`, the one command line, run as a user runs it (bin/pocdir.js) on throwaway data. */

const T = 120_000
const SAMPLE = 'test/fixtures/directory-sample.csv'
const SECRET = 'cli-test-secret-0123456789-abcdefghijkl'
const SUBCOMMANDS = [
  'token',
  'import',
  'export',
  'handover',
  'verify',
  'retention',
  'backup',
  'restore',
  'check',
]

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocdir-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const dump = (path: string) => {
  const db = new Database(path, { readonly: true })
  try {
    return JSON.stringify(
      ['organizations', 'contacts', 'assignments', 'revisions'].map((t) =>
        db.prepare(`select * from ${t} order by rowid`).all(),
      ),
    )
  } finally {
    db.close()
  }
}

describe('usage', () => {
  it('--help lists every subcommand and exits 0; each subcommand has --help', { timeout: T }, async () => {
    const top = await pocdir(['--help'], {})
    expect(top.code).toBe(0)
    for (const name of SUBCOMMANDS) expect(top.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'))
    const helps = await Promise.all(SUBCOMMANDS.map((name) => pocdir([name, '--help'], {})))
    helps.forEach((h, i) => {
      expect(h.code).toBe(0)
      expect(h.stdout).toMatch(new RegExp(`^Usage: pocdir ${SUBCOMMANDS[i]}\\b`))
    })
  })

  it('an unknown option or command prints the error and the usage and exits 2', { timeout: T }, async () => {
    const option = await pocdir(['export', '--colour', 'red'], {})
    expect(option.code).toBe(2)
    expect(option.stderr).toMatch(/^error: unknown option '--colour'\n\nusage: pocdir export \[options\]/)
    expect(option.stdout).toBe('')
    const command = await pocdir(['bakup', 'x.db'], {})
    expect(command.code).toBe(2)
    expect(command.stderr).toMatch(/^error: unknown command 'bakup'/)
    expect(command.stderr).toContain('usage: pocdir [options] [command]')
  })

  it('a failure is one line without a stack trace and exit 1; --debug adds the trace', {
    timeout: T,
  }, async () => {
    const env = { DATABASE_PATH: join(dir, 'none.db') }
    const missing = await pocdir(['import', join(dir, 'nope.csv')], env)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(`pocdir: ${join(dir, 'nope.csv')} does not exist\n`)
    const debug = await pocdir(['import', join(dir, 'nope.csv'), '--debug'], env)
    expect(debug.code).toBe(1)
    expect(debug.stderr).toMatch(/\n\s+at /)
    const badConfig = await pocdir(['check'], { DATABASE_PATH: join(dir, 'none.db'), PORT: 'abc' })
    expect(badConfig.code).toBe(1)
    expect(badConfig.stderr).toBe('pocdir: Invalid configuration: PORT must be a port number\n')
  })
})

describe('pocdir token', () => {
  it('prints only a token signed with JWT_SECRET, with the asked scope and States', {
    timeout: T,
  }, async () => {
    const run = await pocdir(['token', '--scope', 'directory:write', '--states', 'KG', '--sub', 'alice'], {
      JWT_SECRET: SECRET,
    })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
    const { payload } = await jwtVerify(run.stdout.trim(), new TextEncoder().encode(SECRET))
    expect(payload).toMatchObject({ sub: 'alice', scope: 'directory:write', states: ['KG'] })
  })

  it('refuses, in one line, when the server verifies with a public key or a JWKS', {
    timeout: T,
  }, async () => {
    const { publicKey } = generateKeyPairSync('ed25519')
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const key = await pocdir(['token'], { JWT_PUBLIC_KEY: pem })
    expect(key.code).toBe(1)
    expect(key.stdout).toBe('')
    expect(key.stderr).toBe(
      'pocdir: the server verifies tokens with JWT_PUBLIC_KEY, not a local secret: get a token from your identity provider\n',
    )
    const jwks = await pocdir(['token'], { JWKS_URL: 'https://idp.example/jwks.json' })
    expect(jwks.code).toBe(1)
    expect(jwks.stderr).toContain('with JWKS_URL, not a local secret')
  })

  it('refuses an unknown scope', { timeout: T }, async () => {
    const run = await pocdir(['token', '--scope', 'directory:everything'], { JWT_SECRET: SECRET })
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(
      'pocdir: --scope: directory:everything is not a scope; scopes are directory:read, directory:write, directory:import, directory:admin\n',
    )
  })
})

describe('import, export, handover, verify and check on the local database', () => {
  let env: Record<string, string>
  let db: string
  beforeAll(() => {
    db = join(dir, 'local', 'pocdir.db')
    env = { DATABASE_PATH: db }
  })

  it('imports the sample and exports it to a file', { timeout: T }, async () => {
    const run = await pocdir(['import', SAMPLE], env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^Imported:/)
    const out = join(dir, 'kg.csv')
    const exp = await pocdir(['export', '--state', 'KG', '--out', out], env)
    expect(exp.code, exp.stderr).toBe(0)
    const csv = readFileSync(out, 'utf8')
    expect(csv.split('\n')[0]).toMatch(/^stateCode[,;]/)
    expect(csv).toContain('Zhumabekov')
    expect(csv).not.toContain('Dzhumabekov')
  })

  it('hands KG national-poc over to a successor named by a name, through the API write path', {
    timeout: T,
  }, async () => {
    const run = await pocdir(
      [
        'handover',
        '--state',
        'KG',
        '--role',
        'national-poc',
        '--successor',
        'Sadykova',
        '--date',
        '2025-09-01',
      ],
      env,
    )
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(
      /^Handed over: assignment \S+ ends 2025-09-01; assignment \S+ \(contact \S+\) starts 2025-09-01\n$/,
    )
    const d = new Database(db, { readonly: true })
    try {
      const rows = d
        .prepare(
          `select c.family_name as name, a.start_date as s, a.end_date as e, a.succeeded_by is not null as handed
           from assignments a join contacts c on c.id = a.contact_id join roles r on r.id = a.role_id
           where r.key = 'national-poc' and a.state_code = 'KG' order by a.start_date`,
        )
        .all()
      expect(rows).toEqual([
        { name: 'Zhumabekov', s: '2024-03-01', e: '2025-09-01', handed: 1 },
        { name: 'Sadykova', s: '2025-09-01', e: null, handed: 0 },
      ])
      const actors = d.prepare("select distinct actor from revisions where actor like 'cli:%'").all()
      expect(actors).toEqual([{ actor: 'cli:handover' }])
    } finally {
      d.close()
    }
  })

  it('a handover the API refuses is one line, exit 1, nothing written', { timeout: T }, async () => {
    const before = dump(db)
    const none = await pocdir(
      [
        'handover',
        '--state',
        'KZ',
        '--role',
        'border-poc',
        '--successor',
        'Sadykova',
        '--date',
        '2025-09-01',
      ],
      env,
    )
    expect(none.code).toBe(1)
    expect(none.stderr).toBe('pocdir: no current border-poc in KZ to hand over\n')
    const early = await pocdir(
      [
        'handover',
        '--state',
        'KZ',
        '--role',
        'national-poc',
        '--successor',
        'Osmonov',
        '--date',
        '2020-01-01',
      ],
      env,
    )
    expect(early.code).toBe(1)
    expect(early.stderr).toBe(
      "pocdir: handover refused: 400 Validation failed: date: must not be before the tenure's startDate 2021-05-04\n",
    )
    expect(dump(db)).toBe(before)
  })

  it('verify sets lastVerifiedAt; check reports integrity and migrations', { timeout: T }, async () => {
    const d = new Database(db, { readonly: true })
    const { id } = d.prepare("select id from contacts where external_id = 'kg-003'").get() as { id: string }
    d.close()
    const run = await pocdir(['verify', 'contact', id], env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`^Verified contact ${id} at \\d{4}-\\d\\d-\\d\\dT`))
    const checked = await pocdir(['check'], env)
    expect(checked.code, checked.stderr).toBe(0)
    expect(checked.stdout).toBe(`database: ${db}\nintegrity: ok\nmigrations: all applied\n`)
  })
})

describe('against a running server (--url, token from POCDIR_TOKEN or --token-file)', () => {
  let server: Server
  let url: string
  let db: string
  beforeAll(async () => {
    db = join(dir, 'served', 'pocdir.db')
    server = startServer({ DATABASE_PATH: db, JWT_SECRET: SECRET })
    url = await server.url
  }, T)
  afterAll(async () => {
    await server.stop()
  })

  it('imports with a token from a file, hands over with one from the environment', {
    timeout: T,
  }, async () => {
    const env = { JWT_SECRET: SECRET, DATABASE_PATH: db }
    const admin = (await pocdir(['token', '--scope', 'directory:admin', '--sub', 'ops'], env)).stdout.trim()
    const tokenFile = join(dir, 'token')
    writeFileSync(tokenFile, `${admin}\n`, { mode: 0o600 })
    const imported = await pocdir(['import', SAMPLE, '--url', url, '--token-file', tokenFile], {})
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(/^Imported:/)
    const anonymous = await pocdir(
      [
        'handover',
        '--state',
        'KG',
        '--role',
        'national-poc',
        '--successor',
        'Osmonov',
        '--date',
        '2025-09-01',
        '--url',
        url,
      ],
      {},
    )
    expect(anonymous.code).toBe(1)
    expect(anonymous.stderr).toMatch(/^pocdir: handover refused: 401 Unauthorized: [^\n]+\n$/)
    const run = await pocdir(
      [
        'handover',
        '--state',
        'KG',
        '--role',
        'national-poc',
        '--successor',
        'Osmonov',
        '--date',
        '2025-09-01',
        '--url',
        url,
      ],
      { POCDIR_TOKEN: admin },
    )
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^Handed over: /)
    expect(run.stdout + run.stderr).not.toContain(admin)
  })

  it('an unreachable server is one line and exit 1', { timeout: T }, async () => {
    const run = await pocdir(
      ['verify', 'contact', '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e52', '--url', 'http://127.0.0.1:9'],
      {},
    )
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^pocdir: cannot reach http:\/\/127\.0\.0\.1:9: [^\n]+\n$/)
  })
})
