/**
 * The import bar of `npm run bench` alone (issue #11: a 20,000-row import over HTTP ≤ 4× the
 * bare import server given the same rows), in alternating rounds so that each round's ratio
 * compares like with like on a busy machine:
 *
 *   npx tsx bench/import.ts   # builds dist/ first; IMPORT_ROUNDS=5, IMPORT_BENCH_PORT=3813
 *
 * Each round starts a fresh service (`node dist/server.js`, as `npm run bench` does) on an empty
 * migrated and seeded database and times the POST /v1/imports of the CSV from request to
 * answer, then the same for bench/bare-import-server.ts. Both servers start before the clock.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'
import { states } from '../src/db/schema.js'
import { seed } from '../src/db/seed.js'
import { directoryRows, toCsv } from './dataset.js'
import { SERVICE_FLAGS } from './service-flags.js'

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'
const ROUNDS = Number(process.env.IMPORT_ROUNDS ?? 5)
// The service listens on PORT, the bare import server on PORT + 2.
const PORT = Number(process.env.IMPORT_BENCH_PORT ?? 3813)
const dir = mkdtempSync(join(tmpdir(), 'pocdir-import-bench-'))
const children = new Set<ChildProcess>()

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
      if ((await fetch(ready)).ok) return child
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
  children.delete(child)
}

async function timedPost(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/csv', ...headers }, body })
  const text = await res.text()
  const ms = performance.now() - t0
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text}`)
  return ms
}

async function main() {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  })
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
  const ratios: number[] = []
  for (let round = 1; round <= ROUNDS; round++) {
    const service = await serve(
      [...SERVICE_FLAGS, 'dist/server.js'],
      {
        DATABASE_PATH: emptyDb(`service-${round}.db`).path,
        JWT_SECRET: SECRET,
        RATE_LIMIT_MAX: '0',
        LOG_LEVEL: 'warn',
        PORT: String(PORT),
      },
      `http://127.0.0.1:${PORT}/readyz`,
    )
    const ours = await timedPost(
      `http://127.0.0.1:${PORT}/v1/imports`,
      { authorization: `Bearer ${token}` },
      csv,
    )
    await stop(service)
    const bare = await serve(
      ['--import', 'tsx', 'bench/bare-import-server.ts'],
      { DATABASE_PATH: emptyDb(`bare-${round}.db`).path, PORT: String(PORT + 2) },
      `http://127.0.0.1:${PORT + 2}/readyz`,
    )
    const base = await timedPost(`http://127.0.0.1:${PORT + 2}/import`, {}, csv)
    await stop(bare)
    ratios.push(ours / base)
    console.log(
      `round ${round}: service ${ours.toFixed(0)} ms, bare import server ${base.toFixed(0)} ms, ratio ${(ours / base).toFixed(2)}`,
    )
  }
  const sorted = [...ratios].sort((a, b) => a - b)
  console.log(
    `import of 20,000 rows over HTTP ÷ bare import server: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)} (min ${sorted[0]?.toFixed(2)}, max ${sorted.at(-1)?.toFixed(2)}; bar ≤ 4)`,
  )
}

main()
  .catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })
