/**
 * Webhooks section of `npm run bench` (issue #15): write and read latency with no subscriptions
 * and with 20 active ones, in the same run, on the compiled service (run.ts builds dist/ first).
 * Each round measures, without subscriptions and then with 20 (local receivers answering 204):
 * writes at a fixed 50 and 200 per second (POST /v1/organizations, autocannon's overallRate)
 * with reads at a fixed 50 per second beside them (GET /v1/organizations), then writes as fast
 * as 10 connections go (saturation: every write fans out to 20 signed POSTs on the same cores).
 * After each phase with subscriptions it waits until the receivers have every change. It prints
 * the medians over rounds and the ratios 20 subscriptions ÷ none, latency and the CPU the
 * request thread spent per request (from /proc: on a shared machine latency is mostly the other
 * tenants, CPU time per request is not).
 *
 * Alone (`npm run build && npx tsx bench/webhooks.ts`, BENCH_ROUNDS and BENCH_SECONDS to taste),
 * with BENCH_BEFORE=<folder> it also runs <folder>/dist/server.js (another commit's build) in the
 * same run, a round of each in turn, and prints the two side by side.
 *
 * The receivers (one HTTP server for all 20 subscriptions) run in a child process at nice 10 by
 * default: partners' receivers are other machines, and what is measured is the service's own
 * cost. BENCH_RECEIVERS=inline runs them, as before 5 December's second session, inside this
 * process, on the event loop that also runs autocannon and times its requests.
 *
 * Beside latency it prints counts that a loaded machine barely moves: the write turns the
 * request thread committed for the delivery worker (from /metrics, METRICS=admin), and the WAL's
 * restarts after a complete checkpoint (the checkpoint sequence in the -wal file's header).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { setPriority, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import autocannon from 'autocannon'
import { SignJWT } from 'jose'
import { listenReceivers } from './webhook-receivers.js'

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'
const SUBSCRIPTIONS = 20
/** BENCH_WEBHOOKS_PORT when 3811 is taken (another run on the same machine). */
const PORT = process.env.BENCH_WEBHOOKS_PORT ?? '3811'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function token(): Promise<string> {
  return new SignJWT({ scope: 'directory:admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET))
}

function startService(
  dbPath: string,
  port: string,
  script = 'dist/server.js',
): { child: ChildProcess; ready: Promise<void> } {
  const compiled = existsSync(script)
  // BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) is passed to the service's node.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(
    process.execPath,
    [...nodeArgs, ...(compiled ? [script] : ['--import', 'tsx', 'src/server.ts'])],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: port,
        JWT_SECRET: SECRET,
        DATABASE_PATH: dbPath,
        RATE_LIMIT_MAX: '0',
        LOG_LEVEL: 'warn',
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        METRICS: 'admin',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  const ready = (async () => {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
  return { child, ready }
}

/** The receivers' nice value when they run in their own process. */
const RECEIVERS_NICE = 10

interface Receivers {
  url: string
  count(): Promise<number>
  close(): void
}

async function startReceivers(separate: boolean): Promise<Receivers> {
  let port: number
  let close: () => void
  if (separate) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/webhook-receivers.ts'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    setPriority(child.pid as number, RECEIVERS_NICE)
    port = ((await once(child, 'message')) as [number])[0]
    child.disconnect()
    close = () => child.kill('SIGTERM')
  } else {
    const server = await listenReceivers()
    port = (server.address() as AddressInfo).port
    close = () => server.close()
  }
  const url = `http://127.0.0.1:${port}`
  return { url: `${url}/hook`, count: async () => Number(await (await fetch(url)).text()), close }
}

/** The write turns taken for the delivery worker so far: how many, seconds held, how many held over 5 ms. */
async function writeTurns(
  base: string,
  auth: Record<string, string>,
): Promise<{ count: number; sum: number; over5ms: number }> {
  const text = await (await fetch(`${base}/metrics`, { headers: auth })).text()
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN)
  const count = value(/^pocdir_webhook_write_turn_seconds_count (\S+)$/m)
  return {
    count,
    sum: value(/^pocdir_webhook_write_turn_seconds_sum (\S+)$/m),
    over5ms: count - value(/^pocdir_webhook_write_turn_seconds_bucket\{le="0.005"\} (\S+)$/m),
  }
}

/** Times the WAL was restarted after a complete checkpoint (the -wal header's checkpoint sequence). */
function walRestarts(dbPath: string): number {
  try {
    const fd = openSync(`${dbPath}-wal`, 'r')
    const header = Buffer.alloc(16)
    readSync(fd, header, 0, 16, 0)
    closeSync(fd)
    return header.readUInt32BE(12)
  } catch {
    return 0
  }
}

interface Load {
  rps: number
  /** Mean latency, ms: autocannon's percentiles are whole milliseconds, its mean is not. */
  mean: number
  p50: number
  p99: number
  total: number
}

/**
 * CPU milliseconds the service's main thread (the one serving requests; its thread id is the
 * process id) has used, from /proc: unlike latency, barely moved by other work on the machine.
 */
function requestThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime (fields 14 and 15 of stat(5)), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  options: { write: boolean; rate?: number },
): Promise<Load> {
  const r = await autocannon({
    url,
    method: options.write ? 'POST' : 'GET',
    connections: 10,
    duration: seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    headers: options.write ? { ...headers, 'content-type': 'application/json' } : headers,
    ...(options.write
      ? { body: JSON.stringify({ name: 'Bench ministry', kind: 'government', stateCode: 'KG' }) }
      : {}),
  })
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`)
  return {
    rps: r.requests.average,
    mean: r.latency.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
  }
}

/** The phases of a round: writes at a fixed rate (reads beside them), then at saturation. */
const PHASES = [
  { name: '50 writes/s', rate: 50 },
  { name: '200 writes/s', rate: 200 },
  { name: 'saturation', rate: undefined },
] as const
const READ_RATE = 50
/** Longest wait for the receivers to have every change before the next phase. */
const CATCH_UP_MS = 180_000

interface Sample {
  writes: Load
  reads: Load | null
  /** Request-thread CPU ms per request answered (writes and reads). */
  cpu: number
  /** The whole process's CPU ms (every thread: the delivery worker's too) per request answered. */
  processCpu: number
  /** WAL restarts after a complete checkpoint during the phase. */
  walRestarts: number
}

/** CPU milliseconds the whole service process (every thread) has used, from /proc. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

interface Build {
  label: string
  script: string
  port: string
  service: { child: ChildProcess; ready: Promise<void> }
  without: Sample[][]
  withSubs: Sample[][]
  catchUp: number[][]
  /**
   * CPU ms spent off the request thread (the delivery worker, mostly) per delivery, from the
   * start of a phase with subscriptions until the receivers have every change.
   */
  perDelivery: number[][]
  /** Deliveries per second the receivers got during a phase with subscriptions (not after it). */
  duringPhase: number[][]
  /** Deliveries the receivers got in this build's last round. */
  received: number
  /** Write turns taken for the delivery worker per second of a phase with subscriptions. */
  turnsPerSecond: number[][]
  /** Their mean hold time, ms. */
  turnMs: number[][]
  /** How many of them were held over 5 ms, per phase. */
  turnsOver5ms: number[][]
  dbPath: string
}

export async function benchWebhooks(rounds = 3, seconds = 5): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pocdir-bench-webhooks-'))
  const separate = process.env.BENCH_RECEIVERS !== 'inline'
  const receivers = await startReceivers(separate)
  const hook = receivers.url
  const scripts: [string, string][] = [['new', 'dist/server.js']]
  if (process.env.BENCH_BEFORE) scripts.push(['before', `${process.env.BENCH_BEFORE}/dist/server.js`])
  const builds: Build[] = scripts.map(([label, script], i) => {
    const port = String(Number(PORT) + i)
    return {
      label,
      script,
      port,
      service: startService(join(dir, `webhooks-${label}.db`), port, script),
      dbPath: join(dir, `webhooks-${label}.db`),
      without: PHASES.map(() => []),
      withSubs: PHASES.map(() => []),
      catchUp: PHASES.map(() => []),
      perDelivery: PHASES.map(() => []),
      duringPhase: PHASES.map(() => []),
      received: 0,
      turnsPerSecond: PHASES.map(() => []),
      turnMs: PHASES.map(() => []),
      turnsOver5ms: PHASES.map(() => []),
    }
  })
  try {
    const auth = { authorization: `Bearer ${await token()}` }
    for (const build of builds) await build.service.ready
    const phase = async (build: Build, rate: number | undefined): Promise<Sample> => {
      const base = `http://127.0.0.1:${build.port}`
      const pid = build.service.child.pid as number
      const cpu0 = requestThreadCpuMs(pid)
      const all0 = processCpuMs(pid)
      const wal0 = walRestarts(build.dbPath)
      const [w, r] = await Promise.all([
        load(`${base}/v1/organizations`, auth, seconds, { write: true, rate }),
        rate === undefined
          ? null
          : load(`${base}/v1/organizations?limit=20`, auth, seconds, { write: false, rate: READ_RATE }),
      ])
      const n = w.total + (r?.total ?? 0)
      const cpu = (requestThreadCpuMs(pid) - cpu0) / n
      return {
        writes: w,
        reads: r,
        cpu,
        processCpu: (processCpuMs(pid) - all0) / n,
        walRestarts: walRestarts(build.dbPath) - wal0,
      }
    }
    /**
     * Waits until the receivers have `expected` deliveries since `received0` (counted by the
     * receivers: polling the service would keep its request thread busy, and deliveries yield
     * to that), then until every
     * position has reached the feed's head (the last write).
     */
    const caughtUp = async (
      base: string,
      ids: string[],
      received0: number,
      expected: number,
    ): Promise<number> => {
      const t0 = performance.now()
      while ((await receivers.count()) - received0 < expected && performance.now() - t0 < CATCH_UP_MS) {
        await new Promise((r) => setTimeout(r, 20))
      }
      const head = ((await (await fetch(`${base}/v1/changes?after=latest`)).json()) as { nextAfter: number })
        .nextAfter
      while (performance.now() - t0 < CATCH_UP_MS) {
        const positions = await Promise.all(
          ids.map(async (id) => {
            const r = await fetch(`${base}/v1/webhooks/${id}`, { headers: auth })
            return ((await r.json()) as { delivery: { position: number } }).delivery.position
          }),
        )
        if (positions.every((p) => p >= head)) break
        await new Promise((r) => setTimeout(r, 500))
      }
      return performance.now() - t0
    }
    // Warm-up (JIT, statement caches), not measured.
    for (const build of builds) await phase(build, 200)
    for (let round = 0; round < rounds; round++) {
      // With two builds, each round runs both, in turn (which one first alternates).
      const order = round % 2 === 0 ? builds : [...builds].reverse()
      for (const build of order) {
        const base = `http://127.0.0.1:${build.port}`
        const pid = build.service.child.pid as number
        for (const [i, { rate }] of PHASES.entries()) build.without[i]?.push(await phase(build, rate))
        const ids: string[] = []
        for (let i = 0; i < SUBSCRIPTIONS; i++) {
          const res = await fetch(`${base}/v1/webhooks`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ url: `${hook}?n=${i}` }),
          })
          if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${await res.text()}`)
          ids.push(((await res.json()) as { id: string }).id)
        }
        const roundStart = await receivers.count()
        // Every write fans out to every subscription (no filters).
        let expected = 0
        for (const [i, { rate }] of PHASES.entries()) {
          const received0 = await receivers.count()
          const turns0 = await writeTurns(base, auth)
          const [thread0, all0] = [requestThreadCpuMs(pid), processCpuMs(pid)]
          const sample = await phase(build, rate)
          const during = (await receivers.count()) - received0
          const turns = await writeTurns(base, auth)
          build.withSubs[i]?.push(sample)
          build.duringPhase[i]?.push(during / seconds)
          build.turnsPerSecond[i]?.push((turns.count - turns0.count) / seconds)
          build.turnMs[i]?.push((1000 * (turns.sum - turns0.sum)) / Math.max(1, turns.count - turns0.count))
          build.turnsOver5ms[i]?.push(turns.over5ms - turns0.over5ms)
          expected += sample.writes.total * SUBSCRIPTIONS
          build.catchUp[i]?.push(await caughtUp(base, ids, roundStart, expected))
          const offThread = processCpuMs(pid) - all0 - (requestThreadCpuMs(pid) - thread0)
          build.perDelivery[i]?.push(offThread / Math.max(1, (await receivers.count()) - received0))
        }
        build.received = (await receivers.count()) - roundStart
        for (const id of ids) await fetch(`${base}/v1/webhooks/${id}`, { method: 'DELETE', headers: auth })
      }
    }
    const med = (xs: number[]) => +median(xs).toFixed(1)
    const rowsOf = (build: Build) =>
      PHASES.flatMap(({ name }, i) =>
        (
          [
            ['none', build.without[i] ?? []],
            [String(SUBSCRIPTIONS), build.withSubs[i] ?? []],
          ] as const
        ).map(([subs, samples]) => ({
          build: build.label,
          phase: name,
          subscriptions: subs,
          'writes/s': +median(samples.map((s) => s.writes.rps)).toFixed(0),
          'write mean': +median(samples.map((s) => s.writes.mean)).toFixed(2),
          'write p50': med(samples.map((s) => s.writes.p50)),
          'write p99': med(samples.map((s) => s.writes.p99)),
          'read p99': samples[0]?.reads ? med(samples.map((s) => s.reads?.p99 ?? 0)) : '–',
          'thread ms/req': +median(samples.map((s) => s.cpu)).toFixed(3),
          'process ms/req': +median(samples.map((s) => s.processCpu)).toFixed(3),
          'WAL restarts': median(samples.map((s) => s.walRestarts)),
        })),
      )
    console.log(
      `\n── webhooks (receivers ${separate ? `in their own process at nice ${RECEIVERS_NICE}` : 'inline, in the process running autocannon'}): writes (POST /v1/organizations, 10 connections) and reads (GET /v1/organizations, ${READ_RATE}/s beside fixed-rate writes), ${rounds} rounds of ${seconds} s per phase, with no subscriptions and with ${SUBSCRIPTIONS} active ones`,
    )
    // A phase where no request of a kind completed (an overloaded machine) has no ratio.
    const ratio = (x: number | string, y: number | string) =>
      Number(x) > 0 && Number(y) > 0 ? (Number(x) / Number(y)).toFixed(2) : 'n/a'
    for (const build of builds) {
      const rows = rowsOf(build)
      console.table(rows)
      const tag = builds.length > 1 ? `webhooks (${build.label} = ${build.script})` : 'webhooks'
      for (const [i, { name, rate }] of PHASES.entries()) {
        const a = rows[2 * i] as (typeof rows)[number]
        const b = rows[2 * i + 1] as (typeof rows)[number]
        console.log(
          `${tag}, ${name}: ${SUBSCRIPTIONS} subscriptions ÷ none: ` +
            (rate === undefined ? `throughput ${ratio(b['writes/s'], a['writes/s'])}×, ` : '') +
            `write mean ${ratio(b['write mean'], a['write mean'])}×, write p50 ${ratio(b['write p50'], a['write p50'])}×, write p99 ${ratio(b['write p99'], a['write p99'])}×` +
            (rate === undefined ? '' : `, read p99 ${ratio(b['read p99'], a['read p99'])}×`) +
            `, request-thread CPU per request ${ratio(b['thread ms/req'], a['thread ms/req'])}×` +
            `; receivers had every change ${median(build.catchUp[i] ?? []).toFixed(0)} ms (median) after the phase` +
            `; CPU off the request thread per delivery ${median(build.perDelivery[i] ?? []).toFixed(3)} ms` +
            `; ${median(build.duringPhase[i] ?? []).toFixed(0)} deliveries/s during the phase` +
            `; write transactions for the worker (bookkeeping, pings) ${median(build.turnsPerSecond[i] ?? []).toFixed(1)}/s` +
            ` (each held ${median(build.turnMs[i] ?? []).toFixed(2)} ms on average; held over 5 ms: ${(build.turnsOver5ms[i] ?? []).join(', ')} per round)`,
        )
      }
      console.log(`${tag}: ${build.received} deliveries in the last round`)
    }
  } finally {
    for (const build of builds) build.service.child.kill('SIGTERM')
    receivers.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

// Run alone: `npx tsx bench/webhooks.ts` (after `npm run build`).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchWebhooks(Number(process.env.BENCH_ROUNDS ?? 3), Number(process.env.BENCH_SECONDS ?? 5))
}
