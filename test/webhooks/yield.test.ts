import { afterEach, describe, expect, it, vi } from 'vitest'
import { DeliveryLoop, inTurn } from '../../src/modules/webhooks/delivery.js'
import { BUSY_LOAD, LOAD_SAMPLE_MS, Pace } from '../../src/modules/webhooks/delivery-pace.js'
import { sampleLoad } from '../../src/modules/webhooks/delivery-runner.js'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { createOrganization, getJson, type Json, type TestApp } from '../resources/fixtures.js'
import { type Receiver, startReceiver } from './receiver.js'

vi.setConfig({ testTimeout: 60_000 })

/**
 * The delivery loop as the worker runs it, on the app's database, with the request thread's
 * load set by the test instead of measured: the app's own loop is off (WEBHOOK_DELIVERY=false),
 * so this loop is the only one delivering.
 */
let t: TestApp
let loop: DeliveryLoop | undefined
const receivers: Receiver[] = []
afterEach(async () => {
  await loop?.stop()
  loop = undefined
  await t?.close()
  await Promise.all(receivers.splice(0).map((r) => r.close()))
})

const quiet = { warn: () => {}, error: () => {} }

async function setUp(load: () => number): Promise<{ r: Receiver; pace: Pace }> {
  t = await buildTestApp({ WEBHOOK_DELIVERY: 'false', WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_POLL_MS: '20' })
  const r = await startReceiver()
  receivers.push(r)
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: await bearer('directory:admin'),
    payload: { url: r.url },
  })
  expect(res.statusCode, res.body).toBe(201)
  const pace = new Pace(load)
  loop = new DeliveryLoop(t.db, t.db, t.config.webhooks, quiet, inTurn(t.db), pace)
  loop.start()
  return { r, pace }
}

const seqs = async (from: number) =>
  (await getJson<{ items: Json[] }>(t, `/v1/changes?after=${from}&limit=100`)).items.map((e) => String(e.seq))

const head = async () => (await getJson<{ nextAfter: number }>(t, '/v1/changes?after=latest')).nextAfter

describe('deliveries yield to requests', () => {
  it('while the request thread is busy every delivery waits for the floor; when it is not, none does; all arrive in order', async () => {
    let load = 1000
    const { r, pace } = await setUp(() => load)
    const start = await head()
    for (let i = 0; i < 4; i++) await createOrganization(t)
    const busy = await seqs(start)
    await r.until((got) => got.length >= 4)
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual(busy)
    expect(pace.counts).toEqual({ free: 0, paced: 4 })

    load = BUSY_LOAD - 1
    const middle = await head()
    for (let i = 0; i < 3; i++) await createOrganization(t)
    const quietAgain = await seqs(middle)
    await r.until((got) => got.length >= 7)
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual([...busy, ...quietAgain])
    expect(pace.counts).toEqual({ free: 3, paced: 4 })
  })

  it('the load the worker reads: busy while this thread computes without a pause, not busy once it waits', async () => {
    const load = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))
    const sampler = sampleLoad(load)
    try {
      // Three sample periods of synchronous work (the timer cannot fire), then one sample.
      const until = performance.now() + 3 * LOAD_SAMPLE_MS
      while (performance.now() < until) {
        // busy
      }
      await new Promise((resolve) => setTimeout(resolve, 0))
      await waitForSample(load, (value) => value >= BUSY_LOAD)
      expect(Atomics.load(load, 0)).toBeGreaterThanOrEqual(BUSY_LOAD)
      // Idle: the next samples cover a loop that only waits.
      await waitForSample(load, (value) => value < BUSY_LOAD)
      expect(Atomics.load(load, 0)).toBeLessThan(BUSY_LOAD)
    } finally {
      clearInterval(sampler)
    }
  })
})

/** Waits (idle) until the published load satisfies `done`, for at most fifty samples. */
async function waitForSample(load: Int32Array, done: (value: number) => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(Atomics.load(load, 0)); i++) {
    await new Promise((resolve) => setTimeout(resolve, LOAD_SAMPLE_MS / 2))
  }
}
