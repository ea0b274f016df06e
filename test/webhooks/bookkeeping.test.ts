import { afterEach, describe, expect, it } from 'vitest'
import { now } from '../../src/lib/write-path.js'
import {
  type Bookkeeping,
  inTurn,
  storeBookkeeping,
  writeDeliveryLog,
} from '../../src/modules/webhooks/delivery.js'
import { decodeBatch, encodeBatch } from '../../src/modules/webhooks/delivery-protocol.js'
import { webhookExists } from '../../src/modules/webhooks/webhooks-repository.js'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { getJson, type Json, type TestApp } from '../resources/fixtures.js'

/**
 * The delivery loop's bookkeeping as the request thread commits it: a batch (as the worker sends
 * it, through encodeBatch, a copy between threads and decodeBatch) written in one transaction
 * has the effect of its records applied one by one, in order. Read back through the API.
 * WEBHOOK_DELIVERY off: no loop runs, the batches here are the only writers.
 */
let t: TestApp
afterEach(async () => {
  await t.app.close()
})

const admin = () => bearer('directory:admin', { sub: 'admin-alice' })

async function start(keep = 1000): Promise<(batch: Bookkeeping[]) => Promise<void>> {
  t = await buildTestApp({
    WEBHOOK_DELIVERY: 'false',
    WEBHOOK_ALLOW_LOOPBACK: 'true',
    WEBHOOK_LOG_KEEP: String(keep),
  })
  const store = storeBookkeeping(t.db)
  const db = t.db
  // As the loop flushes: its log entries into the delivery log, then the rest to the store.
  return async (batch) => {
    await inTurn(db)((tx) => writeDeliveryLog(tx, batch, keep, (id) => webhookExists(db, id)))
    await store(decodeBatch(structuredClone(encodeBatch(batch))))
  }
}

async function subscribe(n: number): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: await admin(),
    payload: { url: `http://127.0.0.1:9/hook?n=${n}` },
  })
  expect(res.statusCode, res.body).toBe(201)
  return (res.json() as { id: string }).id
}

const AT = '2026-12-06T07:00:00.000Z'

function success(webhookId: string, seq: number, attempt = 1): Bookkeeping {
  return {
    webhookId,
    entry: { webhookId, kind: 'change', seq, attempt, at: AT, status: 204, durationMs: seq % 7, error: null },
    position: seq,
  }
}

const delivery = async (id: string) =>
  (await getJson<{ delivery: Json }>(t, `/v1/webhooks/${id}`, await admin())).delivery

/** The log, oldest first, without ids: [seq, attempt, status, durationMs, error]. */
async function log(id: string): Promise<unknown[][]> {
  const page = await getJson<{ items: Json[] }>(t, `/v1/webhooks/${id}/deliveries?limit=100`, await admin())
  return page.items.reverse().map((e) => [e.seq, e.attempt, e.status, e.durationMs, e.error])
}

