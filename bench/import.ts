/**
 * The import bar (issue #11: a 20,000-row import over HTTP ≤ 4× the bare import server given the
 * same rows), in alternating rounds so that each round's ratio compares like with like on a busy
 * machine. `npm run bench` runs three rounds of it (`importRounds`); alone:
 *
 *   npx tsx bench/import.ts   # builds dist/ first; IMPORT_ROUNDS=5, IMPORT_BENCH_PORT=3813
 *
 * BENCH_BEFORE=<folder> also runs another build in the same rounds (a copy of an earlier
 * commit's `dist/` and `migrations/` in that folder, e.g. under tmp/, so it resolves this
 * checkout's node_modules): old and new are then compared on the same machine at the same time.
 * BENCH_NODE_ARGS adds node options to the services (`--cpu-prof --cpu-prof-dir=tmp/prof`
 * profiles the request thread and the import worker, each to its own file). NO_BUILD=1 skips tsc.
 *
 * Each round starts a fresh service (`node dist/server.js`, as `npm run bench` does) on an empty
 * migrated and seeded database and times the POST /v1/imports of the CSV from request to
 * answer, then the same for bench/bare-import-server.ts. Both servers start and settle (their CPU
 * time stops moving) before the clock.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { SignJWT } from 'jose'
import { openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'
import { states } from '../src/db/schema.js'
import { seed } from '../src/db/seed.js'
import { buildDist } from './build.js'
import { directoryRows, toCsv } from './dataset.js'
import { SERVICE_FLAGS } from './service-flags.js'

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'
// The service listens on PORT, the bare import server on PORT + 2.
const PORT = Number(process.env.IMPORT_BENCH_PORT ?? 3813)
const children = new Set<ChildProcess>()
let dir = ''

function emptyDb(name: string): { path: string; states: string[] } {
  const path = join(dir, name)
  const db = openDatabase(path)
  runMigrations(db)
  seed(db)
  const codes = db
    .select()
    .from(states)
    .all()
    .map((s) => s.code)
  db.$client.close()
  return { path, states: codes }
}

async function serve(args: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.add(child)
  for (;;) {
    try {
      if ((await fetch(ready)).ok) {
        await settled(child)
        return child
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * Waits until a started server is idle: at least 1.5 s after ready, then until a quarter second
 * passes without its CPU time moving (at most 20 s). A service keeps a spare import worker,
 * loaded a second after it listens; the import is timed against a settled service, not its start.
 */
async function settled(child: ChildProcess): Promise<void> {
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))
  await pause(1_500)
  for (let waited = 0; waited < 20_000; waited += 250) {
    const before = cpuMs(child.pid)
    await pause(250)
    if (cpuMs(child.pid) === before) return
  }
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
  children.delete(child)
}

/** CPU time (user + system, every thread) a process has used, in ms (Linux, 10 ms ticks). */
function cpuMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/** A process's resident memory now, in MB (Linux). */
function rssMb(pid: number | undefined): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)
  return Number(line?.[1] ?? 0) / 1024
}

/**
 * Wall time from request to answer, and the server's CPU time meanwhile: on a shared machine
 * the wall time swings with the load, the CPU time far less (bench/README.md).
 */
