import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { bearer, TEST_SECRET } from '../helpers/build-test-app.js'
import { sleep } from '../resources/fixtures.js'
import { type Receiver, startReceiver } from './receiver.js'

// The delivery worker starts from TypeScript sources through tsx here: seconds on a loaded machine.
vi.setConfig({ testTimeout: 60_000 })

/**
 * The write turns the request thread takes for the delivery worker (its bookkeeping
 * transactions) are counted in /metrics: what deliveries cost request writes, observable.
 */
const dir = mkdtempSync(join(tmpdir(), 'pocdir-webhook-metrics-'))
let a: Awaited<ReturnType<typeof buildApp>>
let db: ReturnType<typeof openDatabase>
let r: Receiver
beforeAll(async () => {
  const path = join(dir, 'pocdir.db')
  const config = loadConfig({
    JWT_SECRET: TEST_SECRET,
    DATABASE_PATH: path,
    RATE_LIMIT_MAX: '0',
    METRICS: 'admin',
    WEBHOOK_ALLOW_LOOPBACK: 'true',
    WEBHOOK_POLL_MS: '20',
  })
  db = openDatabase(path)
  runMigrations(db)
  seed(db)
  a = await buildApp({ config, db })
  r = await startReceiver()
})
afterAll(async () => {
  await a.close()
  db.$client.close()
  await r.close()
  rmSync(dir, { recursive: true, force: true })
})

const turns = async () => {
  const res = await a.inject({ method: 'GET', url: '/metrics', headers: await bearer('directory:admin') })
  expect(res.statusCode).toBe(200)
  const count = /^pocdir_webhook_write_turn_seconds_count (\d+)$/m.exec(res.body)
  const sum = /^pocdir_webhook_write_turn_seconds_sum ([\d.e+-]+)$/m.exec(res.body)
  return { count: Number(count?.[1]), sum: Number(sum?.[1]) }
}

describe('write turns taken for the delivery worker', () => {
  it('none before any subscription; a delivery stores its position in at least one, counted with its time', async () => {
    expect(await turns()).toEqual({ count: 0, sum: 0 })
    const admin = { ...(await bearer('directory:admin')), 'content-type': 'application/json' }
    const sub = await a.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: admin,
      payload: { url: r.url },
    })
    expect(sub.statusCode, sub.body).toBe(201)
    const org = await a.inject({
      method: 'POST',
      url: '/v1/organizations',
      headers: admin,
      payload: { name: 'Ministry', kind: 'government', stateCode: 'KG' },
    })
    expect(org.statusCode, org.body).toBe(201)
    await r.until((got) => got.length >= 1)
    const id = (sub.json() as { id: string }).id
    const seq = Number(r.received[0]?.headers['webhook-id'])
    // The position is committed by the request thread, in a write turn taken for the worker.
    let position = 0
    for (const end = Date.now() + 30_000; position !== seq && Date.now() < end; await sleep(20)) {
      const res = await a.inject({ method: 'GET', url: `/v1/webhooks/${id}`, headers: admin })
      position = (res.json() as { delivery: { position: number } }).delivery.position
    }
    expect(position).toBe(seq)
    const after = await turns()
    expect(after.count).toBeGreaterThanOrEqual(1)
    expect(after.sum).toBeGreaterThan(0)
  })
})
