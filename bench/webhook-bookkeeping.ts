/**
 * The request thread's cost of committing the delivery worker's bookkeeping (issue #15): the
 * CPU time, not wall time, of `storeBookkeeping` for batches like the ones the worker sends at
 * 200 writes/s with 20 subscriptions (20 successes per subscription per 100 ms), on a file
 * database (the delivery log, in its own file, is written by the worker), the CPU time of copying a
 * batch between threads as the worker sends it (`structuredClone` of the message, then decoding
 * it), and the WAL frames each batch writes. CPU time is taken per batch; on a shared machine
 * other work inflates some batches, not all, so the quartiles are printed beside the mean.
 *
 * `npx tsx bench/webhook-bookkeeping.ts` (BENCH_BATCHES, BENCH_PER_SUB to taste).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'
import { seed } from '../src/db/seed.js'
import { newId, now } from '../src/lib/write-path.js'
import { type Bookkeeping, storeBookkeeping } from '../src/modules/webhooks/delivery.js'
import { decodeBatch, encodeBatch } from '../src/modules/webhooks/delivery-protocol.js'
import { newSecret, setSecret, startCursor } from '../src/modules/webhooks/webhooks-repository.js'

const SUBSCRIPTIONS = 20

/** CPU ms this process has used (the script runs on one thread). */
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Lower quartile and median of the CPU ms `run` takes, once per item. */
function perItem<T>(items: readonly T[], run: (item: T) => unknown): { p25: number; p50: number } {
  const times = items.map((item) => {
    const t = cpuMs()
    run(item)
    return cpuMs() - t
  })
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.floor(q * (times.length - 1))] as number
  return { p25: at(0.25), p50: at(0.5) }
}

/** WAL frames written since the last call (checkpoints off: the frames are counted, then reset). */
function walFrames(db: ReturnType<typeof openDatabase>): number {
  const [row] = db.$client.pragma('wal_checkpoint(PASSIVE)') as { log: number }[]
  db.$client.pragma('wal_checkpoint(TRUNCATE)')
  return row?.log ?? 0
}

export async function benchBookkeeping(batches = 300, perSub = 20): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pocdir-bench-bookkeeping-'))
  try {
    const path = join(dir, 'pocdir.db')
    const keep = loadConfig({ JWT_SECRET: 'x'.repeat(40), DATABASE_PATH: path }).webhooks.logKeep
    const db = openDatabase(path)
    runMigrations(db)
    seed(db)
    db.$client.pragma('wal_autocheckpoint = 0')
    const ids: string[] = []
    db.transaction((tx) => {
      for (let i = 0; i < SUBSCRIPTIONS; i++) {
        const id = newId()
        const at = now()
        db.$client
          .prepare(
            `insert into webhooks (id, url, entities, states, active, description, include_restricted,
               disabled_reason, secret_rotated_at, version, created_at, updated_at, deleted_at)
             values (?, ?, null, null, 1, null, 0, null, null, 1, ?, ?, null)`,
          )
          .run(id, `http://127.0.0.1:9/hook?n=${i}`, at, at)
        startCursor(tx, id, 0)
        setSecret(tx, id, newSecret())
        ids.push(id)
      }
    })
    const store = storeBookkeeping(db)
    let seq = 0
    const batch = (): Bookkeeping[] => {
      const out: Bookkeeping[] = []
      for (let k = 0; k < perSub; k++) {
        seq++
        for (const webhookId of ids) {
          const entry = {
            webhookId,
            kind: 'change' as const,
            seq,
            attempt: 1,
            at: now(),
            status: 204,
            durationMs: 3,
            error: null,
          }
          out.push({ webhookId, entry, position: seq })
        }
      }
      return out
    }
    // Warm-up: statement caches, the positions' pages.
    for (let i = 0; i < Math.ceil(keep / perSub) + 1; i++) await store(batch())
    walFrames(db)
    const made = Array.from({ length: batches }, batch)
    // The store's write turn is a promise; the transaction inside runs synchronously in it.
    const times: number[] = []
    for (const b of made) {
      const t = cpuMs()
      await store(b)
      times.push(cpuMs() - t)
    }
    const frames = walFrames(db) / batches
    const mean = times.reduce((a, b) => a + b, 0) / batches
    times.sort((a, b) => a - b)
    const q = (x: number) => (times[Math.floor(x * (times.length - 1))] as number).toFixed(3)
    const copy = perItem(made, (b) => decodeBatch(structuredClone(encodeBatch(b))))
    const copyObjects = perItem(made, (b) => structuredClone(b))
    console.log(
      `bookkeeping: ${batches} batches of ${perSub * SUBSCRIPTIONS} records (${SUBSCRIPTIONS} subscriptions × ${perSub}): ` +
        `commit ${mean.toFixed(3)} ms CPU per batch on average (quartiles ${q(0.25)} / ${q(0.5)} / ${q(0.75)}), ${frames.toFixed(1)} WAL frames per batch; ` +
        `copy as sent ${copy.p25.toFixed(3)} / ${copy.p50.toFixed(3)} ms (as objects: ${copyObjects.p25.toFixed(3)} / ${copyObjects.p50.toFixed(3)})`,
    )
    db.$client.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchBookkeeping(Number(process.env.BENCH_BATCHES ?? 300), Number(process.env.BENCH_PER_SUB ?? 20))
}
