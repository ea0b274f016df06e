/**
 * The directory throughput section of `npm run bench` alone (issue #11's cached and uncached
 * bars), for working on the read path: the same data set and page, the bare server, the service
 * with its page cache and without, in alternating rounds. The data set is built once into
 * BENCH_DB (default tmp/bench-directory.db) and reused; the service runs from dist/ (build it
 * first with `npm run build`), or with BENCH_PROFILE=1 under `node --cpu-prof` (profiles in tmp/).
 *
 *   npm run build && BENCH_SECONDS=5 BENCH_ROUNDS=3 npx tsx bench/directory.ts
 *
 * BENCH_BEFORE=<folder> also runs <folder>/dist/server.js (another commit's build) in the same
 * rounds, for before/after ratios on a shared machine.
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
import { SERVICE_FLAGS } from './service-flags.js'

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const PROFILE = process.env.BENCH_PROFILE === '1'
const dbPath = process.env.BENCH_DB ?? 'tmp/bench-directory.db'
// Ports of their own: other benches on the machine use the 38xx of bench/run.ts.
const PORT = Number(process.env.BENCH_PORT ?? 47110)
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
      ? ['--cpu-prof', '--cpu-prof-dir=tmp', `--cpu-prof-name=${name}.cpuprofile`, ...SERVICE_FLAGS]
      : SERVICE_FLAGS
  const page = '?state=KG&limit=50'
  const bare = {
    name: 'bare',
    pid: await start(
      [...node('bare'), '--import', 'tsx', 'bench/bare-server.ts'],
      { DATABASE_PATH: dbPath, PORT: String(PORT) },
      '/directory?state=AD',
    ),
    url: `http://127.0.0.1:${PORT}/directory${page}`,
  }
  // The service as built in dist/, and with BENCH_BEFORE=<folder> another build of it (its
  // dist/server.js) in the same rounds: before and after a change, beside the same bare server.
  const builds: [string, string][] = [['', 'dist/server.js']]
  if (process.env.BENCH_BEFORE) builds.push(['before ', `${process.env.BENCH_BEFORE}/dist/server.js`])
  const services: { name: string; pid: number; url: string }[] = []
  let port = PORT
  for (const [label, script] of builds) {
    for (const cached of [true, false]) {
      const name = `${label}${cached ? 'cached' : 'uncached'}`
      port++
      const pid = await start(
        [...node(name.replace(' ', '-')), script],
        { ...env, PORT: String(port), ...(cached ? {} : { READ_CACHE_MB: '0' }) },
        '/readyz',
      )
      services.push({ name, pid, url: `http://127.0.0.1:${port}/v1/directory${page}` })
    }
  }
  const token = await new SignJWT({ scope: 'directory:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))
  const auth = { authorization: `Bearer ${token}` }
  for (const s of services) {
    const sample = (await (await fetch(s.url, { headers: auth })).json()) as { items: unknown[] }
    if (sample.items.length !== 50)
      throw new Error(`${s.name}: expected a page of 50, got ${sample.items.length}`)
  }
  await autocannon({ url: bare.url, connections: CONNECTIONS, duration: 2 })
  for (const s of services)
    await autocannon({ url: s.url, connections: CONNECTIONS, duration: 2, headers: auth })

  const ratios = new Map(
    services.map((s) => [s.name, { rps: [] as number[], p99: [] as number[], cpu: [] as number[] }]),
  )
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await load(bare.pid, bare.url)
    const line = [
      `round ${round}: bare ${b.rps.toFixed(0)} req/s p99 ${b.p99} ms ${b.cpu.toFixed(2)} ms CPU/req`,
    ]
    for (const s of services) {
      const r = await load(s.pid, s.url, auth)
      const x = ratios.get(s.name) as { rps: number[]; p99: number[]; cpu: number[] }
      x.rps.push(r.rps / b.rps)
      x.p99.push(r.p99 / b.p99)
      x.cpu.push(b.cpu / r.cpu)
      line.push(
        `${s.name} ${r.rps.toFixed(0)} (${(r.rps / b.rps).toFixed(2)}×) p99 ${r.p99} ms (${(r.p99 / b.p99).toFixed(2)}×) ${r.cpu.toFixed(2)} ms CPU/req`,
      )
    }
    console.log(line.join(' · '))
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  // On a shared machine throughput follows the CPU the other processes leave; CPU per request
  // does not: bare CPU/req ÷ service CPU/req is the throughput ratio a quiet machine would show.
  for (const [name, x] of ratios) {
    console.log(
      `${name}: median req/s ratio ${median(x.rps).toFixed(2)} · p99 ratio ${median(x.p99).toFixed(2)} · ` +
        `CPU-per-request ratio (bare ÷ service) ${median(x.cpu).toFixed(2)}  [bars: uncached ≥ 0.8, cached ≥ 3, p99 ≤ 1.5]`,
    )
  }
}

try {
  await main()
} finally {
  // SIGINT lets a --cpu-prof child write its profile on the way out.
  for (const child of children) child.kill('SIGINT')
}
