/**
 * The start-up and peak-RSS parts of `npm run bench`, alone (issue #11): faster to repeat on a
 * shared machine than the whole bench. `npx tsx bench/startup-rss.ts`; STARTS (default 8) starts
 * to ready, then the directory load of the bench on a cached and an uncached service (ROUNDS ×
 * SECONDS, default 5 × 6) and their peak RSS (VmHWM). BENCH_DB keeps the data set between runs
 * (built there when missing); NO_BUILD=1 skips compiling dist/. BASELINE=dist-base/server.js
 * (an older build copied into the checkout, so that its ../../migrations resolves) runs that
 * build beside dist/server.js in the same run: starts alternate, load rounds alternate, and both
 * are reported, so a shared machine's drift falls on both sides.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { SignJWT } from 'jose'
import { openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'
import { seed } from '../src/db/seed.js'
import { parseImportBody } from '../src/modules/imports/import-parse.js'
import { runImport } from '../src/modules/imports/import-service.js'
import { buildDist } from './build.js'
import { directoryRows, toCsv } from './dataset.js'
import { SERVICE_FLAGS } from './service-flags.js'

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'
const STARTS = Number(process.env.STARTS ?? 8)
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const SECONDS = Number(process.env.SECONDS ?? 6)
const dbPath = process.env.BENCH_DB ?? join(tmpdir(), 'pocdir-startup-rss.db')
const children: ChildProcess[] = []
// Ports of their own: other benches may run on the machine.
const BASE_PORT = Number(process.env.BASE_PORT ?? 4711)
const BASELINE = process.env.BASELINE
// The baseline runs with the flags of its time (BASELINE_FLAGS, space-separated).
const BASELINE_FLAGS = (process.env.BASELINE_FLAGS ?? '--max-semi-space-size=8').split(' ').filter(Boolean)
const builds: { name: string; script: string; flags: string[] }[] = [
  { name: 'new', script: 'dist/server.js', flags: SERVICE_FLAGS },
  ...(BASELINE ? [{ name: 'old', script: BASELINE, flags: BASELINE_FLAGS }] : []),
]

function buildDataset() {
  const db = openDatabase(dbPath)
  runMigrations(db)
  seed(db)
  const states = (db.$client.prepare('select code from states').all() as { code: string }[]).map(
    (s) => s.code,
  )
  const spread = states.filter((s) => s !== 'TJ' && s !== 'LI')
  const sized = (state: string, people: number, seed: number) =>
    directoryRows({ states: [state], people, tenuresPerPerson: 1, organizationsPerState: 15, seed }).map(
      (r, i) => ({
        ...r,
        externalId: `${state}-${i}`,
        email: `holder.${i}@${state.toLowerCase()}.example.gov`,
      }),
    )
  const batches = [
    directoryRows({ states: spread, people: 20_000, tenuresPerPerson: 2, organizationsPerState: 15 }),
    sized('TJ', 3_000, 11),
    sized('LI', 20, 12),
  ]
  for (const batch of batches) {
    runImport(db, { actor: 'bench', requestId: 'bench' }, parseImportBody('csv', toCsv(batch)), {
      dryRun: false,
      limitedTo: null,
      seesRestricted: true,
    })
  }
  db.$client.pragma('wal_checkpoint(TRUNCATE)')
  db.$client.close()
}

function start(
  env: Record<string, string>,
  script = 'dist/server.js',
  flags = SERVICE_FLAGS,
): { child: ChildProcess; ready: Promise<number> } {
  const t0 = performance.now()
  const child = spawn(process.execPath, [...flags, script], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_PATH: dbPath,
      JWT_SECRET: SECRET,
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.push(child)
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`the service exited (${child.exitCode}) before it was ready`)
      try {
        if ((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).ok) return performance.now() - t0
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  })()
  return { child, ready }
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })

const rssMb = (pid: number | undefined, field: 'VmHWM' | 'VmRSS') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

/** CPU time (user + system) the process has used, in ms: less at the mercy of a busy machine than wall time. */
const cpuMs = (pid: number | undefined) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function main() {
  if (!existsSync(dbPath)) buildDataset()
  if (!process.env.NO_BUILD) {
    await buildDist()
  }
  type Starts = { wall: number[]; cpu: number[]; idle: number[] }
  const starts = new Map<string, Starts>(builds.map((b) => [b.name, { wall: [], cpu: [], idle: [] }]))
  for (let i = 0; i < STARTS; i++) {
    // Alternating builds, and which goes first, so drift falls on both.
    for (const build of i % 2 === 0 ? builds : [...builds].reverse()) {
      const s = start({ PORT: String(BASE_PORT) }, build.script, build.flags)
      const m = starts.get(build.name) as Starts
      m.wall.push(await s.ready)
      m.idle.push(rssMb(s.child.pid, 'VmRSS'))
      m.cpu.push(cpuMs(s.child.pid))
      await stop(s.child)
    }
  }
  for (const [name, m] of starts) {
    console.log(
      `${name}: start-up to ready: median ${median(m.wall).toFixed(0)} ms, min ${Math.min(...m.wall).toFixed(0)} (${m.wall.map((t) => t.toFixed(0)).join(', ')}); CPU time median ${median(m.cpu).toFixed(0)} ms, min ${Math.min(...m.cpu)} ms; RSS when ready ${median(m.idle).toFixed(0)} MB`,
    )
  }
  const [mine, old] = [starts.get('new'), starts.get('old')]
  if (mine && old) {
    const paired = mine.cpu.map((c, i) => c / (old.cpu[i] as number))
    console.log(
      `CPU time to ready, new ÷ old per pair: median ${median(paired).toFixed(2)} (${paired.map((r) => r.toFixed(2)).join(', ')})`,
    )
  }
  if (ROUNDS === 0) return

  const services = builds.flatMap((build, b) =>
    (['cached', 'uncached'] as const).map((mode, m) => {
      const port = BASE_PORT + 1 + b * 2 + m
      const env: Record<string, string> = {
        PORT: String(port),
        ...(mode === 'uncached' ? { READ_CACHE_MB: '0' } : {}),
      }
      return {
        name: `${build.name} ${mode}`,
        port,
        ...start(env, build.script, build.flags),
        rps: [] as number[],
      }
    }),
  )
  await Promise.all(services.map((s) => s.ready))
  const token = await new SignJWT({ scope: 'directory:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))
  const headers = { authorization: `Bearer ${token}` }
  const url = (port: number) => `http://127.0.0.1:${port}/v1/directory?state=KG&limit=50`
  for (const s of services) await autocannon({ url: url(s.port), connections: 50, duration: 2, headers })
  for (let round = 1; round <= ROUNDS; round++) {
    const line: string[] = []
    for (const s of round % 2 === 1 ? services : [...services].reverse()) {
      const r = await autocannon({ url: url(s.port), connections: 50, duration: SECONDS, headers })
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${s.name}: ${r.non2xx} non-2xx, ${r.errors} errors`)
      s.rps.push(r.requests.average)
      line.push(`${s.name} ${r.requests.average.toFixed(0)} req/s`)
    }
    console.log(`round ${round}: ${line.join(' · ')}`)
  }
  for (const build of builds) {
    const [c, u] = services
      .filter((s) => s.name.startsWith(`${build.name} `))
      .map((s) => rssMb(s.child.pid, 'VmHWM'))
    console.log(
      `${build.name}: peak RSS (VmHWM): cached ${c?.toFixed(0)} MB, uncached ${u?.toFixed(0)} MB; max ${Math.max(c ?? 0, u ?? 0).toFixed(0)} MB`,
    )
  }
}

main()
  .catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
  .finally(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  })
