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

export const problemType = (slug: string): string => `urn:pocdir:problem:${slug}`

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

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ProblemError(400, detail, {
    type: problemType(errors ? 'validation-error' : 'bad-request'),
    title: errors ? 'Validation failed' : 'Bad Request',
    errors,
  })

export const invalidField = (path: string, message: string) =>
  badRequest(`${path}: ${message}`, [{ path, message }])

export const unauthorized = (detail: string) =>
  new ProblemError(401, detail, {
    type: problemType('unauthorized'),
    headers: { 'www-authenticate': 'Bearer realm="pocdir"' },
  })

export const forbidden = (detail: string, errors?: RowError[]) =>
  new ProblemError(403, detail, { type: problemType('forbidden'), errors })

export const notFound = (detail: string) => new ProblemError(404, detail, { type: problemType('not-found') })

export const conflict = (detail: string) => new ProblemError(409, detail, { type: problemType('conflict') })

export const preconditionFailed = (detail: string) =>
  new ProblemError(412, detail, { type: problemType('precondition-failed') })
