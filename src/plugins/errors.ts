import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { type FieldError, type ProblemBody, ProblemError, problemType, statusTitle } from '../lib/problem.js'

export function sendProblem(reply: FastifyReply, problem: ProblemError): FastifyReply {
  const body: ProblemBody = { ...problem.toBody(), instance: reply.request.url }
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

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
}

function toProblem(error: FastifyError): ProblemError | null {
  if (error instanceof ProblemError) return error
  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = error.validationContext === 'body' ? '' : (error.validationContext ?? '')
    const prefix = location === 'querystring' ? 'query' : location
    // The type provider flattens each zod issue: path in instancePath, the rest in params.
    const issues = error.validation.map((v) => ({
      code: v.keyword,
      path: v.instancePath.split('/').filter(Boolean),
      message: v.message ?? 'is invalid',
      keys: (v.params as { keys?: string[] }).keys,
    }))
    return validationProblem(issuesToErrors(issues, prefix))
  }
  if (isResponseSerializationError(error)) return null
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    // Fastify's own client errors carry safe, useful messages; JSON syntax errors too.
    const slug =
      (error.code && FASTIFY_CODES[error.code]) ??
      (error instanceof SyntaxError ? 'malformed-body' : 'bad-request')
    const detail =
      slug === 'malformed-body' ? `The request body is not valid JSON: ${error.message}` : error.message
    return new ProblemError(status, detail, { type: problemType(slug), title: statusTitle(status) })
  }
  return null
}

const errors: FastifyPluginAsync = async (app) => {
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
    return sendProblem(
      reply,
      new ProblemError(500, 'An unexpected error occurred; quote the x-request-id when reporting it', {
        type: problemType('internal-error'),
      }),
    )
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

export const errorsPlugin = fp(errors, { name: 'errors' })
