import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DeliveryLoop } from '../../src/modules/webhooks/delivery.js'
import { deliveryLogPath, openDeliveryLogFile } from '../../src/modules/webhooks/delivery-log.js'
import { bearer, buildTestApp, snapshot } from '../helpers/build-test-app.js'
import { getJson, type Json, sleep, type TestApp } from '../resources/fixtures.js'
import { type Receiver, startReceiver } from './receiver.js'
import { type Created, FAST } from './support.js'

// The delivery worker starts from TypeScript sources through tsx here: seconds on a loaded machine.
vi.setConfig({ testTimeout: 60_000 })

/**
 * The delivery log is a SQLite file of its own beside the service's database, written by the
 * delivery worker: its writes never take the lock request writes need (delivery-log.ts).
 */
let t: TestApp | undefined
let r: Receiver | undefined
const dirs: string[] = []
afterEach(async () => {
  await t?.close()
  t = undefined
  await r?.close()
  r = undefined
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function databasePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pocdir-delivery-log-'))
  dirs.push(dir)
  return join(dir, 'pocdir.db')
}

const admin = async () => ({
  ...(await bearer('directory:admin', { sub: 'admin-alice' })),
  'content-type': 'application/json',
})

async function subscribe(app: TestApp, url: string): Promise<Created> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: await admin(),
    payload: { url },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as Created
}

async function createOrganization(app: TestApp, name: string): Promise<number> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/v1/organizations',
    headers: await admin(),
    payload: { name, kind: 'government', stateCode: 'KG' },
  })
  expect(res.statusCode, res.body).toBe(201)
  return (await getJson<{ nextAfter: number }>(app, '/v1/changes?after=latest')).nextAfter
}

/** The log's rows, read over a connection of the test's own: [webhook id, seq, status]. */
function logRows(path: string): [string, number | null, number | null][] {
  const db = new Database(deliveryLogPath(path), { readonly: true })
  try {
    return (
      db.prepare('select webhook_id, seq, status from webhook_deliveries order by id').raw().all() as [
        string,
        number | null,
        number | null,
      ][]
    ).map(([id, seq, status]) => [id, seq, status])
  } finally {
    db.close()
  }
}

async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  const end = Date.now() + 30_000
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > end) return value
    await sleep(20)
  }
}

