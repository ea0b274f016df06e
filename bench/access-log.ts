/**
 * The access log's cost (issue #17's bar: the directory benchmark with the access log on stays
 * within 5% of it off). Two instances of the service on the same database, ACCESS_LOG=on and
 * off, answer the directory page of 50 holders with restricted details (a directory:read
 * token), in alternating rounds of autocannon; the ratio of the medians is the figure.
 *
 * From bench/run.ts: `await accessLogBench({ dbPath, secret, script: 'dist/server.js' })`.
 * Alone (builds a small data set, runs the sources through tsx):
 *   BENCH_SECONDS=2 BENCH_ROUNDS=1 npx tsx bench/access-log.ts
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import { SignJWT } from 'jose'
import { SERVICE_FLAGS } from './service-flags.js'

export interface AccessLogBenchOptions {
  dbPath: string
  secret: string
  /** dist/server.js (compiled, as bench/run.ts runs it) or src/server.ts (through tsx). */
  script: string
  seconds?: number
  rounds?: number
  connections?: number
  state?: string
}

export interface AccessLogBenchResult {
  on: number[]
  off: number[]
  /** Median req/s with the log on over the median with it off; the bar is ≥ 0.95. */
  ratio: number
  /** Entries the log-on instance wrote, to show the reads were logged. */
  entries: number
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

function serve(script: string, env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const args = script.endsWith('.ts') ? ['--import', 'tsx', script] : [...SERVICE_FLAGS, script]
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const ready = (async () => {
    for (let i = 0; i < 6000; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).ok) return
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10))
    }
    throw new Error(`${script} did not start`)
  })()
  return { child, ready }
}

export async function accessLogBench(o: AccessLogBenchOptions): Promise<AccessLogBenchResult> {
  const seconds = o.seconds ?? Number(process.env.BENCH_SECONDS ?? 6)
  const rounds = o.rounds ?? Number(process.env.BENCH_ROUNDS ?? 5)
  const connections = o.connections ?? 50
  const env = { DATABASE_PATH: o.dbPath, JWT_SECRET: o.secret, RATE_LIMIT_MAX: '0', LOG_LEVEL: 'warn' }
  const on = serve(o.script, { ...env, PORT: '3811', ACCESS_LOG: 'on' })
  const off = serve(o.script, { ...env, PORT: '3812', ACCESS_LOG: 'off' })
  try {
    await Promise.all([on.ready, off.ready])
    const token = await new SignJWT({ scope: 'directory:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('bench-reader')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(o.secret))
    const headers = { authorization: `Bearer ${token}` }
    const path = `/v1/directory?state=${o.state ?? 'KG'}&limit=50`
    const url = (port: number) => `http://127.0.0.1:${port}${path}`
    const page = (await (await fetch(url(3811), { headers })).json()) as { items: unknown[] }
    if (page.items.length === 0) throw new Error(`${path} answered no holders`)
    // Warm-up, then alternating rounds so drift on a shared machine hits both alike.
    for (const port of [3811, 3812]) await autocannon({ url: url(port), connections, duration: 1, headers })
    const result = { on: [] as number[], off: [] as number[] }
    for (let round = 1; round <= rounds; round++) {
      for (const [port, into] of [
        [3811, result.on],
        [3812, result.off],
      ] as const) {
        const r = await autocannon({ url: url(port), connections, duration: seconds, headers })
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${r.non2xx} non-2xx answers, ${r.errors} errors`)
        into.push(r.requests.average)
      }
      console.log(
        `access log, round ${round}: on ${result.on.at(-1)?.toFixed(0)} req/s · off ${result.off.at(-1)?.toFixed(0)} req/s`,
      )
    }
    on.child.kill('SIGTERM')
    await new Promise((r) => on.child.once('exit', r))
    const db = new Database(o.dbPath, { readonly: true })
    const entries = (db.prepare('select count(*) as n from access_log').get() as { n: number }).n
    db.close()
    const ratio = median(result.on) / median(result.off)
    console.log(
      `access log on/off: ${median(result.on).toFixed(0)} / ${median(result.off).toFixed(0)} req/s = ${ratio.toFixed(3)} (bar: ≥ 0.95; ${entries} entries written)`,
    )
    return { ...result, ratio, entries }
  } finally {
    on.child.kill('SIGTERM')
    off.child.kill('SIGTERM')
  }
}

/** Alone: a small data set (a few states, 2,000 people), the sources through tsx. */
async function standalone() {
  const { openDatabase } = await import('../src/db/client.js')
  const { runMigrations } = await import('../src/db/migrate.js')
  const { seed } = await import('../src/db/seed.js')
  const { parseImportBody } = await import('../src/modules/imports/import-parse.js')
  const { runImport } = await import('../src/modules/imports/import-service.js')
  const { directoryRows, toCsv } = await import('./dataset.js')
  const dir = mkdtempSync(join(tmpdir(), 'pocdir-bench-access-log-'))
  try {
    const dbPath = join(dir, 'bench.db')
    const db = openDatabase(dbPath)
    runMigrations(db)
    seed(db)
    const rows = directoryRows({
      states: ['KG', 'KZ', 'TJ'],
      people: 2_000,
      tenuresPerPerson: 1,
      organizationsPerState: 5,
    })
    runImport(db, { actor: 'bench', requestId: 'bench' }, parseImportBody('csv', toCsv(rows)), {
      dryRun: false,
      limitedTo: null,
      seesRestricted: true,
    })
    db.$client.pragma('wal_checkpoint(TRUNCATE)')
    db.$client.close()
    await accessLogBench({
      dbPath,
      secret: 'bench-secret-0123456789-abcdefghijklmnop',
      script: 'src/server.ts',
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  standalone().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}
