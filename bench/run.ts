/**
 * npm run bench: the service against a bare Fastify + better-sqlite3 baseline on the same
 * machine in the same run. Prints throughput and latency ratios for the directory read (cached
 * and uncached), a page's cost in a 20- and a 3,000-holder state, reads during a 20,000-row
 * import and during two full exports, the import over HTTP beside a bare import server given the same
 * rows, start-up time and peak RSS.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { SignJWT } from 'jose'
import { openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'
import { seed } from '../src/db/seed.js'
import { parseImportBody } from '../src/modules/imports/import-parse.js'
import { runImport } from '../src/modules/imports/import-service.js'
import { accessLogBench } from './access-log.js'
import { buildDist } from './build.js'
import { directoryRows, toCsv } from './dataset.js'
import { importRounds, medianOf } from './import.js'
import { listPageCost } from './list-page-cost.js'
import { SERVICE_FLAGS } from './service-flags.js'
import { benchWebhooks } from './webhooks.js'

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
const CONNECTIONS = 50
// The tail measured again at 10 connections, where connections open without that wait: at 50,
// autocannon's p99 swings between 0.4 s and 4 s from one round to the next, for either server,
// with how long the last connections wait for their first response (see load()).
const TAIL_CONNECTIONS = 10
const TAIL_ROUNDS = 3
const dir = mkdtempSync(join(tmpdir(), 'pocdir-bench-'))
const BIG_STATE = 'TJ'
const SMALL_STATE = 'LI'
const children: ChildProcess[] = []

function start(script: string, env: Record<string, string>): { child: ChildProcess; ready: Promise<number> } {
  const t0 = performance.now()
  // The service runs compiled and with the Docker image's node flags; the bare server through tsx.
  const args = script.endsWith('.js') ? [...SERVICE_FLAGS, script] : ['--import', 'tsx', script]
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  const url = `http://127.0.0.1:${env.PORT}`
  const ready = (async () => {
    for (;;) {
      try {
        const res = await fetch(
          `${url}${script.endsWith('bare-server.ts') ? '/directory?state=AD' : '/readyz'}`,
        )
        if (res.ok) return performance.now() - t0
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  })()
  return { child, ready }
}

function peakRssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

/**
 * One round of load. Besides autocannon's own figures, the p99 of responses on established
 * connections, each connection's first response left out: autocannon opens its connections
 * while the server is busy answering the first ones, so at 50 connections the late ones wait
 * seconds for their first response, on any Node server (a bare node:http server with a 4 ms
 * handler shows it too). That wait, not serving, is what autocannon's p99 measures there.
 */
