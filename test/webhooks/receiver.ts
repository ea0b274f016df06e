import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

/** A partner's endpoint for the webhook tests: a real HTTP server on 127.0.0.1. */
export interface Received {
  headers: IncomingHttpHeaders
  body: string
  at: number
}

export interface Receiver {
  url: string
  received: Received[]
  /** The status to answer the n-th request (from 0) with; 204 by default. */
  answer: (n: number) => number
  /** Milliseconds to hold the n-th request (from 0) before answering; 0 by default. */
  delay: (n: number) => number
  /**
   * Whether to reset the connection instead of answering the n-th request (from 0) made on it
   * (a target closing a kept-alive connection as a request arrives); never by default. A reset
   * request is counted in `resets`, not in `received`.
   */
  reset: (nthOnConnection: number) => boolean
  resets: number
  /** Headers of every answer (a Location, say). */
  headers: Record<string, string>
  close(): Promise<void>
  /** Waits until `predicate` holds over what was received, or fails after `ms`. */
  until(predicate: (received: Received[]) => boolean, ms?: number): Promise<void>
}

export async function startReceiver(path = '/hook'): Promise<Receiver> {
  const received: Received[] = []
  const receiver = {
    received,
    answer: (_n: number) => 204,
    delay: (_n: number) => 0,
    reset: (_n: number) => false,
    resets: 0,
    headers: {},
  } as Receiver
  const perConnection = new WeakMap<object, number>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const nth = perConnection.get(req.socket) ?? 0
      perConnection.set(req.socket, nth + 1)
      if (receiver.reset(nth)) {
        receiver.resets++
        req.socket.resetAndDestroy()
        return
      }
      const n = received.length
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() })
      setTimeout(() => {
        res.statusCode = receiver.answer(n)
        for (const [name, value] of Object.entries(receiver.headers)) res.setHeader(name, value)
        res.end()
      }, receiver.delay(n)).unref()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  receiver.url = `http://127.0.0.1:${port}${path}`
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  receiver.until = async (predicate, ms = 30_000) => {
    const end = Date.now() + ms
    while (!predicate(received)) {
      if (Date.now() > end)
        throw new Error(`receiver: condition not met in ${ms} ms (${received.length} received)`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  return receiver
}

/** Verifies a delivery with the Standard Webhooks library, as a partner would; returns the body parsed. */
export function verified(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  })
}
