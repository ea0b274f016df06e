/** RFC 9457 problem details: the one error shape every response uses. */
export interface FieldError {
  path: string
  message: string
}

export interface RowError {
  row: number
  field: string
  message: string
}

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  errors?: FieldError[] | RowError[]
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/**
 * Every problem `type` the service answers, with its meaning: the contract lists them (the
 * Problem schema's `type` enum and its `x-problem-types`), so a client can branch on them.
 */
export const PROBLEM_TYPES = {
  'validation-error':
    'The request (body, query, path or headers) has the wrong shape or format; `errors` names each field',
  'bad-request':
    'The request is refused for another reason (an unknown referenced id, a cursor not issued here, a malformed header)',
  'malformed-body': 'The body is not well-formed JSON (or is empty where JSON is required)',
  'malformed-request': 'The URL path is not valid percent-encoded UTF-8',
  unauthorized:
    'No token where one is needed, or a presented token that fails verification (never downgraded to anonymous)',
  forbidden:
    'The token lacks the scope, or its `states` claim does not cover the record; for imports `errors` names the rows',
  'not-found': 'No such resource (deleted records too), or no such route',
  'not-acceptable': 'None of the media types in Accept is offered',
  conflict:
    'The request conflicts with stored data (a second current primary holder, a duplicate key, a handover of an ended assignment)',
  'precondition-failed': 'If-Match names an older version of the record',
  'payload-too-large': 'The body is larger than the limit (BODY_LIMIT, or IMPORT_BODY_LIMIT for imports)',
  'too-many-rows': 'An import holds more rows than one request may',
  'unsupported-media-type': 'The Content-Type is not one the operation accepts',
  'uri-too-long': 'The request line or a path parameter is too long',
  'header-fields-too-large': 'The request line and header fields together are too large',
  'request-timeout': 'The request was not received in time',
  'expectation-failed': 'An Expect header other than 100-continue',
  'import-rows-rejected':
    'Import rows break the rules; `errors` names each row and field; nothing was imported',
  'rate-limited': 'Too many requests from this client in the current minute; see Retry-After',
  'internal-error': 'An unexpected error; quote the x-request-id when reporting it',
  'not-ready': 'The service cannot answer yet (the database does not answer)',
} as const

export type ProblemSlug = keyof typeof PROBLEM_TYPES

export const problemType = (slug: ProblemSlug): string => `urn:pocdir:problem:${slug}`

export function statusTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error')
}

export class ProblemError extends Error {
  readonly status: number
  readonly type: string
  readonly title: string
  readonly errors: ProblemBody['errors']
  readonly headers: Record<string, string>

  constructor(
    status: number,
    detail: string,
    options: {
      type?: string
      title?: string
      errors?: ProblemBody['errors']
      headers?: Record<string, string>
    } = {},
  ) {
    super(detail)
    this.name = 'ProblemError'
    this.status = status
    this.type = options.type ?? 'about:blank'
    this.title = options.title ?? statusTitle(status)
    this.errors = options.errors
    this.headers = options.headers ?? {}
  }

  toBody(): ProblemBody {
    const body: ProblemBody = {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
    }
    if (this.errors) body.errors = this.errors
    return body
  }
}

/**
 * Bounds of a problem body, which the contract declares: a detail, a path or a message can echo
 * what a client sent (an unknown key, a value), so each is clipped, and a request with more
 * wrong fields than `fieldErrors` is told about the first ones. Row errors of an import are never
 * dropped (DESIGN: 422 lists every bad row), only their text is clipped.
 */
export const PROBLEM_LIMITS = {
  title: 100,
  detail: 10_000,
  instance: 16_384,
  path: 1_000,
  message: 1_000,
  fieldErrors: 1_000,
} as const

/** `text` cut to `max` UTF-16 units (so to at most `max` characters), marked with an ellipsis. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text
  let cut = text.slice(0, max - 1)
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1)
  return `${cut}…`
}

const isRowError = (e: FieldError | RowError): e is RowError => 'row' in e

/** The body as sent: every text and the field errors within PROBLEM_LIMITS. */
export function boundedProblem(body: ProblemBody): ProblemBody {
  const out: ProblemBody = {
    ...body,
    title: clip(body.title, PROBLEM_LIMITS.title),
    detail: clip(body.detail, PROBLEM_LIMITS.detail),
  }
  if (body.instance !== undefined) out.instance = clip(body.instance, PROBLEM_LIMITS.instance)
  const errors = body.errors as Array<FieldError | RowError> | undefined
  if (errors) {
    const message = (m: string) => clip(m, PROBLEM_LIMITS.message)
    out.errors =
      errors.length > 0 && errors.every(isRowError)
        ? errors.map((e) => ({
            row: e.row,
            field: clip(e.field, PROBLEM_LIMITS.path),
            message: message(e.message),
          }))
        : (errors as FieldError[])
            .slice(0, PROBLEM_LIMITS.fieldErrors)
            .map((e) => ({ path: clip(e.path, PROBLEM_LIMITS.path), message: message(e.message) }))
  }
  return out
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ProblemError(400, detail, {
    type: problemType(errors ? 'validation-error' : 'bad-request'),
    title: errors ? 'Validation failed' : 'Bad Request',
    errors,
  })

export const invalidField = (path: string, message: string) =>
  badRequest(`${path}: ${message}`, [{ path, message }])

/**
 * 401 with RFC 6750's challenge: `error` says why a presented token was refused
 * (invalid_request: not a Bearer header; invalid_token: it fails verification).
 */
export const unauthorized = (detail: string, error?: 'invalid_request' | 'invalid_token') =>
  new ProblemError(401, detail, {
    type: problemType('unauthorized'),
    headers: {
      'www-authenticate': error ? `Bearer realm="pocdir", error="${error}"` : 'Bearer realm="pocdir"',
    },
  })

export const forbidden = (detail: string, errors?: RowError[]) =>
  new ProblemError(403, detail, { type: problemType('forbidden'), errors })

export const notFound = (detail: string) => new ProblemError(404, detail, { type: problemType('not-found') })

export const conflict = (detail: string) => new ProblemError(409, detail, { type: problemType('conflict') })

export const preconditionFailed = (detail: string) =>
  new ProblemError(412, detail, { type: problemType('precondition-failed') })
