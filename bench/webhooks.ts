/**
 * Webhooks section of `npm run bench` (issue #15): write latency with no subscriptions and with
 * 20 active ones, in the same run, on the compiled service (run.ts builds dist/ first). Each
 * round writes with autocannon (POST /v1/organizations, 10 connections) without subscriptions,
 * then creates 20 subscriptions to local receivers and writes again; the deliveries run
 * while the writes do. It prints the medians over rounds, the ratio with/without, and how long
 * the 20 receivers took after the last write to have every change.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { SignJWT } from 'jose'

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'
const SUBSCRIPTIONS = 20
const PORT = '3811'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function token(): Promise<string> {
  return new SignJWT({ scope: 'directory:admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET))
}

function startService(dbPath: string): { child: ChildProcess; ready: Promise<void> } {
  const compiled = existsSync('dist/server.js')
  // BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) is passed to the service's node.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(
    process.execPath,
    [...nodeArgs, ...(compiled ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts'])],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PORT,
        JWT_SECRET: SECRET,
        DATABASE_PATH: dbPath,
        RATE_LIMIT_MAX: '0',
        LOG_LEVEL: 'warn',
        WEBHOOK_ALLOW_LOOPBACK: 'true',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  const ready = (async () => {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${PORT}/readyz`)).ok) return
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
  return { child, ready }
}

async function writeLoad(url: string, headers: Record<string, string>, seconds: number) {
  const r = await autocannon({
    url,
    method: 'POST',
    connections: 10,
    duration: seconds,
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench ministry', kind: 'government', stateCode: 'KG' }),
  })
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`writes: ${r.non2xx} non-2xx, ${r.errors} errors`)
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 }
}

export async function benchWebhooks(rounds = 3, seconds = 5): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pocdir-bench-webhooks-'))
  let received = 0
  const receiver = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      received++
      res.statusCode = 204
      res.end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
  const service = startService(join(dir, 'webhooks.db'))
  try {
    await service.ready
    const base = `http://127.0.0.1:${PORT}`
    const auth = { authorization: `Bearer ${await token()}` }
    const without: Awaited<ReturnType<typeof writeLoad>>[] = []
    const withSubs: Awaited<ReturnType<typeof writeLoad>>[] = []
    const catchUp: number[] = []
    for (let round = 0; round < rounds; round++) {
      without.push(await writeLoad(`${base}/v1/organizations`, auth, seconds))
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
      received = 0
      const load = await writeLoad(`${base}/v1/organizations`, auth, seconds)
      withSubs.push(load)
      // The last write is the feed's head: caught up when every position reaches it.
      const head = ((await (await fetch(`${base}/v1/changes?after=latest`)).json()) as { nextAfter: number })
        .nextAfter
      const t0 = performance.now()
      for (;;) {
        const states = await Promise.all(
          ids.map(async (id) => {
            const r = await fetch(`${base}/v1/webhooks/${id}`, { headers: auth })
            return ((await r.json()) as { delivery: { position: number } }).delivery.position
          }),
        )
        if (states.every((p) => p >= head)) break
        await new Promise((r) => setTimeout(r, 50))
      }
      catchUp.push(performance.now() - t0)
      for (const id of ids) await fetch(`${base}/v1/webhooks/${id}`, { method: 'DELETE', headers: auth })
    }
    const row = (name: string, runs: { rps: number; p50: number; p99: number }[]) => ({
      name,
      rps: +median(runs.map((r) => r.rps)).toFixed(0),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
    })
    console.log(
      `\n── webhooks: writes (POST /v1/organizations, 10 connections, ${rounds} rounds of ${seconds} s) with no subscriptions and with ${SUBSCRIPTIONS} active ones`,
    )
    const a = row('no subscriptions', without)
    const b = row(`${SUBSCRIPTIONS} subscriptions`, withSubs)
    console.table([a, b])
    console.log(
      `webhooks: throughput ${(b.rps / a.rps).toFixed(2)}× and p99 ${(b.p99 / a.p99).toFixed(2)}× of the no-subscription run; ` +
        `receivers had every change ${median(catchUp).toFixed(0)} ms (median) after the last write; ${received} deliveries in the last round`,
    )
  } finally {
    service.child.kill('SIGTERM')
    receiver.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