async function timedPost(
  url: string,
  headers: Record<string, string>,
  body: string,
  server: ChildProcess,
): Promise<{ ms: number; cpu: number; rss: number }> {
  const rss = rssMb(server.pid)
  const cpu0 = cpuMs(server.pid)
  const t0 = performance.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/csv', ...headers }, body })
  const text = await res.text()
  const ms = performance.now() - t0
  const cpu = cpuMs(server.pid) - cpu0
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text}`)
  return { ms, cpu, rss }
}

export interface ImportRatios {
  /** Service ÷ bare import server, one per round: wall time and CPU time. */
  wall: number[]
  cpu: number[]
  /** The build's and the bare server's wall times, ms, one per round. */
  ms: number[]
  bareMs: number[]
}

export const medianOf = (list: number[]) =>
  [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? Number.NaN

/**
 * `rounds` alternating rounds of each build's import and the bare import server's, each on a
 * fresh, settled server with nothing else asking it anything; answers each build's ratios.
 */
export async function importRounds(options: RoundOptions): Promise<Map<string, ImportRatios>> {
  dir = mkdtempSync(join(tmpdir(), 'pocdir-import-bench-'))
  try {
    return await runRounds(options)
  } finally {
    for (const child of children) child.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}

interface RoundOptions {
  rounds: number
  /** [name, server entry] pairs, e.g. ['service', 'dist/server.js']. */
  builds: [string, string][]
  nodeArgs?: string[]
}

async function runRounds({
  rounds,
  builds,
  nodeArgs = [],
}: RoundOptions): Promise<Map<string, ImportRatios>> {
  const codes = emptyDb('rows.db').states
  // The rows `npm run bench` imports.
  const csv = toCsv(
    directoryRows({ states: codes, people: 20_000, tenuresPerPerson: 1, organizationsPerState: 15, seed: 7 }),
  )
  const token = await new SignJWT({ scope: 'directory:import' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))
  const ratios = new Map<string, ImportRatios>(
    builds.map(([name]) => [name, { wall: [], cpu: [], ms: [], bareMs: [] }]),
  )
  for (let round = 1; round <= rounds; round++) {
    const times = new Map<string, { ms: number; cpu: number; rss: number }>()
    for (const [name, entry] of round % 2 === 1 ? builds : [...builds].reverse()) {
      const service = await serve(
        [...SERVICE_FLAGS, ...nodeArgs, entry],
        {
          DATABASE_PATH: emptyDb(`${name}-${round}.db`).path,
          JWT_SECRET: SECRET,
          RATE_LIMIT_MAX: '0',
          LOG_LEVEL: 'warn',
          PORT: String(PORT),
        },
        `http://127.0.0.1:${PORT}/readyz`,
      )
      times.set(
        name,
        await timedPost(
          `http://127.0.0.1:${PORT}/v1/imports`,
          { authorization: `Bearer ${token}` },
          csv,
          service,
        ),
      )
      await stop(service)
    }
    const bare = await serve(
      ['--import', 'tsx', 'bench/bare-import-server.ts'],
      { DATABASE_PATH: emptyDb(`bare-${round}.db`).path, PORT: String(PORT + 2) },
      `http://127.0.0.1:${PORT + 2}/readyz`,
    )
    const base = await timedPost(`http://127.0.0.1:${PORT + 2}/import`, {}, csv, bare)
    await stop(bare)
    const line = [...times].map(([name, { ms, cpu, rss }]) => {
      ratios.get(name)?.wall.push(ms / base.ms)
      ratios.get(name)?.cpu.push(cpu / base.cpu)
      ratios.get(name)?.ms.push(ms)
      ratios.get(name)?.bareMs.push(base.ms)
      return `${name} ${ms.toFixed(0)} ms, CPU ${cpu.toFixed(0)} ms (ratios ${(ms / base.ms).toFixed(2)}, CPU ${(cpu / base.cpu).toFixed(2)}), idle RSS before it ${rss.toFixed(0)} MB`
    })
    console.log(
      `round ${round}: bare import server ${base.ms.toFixed(0)} ms, CPU ${base.cpu.toFixed(0)} ms; ${line.join('; ')}`,
    )
  }
  return ratios
}

async function main() {
  if (!process.env.NO_BUILD) {
    await buildDist()
  }
  const builds: [string, string][] = [['service', 'dist/server.js']]
  if (process.env.BENCH_BEFORE) builds.push(['before', join(process.env.BENCH_BEFORE, 'dist/server.js')])
  const ratios = await importRounds({
    rounds: Number(process.env.IMPORT_ROUNDS ?? 5),
    builds,
    nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  })
  const summary = (list: number[]) => {
    const sorted = [...list].sort((a, b) => a - b)
    return `median ${medianOf(list).toFixed(2)} (min ${sorted[0]?.toFixed(2)}, max ${sorted.at(-1)?.toFixed(2)})`
  }
  for (const [name, { wall, cpu }] of ratios) {
    console.log(
      `${name}: import of 20,000 rows over HTTP ÷ bare import server: wall ${summary(wall)}; CPU ${summary(cpu)}; bar ≤ 4`,
    )
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}