describe('the delivery log, a file of its own', () => {
  it('deliveries are logged in <DATABASE_PATH>-deliveries; the service database has no such table', async () => {
    const path = databasePath()
    t = await buildTestApp({ ...FAST, DATABASE_PATH: path })
    r = await startReceiver()
    const sub = await subscribe(t, r.url)
    const seq = await createOrganization(t, 'Ministry of Logs')
    await r.until((got) => got.length >= 1)
    expect(
      await until(
        () => logRows(path),
        (rows) => rows.length >= 1,
      ),
    ).toEqual([[sub.id, seq, 204]])
    expect(
      t.db.$client.prepare("select name from sqlite_master where name like 'webhook_deliveries%'").all(),
    ).toEqual([])
    const log = await getJson<{ items: Json[] }>(t, `/v1/webhooks/${sub.id}/deliveries`, await admin())
    expect(log.items.map((e) => [e.seq, e.status, e.attempt])).toEqual([[seq, 204, 1]])
  })

  it('while another connection holds the log write-locked, request writes commit at once and the API reads the log; the log is written when the lock goes', async () => {
    const path = databasePath()
    t = await buildTestApp({ ...FAST, DATABASE_PATH: path })
    r = await startReceiver()
    const sub = await subscribe(t, r.url)
    const first = await createOrganization(t, 'Warm-up ministry')
    await until(
      () => logRows(path),
      (rows) => rows.length >= 1,
    )
    const holder = new Database(deliveryLogPath(path))
    holder.exec('begin immediate')
    let seq = 0
    try {
      const started = performance.now()
      seq = await createOrganization(t, 'Ministry written under the lock')
      // A write that needed the log's lock would wait out its five-second busy timeout.
      expect(performance.now() - started).toBeLessThan(2500)
      await r.until((got) => got.length >= 2)
      expect(r.received.map((x) => Number(x.headers['webhook-id']))).toEqual([first, seq])
      // WAL: the API reads the log while a writer holds it.
      const log = await getJson<{ items: Json[] }>(t, `/v1/webhooks/${sub.id}/deliveries`, await admin())
      expect(log.items.map((e) => e.seq)).toEqual([first])
    } finally {
      holder.exec('rollback')
      holder.close()
    }
    expect(
      await until(
        () => logRows(path),
        (rows) => rows.length >= 2,
      ),
    ).toEqual([
      [sub.id, first, 204],
      [sub.id, seq, 204],
    ])
    const position = await until(
      async () =>
        (
          await getJson<{ delivery: { position: number } }>(
            t as TestApp,
            `/v1/webhooks/${sub.id}`,
            await admin(),
          )
        ).delivery.position,
      (p) => p === seq,
    )
    expect(position).toBe(seq)
  })

  it("a deleted subscription's log is dropped; logs of subscriptions deleted while no loop ran are swept when it starts", async () => {
    const path = databasePath()
    // A log left by a subscription that no longer exists (deleted while the service was stopped).
    const stale = openDeliveryLogFile(deliveryLogPath(path))
    stale.$client
      .prepare(
        "insert into webhook_deliveries (webhook_id, kind, seq, attempt, at, status, duration_ms, error) values ('gone', 'change', 1, 1, '2026-12-01T00:00:00.000Z', 204, 3, null)",
      )
      .run()
    stale.$client.close()
    expect(logRows(path)).toEqual([['gone', 1, 204]])
    t = await buildTestApp({ ...FAST, DATABASE_PATH: path })
    r = await startReceiver()
    const [a, b] = [await subscribe(t, `${r.url}?n=a`), await subscribe(t, `${r.url}?n=b`)]
    const seq = await createOrganization(t, 'Ministry of Sweeping')
    await r.until((got) => got.length >= 2)
    const both = await until(
      () => logRows(path),
      (rows) => rows.length >= 2,
    )
    expect(both.map(([id]) => id).sort()).toEqual([a.id, b.id].sort())
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/webhooks/${a.id}`,
      headers: await bearer('directory:admin'),
    })
    expect(res.statusCode).toBe(204)
    expect(
      await until(
        () => logRows(path),
        (rows) => rows.length === 1,
      ),
    ).toEqual([[b.id, seq, 204]])
    expect(existsSync(`${path}-deliveries`)).toBe(true)
  })
})

/** The files this process has open (Linux: /proc/self/fd). */
function openFiles(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)]
    } catch {
      return []
    }
  })
}

const INDEX = "select name from sqlite_master where type = 'index' and tbl_name = 'webhook_deliveries'"

describe('the delivery log on disk', () => {
  it("has its index; the app's connections to it are closed with the app", async () => {
    const path = databasePath()
    t = await buildTestApp({ WEBHOOK_DELIVERY: 'false', DATABASE_PATH: path })
    const log = `${path}-deliveries`
    expect(openFiles()).toContain(log)
    const db = new Database(log, { readonly: true })
    expect(db.prepare(INDEX).pluck().all()).toEqual(['webhook_deliveries_webhook_idx'])
    db.close()
    await t.close()
    t = undefined
    expect(openFiles()).not.toContain(log)
  })
})

/** On the tests' in-memory database the log is a table of that database and the loop runs here. */
describe('the delivery log on the request thread (in-memory database)', () => {
  const quiet = { warn: () => {}, error: () => {} }
  const rows = (app: TestApp) =>
    app.db.$client.prepare('select webhook_id, kind from webhook_deliveries order by id').raw().all()

  async function ping(app: TestApp, id: string): Promise<void> {
    const res = await app.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${id}/ping`,
      headers: await bearer('directory:admin'),
    })
    expect(res.statusCode, res.body).toBe(200)
  }

  it("has its index; a delete drops that subscription's log and no other", async () => {
    t = await buildTestApp({ WEBHOOK_ALLOW_LOOPBACK: 'true' })
    expect(t.db.$client.prepare(INDEX).pluck().all()).toEqual(['webhook_deliveries_webhook_idx'])
    r = await startReceiver()
    const [a, b] = [await subscribe(t, `${r.url}?n=a`), await subscribe(t, `${r.url}?n=b`)]
    await ping(t, a.id)
    await ping(t, b.id)
    await ping(t, a.id)
    expect(rows(t)).toEqual([
      [a.id, 'ping'],
      [b.id, 'ping'],
      [a.id, 'ping'],
    ])
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/webhooks/${a.id}`,
      headers: await bearer('directory:admin'),
    })
    expect(res.statusCode).toBe(204)
    expect(rows(t)).toEqual([[b.id, 'ping']])
  })

  it('a loop that starts sweeps the logs of subscriptions that no longer exist, and only those', async () => {
    t = await buildTestApp({ WEBHOOK_DELIVERY: 'false', WEBHOOK_ALLOW_LOOPBACK: 'true' })
    r = await startReceiver()
    const kept = await subscribe(t, r.url)
    await ping(t, kept.id)
    t.db.$client
      .prepare(
        "insert into webhook_deliveries (webhook_id, kind, seq, attempt, at, status, duration_ms, error) values ('gone', 'change', 1, 1, '2026-12-01T00:00:00.000Z', 204, 3, null)",
      )
      .run()
    expect(rows(t)).toEqual([
      [kept.id, 'ping'],
      ['gone', 'change'],
    ])
    const loop = new DeliveryLoop(t.db, t.db, t.config.webhooks, quiet)
    loop.start()
    try {
      expect(
        await until(
          () => rows(t as TestApp),
          (x) => x.length === 1,
        ),
      ).toEqual([[kept.id, 'ping']])
    } finally {
      await loop.stop()
    }
  })

  it("pages newest first by cursor; another list's cursor, signed but not a log position, is 400", async () => {
    t = await buildTestApp({ WEBHOOK_DELIVERY: 'false', WEBHOOK_ALLOW_LOOPBACK: 'true' })
    r = await startReceiver()
    const sub = await subscribe(t, r.url)
    await subscribe(t, `${r.url}?other`)
    // Another subscription's older rows first: this one's ids, and so its cursors, have two digits.
    const filler = t.db.$client.prepare(
      "insert into webhook_deliveries (webhook_id, kind, seq, attempt, at, status, duration_ms, error) values ('other', 'change', 1, 1, '2026-12-01T00:00:00.000Z', 204, 3, null)",
    )
    for (let i = 0; i < 10; i++) filler.run()
    for (let i = 0; i < 3; i++) await ping(t, sub.id)
    const auth = await bearer('directory:admin')
    const ids = t.db.$client
      .prepare("select id from webhook_deliveries where webhook_id <> 'other' order by id desc")
      .pluck()
      .all() as number[]
    expect(ids).toEqual([13, 12, 11])
    const first = await getJson<{ items: Json[]; nextCursor: string | null }>(
      t,
      `/v1/webhooks/${sub.id}/deliveries?limit=2`,
      auth,
    )
    expect(first.items.map((e) => e.id)).toEqual(ids.slice(0, 2))
    expect(first.nextCursor).toEqual(expect.any(String))
    const second = await getJson<{ items: Json[]; nextCursor: string | null }>(
      t,
      `/v1/webhooks/${sub.id}/deliveries?limit=2&cursor=${encodeURIComponent(first.nextCursor as string)}`,
      auth,
    )
    expect(second).toEqual({ items: [expect.objectContaining({ id: ids[2] })], nextCursor: null })
    const list = await getJson<{ nextCursor: string }>(t, '/v1/webhooks?limit=1', auth)
    const before = snapshot(t.db)
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/webhooks/${sub.id}/deliveries?cursor=${encodeURIComponent(list.nextCursor)}`,
      headers: auth,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({
      errors: [{ path: 'cursor', message: 'is not a cursor this service issued' }],
    })
    expect(snapshot(t.db)).toBe(before)
  })
})
