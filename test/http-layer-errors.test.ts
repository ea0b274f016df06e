import { connect } from 'node:net'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { bearer, buildTestApp, snapshot } from './helpers/build-test-app.js'
import { type Json, problemBody, type TestApp } from './helpers/http.js'

/**
 * Requests refused below the routes: by Node's HTTP parser (no request object exists yet), by
 * Fastify's router, or by Node's own checks. Every answer is problem+json with an
 * x-request-id, like any other. The socket-level ones only exist on a real connection, so
 * these tests send raw bytes to a listening server.
 */

let t: TestApp
let port: number
let write: Record<string, string>
beforeAll(async () => {
  t = await buildTestApp()
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  port = (t.app.server.address() as { port: number }).port
  write = await bearer('directory:write')
})
afterAll(() => t.close())

/** The service's request ids (UUIDv7), as generated when the client sends none. */
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  /** True when the server closed the connection after answering. */
  closed: boolean
}

/**
 * Writes `chunks` to a fresh connection and reads the first response; `closed` tells whether
 * the server closed the connection within 200 ms of answering.
 */
function rawRequest(...chunks: (string | Buffer)[]): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = Buffer.alloc(0)
    let response: Omit<RawResponse, 'closed'> | undefined
    let closed = false
    const parse = () => {
      const text = received.toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      if (split === -1) return undefined
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      const body = Buffer.from(text.slice(split + 4))
      const length = Number(headers['content-length'])
      if (!(body.length >= length)) return undefined
      return { status: Number(statusLine.split(' ')[1]), headers, body: body.subarray(0, length).toString() }
    }
    const giveUp = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete response: ${JSON.stringify(received.toString().slice(0, 300))}`))
    }, 5000)
    const done = () => {
      clearTimeout(giveUp)
      socket.destroy()
      if (response) resolve({ ...response, closed })
    }
    socket.on('data', (d) => {
      received = Buffer.concat([received, d])
      if (response) return
      response = parse()
      if (response) setTimeout(done, 200)
    })
    socket.on('error', () => {
      // A reset after the answer is what a refused request may see; the answer is what counts.
    })
    socket.on('close', () => {
      closed = true
      if (response) done()
    })
    for (const chunk of chunks) socket.write(chunk)
  })
}

/** Asserts a problem+json answer with exactly `expected` as its body and a fresh request id. */
function expectProblem(res: RawResponse, expected: Json): void {
  expect(res.status, res.body).toBe(expected.status)
  expect(res.headers['content-type']).toBe('application/problem+json')
  expect(res.headers['x-request-id']).toMatch(REQUEST_ID)
  expect(JSON.parse(res.body)).toEqual(expected)
}

const malformed = (reason: string) => ({
  type: 'urn:pocdir:problem:malformed-request',
  title: 'Bad Request',
  status: 400,
  detail: `The request is not valid HTTP/1.1: ${reason}`,
})

const contactBody = JSON.stringify({ givenName: 'Aigul', familyName: 'Sydykova' })
const auth = () => `Authorization: ${write.authorization}\r\n`

describe("requests Node's parser refuses", () => {
  it('a request line over the 16 KiB limit is 414, and the connection is closed', async () => {
    const res = await rawRequest(`GET /v1/contacts?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
    expectProblem(res, {
      type: 'urn:pocdir:problem:uri-too-long',
      title: 'URI Too Long',
      status: 414,
      detail: 'The request line is longer than 16384 bytes',
    })
    expect(res.headers.connection).toBe('close')
    expect(res.closed).toBe(true)
  })

  const tooLarge = {
    type: 'urn:pocdir:problem:header-fields-too-large',
    title: 'Request Header Fields Too Large',
    status: 431,
    detail: 'The request line and header fields together are larger than 16384 bytes',
  }

  it('one header field too large is 431', async () => {
    const res = await rawRequest(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expectProblem(res, tooLarge)
    expect(res.headers.connection).toBe('close')
    expect(res.closed).toBe(true)
  })

  it('many small header fields over the limit together are 431, not 414', async () => {
    const fields = Array.from({ length: 600 }, (_, i) => `X-Field-${i}: ${'v'.repeat(30)}\r\n`).join('')
    expectProblem(await rawRequest(`GET /healthz HTTP/1.1\r\nHost: x\r\n${fields}\r\n`), tooLarge)
  })

  it('a header section far over the limit (unread bytes left behind) still gets its 431 answer', async () => {
    const res = await rawRequest(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(200_000)}\r\n\r\n`)
    expectProblem(res, tooLarge)
  })

  it('a malformed request line is 400', async () => {
    expectProblem(await rawRequest('GARBAGE\r\n\r\n'), malformed('Invalid method encountered'))
  })

  it('an invalid character in a header value is 400', async () => {
    expectProblem(
      await rawRequest('GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n'),
      malformed('Invalid header value char'),
    )
  })

  it('a space in a header name is 400', async () => {
    expectProblem(
      await rawRequest('GET /healthz HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n'),
      malformed('Invalid header token'),
    )
  })

  it('a Content-Length that is not a number is 400 and writes nothing', async () => {
    const before = snapshot(t.db)
    const res = await rawRequest(
      `POST /v1/contacts HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n${contactBody}`,
    )
    expectProblem(res, malformed('Invalid character in Content-Length'))
    expect(snapshot(t.db)).toBe(before)
  })

  it('two Content-Length fields are 400 and write nothing', async () => {
    const before = snapshot(t.db)
    const res = await rawRequest(
      `POST /v1/contacts HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\n` +
        `Content-Length: ${contactBody.length}\r\nContent-Length: 2\r\n\r\n${contactBody}`,
    )
    expectProblem(res, malformed('Duplicate Content-Length'))
    expect(snapshot(t.db)).toBe(before)
  })

  it('a bad chunk size in a chunked body is 400 and writes nothing', async () => {
    const before = snapshot(t.db)
    const res = await rawRequest(
      `POST /v1/contacts HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\n` +
        `Transfer-Encoding: chunked\r\n\r\nzz\r\n${contactBody}\r\n0\r\n\r\n`,
    )
    expectProblem(res, malformed('Invalid character in chunk size'))
    expect(res.closed).toBe(true)
    expect(snapshot(t.db)).toBe(before)
  })

  it('a chunked body broken after its headers were routed still answers problem+json and writes nothing', async () => {
    const before = snapshot(t.db)
    const head =
      `POST /v1/contacts HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\n` +
      'Transfer-Encoding: chunked\r\n\r\n'
    // The headers arrive first, so the request is routed and waits for its body.
    const res = await rawRequest(
      head,
      ...[`${contactBody.length.toString(16)}\r\n${contactBody}\r\nxyz\r\n\r\n`],
    )
    expectProblem(res, malformed('Invalid character in chunk size'))
    expect(snapshot(t.db)).toBe(before)
  })

  it('a malformed request on a kept-alive connection after a good one is answered too', async () => {
    const res = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      let text = ''
      socket.on('data', (d) => {
        text += d
        if (text.includes('"status":400')) socket.destroy()
      })
      socket.on('close', () => resolve(text))
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
      setTimeout(() => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n'), 100)
      setTimeout(() => socket.destroy(), 2000)
    })
    const answers = res.split(/(?=HTTP\/1\.1 )/)
    expect(answers).toHaveLength(2)
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(answers[1]).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(answers[1]).toContain('Content-Type: application/problem+json\r\n')
    expect(answers[1]).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/)
    expect(JSON.parse(answers[1]?.split('\r\n\r\n')[1] ?? '')).toEqual(malformed('Invalid header token'))
  })

  it('every refused request gets its own request id', async () => {
    const ids = new Set<string>()
    for (let i = 0; i < 3; i++) ids.add((await rawRequest('GARBAGE\r\n\r\n')).headers['x-request-id'] ?? '')
    expect(ids.size).toBe(3)
  })
})

describe("requests Node's HTTP server refuses itself", () => {
  it('an HTTP/1.1 request without Host is 400 problem+json (RFC 9112) and writes nothing', async () => {
    const before = snapshot(t.db)
    const res = await rawRequest(
      `POST /v1/contacts HTTP/1.1\r\n${auth()}Content-Type: application/json\r\n` +
        `Content-Length: ${contactBody.length}\r\n\r\n${contactBody}`,
    )
    expectProblem(res, {
      type: 'urn:pocdir:problem:bad-request',
      title: 'Bad Request',
      status: 400,
      detail: 'An HTTP/1.1 request must carry a Host header',
      instance: '/v1/contacts',
    })
    expect(snapshot(t.db)).toBe(before)
  })

  it('an HTTP/1.0 request without Host is served (Host is required from 1.1 on)', async () => {
    const res = await rawRequest('GET /healthz HTTP/1.0\r\n\r\n')
    expect(res.status).toBe(200)
    expect(res.headers['x-request-id']).toMatch(REQUEST_ID)
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' })
  })

  it('an Expect other than 100-continue is 417 problem+json and writes nothing', async () => {
    const before = snapshot(t.db)
    const res = await rawRequest(
      `POST /v1/contacts HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nExpect: teapot\r\n` +
        `Content-Length: ${contactBody.length}\r\n\r\n${contactBody}`,
    )
    expectProblem(res, {
      type: 'urn:pocdir:problem:expectation-failed',
      title: 'Expectation Failed',
      status: 417,
      detail: 'Only the expectation 100-continue is supported, not "teapot"',
    })
    expect(res.headers.connection).toBe('close')
    expect(snapshot(t.db)).toBe(before)
  })
})

describe("URLs Fastify's router refuses", () => {
  it('a path that is not valid percent-encoding is 400 problem+json with an x-request-id', async () => {
    for (const url of ['/v1/contacts/%zz', '/v1/contacts/%E0%A4%A']) {
      const res = await t.app.inject({ method: 'GET', url })
      const body = problemBody(res, 400)
      expect(body).toEqual({
        type: 'urn:pocdir:problem:malformed-request',
        title: 'Bad Request',
        status: 400,
        detail: 'The URL path is not valid percent-encoded UTF-8',
        instance: url,
      })
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID)
    }
  })

  it('a caller-sent x-request-id is kept on a router refusal', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/contacts/%zz',
      headers: { 'x-request-id': 'partner-42' },
    })
    problemBody(res, 400)
    expect(res.headers['x-request-id']).toBe('partner-42')
  })

  it('an over-long id is the same 400 naming the parameter at any length, and writes nothing', async () => {
    for (const length of [65, 101, 5_000]) {
      const url = `/v1/contacts/${'a'.repeat(length)}`
      const before = snapshot(t.db)
      const res = await t.app.inject({
        method: 'PATCH',
        url,
        headers: { ...write, 'content-type': 'application/merge-patch+json' },
        payload: '{"notes":"x"}',
      })
      expect(problemBody(res, 400)).toEqual({
        type: 'urn:pocdir:problem:validation-error',
        title: 'Validation failed',
        status: 400,
        detail: 'params.id: Too big: expected string to have <=64 characters',
        errors: [{ path: 'params.id', message: 'Too big: expected string to have <=64 characters' }],
        instance: url,
      })
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID)
      expect(snapshot(t.db)).toBe(before)
    }
  })
})

describe('the logs name the request id of every refusal', () => {
  it('a parser refusal and an unknown Expect are logged as JSON with the id the client was given', async () => {
    const lines: Json[] = []
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    const app = await buildApp({ config: t.config, db: t.db, logger: { level: 'info', stream } })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const saved = port
    port = (app.server.address() as { port: number }).port
    try {
      const malformedAnswer = await rawRequest('GET /healthz HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n')
      const expectAnswer = await rawRequest('GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n')
      expect(lines.find((l) => l.reqId === malformedAnswer.headers['x-request-id'])).toMatchObject({
        level: 30,
        msg: 'malformed request refused',
        err: { code: 'HPE_INVALID_HEADER_TOKEN' },
      })
      expect(lines.find((l) => l.reqId === expectAnswer.headers['x-request-id'])).toMatchObject({
        level: 30,
        msg: 'unsupported expectation refused',
        expect: 'teapot',
      })
    } finally {
      port = saved
      await app.close()
    }
  })
})
