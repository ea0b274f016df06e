import { maxHeaderSize } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionError, FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { clientErrorHandler } from '../../src/plugins/client-errors.js'

/**
 * src/plugins/client-errors.ts, decision by decision: the handler is called directly with the
 * error Node's parser would hand over and a socket that records what is written to it, so each
 * boundary (where the request line ends against where the parser stopped, a packet that does
 * not start a request, a reset or already answered connection) is reached exactly. Over real
 * sockets the same handler is exercised in test/http-layer-errors.test.ts.
 */
interface FakeSocket {
  destroyed: boolean
  writable: boolean
  written: string[]
  destroyCalls: number
  _httpMessage?: { headersSent?: boolean }
  write(text: string): boolean
  destroy(): void
}

function socket(
  overrides: Partial<Pick<FakeSocket, 'destroyed' | 'writable' | '_httpMessage'>> = {},
): FakeSocket {
  return {
    destroyed: false,
    writable: true,
    written: [],
    destroyCalls: 0,
    write(text: string) {
      this.written.push(text)
      return true
    },
    destroy() {
      this.destroyCalls++
    },
    ...overrides,
  }
}

interface Logged {
  obj: { reqId: string; err: { code?: string; message: string } }
  msg: string
}

function handle(
  error: Partial<{ code: string; reason: string; bytesParsed: number; rawPacket: Buffer; message: string }>,
  options: { socket?: FakeSocket; serverMaxHeaderSize?: number } = {},
) {
  const s = options.socket ?? socket()
  const logged: Logged[] = []
  const instance = {
    server: options.serverMaxHeaderSize === undefined ? {} : { maxHeaderSize: options.serverMaxHeaderSize },
    log: { info: (obj: Logged['obj'], msg: string) => logged.push({ obj, msg }) },
  }
  const err = Object.assign(new Error(error.message ?? 'Parse Error'), error)
  clientErrorHandler.call(
    instance as unknown as FastifyInstance,
    err as unknown as ConnectionError,
    s as unknown as Socket,
  )
  const text = s.written.join('')
  const [head = '', body = ''] = text.split('\r\n\r\n')
  const [statusLine = '', ...lines] = head.split('\r\n')
  return {
    socket: s,
    logged,
    text,
    statusLine,
    headers: Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 2)]),
    ),
    body: body ? JSON.parse(body) : undefined,
    rawBody: body,
  }
}

const problem = (status: number, slug: string, title: string, detail: string) => ({
  type: `urn:pocdir:problem:${slug}`,
  title,
  status,
  detail,
})
const uriTooLong = (limit: number) =>
  problem(414, 'uri-too-long', 'URI Too Long', `The request line is longer than ${limit} bytes`)
const fieldsTooLarge = (limit: number) =>
  problem(
    431,
    'header-fields-too-large',
    'Request Header Fields Too Large',
    `The request line and header fields together are larger than ${limit} bytes`,
  )
const overflow = (packet: string, bytesParsed?: number) => ({
  code: 'HPE_HEADER_OVERFLOW',
  rawPacket: Buffer.from(packet, 'latin1'),
  ...(bytesParsed === undefined ? {} : { bytesParsed }),
})

describe('the answer written to the socket', () => {
  it('is a complete HTTP/1.1 answer: status line, problem+json, exact length, the id that was logged, and close', () => {
    const res = handle({
      code: 'HPE_INVALID_METHOD',
      reason: 'Invalid method encountered',
      message: 'Parse Error: Invalid method',
    })
    expect(res.statusLine).toBe('HTTP/1.1 400 Bad Request')
    const id = res.headers['x-request-id']
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(res.headers).toEqual({
      'content-type': 'application/problem+json',
      'content-length': String(Buffer.byteLength(res.rawBody)),
      'x-request-id': id,
      connection: 'close',
    })
    expect(res.body).toEqual(
      problem(
        400,
        'malformed-request',
        'Bad Request',
        'The request is not valid HTTP/1.1: Invalid method encountered',
      ),
    )
    expect(res.logged).toEqual([
      {
        obj: { reqId: id, err: { code: 'HPE_INVALID_METHOD', message: 'Parse Error: Invalid method' } },
        msg: 'malformed request refused',
      },
    ])
    expect(res.socket.destroyCalls).toBe(1)
  })

  it('counts the body length in bytes, not characters', () => {
    const res = handle({ code: 'HPE_INVALID_HEADER_TOKEN', reason: 'Invalid header token ü' })
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.rawBody)))
    expect(Number(res.headers['content-length'])).toBe(res.rawBody.length + 1)
  })

  it('without a reason from the parser, says only that the request is not valid HTTP/1.1', () => {
    expect(handle({ code: 'HPE_INVALID_METHOD' }).body).toEqual(
      problem(400, 'malformed-request', 'Bad Request', 'The request is not valid HTTP/1.1'),
    )
    expect(handle({}).body).toEqual(
      problem(400, 'malformed-request', 'Bad Request', 'The request is not valid HTTP/1.1'),
    )
  })

  it('chunk extensions too large are 413, a request not received in time 408', () => {
    const tooLarge = handle({ code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW', reason: 'Chunk extensions overflow' })
    expect(tooLarge.statusLine).toBe('HTTP/1.1 413 Payload Too Large')
    expect(tooLarge.body).toEqual(
      problem(
        413,
        'payload-too-large',
        'Content Too Large',
        'The chunk extensions of the body are too large',
      ),
    )
    const timeout = handle({ code: 'ERR_HTTP_REQUEST_TIMEOUT' })
    expect(timeout.statusLine).toBe('HTTP/1.1 408 Request Timeout')
    expect(timeout.body).toEqual(
      problem(408, 'request-timeout', 'Request Timeout', 'The request was not received in time'),
    )
  })
})