async function load(url: string, headers: Record<string, string> = {}, connections = CONNECTIONS) {
  const established: number[] = []
  const r = await autocannon({
    url,
    connections,
    duration: SECONDS,
    headers,
    setupClient: (client) => {
      let first = true
      client.on('response', (_status: number, _bytes: number, ms: number) => {
        if (!first) established.push(ms)
        first = false
      })
    },
  })
  // A connection error or timeout (a reconnect) fails the round, so no connection opens twice.
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`)
  established.sort((a, b) => a - b)
  // Nearest rank, as autocannon's histogram reports its percentiles.
  const p99Established = established[Math.ceil(established.length * 0.99) - 1] ?? Number.NaN
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    p99Established,
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function main() {
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  )
  // 1. The data set: all states, ~2,900 organizations, 20,000 people, 40,000 tenures (half ended).
  const dbPath = join(dir, 'bench.db')
  const db = openDatabase(dbPath)
  runMigrations(db)
  seed(db)
  const states = db
    .select()
    .from((await import('../src/db/schema.js')).states)
    .all()
    .map((s) => s.code)
  // TJ and LI are left out of the spread, then get 3,000 and 20 current holders: the page-cost bar.
  const spread = states.filter((s) => s !== BIG_STATE && s !== SMALL_STATE)
  const rows = directoryRows({
    states: spread,
    people: 20_000,
    tenuresPerPerson: 2,
    organizationsPerState: 15,
  })
  const sized = (state: string, people: number, seed: number) =>
    directoryRows({ states: [state], people, tenuresPerPerson: 1, organizationsPerState: 15, seed }).map(
      (r, i) => ({
        ...r,
        externalId: `${state}-${i}`,
        email: `holder.${i}@${state.toLowerCase()}.example.gov`,
      }),
    )
  let t0 = performance.now()
  for (const batch of [rows, sized(BIG_STATE, 3_000, 11), sized(SMALL_STATE, 20, 12)]) {
    runImport(db, { actor: 'bench', requestId: 'bench' }, parseImportBody('csv', toCsv(batch)), {
      dryRun: false,
      limitedTo: null,
      seesRestricted: true,
    })
  }
  const counts = db.$client
    .prepare(
      'select (select count(*) from contacts) c, (select count(*) from organizations) o, (select count(*) from assignments) a',
    )
    .get() as { c: number; o: number; a: number }
  console.log(
    `data set: ${counts.c} contacts, ${counts.o} organizations, ${counts.a} assignments (loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  )
  db.$client.pragma('wal_checkpoint(TRUNCATE)')
  db.$client.close()

  // 2. Start-up to ready, on the 20,000-contact database.
  const env = { DATABASE_PATH: dbPath, JWT_SECRET: SECRET, RATE_LIMIT_MAX: '0', LOG_LEVEL: 'warn' }
  await buildDist()
  const service = start('dist/server.js', { ...env, PORT: '3801' })
  const startup = await service.ready
  // The same service with the page cache off: what a read of changed data costs.
  const uncached = start('dist/server.js', { ...env, PORT: '3804', READ_CACHE_MB: '0' })
  await uncached.ready
  const bare = start('bench/bare-server.ts', { DATABASE_PATH: dbPath, PORT: '3802' })
  await bare.ready

  // 3. The directory read: a page of 50 fully embedded holders for one state.
  const ours = 'http://127.0.0.1:3801/v1/directory?state=KG&limit=50'
  const oursUncached = 'http://127.0.0.1:3804/v1/directory?state=KG&limit=50'
  const base = 'http://127.0.0.1:3802/directory?state=KG&limit=50'
  const token = await new SignJWT({ scope: 'directory:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))
  const auth = { authorization: `Bearer ${token}` }
  const sample = (await (await fetch(ours, { headers: auth })).json()) as { items: unknown[] }
  if (sample.items.length !== 50) throw new Error(`expected a page of 50, got ${sample.items.length}`)
  const size = (await (await fetch(ours, { headers: auth })).text()).length
  await autocannon({ url: base, connections: CONNECTIONS, duration: 2 })
  await autocannon({ url: ours, connections: CONNECTIONS, duration: 2, headers: auth })
  await autocannon({ url: oursUncached, connections: CONNECTIONS, duration: 2, headers: auth })
  type Rounds = { bare: Awaited<ReturnType<typeof load>>[]; ours: Awaited<ReturnType<typeof load>>[] }
  const results: Rounds = { bare: [], ours: [] }
  const cold: Rounds = { bare: [], ours: [] }
  const tail: Rounds = { bare: [], ours: [] }
  const fmt = (r: Awaited<ReturnType<typeof load>> | undefined) =>
    `${r?.rps.toFixed(0)} req/s p99 ${r?.p99} ms (established ${r?.p99Established.toFixed(0)})`
  for (let round = 1; round <= ROUNDS; round++) {
    results.bare.push(await load(base))
    results.ours.push(await load(ours, auth))
    cold.ours.push(await load(oursUncached, auth))
    cold.bare.push(results.bare.at(-1) as Awaited<ReturnType<typeof load>>)
    console.log(
      `round ${round}: bare ${fmt(results.bare.at(-1))} · cached ${fmt(results.ours.at(-1))} · uncached ${fmt(cold.ours.at(-1))}`,
    )
  }
  for (let round = 1; round <= TAIL_ROUNDS; round++) {
    tail.bare.push(await load(base, {}, TAIL_CONNECTIONS))
    tail.ours.push(await load(oursUncached, auth, TAIL_CONNECTIONS))
    const b = tail.bare.at(-1)
    const o = tail.ours.at(-1)
    console.log(
      `${TAIL_CONNECTIONS} connections, round ${round}: bare ${b?.rps.toFixed(0)} req/s p99 ${b?.p99} ms · uncached service ${o?.rps.toFixed(0)} req/s p99 ${o?.p99} ms`,
    )
  }
  const rss = Math.max(peakRssMb(service.child.pid), peakRssMb(uncached.child.pid))
  await accessLogBench({ dbPath, secret: SECRET, script: 'dist/server.js', seconds: SECONDS, rounds: ROUNDS })

  // 3b. A page's cost against the state's size: 20 holders of a 3,000-holder state and of a
  //     20-holder state, uncached, one connection at a time.
  const pageCost = async (state: string) => {
    const url = `http://127.0.0.1:3804/v1/directory?state=${state}&limit=20`
    await autocannon({ url, connections: 1, duration: 1, headers: auth })
    return (await autocannon({ url, connections: 1, duration: SECONDS, headers: auth })).latency.average
  }
  const pageCosts: { small: number[]; big: number[] } = { small: [], big: [] }
  for (let round = 1; round <= 3; round++) {
    pageCosts.small.push(await pageCost(SMALL_STATE))
    pageCosts.big.push(await pageCost(BIG_STATE))
  }
  const smallMs = median(pageCosts.small)
  const bigMs = median(pageCosts.big)
  console.log(
    `page of 20: ${SMALL_STATE} (20 holders) ${smallMs.toFixed(2)} ms, ${BIG_STATE} (3,000 holders) ${bigMs.toFixed(2)} ms`,
  )

  // 3c. Reads while two full CSV exports of every contact run at once.
  const someContact = (
    (await (await fetch('http://127.0.0.1:3804/v1/contacts?limit=1', { headers: auth })).json()) as {
      items: { id: string }[]
    }
  ).items[0]?.id
  const duringExports = await readsDuring('http://127.0.0.1:3804', `/v1/contacts/${someContact}`, auth, () =>
    Promise.all(
      [1, 2].map(async () => {
        const r = await fetch('http://127.0.0.1:3804/v1/contacts', {
          headers: { ...auth, accept: 'text/csv' },
        })
        if (!r.ok) throw new Error(`export failed: ${r.status}`)
        return (await r.text()).length
      }),
    ),
  )
  console.log(`during two full exports: ${describeReads(duringExports)}`)

  // 4. Import: 20,000 people with their tenures over HTTP into an empty database, beside a bare
  //    better-sqlite3 insert of the same rows (no validation, no revisions) in the same run.
  const importRows = directoryRows({
    states,
    people: 20_000,
    tenuresPerPerson: 1,
    organizationsPerState: 15,
    seed: 7,
  })
  const csv = toCsv(importRows)
  const fresh = start('dist/server.js', { ...env, DATABASE_PATH: join(dir, 'import.db'), PORT: '3803' })
  await fresh.ready
  const importToken = await new SignJWT({ scope: 'directory:import' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET))
  let importMs = 0
  const duringImport = await readsDuring('http://127.0.0.1:3803', '/v1/states/KG', auth, async () => {
    t0 = performance.now()
    const res = await fetch('http://127.0.0.1:3803/v1/imports', {
      method: 'POST',
      headers: { authorization: `Bearer ${importToken}`, 'content-type': 'text/csv' },
      body: csv,
    })
    importMs = performance.now() - t0
    if (!res.ok) throw new Error(`import failed: ${res.status} ${await res.text()}`)
  })
  console.log(
    `during the 20,000-row import (${(importMs / 1000).toFixed(1)} s with the readers and the spare import worker still loading): ${describeReads(duringImport)}`,
  )
  fresh.child.kill()
  // The import bar: the same rows into a fresh, settled service with nothing else asking it
  // anything, in rounds alternating with the bare import server (bench/import.ts), as the bare
  // server is timed. The import above shares the CPU with the readers and, sent the moment the
  // service is ready, with the spare import worker's start.
  const imports = (await importRounds({ rounds: 3, builds: [['service', 'dist/server.js']] })).get('service')
  if (!imports) throw new Error('no import rounds')

  // 5. The table.
  type Load = Awaited<ReturnType<typeof load>>
  const m = (pick: (r: Load) => number, side: 'bare' | 'ours', from = results) => median(from[side].map(pick))
  // Rounds alternate bare and service, so each round's ratio compares like with like; the
  // table gives the median of those paired ratios (drift on a shared machine cancels out).
  const paired = (pick: (r: Load) => number, from = results) =>
    median(from.ours.map((o, i) => pick(o) / pick(from.bare[i] as Load)))
  const table = [
    {
      measure: 'directory req/s, uncached',
      bare: m((r) => r.rps, 'bare', cold),
      service: m((r) => r.rps, 'ours', cold),
      ratio: paired((r) => r.rps, cold),
    },
    {
      measure: 'directory p50 latency ms, uncached',
      bare: m((r) => r.p50, 'bare', cold),
      service: m((r) => r.p50, 'ours', cold),
      ratio: paired((r) => r.p50, cold),
    },
    {
      measure: 'directory p99 latency ms, uncached',
      bare: m((r) => r.p99, 'bare', cold),
      service: m((r) => r.p99, 'ours', cold),
      ratio: paired((r) => r.p99, cold),
    },
    {
      measure: 'p99 ms, established connections, uncached',
      bare: m((r) => r.p99Established, 'bare', cold),
      service: m((r) => r.p99Established, 'ours', cold),
      ratio: paired((r) => r.p99Established, cold),
    },
    {
      measure: 'directory req/s, cached (unchanged data)',
      bare: m((r) => r.rps, 'bare'),
      service: m((r) => r.rps, 'ours'),
      ratio: paired((r) => r.rps),
    },
    {
      measure: 'p99 ms, established connections, cached',
      bare: m((r) => r.p99Established, 'bare'),
      service: m((r) => r.p99Established, 'ours'),
      ratio: paired((r) => r.p99Established),
    },
    {
      measure: `p99 latency ms, ${TAIL_CONNECTIONS} connections`,
      bare: m((r) => r.p99, 'bare', tail),
      service: m((r) => r.p99, 'ours', tail),
      ratio: paired((r) => r.p99, tail),
    },
    {
      measure: 'import 20,000 rows ms (median of 3 paired rounds)',
      bare: medianOf(imports.bareMs),
      service: medianOf(imports.ms),
      ratio: medianOf(imports.wall),
    },
  ].map((r) => ({
    ...r,
    bare: +r.bare.toFixed(0),
    service: +r.service.toFixed(0),
    ratio: +r.ratio.toFixed(2),
  }))
  console.log(
    `\npage: 50 holders, ${(size / 1024).toFixed(1)} KiB of JSON; ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s (then ${TAIL_ROUNDS} at ${TAIL_CONNECTIONS}); bare and service: medians of rounds; ratio: median of the rounds' paired ratios`,
  )
  console.table(table)
  const rps = table[0]?.ratio ?? 0
  const p99 = table[2]?.ratio ?? 99
  const p99Established = table[3]?.ratio ?? 99
  const cachedRps = table[4]?.ratio ?? 0
  const p99Tail = table[6]?.ratio ?? 99
  const importRatio = medianOf(imports.wall)
  const pageRatio = bigMs / smallMs
  const ok = (met: boolean) => (met ? 'met' : 'NOT met')
  console.log(
    `start-up to ready on ${counts.c} contacts: ${startup.toFixed(0)} ms (node dist/server.js; bar < 1000 ms: ${ok(startup < 1000)})`,
  )
  console.log(`peak RSS of the services under load: ${rss.toFixed(0)} MB (bar < 200 MB: ${ok(rss < 200)})`)
  console.log(
    [
      `bars: uncached throughput ≥ 0.8× bare: ${ok(rps >= 0.8)}`,
      `cached ≥ 3× bare: ${ok(cachedRps >= 3)}`,
      `p99 ≤ 1.5× bare at ${CONNECTIONS} connections: ${ok(p99Established <= 1.5)} on established connections (${ok(p99 <= 1.5)} with connection ramp-up), ${ok(p99Tail <= 1.5)} at ${TAIL_CONNECTIONS}`,
      `page of a 3,000-holder state ≤ 1.5× a 20-holder one: ${ok(pageRatio <= 1.5)} (${pageRatio.toFixed(2)}×)`,
      `import ≤ 4× bare import server: ${ok(importRatio <= 4)} (${importRatio.toFixed(2)}×)`,
      `reads during the import p99 ≤ 250 ms: ${ok(duringImport.p99 <= 250)}`,
      `reads during two exports p99 ≤ 250 ms: ${ok(duringExports.p99 <= 250)}`,
    ].join(' · '),
  )

  // ── List pages over 20 and 20,000 records (issue #11, item 2): bench/list-page-cost.ts.
  const listsMet = await listPageCost()
  console.log(`list pages of 20 over 20,000 records ≤ 1.5× over 20: ${ok(listsMet)}`)

  // ── Webhooks (issue #15): a section of its own, in bench/webhooks.ts.
  await benchWebhooks()
}

/**
 * Runs `work` while two clients read in a loop, one /healthz and one `recordPath`, each request
 * waiting for the one before; answers the latencies' p99 and max over both.
 */
async function readsDuring(
  base: string,
  recordPath: string,
  headers: Record<string, string>,
  work: () => Promise<unknown>,
): Promise<{ count: number; p99: number; max: number; errors: number }> {
  const latencies: number[] = []
  let errors = 0
  let done = false
  const reader = async (path: string) => {
    while (!done) {
      const t = performance.now()
      const res = await fetch(`${base}${path}`, { headers })
      await res.arrayBuffer()
      if (!res.ok) errors++
      latencies.push(performance.now() - t)
    }
  }
  const readers = [reader('/healthz'), reader(recordPath)]
  try {
    await work()
  } finally {
    done = true
    await Promise.all(readers)
  }
  latencies.sort((a, b) => a - b)
  return {
    count: latencies.length,
    p99: latencies[Math.ceil(latencies.length * 0.99) - 1] ?? Number.NaN,
    max: latencies.at(-1) ?? Number.NaN,
    errors,
  }
}

const describeReads = (r: { count: number; p99: number; max: number; errors: number }) =>
  `${r.count} reads of /healthz and one record, p99 ${r.p99.toFixed(0)} ms, max ${r.max.toFixed(0)} ms, ${r.errors} errors`

main()
  .catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })
