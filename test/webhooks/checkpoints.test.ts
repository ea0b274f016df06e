import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { CHECKPOINT_BACKSTOP_PAGES } from '../../src/modules/webhooks/delivery-protocol.js'
import { bearer, TEST_SECRET } from '../helpers/build-test-app.js'
import { sleep } from '../resources/fixtures.js'
import { type Receiver, startReceiver } from './receiver.js'

// The delivery worker starts from TypeScript sources through tsx here: seconds on a loaded machine.
vi.setConfig({ testTimeout: 60_000 })

/**
 * While the delivery worker runs, it checkpoints the WAL and the request thread's connection
 * does so only past a backstop: the checkpoint's copy and sync stay off the thread that answers
 * requests. Without a worker the connection has SQLite's default again.
 */
const dir = mkdtempSync(join(tmpdir(), 'pocdir-webhook-checkpoints-'))
const path = join(dir, 'pocdir.db')
let a: Awaited<ReturnType<typeof buildApp>>
let db: ReturnType<typeof openDatabase>
let r: Receiver
beforeAll(async () => {
  const config = loadConfig({
    JWT_SECRET: TEST_SECRET,
    DATABASE_PATH: path,
    RATE_LIMIT_MAX: '0',
    WEBHOOK_ALLOW_LOOPBACK: 'true',
    WEBHOOK_POLL_MS: '20',
  })
  db = openDatabase(path)
  runMigrations(db)
  seed(db)
  a = await buildApp({ config, db })
  r = await startReceiver()
})
let closed = false
afterAll(async () => {
  if (!closed) await a.close()
  db.$client.close()
  await r.close()
  rmSync(dir, { recursive: true, force: true })
})

const autocheckpoint = () => db.$client.pragma('wal_autocheckpoint', { simple: true })

/** Times the WAL restarted after a complete checkpoint (the checkpoint sequence in its header). */
function walRestarts(): number {
  const fd = openSync(`${path}-wal`, 'r')
  const header = Buffer.alloc(16)
  readSync(fd, header, 0, 16, 0)
  closeSync(fd)
  return header.readUInt32BE(12)
}

async function write(admin: Record<string, string>, n: number) {
  const res = await a.inject({
    method: 'POST',
    url: '/v1/organizations',
    headers: admin,
    payload: { name: `Ministry ${n}`, kind: 'government', stateCode: 'KG' },
  })
  expect(res.statusCode, res.body).toBe(201)
}

describe('WAL checkpoints while the delivery worker runs', () => {
  it("SQLite's default before any subscription; the backstop while the worker runs, which checkpoints; the default again once it stopped", async () => {
    expect(autocheckpoint()).toBe(1000)
    const admin = { ...(await bearer('directory:admin')), 'content-type': 'application/json' }
    const sub = await a.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: admin,
      payload: { url: r.url },
    })
    expect(sub.statusCode, sub.body).toBe(201)
    await write(admin, 0)
    await r.until((got) => got.length >= 1)
    expect(autocheckpoint()).toBe(CHECKPOINT_BACKSTOP_PAGES)
    // A few writes are far from the backstop: the WAL restarts because the worker checkpointed it.
    const before = walRestarts()
    let n = 1
    for (const end = Date.now() + 30_000; walRestarts() === before && Date.now() < end; await sleep(100)) {
      await write(admin, n++)
    }
    expect(walRestarts()).toBeGreaterThan(before)
    expect(n).toBeLessThan(400)
    await a.close()
    closed = true
    for (const end = Date.now() + 10_000; autocheckpoint() !== 1000 && Date.now() < end; ) await sleep(20)
    expect(autocheckpoint()).toBe(1000)
  })
})