describe('414 or 431', () => {
  const limit = maxHeaderSize
  it("names the server's own limit when it has one, else Node's default", () => {
    expect(handle(overflow('GET /aaaa'), { serverMaxHeaderSize: 1234 }).body).toEqual(uriTooLong(1234))
    expect(handle(overflow('GET /aaaa')).body).toEqual(uriTooLong(limit))
  })

  it('a request line with no line end in the packet is 414', () => {
    const res = handle(overflow(`GET /${'a'.repeat(100)}`, 105))
    expect(res.statusLine).toBe('HTTP/1.1 414 URI Too Long')
    expect(res.body).toEqual(uriTooLong(limit))
  })

  it('a line end at or after where the parser stopped is 414; one before it is 431', () => {
    const packet = 'GET /abc HTTP/1.1\r\nX: y' // the line end is at 17
    expect(handle(overflow(packet, 16)).body).toEqual(uriTooLong(limit))
    expect(handle(overflow(packet, 17)).body).toEqual(uriTooLong(limit))
    expect(handle(overflow(packet, 18)).body).toEqual(fieldsTooLarge(limit))
    expect(handle(overflow(packet, 24)).body).toEqual(fieldsTooLarge(limit))
  })

  it('a line end with no count of parsed bytes is taken as at or after it (414)', () => {
    expect(handle(overflow('GET /abc HTTP/1.1\r\nX: y')).body).toEqual(uriTooLong(limit))
  })

  it('a packet that does not start a request line is 431, however it ends', () => {
    // Header bytes only: the request line came in an earlier packet.
    expect(handle(overflow('X-Long: aaaaaaaaaaaa', 20)).body).toEqual(fieldsTooLarge(limit))
    expect(handle(overflow('get /lower-case', 15)).body).toEqual(fieldsTooLarge(limit))
    expect(handle(overflow('GET/no-space', 12)).body).toEqual(fieldsTooLarge(limit))
    expect(handle(overflow(' GET /leading-space', 18)).body).toEqual(fieldsTooLarge(limit))
    expect(handle({ code: 'HPE_HEADER_OVERFLOW', bytesParsed: 0 }).body).toEqual(fieldsTooLarge(limit))
  })

  it('only the first 16 bytes are read for the method: a method of 15 letters and its space still start a request', () => {
    expect(handle(overflow(`ABCDEFGHIJKLMNO /${'a'.repeat(40)}`, 57)).body).toEqual(uriTooLong(limit))
    // Sixteen letters: the space falls outside the bytes looked at.
    expect(handle(overflow(`ABCDEFGHIJKLMNOP /${'a'.repeat(40)}`, 58)).body).toEqual(fieldsTooLarge(limit))
  })
})

describe('when nothing is written', () => {
  it('a reset connection is left alone: no answer, no log, not destroyed again', () => {
    const res = handle({ code: 'ECONNRESET' })
    expect(res.text).toBe('')
    expect(res.logged).toEqual([])
    expect(res.socket.destroyCalls).toBe(0)
  })

  it('a socket already destroyed is left alone', () => {
    const res = handle({ code: 'HPE_INVALID_METHOD' }, { socket: socket({ destroyed: true }) })
    expect(res.text).toBe('')
    expect(res.logged).toEqual([])
    expect(res.socket.destroyCalls).toBe(0)
  })

  it('a socket that cannot be written, or whose answer has started, is only closed (and the refusal logged)', () => {
    for (const s of [socket({ writable: false }), socket({ _httpMessage: { headersSent: true } })]) {
      const res = handle({ code: 'HPE_INVALID_METHOD' }, { socket: s })
      expect(res.text).toBe('')
      expect(res.logged).toHaveLength(1)
      expect(res.socket.destroyCalls).toBe(1)
    }
  })

  it('a response in flight whose headers are not sent yet does not stop the answer', () => {
    const res = handle(
      { code: 'HPE_INVALID_METHOD' },
      { socket: socket({ _httpMessage: { headersSent: false } }) },
    )
    expect(res.statusLine).toBe('HTTP/1.1 400 Bad Request')
    expect(res.socket.destroyCalls).toBe(1)
  })
})
