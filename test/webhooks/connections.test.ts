import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Connections, type SendResult, sendTo } from '../../src/modules/webhooks/delivery.js'
import type { CheckedTarget } from '../../src/modules/webhooks/targets.js'
import { bearer, buildTestApp } from '../helpers/build-test-app.js'
import { createOrganization, getJson, type Json, sleep, type TestApp } from '../resources/fixtures.js'
import { startReceiver } from './receiver.js'

vi.setConfig({ testTimeout: 60_000 })

/**
 * Kept-alive delivery connections over real sockets: a receiver listens on 127.0.0.1 and
 * 127.0.0.2 on the same port, so the same target URL can be checked to resolve to one address,
 * then to the other (as a DNS answer that changes would).
 */
interface Seen {
  /** Which connection (numbered in the order they were opened) and which local address. */
  connection: number
  address: string
  host: string | undefined
}

interface TwoAddressReceiver {
  port: number
  seen: Seen[]
  /** Every connection the receiver accepted, in order. */
  sockets: Socket[]
  /** What to do with the n-th request (from 0) on its connection: answer 204, or reset it. */
  onRequest: (nthOnConnection: number) => 'answer' | 'reset'
  close(): Promise<void>
}

const servers: Server[] = []
const connections: Connections[] = []
afterEach(async () => {
  for (const c of connections.splice(0)) c.close()
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections()
          s.close(() => resolve())
        }),
    ),
  )
})

async function receiver(): Promise<TwoAddressReceiver> {
  const r = { seen: [], sockets: [], onRequest: () => 'answer' } as unknown as TwoAddressReceiver
  const perSocket = new Map<Socket, number>()
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    req.on('end', () => {
      const socket = req.socket
      const n = perSocket.get(socket) ?? 0
      perSocket.set(socket, n + 1)
      r.seen.push({
        connection: r.sockets.indexOf(socket),
        address: socket.localAddress ?? '',
        host: req.headers.host,
      })
      if (r.onRequest(n) === 'reset') {
        socket.resetAndDestroy()
        return
      }
      res.statusCode = 204
      res.end()
    })
  }
  const onConnection = (socket: Socket) => r.sockets.push(socket)
  const first = createServer(handler).on('connection', onConnection)
  servers.push(first)
  await new Promise<void>((resolve) => first.listen(0, '127.0.0.1', resolve))
  r.port = (first.address() as AddressInfo).port
  const second = createServer(handler).on('connection', onConnection)
  servers.push(second)
  await new Promise<void>((resolve) => second.listen(r.port, '127.0.0.2', resolve))
  return r
}

function pool(): Connections {
  const c = new Connections()
  connections.push(c)
  return c
}

/** The partner's host name, checked (by the test) to resolve to `address`. */
const target = (port: number, address: string): CheckedTarget => ({
  url: new URL(`http://partner.example:${port}/hook`),
  address,
  family: 4,
})

const deliver = (pool: Connections, to: CheckedTarget, id: string): Promise<SendResult> =>
  sendTo(
    to,
    5000,
    id,
    '{"seq":1}',
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    new AbortController().signal,
    pool,
  )

const delivered = (durationMs: number): SendResult => ({ ok: true, status: 204, durationMs, error: null })
const closed = (socket: Socket | undefined) =>
  new Promise<void>((resolve) => (socket?.destroyed ? resolve() : socket?.once('close', () => resolve())))

