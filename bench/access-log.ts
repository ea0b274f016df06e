/**
 * The access log's cost (issue #17's bar: the directory benchmark with the access log on stays
 * within 5% of it off). Two instances of the service on the same database, ACCESS_LOG=on and
 * off, answer the directory page of 50 holders with restricted details (a directory:read
 * token), in alternating rounds of autocannon; the ratio of the medians is the figure.
 *
 * From bench/run.ts: `await accessLogBench({ dbPath, secret, script: 'dist/server.js' })`.
 * Alone (builds a small data set, runs the sources through tsx):
 *   BENCH_SECONDS=2 BENCH_ROUNDS=1 npx tsx bench/access-log.ts
 * or the compiled build under node flag sets side by side ('|' between sets; each set its own
 * on/off pair in the same alternating rounds):
 *   SCRIPT=dist/server.js FLAG_SETS='--max-semi-space-size=8 --max-old-space-size=512|--max-semi-space-size=8' \
 *     npx tsx bench/access-log.ts
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
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
  /**
   * Node flag sets to compare (compiled script only), each as its own on/off pair in the same
   * alternating rounds; the result's on/off/ratio are the first set's. Default: SERVICE_FLAGS.
   */
  flagSets?: string[][]
}

export interface AccessLogBenchResult {
  on: number[]
  off: number[]
  /** Median req/s with the log on over the median with it off; the bar is ≥ 0.95. */
  ratio: number
  /** Entries the log-on instance wrote, to show the reads were logged. */
  entries: number
}

/** CPU time (user + system, every thread) the process has used, in ms. */
const cpuMs = (pid: number | undefined) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

function serve(
  script: string,
  env: Record<string, string>,
  flags = SERVICE_FLAGS,
): { child: ChildProcess; ready: Promise<void> } {
  const args = script.endsWith('.ts') ? ['--import', 'tsx', script] : [...flags, script]
  // BENCH_GC_DIR: each instance runs with --trace-gc, its lines in <dir>/gc-<port>.txt.
  const gcDir = process.env.BENCH_GC_DIR
  if (gcDir && !script.endsWith('.ts')) args.unshift('--trace-gc')
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', gcDir ? openSync(join(gcDir, `gc-${env.PORT}.txt`), 'w') : 'ignore', 'inherit'],
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
  const flagSets = o.flagSets ?? [SERVICE_FLAGS]
  // Ports 3811 (on) and 3812 (off) for the first flag set, as before; 3813, 3814… for others.
  const pairs = flagSets.map((flags, i) => ({
    flags,
    on: {
      port: 3811 + 2 * i,
      ...serve(o.script, { ...env, PORT: String(3811 + 2 * i), ACCESS_LOG: 'on' }, flags),
    },
    off: {
      port: 3812 + 2 * i,
      ...serve(o.script, { ...env, PORT: String(3812 + 2 * i), ACCESS_LOG: 'off' }, flags),
    },
    rps: { on: [] as number[], off: [] as number[] },
    // CPU ms per request: on a loaded machine, steadier than req/s.
    cpu: { on: [] as number[], off: [] as number[] },
  }))
  const children = pairs.flatMap((p) => [p.on.child, p.off.child])
  try {
    await Promise.all(pairs.flatMap((p) => [p.on.ready, p.off.ready]))
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
    for (const p of pairs) {
      for (const port of [p.on.port, p.off.port])
        await autocannon({ url: url(port), connections, duration: 1, headers })
    }
    for (let round = 1; round <= rounds; round++) {
      for (const p of round % 2 === 1 ? pairs : [...pairs].reverse()) {
        for (const [side, into, cpu] of [
          [p.on, p.rps.on, p.cpu.on],
          [p.off, p.rps.off, p.cpu.off],
        ] as const) {
          const cpu0 = cpuMs(side.child.pid)
          const r = await autocannon({ url: url(side.port), connections, duration: seconds, headers })
          if (r.non2xx > 0 || r.errors > 0) throw new Error(`${r.non2xx} non-2xx answers, ${r.errors} errors`)
          into.push(r.requests.average)
          cpu.push((cpuMs(side.child.pid) - cpu0) / r.requests.total)
        }
        const label = flagSets.length > 1 ? ` [${p.flags.join(' ') || 'no flags'}]` : ''
        console.log(
          `access log, round ${round}${label}: on ${p.rps.on.at(-1)?.toFixed(0)} req/s · off ${p.rps.off.at(-1)?.toFixed(0)} req/s = ${((p.rps.on.at(-1) as number) / (p.rps.off.at(-1) as number)).toFixed(3)}; CPU ms per request on ${p.cpu.on.at(-1)?.toFixed(3)} · off ${p.cpu.off.at(-1)?.toFixed(3)}`,
        )
      }
    }
    for (const p of pairs) {
      p.on.child.kill('SIGTERM')
      await new Promise((r) => p.on.child.once('exit', r))
    }
    const db = new Database(o.dbPath, { readonly: true })
    const entries = (db.prepare('select count(*) as n from access_log').get() as { n: number }).n
    db.close()
    for (const p of pairs) {
      const label = flagSets.length > 1 ? ` [${p.flags.join(' ') || 'no flags'}]` : ''
      console.log(
        `access log on/off${label}: ${median(p.rps.on).toFixed(0)} / ${median(p.rps.off).toFixed(0)} req/s = ${(median(p.rps.on) / median(p.rps.off)).toFixed(3)} (bar: ≥ 0.95; ${entries} entries written); CPU per request, off ÷ on: ${(median(p.cpu.off) / median(p.cpu.on)).toFixed(3)} (${median(p.cpu.on).toFixed(3)} / ${median(p.cpu.off).toFixed(3)} ms)`,
      )
    }
    const first = pairs[0] as (typeof pairs)[number]
    const ratio = median(first.rps.on) / median(first.rps.off)
    return { on: first.rps.on, off: first.rps.off, ratio, entries }
  } finally {
    for (const child of children) child.kill('SIGTERM')
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
  // BENCH_DB: an existing data set (e.g. bench/startup-rss.ts's, as large as npm run bench's).
  if (process.env.BENCH_DB) {
    try {
      await accessLogBench({
        dbPath: process.env.BENCH_DB,
        secret: 'bench-secret-0123456789-abcdefghijklmnop',
        script: process.env.SCRIPT ?? 'src/server.ts',
        flagSets: process.env.FLAG_SETS?.split('|').map((set) => set.split(' ').filter(Boolean)),
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    return
  }
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
      script: process.env.SCRIPT ?? 'src/server.ts',
      flagSets: process.env.FLAG_SETS?.split('|').map((set) => set.split(' ').filter(Boolean)),
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
