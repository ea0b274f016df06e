import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import {
  badRequest,
  boundedProblem,
  type FieldError,
  type ProblemBody,
  ProblemError,
  type ProblemSlug,
  problemType,
  statusTitle,
} from '../lib/problem.js'
import { newId } from '../lib/write-path.js'

export function sendProblem(reply: FastifyReply, problem: ProblemError): FastifyReply {
  const body: ProblemBody = boundedProblem({ ...problem.toBody(), instance: reply.request.url })
  reply.headers(problem.headers)
  return reply.code(problem.status).type('application/problem+json').serializer(JSON.stringify).send(body)
}

interface IssueLike {
  code: string
  path: readonly PropertyKey[]
  message: string
  keys?: readonly string[]
}

/** Maps zod issues to `errors[]`, one per field; unknown keys are named one by one. */
export function issuesToErrors(issues: readonly IssueLike[], prefix = ''): FieldError[] {
  const errors: FieldError[] = []
  for (const issue of issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.')
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) {
        errors.push({ path: base ? `${base}.${key}` : key, message: 'is not a known field' })
      }
    } else {
      errors.push({ path: base || '(root)', message: issue.message })
    }
  }
  return errors
}

export function validationProblem(errors: FieldError[]): ProblemError {
  const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ')
  return new ProblemError(400, detail, {
    type: problemType('validation-error'),
    title: 'Validation failed',
    errors,
  })
}

/** Fastify codes with a type of their own; any other 4xx is bad-request. */
const FASTIFY_CODES: Record<string, ProblemSlug> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-body',
  FST_ERR_MAX_PARAM_LENGTH: 'uri-too-long',
}

function toProblem(error: FastifyError): ProblemError | null {
  if (error instanceof ProblemError) return error
  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = error.validationContext === 'body' ? '' : (error.validationContext ?? '')
    const prefix = location === 'querystring' ? 'query' : location
    // The type provider flattens each zod issue: path in instancePath, the rest in params.
    const issues = error.validation.map((v) => ({
      code: v.keyword,
      path: v.instancePath.split('/'),
      message: v.message ?? 'is invalid',
      keys: (v.params as { keys?: string[] }).keys,
    }))
    return validationProblem(issuesToErrors(issues, prefix))
  }
  // A response that breaks its own schema (the type provider's serialization error) carries 500.
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    // Fastify's own client errors carry safe, useful messages; JSON syntax errors too.
    const slug: ProblemSlug =
      (error.code && FASTIFY_CODES[error.code]) ||
      (error instanceof SyntaxError ? 'malformed-body' : 'bad-request')
    const detail =
      slug === 'malformed-body' ? `The request body is not valid JSON: ${error.message}` : error.message
    return new ProblemError(status, detail, { type: problemType(slug), title: statusTitle(status) })
  }
  return null
}

const internalError = () =>
  new ProblemError(500, 'An unexpected error occurred; quote the x-request-id when reporting it', {
    type: problemType('internal-error'),
  })

/**
 * Fastify's `frameworkErrors` option: a path that is not valid percent-encoding (or a path
 * parameter over the router's limit), answered before routing. No hook runs for these, so the
 * request id header is set here.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id)
  let problem: ProblemError | null
  if (error.code === 'FST_ERR_BAD_URL') {
    problem = new ProblemError(400, 'The URL path is not valid percent-encoded UTF-8', {
      type: problemType('malformed-request'),
    })
  } else {
    problem = toProblem(error)
  }
  if (!problem) request.log.error({ err: error }, 'unexpected framework error')
  sendProblem(reply, problem ?? internalError())
}

const errors: FastifyPluginAsync = async (app) => {
  // Node answers these two itself, with an empty body; the server options hand them to us.
  // HTTP/1.1 requires Host (RFC 9112, section 3.2): app.ts turns off Node's bare 400.
  app.addHook('onRequest', (request, _reply, done) => {
    const hostless = request.raw.httpVersion === '1.1' && request.headers.host === undefined
    done(hostless ? badRequest('An HTTP/1.1 request must carry a Host header') : undefined)
  })
  app.server.on('checkExpectation', (req, res) => {
    const body: ProblemBody = boundedProblem({
      type: problemType('expectation-failed'),
      title: statusTitle(417),
      status: 417,
      detail: `Only the expectation 100-continue is supported, not ${JSON.stringify(req.headers.expect)}`,
    })
    const text = JSON.stringify(body)
    const requestId = newId()
    app.log.info({ reqId: requestId, expect: req.headers.expect }, 'unsupported expectation refused')
    res.writeHead(417, {
      'content-type': 'application/problem+json',
      'content-length': Buffer.byteLength(text),
      'x-request-id': requestId,
      connection: 'close',
    })
    res.end(text)
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let problem: ProblemError | null = null
    try {
      problem = toProblem(error)
    } catch (mappingError) {
      request.log.error({ err: mappingError }, 'could not map an error to a problem')
    }
    if (problem) {
      if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
      return sendProblem(reply, problem)
    }
    request.log.error({ err: error }, 'unexpected error')
    return sendProblem(reply, internalError())
  })

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new ProblemError(404, `No route ${request.method} ${request.url.split('?')[0]}`, {
        type: problemType('not-found'),
      }),
    ),
  )
}

// Stryker disable next-line ObjectLiteral,StringLiteral: the name only serves fastify-plugin's dependency checks, and no plugin depends on 'errors'
export const errorsPlugin = fp(errors, { name: 'errors' })
