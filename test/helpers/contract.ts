import { readFileSync } from 'node:fs'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * Every response a test receives is checked against the committed contract,
 * openapi/openapi.json, as a partner's generated client would read it: the status is one the
 * operation declares (or its `default`), the body is valid JSON Schema for the declared media
 * type, and every header the response declares as required is present. A route the document
 * leaves out by design says so itself (`schema.hide`); nothing else is exempt.
 */

type Json = Record<string, unknown>
interface MediaType {
  schema?: Json
}
interface Response {
  headers?: Record<string, { required?: boolean; $ref?: string }>
  content?: Record<string, MediaType>
}
interface Operation {
  operationId?: string
  responses: Record<string, Response>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
  components: Json & { headers?: Record<string, { required?: boolean }> }
}

const DOCUMENT_URL = new URL('../../openapi/openapi.json', import.meta.url)
const DOC_ID = 'https://pocdir.invalid/openapi.json'

let loaded: { doc: Document; ajv: Ajv2020; validators: Map<string, ValidateFunction> } | undefined

function contract() {
  if (loaded) return loaded
  const doc = JSON.parse(readFileSync(DOCUMENT_URL, 'utf8')) as Document
  // strict: false lets OpenAPI's own keywords (example, discriminator's mapping…) through;
  // additionalProperties, required, enums and formats are enforced exactly as written.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
  addFormats.default(ajv)
  ajv.addSchema({ $id: DOC_ID, ...doc } as Json)
  loaded = { doc, ajv, validators: new Map() }
  return loaded
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

function validatorFor(route: string, method: string, status: string, media: string): ValidateFunction {
  const { ajv, validators } = contract()
  const ref = `${DOC_ID}#/${pointer('paths', route, method, 'responses', status, 'content', media, 'schema')}`
  let validate = validators.get(ref)
  if (!validate) {
    validate = ajv.compile({ $ref: ref })
    validators.set(ref, validate)
  }
  return validate
}

/** `/v1/contacts/:id` → `/v1/contacts/{id}`, the document's spelling of a Fastify route. */
export const documentPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')

const describeErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n    ')

export interface ContractResponse {
  /** The route as Fastify knows it (`/v1/contacts/:id`); undefined when no route matched. */
  route: string | undefined
  method: string
  status: number
  headers: Record<string, unknown>
  /** The body as sent; undefined for streams (exports), which are checked by media type only. */
  body: string | undefined
}

/** The contract violations of one response, as lines; empty when the contract describes it. */
export function contractViolations(res: ContractResponse): string[] {
  const { doc } = contract()
  const method = (res.method === 'HEAD' ? 'GET' : res.method).toLowerCase()
  const path = res.route === undefined ? undefined : documentPath(res.route)
  const operation = path === undefined ? undefined : doc.paths[path]?.[method]
  const where = `${res.method} ${path ?? '(no route)'} → ${res.status}`
  const problems: string[] = []
  const contentType = String(res.headers['content-type'] ?? '')
    .replace(/;.*/s, '')
    .trim()
  // HTTP sends no body with a HEAD, a 204 or a 304 (Fastify drops what a handler gave).
  const bodiless = res.method === 'HEAD' || res.status === 204 || res.status === 304
  const hasBody = !bodiless && res.body !== undefined && res.body.length > 0

  if (!operation) {
    // No route (404, 405) or a method the path does not offer: a problem, as the contract's
    // Problem schema says.
    if (contentType !== 'application/problem+json') {
      problems.push(`${where}: an answer outside every operation must be application/problem+json`)
    } else if (hasBody) {
      const validate = contract().ajv.getSchema(`${DOC_ID}#/components/schemas/Problem`)
      const body = JSON.parse(res.body as string)
      if (validate && !validate(body)) {
        problems.push(`${where}: body is not a Problem:\n    ${describeErrors(validate.errors)}`)
      }
      problems.push(...unlistedProblemType(where, contentType, body))
    }
    return problems
  }

  const key = String(res.status) in operation.responses ? String(res.status) : 'default'
  const declared = operation.responses[key]
  if (!declared) {
    return [
      `${where}: status not declared by ${operation.operationId} (declares ${Object.keys(operation.responses).join(', ')})`,
    ]
  }
  for (const [name, header] of Object.entries(declared.headers ?? {})) {
    const resolved = header.$ref
      ? doc.components.headers?.[header.$ref.replace('#/components/headers/', '')]
      : header
    if (resolved?.required && res.headers[name.toLowerCase()] === undefined) {
      problems.push(`${where}: declared header ${name} is missing`)
    }
  }
  const content = declared.content
  if (!content || Object.keys(content).length === 0) {
    if (hasBody) problems.push(`${where}: declares no body, but one was sent (${contentType})`)
    return problems
  }
  if (!hasBody && !bodiless && res.body !== undefined) {
    problems.push(`${where}: declares a body, but none was sent`)
    return problems
  }
  const media = content[contentType]
  if (!media) {
    problems.push(`${where}: content type ${contentType} not declared (${Object.keys(content).join(', ')})`)
    return problems
  }
  const isJson = contentType === 'application/json' || contentType.endsWith('+json')
  if (!isJson || !hasBody || !media.schema) return problems
  let body: unknown
  try {
    body = JSON.parse(res.body as string)
  } catch {
    return [...problems, `${where}: body is not JSON`]
  }
  const validate = validatorFor(path as string, method, key, contentType)
  if (!validate(body)) {
    problems.push(
      `${where} (${operation.operationId}): body does not match the contract:\n    ${describeErrors(validate.errors)}`,
    )
  }
  problems.push(...unlistedProblemType(where, contentType, body))
  return problems
}

/**
 * The Problem schema leaves `type` open (a new type must not break strict clients), so the
 * service's own answers are held to the types the contract lists in x-problem-types.
 */
function unlistedProblemType(where: string, contentType: string, body: unknown): string[] {
  if (contentType !== 'application/problem+json' || typeof body !== 'object' || body === null) return []
  const type = (body as { type?: unknown }).type
  const schemas = contract().doc.components.schemas as Record<string, { 'x-problem-types'?: object }>
  const listed = schemas.Problem?.['x-problem-types'] ?? {}
  return type === 'about:blank' || (typeof type === 'string' && type in listed)
    ? []
    : [`${where}: problem type ${String(type)} is not listed in the contract's x-problem-types`]
}

function payloadText(payload: unknown): string | undefined {
  if (payload === null || payload === undefined) return ''
  if (typeof payload === 'string') return payload
  if (Buffer.isBuffer(payload)) return payload.toString('utf8')
  return undefined
}

/**
 * Checks every answer of `app` against the contract, whether injected or sent over a socket:
 * an onSend hook added last, so it sees the headers and body every other hook has set. Each
 * violation is handed to `report`; the test helpers throw it from the request that caused it.
 */
export function checkResponsesAgainstContract(app: FastifyInstance, report: (violation: string) => void) {
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (request.routeOptions.schema?.hide) return payload
    const violations = contractViolations({
      route: request.routeOptions.url,
      method: request.method,
      status: reply.statusCode,
      headers: reply.getHeaders(),
      body: payloadText(payload),
    })
    for (const v of violations) report(v)
    return payload
  })
}
