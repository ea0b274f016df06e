/**
 * The directory throughput section of `npm run bench` alone (issue #11's cached and uncached
 * bars), for working on the read path: the same data set and page, the bare server, the service
 * with its page cache and without, in alternating rounds. The data set is built once into
 * BENCH_DB (default tmp/bench-directory.db) and reused; the service runs from dist/ (build it
 * first with `npm run build`), or with BENCH_PROFILE=1 under `node --cpu-prof` (profiles in tmp/).
 *
 *   npm run build && BENCH_SECONDS=5 BENCH_ROUNDS=3 npx tsx bench/directory.ts
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { SignJWT } from 'jose'
import { openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'
import { states as statesTable } from '../src/db/schema.js'
import { seed } from '../src/db/seed.js'
import { parseImportBody } from '../src/modules/imports/import-parse.js'
import { runImport } from '../src/modules/imports/import-service.js'
import { directoryRows, toCsv } from './dataset.js'

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const PROFILE = process.env.BENCH_PROFILE === '1'
const dbPath = process.env.BENCH_DB ?? 'tmp/bench-directory.db'
const children: ChildProcess[] = []

function buildDataSet() {
  mkdirSync('tmp', { recursive: true })
  const db = openDatabase(dbPath)
  runMigrations(db)
  seed(db)
  const states = db
    .select()
    .from(statesTable)
    .all()
    .map((s) => s.code)
  const rows = directoryRows({ states, people: 20_000, tenuresPerPerson: 2, organizationsPerState: 15 })
  runImport(db, { actor: 'bench', requestId: 'bench' }, parseImportBody('csv', toCsv(rows)), {
    dryRun: false,
    limitedTo: null,
    seesRestricted: true,
  })
  db.$client.pragma('wal_checkpoint(TRUNCATE)')
  db.$client.close()
}

async function start(args: string[], env: Record<string, string>, probe: string): Promise<number> {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.push(child)
  const until = Date.now() + 120_000
  for (;;) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`${args.join(' ')} did not start`)
    try {
      if ((await fetch(`http://127.0.0.1:${env.PORT}${probe}`)).ok) return child.pid as number
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** CPU time (user + system) the process has used, in ms: what a request costs on a shared machine. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

async function load(pid: number, url: string, headers: Record<string, string> = {}) {
  const before = cpuMs(pid)
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers })
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`)
  return { rps: r.requests.average, p99: r.latency.p99, cpu: (cpuMs(pid) - before) / r.requests.total }
}

async function main() {
  if (!existsSync(dbPath)) buildDataSet()
  const env = { DATABASE_PATH: dbPath, JWT_SECRET: SECRET, RATE_LIMIT_MAX: '0', LOG_LEVEL: 'warn' }
  const node = (name: string) =>
    PROFILE
      ? ['--cpu-prof', '--cpu-prof-dir=tmp', `--cpu-prof-name=${name}.cpuprofile`, '--max-semi-space-size=8']
      : ['--max-semi-space-size=8']
  const cachedPid = await start([...node('cached'), 'dist/server.js'], { ...env, PORT: '3811' }, '/readyz')
  const uncachedPid = await start(
    [...node('uncached'), 'dist/server.js'],
    { ...env, PORT: '3812', READ_CACHE_MB: '0' },
    '/readyz',
  )
  const barePid = await start(
    [...node('bare'), '--import', 'tsx', 'bench/bare-server.ts'],
    { DATABASE_PATH: dbPath, PORT: '3813' },
    '/directory?state=AD',
  )
  const token = await new SignJWT({ scope: 'directory:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))
  const auth = { authorization: `Bearer ${token}` }
  const page = '?state=KG&limit=50'
  const cached = `http://127.0.0.1:3811/v1/directory${page}`
  const uncached = `http://127.0.0.1:3812/v1/directory${page}`
  const bare = `http://127.0.0.1:3813/directory${page}`
  const sample = (await (await fetch(uncached, { headers: auth })).json()) as { items: unknown[] }
  if (sample.items.length !== 50) throw new Error(`expected a page of 50, got ${sample.items.length}`)
  for (const [url, headers] of [
    [bare, {}],
    [cached, auth],
    [uncached, auth],
  ] as const) {
    await autocannon({ url, connections: CONNECTIONS, duration: 2, headers })
  }
  const ratios = {
    cached: [] as number[],
    uncached: [] as number[],
    p99: [] as number[],
    cachedCpu: [] as number[],
    uncachedCpu: [] as number[],
  }
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await load(barePid, bare)
    const c = await load(cachedPid, cached, auth)
    const u = await load(uncachedPid, uncached, auth)
    ratios.cached.push(c.rps / b.rps)
    ratios.uncached.push(u.rps / b.rps)
    ratios.p99.push(u.p99 / b.p99)
    ratios.cachedCpu.push(b.cpu / c.cpu)
    ratios.uncachedCpu.push(b.cpu / u.cpu)
    const cpu = (r: { cpu: number }) => `${r.cpu.toFixed(2)} ms CPU/req`
    console.log(
      `round ${round}: bare ${b.rps.toFixed(0)} req/s p99 ${b.p99} ms ${cpu(b)} · cached ${c.rps.toFixed(0)} (${(c.rps / b.rps).toFixed(2)}×) ${cpu(c)} · ` +
        `uncached ${u.rps.toFixed(0)} (${(u.rps / b.rps).toFixed(2)}×) p99 ${u.p99} ms (${(u.p99 / b.p99).toFixed(2)}×) ${cpu(u)}`,
    )
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  console.log(
    `median ratios: uncached ${median(ratios.uncached).toFixed(2)} (bar ≥ 0.8) · cached ${median(ratios.cached).toFixed(2)} (bar ≥ 3) · uncached p99 ${median(ratios.p99).toFixed(2)} (bar ≤ 1.5)`,
  )
  // On a shared machine throughput follows the CPU the other processes leave; CPU per request
  // does not: bare CPU/req ÷ service CPU/req is the throughput ratio a quiet machine would show.
  console.log(
    `median CPU-per-request ratios (bare ÷ service): uncached ${median(ratios.uncachedCpu).toFixed(2)} · cached ${median(ratios.cachedCpu).toFixed(2)}`,
  )
}

try {
  await main()
} finally {
  // SIGINT lets a --cpu-prof child write its profile on the way out.
  for (const child of children) child.kill('SIGINT')
}
