import { maxHeaderSize, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionError as FastifyConnectionError, FastifyInstance } from 'fastify'
import { type ProblemBody, type ProblemSlug, problemType, statusTitle } from '../lib/problem.js'
import { newId } from '../lib/write-path.js'

/**
 * Answers for requests Node's HTTP parser refuses before Fastify sees them (Node's
 * `clientError`): the same problem+json and x-request-id as every other answer, written to
 * the socket by hand since there is no request or reply yet, and the connection closed.
 */

/** Node's clientError error; Fastify's type shows `rawPacket` as JSON, but Node passes a Buffer. */
interface ConnectionError extends Error {
  code?: string
  reason?: string
  bytesParsed?: number
  rawPacket?: Buffer
}

const REQUEST_LINE_START = /^[A-Z]+ /

/**
 * Node counts the request line and the header fields against one limit. When the bytes in
 * hand start a request and hold no line end before the parser stopped, the request line alone
 * was too long: that is 414, anything else 431. (Node hands over only the last packet read,
 * so a URL that arrived over several packets is reported as 431: still the right family.)
 */
function requestLineOverflowed(err: ConnectionError): boolean {
  const packet = err.rawPacket
  if (!packet || !REQUEST_LINE_START.test(packet.subarray(0, 16).toString('latin1'))) return false
  const lineEnd = packet.indexOf('\r\n')
  return lineEnd === -1 || lineEnd >= (err.bytesParsed ?? 0)
}

function problemFor(err: ConnectionError, limit: number): ProblemBody {
  const problem = (status: number, slug: ProblemSlug, detail: string): ProblemBody => ({
    type: problemType(slug),
    title: statusTitle(status),
    status,
    detail,
  })
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestLineOverflowed(err)
        ? problem(414, 'uri-too-long', `The request line is longer than ${limit} bytes`)
        : problem(
            431,
            'header-fields-too-large',
            `The request line and header fields together are larger than ${limit} bytes`,
          )
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return problem(413, 'payload-too-large', 'The chunk extensions of the body are too large')
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'request-timeout', 'The request was not received in time')
    default:
      // llhttp's reasons ("Invalid header value char", "Invalid character in chunk size") are
      // short, fixed texts: safe to pass on, and they say what to fix.
      return problem(
        400,
        'malformed-request',
        err.reason ? `The request is not valid HTTP/1.1: ${err.reason}` : 'The request is not valid HTTP/1.1',
      )
  }
}

/** Fastify's `clientErrorHandler` option; Fastify binds it to the instance. */
export function clientErrorHandler(
  this: FastifyInstance,
  error: FastifyConnectionError,
  socket: Socket,
): void {
  const err = error as unknown as ConnectionError
  // A reset connection has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const requestId = newId()
  const limit = (this.server as { maxHeaderSize?: number }).maxHeaderSize ?? maxHeaderSize
  const problem = problemFor(err, limit)
  const body = JSON.stringify(problem)
  this.log.info(
    { reqId: requestId, err: { code: err.code, message: err.message } },
    'malformed request refused',
  )
  // As Node does: answer only when no response to this connection has started.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    )
  }
  socket.destroy()
}
