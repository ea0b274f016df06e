/**
 * The bench's webhook receivers: one HTTP server answering every delivery 204 and a GET with how
 * many it got. bench/webhooks.ts runs it in its own process (this file as a child, which sends
 * its port over IPC) or inline (`listenReceivers`).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'

export function listenReceivers(): Promise<Server> {
  let received = 0
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.end(String(received))
      return
    }
    req.resume()
    req.on('end', () => {
      received++
      res.statusCode = 204
      res.end()
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await listenReceivers()
  process.send?.((server.address() as AddressInfo).port)
}