describe('delivery connections', () => {
  it('are kept alive per checked address, and never reused once the target resolves elsewhere', async () => {
    const r = await receiver()
    const c = pool()
    for (const id of ['1', '2', '3']) {
      const result = await deliver(c, target(r.port, '127.0.0.1'), id)
      expect(result).toEqual(delivered(result.durationMs))
    }
    // Three deliveries, one connection, to the checked address, for the URL's host.
    const host = `partner.example:${r.port}`
    expect(r.seen).toEqual([
      { connection: 0, address: '127.0.0.1', host },
      { connection: 0, address: '127.0.0.1', host },
      { connection: 0, address: '127.0.0.1', host },
    ])
    // The host now resolves to 127.0.0.2: a new connection there, and the old one is closed.
    await deliver(c, target(r.port, '127.0.0.2'), '4')
    await closed(r.sockets[0])
    await deliver(c, target(r.port, '127.0.0.2'), '5')
    // Back to 127.0.0.1: a new connection, not the first one (closed).
    await deliver(c, target(r.port, '127.0.0.1'), '6')
    expect(r.seen.slice(3)).toEqual([
      { connection: 1, address: '127.0.0.2', host },
      { connection: 1, address: '127.0.0.2', host },
      { connection: 2, address: '127.0.0.1', host },
    ])
    expect(r.sockets).toHaveLength(3)
    expect(r.sockets[0]?.destroyed).toBe(true)
  })

  it('a kept-alive connection the target resets is sent again once on a new one: one successful attempt', async () => {
    const r = await receiver()
    const c = pool()
    // Every connection's second request is reset unanswered, as a target closing an idle one.
    r.onRequest = (n) => (n === 1 ? 'reset' : 'answer')
    const first = await deliver(c, target(r.port, '127.0.0.1'), '1')
    expect(first).toEqual(delivered(first.durationMs))
    const second = await deliver(c, target(r.port, '127.0.0.1'), '2')
    expect(second).toEqual(delivered(second.durationMs))
    const host = `partner.example:${r.port}`
    expect(r.seen).toEqual([
      { connection: 0, address: '127.0.0.1', host },
      { connection: 0, address: '127.0.0.1', host },
      { connection: 1, address: '127.0.0.1', host },
    ])
  })

  it('a new connection reset before any answer is a failed attempt, not sent again', async () => {
    const r = await receiver()
    const c = pool()
    r.onRequest = () => 'reset'
    const result = await deliver(c, target(r.port, '127.0.0.1'), '1')
    expect(result).toEqual({
      ok: false,
      status: null,
      durationMs: result.durationMs,
      error: expect.stringMatching(/^ECONNRESET: /),
    })
    expect(r.seen).toHaveLength(1)
  })

  it('a reused connection reset twice in a row (on the retry too) is one failed attempt', async () => {
    const r = await receiver()
    const c = pool()
    // The first request on each connection is answered except on the retry's connection (the 2nd).
    let connectionsSeen = 0
    r.onRequest = (n) => {
      if (n === 0) connectionsSeen++
      return n === 1 || connectionsSeen === 2 ? 'reset' : 'answer'
    }
    await deliver(c, target(r.port, '127.0.0.1'), '1')
    const result = await deliver(c, target(r.port, '127.0.0.1'), '2')
    expect(result).toMatchObject({ ok: false, status: null, error: expect.stringMatching(/^ECONNRESET: /) })
    expect(r.seen.map((s) => s.connection)).toEqual([0, 0, 1])
  })
})

describe('the delivery loop over kept-alive connections', () => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  it('a connection the target resets is not a failed attempt: each delivery is logged once, attempt 1, 204', async () => {
    t = await buildTestApp({ WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_POLL_MS: '20' })
    const app = t
    const r = await startReceiver()
    try {
      // The second request on every connection is reset unanswered: with one connection kept
      // alive, every delivery after the first meets a reset, then goes again on a new one.
      r.reset = (nth) => nth === 1
      const auth = await bearer('directory:admin')
      const res = await app.app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: auth,
        payload: { url: r.url },
      })
      expect(res.statusCode, res.body).toBe(201)
      const { id } = res.json() as { id: string }
      const start = (await getJson<{ nextAfter: number }>(app, '/v1/changes?after=latest')).nextAfter
      for (let i = 0; i < 4; i++) await createOrganization(app)
      const expected = (await getJson<{ items: Json[] }>(app, `/v1/changes?after=${start}`)).items.map((e) =>
        String(e.seq),
      )
      expect(expected).toHaveLength(4)
      await r.until((got) => got.length >= 4)
      expect(r.received.map((x) => x.headers['webhook-id'])).toEqual(expected)
      // The connection a retry opens is not kept, so the next delivery opens a kept one, and the
      // one after meets a reset: deliveries 2 and 4 (fewer if the machine is so slow that a kept
      // connection idles out between two deliveries).
      expect(r.resets).toBeGreaterThanOrEqual(1)
      expect(r.resets).toBeLessThanOrEqual(2)
      let log: Json[] = []
      for (let tries = 0; tries < 1500 && log.length < 4; tries++) {
        log = (await getJson<{ items: Json[] }>(app, `/v1/webhooks/${id}/deliveries`, auth)).items
        if (log.length < 4) await sleep(20)
      }
      expect(log.map((e) => [String(e.seq), e.attempt, e.status, e.error]).reverse()).toEqual(
        expected.map((seq) => [seq, 1, 204, null]),
      )
      const read = await getJson<Json>(app, `/v1/webhooks/${id}`, auth)
      expect(read.delivery).toEqual({
        position: Number(expected.at(-1)),
        attempt: 0,
        nextAttemptAt: null,
        failingSince: null,
      })
    } finally {
      await r.close()
    }
  })
})