describe('bookkeeping batches', () => {
  it('a batch of N deliveries over two subscriptions logs exactly N rows, in order, and stores each last position', async () => {
    const store = await start()
    const [a, b] = [await subscribe(1), await subscribe(2)]
    const start0 = (await delivery(a)).position as number
    const batch: Bookkeeping[] = []
    for (let seq = start0 + 1; seq <= start0 + 7; seq++)
      batch.push(success(a, seq), success(b, seq, seq - start0))
    await store(batch)
    const expected = (attempt: (seq: number) => number) =>
      Array.from({ length: 7 }, (_, i) => start0 + 1 + i).map((seq) => [
        seq,
        attempt(seq),
        204,
        seq % 7,
        null,
      ])
    expect(await log(a)).toEqual(expected(() => 1))
    expect(await log(b)).toEqual(expected((seq) => seq - start0))
    const rows = t.db.$client.prepare('select count(*) as n from webhook_deliveries').get() as { n: number }
    expect(rows.n).toBe(14)
    const caughtUp = { position: start0 + 7, attempt: 0, nextAttemptAt: null, failingSince: null }
    expect(await delivery(a)).toEqual(caughtUp)
    expect(await delivery(b)).toEqual(caughtUp)
  })

  it('a failure after successes in one batch keeps both: the position of the last success, then the retry state', async () => {
    const store = await start()
    const a = await subscribe(1)
    const p = (await delivery(a)).position as number
    const next = Date.parse('2026-12-06T07:00:05.000Z')
    const since = Date.parse('2026-12-06T07:00:00.000Z')
    await store([
      success(a, p + 1),
      success(a, p + 2),
      {
        webhookId: a,
        entry: {
          webhookId: a,
          kind: 'change',
          seq: p + 3,
          attempt: 1,
          at: AT,
          status: 503,
          durationMs: 4,
          error: 'the target answered 503',
        },
        position: p + 2,
        failure: { attempt: 1, nextAttemptAt: next, since },
      },
    ])
    expect(await delivery(a)).toEqual({
      position: p + 2,
      attempt: 1,
      nextAttemptAt: '2026-12-06T07:00:05.000Z',
      failingSince: '2026-12-06T07:00:00.000Z',
    })
    expect(await log(a)).toEqual([
      [p + 1, 1, 204, (p + 1) % 7, null],
      [p + 2, 1, 204, (p + 2) % 7, null],
      [p + 3, 1, 503, 4, 'the target answered 503'],
    ])
    // The retry succeeds in the next batch: the failure is cleared with the new position.
    await store([success(a, p + 3, 2)])
    expect(await delivery(a)).toEqual({
      position: p + 3,
      attempt: 0,
      nextAttemptAt: null,
      failingSince: null,
    })
  })

  it('a position never moves back, whatever the order of the records', async () => {
    const store = await start()
    const a = await subscribe(1)
    const p = (await delivery(a)).position as number
    await store([success(a, p + 5), { webhookId: a, position: p + 2 }])
    expect((await delivery(a)).position).toBe(p + 5)
    await store([{ webhookId: a, position: p + 1 }])
    expect((await delivery(a)).position).toBe(p + 5)
  })

  it('a disable in a batch turns the subscription off with its reason and keeps the position before it', async () => {
    const store = await start()
    const a = await subscribe(1)
    const p = (await delivery(a)).position as number
    await store([
      success(a, p + 1),
      {
        webhookId: a,
        entry: {
          webhookId: a,
          kind: 'change',
          seq: p + 2,
          attempt: 1,
          at: AT,
          status: 410,
          durationMs: 2,
          error: 'the target answered 410',
        },
        position: p + 1,
        disable: `The target answered 410 Gone at ${AT}`,
      },
    ])
    const read = await getJson<Json>(t, `/v1/webhooks/${a}`, await admin())
    expect([read.active, read.disabledReason, read.version]).toEqual([
      false,
      `The target answered 410 Gone at ${AT}`,
      2,
    ])
    expect(read.delivery).toEqual({ position: p + 1, attempt: 0, nextAttemptAt: null, failingSince: null })
    expect((await log(a)).map((e) => e.slice(0, 3))).toEqual([
      [p + 1, 1, 204],
      [p + 2, 1, 410],
    ])
  })

  it("a deleted subscription's records are dropped; the others' are written", async () => {
    const store = await start()
    const [a, b] = [await subscribe(1), await subscribe(2)]
    const p = (await delivery(b)).position as number
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${a}`, headers: await admin() })
    expect(res.statusCode).toBe(204)
    await store([success(a, p + 1), success(b, p + 1), success(a, p + 2)])
    const rows = t.db.$client
      .prepare('select webhook_id as id, seq from webhook_deliveries order by id')
      .all() as { id: string; seq: number }[]
    expect(rows).toEqual([{ id: b, seq: p + 1 }])
    expect(
      t.db.$client.prepare('select count(*) as n from webhook_cursors where webhook_id = ?').get(a),
    ).toEqual({ n: 0 })
  })

  it('each log keeps its newest WEBHOOK_LOG_KEEP rows after a batch: the last allowed count, then one past it', async () => {
    const store = await start(3)
    const [a, b] = [await subscribe(1), await subscribe(2)]
    const p = (await delivery(a)).position as number
    await store([success(a, p + 1), success(a, p + 2), success(a, p + 3), success(b, p + 1)])
    expect((await log(a)).map((e) => e[0])).toEqual([p + 1, p + 2, p + 3])
    await store([success(a, p + 4), success(a, p + 5)])
    expect((await log(a)).map((e) => e[0])).toEqual([p + 3, p + 4, p + 5])
    expect((await log(b)).map((e) => e[0])).toEqual([p + 1])
  })
})

describe('the bookkeeping wire format', () => {
  it('decodes to the records encoded, every shape', () => {
    const batch: Bookkeeping[] = [
      { webhookId: 'a', position: 0 },
      success('b', 12, 3),
      {
        webhookId: 'a',
        entry: {
          webhookId: 'a',
          kind: 'ping',
          seq: null,
          attempt: 1,
          at: now(),
          status: null,
          durationMs: 0,
          error: 'ECONNREFUSED: refused',
        },
      },
      {
        webhookId: 'b',
        entry: {
          webhookId: 'b',
          kind: 'change',
          seq: 13,
          attempt: 2,
          at: AT,
          status: 500,
          durationMs: 9,
          error: 'the target answered 500',
        },
        position: 12,
        failure: { attempt: 2, nextAttemptAt: 1_800_000_000_000, since: 1_799_999_990_000 },
      },
      { webhookId: 'c', position: 40, disable: 'gone' },
    ]
    const wire = structuredClone(encodeBatch(batch))
    expect(wire.ids).toEqual(['a', 'b', 'c'])
    // Log entries stay in the worker, which writes the delivery log itself.
    expect(decodeBatch(wire)).toEqual(batch.map(({ entry: _entry, ...rest }) => rest))
    expect(decodeBatch(encodeBatch([]))).toEqual([])
  })
})
