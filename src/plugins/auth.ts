import type { KeyObject, webcrypto } from 'node:crypto'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { JWTVerifyGetKey } from 'jose'
import { z } from 'zod'
import type { JwtConfig } from '../config.js'
import { forbidden, type ProblemError, unauthorized } from '../lib/problem.js'
import { MAX_SUBJECT_LENGTH } from '../lib/schemas.js'

export const SCOPES = ['directory:read', 'directory:write', 'directory:import', 'directory:admin'] as const
export type Scope = (typeof SCOPES)[number]

export interface Principal {
  sub: string
  /** Effective scopes, implications applied (admin ⇒ all, write ⇒ read). */
  scopes: ReadonlySet<Scope>
  /** States a limited token may change; null means unrestricted. */
  states: readonly string[] | null
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
    authError: ProblemError | null
    /** Set when the answer was chosen for a reader who sees restricted fields (the access log's guard). */
    restrictedRead: boolean
  }
  interface FastifyContextConfig {
    /** Reachable without a token even when PUBLIC_READ is off. */
    alwaysPublic?: boolean
    /** The scope a route needs; checked before the body is validated (401/403 before 400). */
    scope?: Scope
  }
}

const ClaimsSchema = z.object({
  sub: z.string().min(1).max(MAX_SUBJECT_LENGTH),
  scope: z.string().max(1000).optional(),
  states: z
    .array(z.string().regex(/^[A-Z]{2}$/))
    .max(300)
    .optional(),
})

function effectiveScopes(scope: string | undefined): Set<Scope> {
  // Stryker disable next-line StringLiteral: any fallback text that names no scope grants the same (nothing)
  const claimed = scope ?? ''
  const granted = new Set(claimed.split(' '))
  const out = new Set<Scope>()
  if (granted.has('directory:admin')) return new Set(SCOPES)
  if (granted.has('directory:write')) out.add('directory:write').add('directory:read')
  if (granted.has('directory:read')) out.add('directory:read')
  if (granted.has('directory:import')) out.add('directory:import')
  return out
}

type Verifier = (token: string) => Promise<Principal>

/** The verifier itself failed (jose or the key would not load): a server fault, not a bad token. */
export class VerifierUnavailable extends Error {
  constructor(cause: unknown) {
    super('The token verifier is not available', { cause })
  }
}

/** Runs `load` once and keeps its result; a failure is not kept (the next call tries again). */
function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined
  return () => {
    loaded ??= load().catch((err) => {
      loaded = undefined
      throw err instanceof VerifierUnavailable ? err : new VerifierUnavailable(err)
    })
    return loaded
  }
}

// Loaded with the first token, not at start-up (a measured bar); anonymous reads never need it.
const loadJose = loadOnce(() => import('jose'))

export function createVerifier(jwt: JwtConfig): Verifier {
  let keyOf: () => Promise<JWTVerifyGetKey | KeyObject | webcrypto.CryptoKey>
  let algorithms: string[]
  if (jwt.publicKey) {
    const { key } = jwt.publicKey
    keyOf = async () => key
    algorithms = jwt.publicKey.algorithms
  } else if (jwt.jwksUrl) {
    const url = jwt.jwksUrl
    keyOf = async () => (await loadJose()).createRemoteJWKSet(url)
    algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']
  } else if (jwt.secret) {
    const secret = new TextEncoder().encode(jwt.secret)
    // Imported once: given raw bytes, jose would import the key again on every request.
    // Stryker disable next-line BooleanLiteral: whether the key could be exported is not observable; false keeps it from leaking
    keyOf = () => crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    algorithms = ['HS256']
  } else {
    throw new Error('no JWT verification key configured')
  }
  const loadKey = loadOnce(keyOf)
  // Partner systems send the same token on every request: a verified token is remembered for
  // up to a minute (never past its exp), so the hot path skips the signature check.
  const verified = new Map<string, { principal: Principal; until: number }>()
  return async (token) => {
    const hit = verified.get(token)
    if (hit && hit.until > Date.now()) return hit.principal
    const options = { algorithms, issuer: jwt.issuer, audience: jwt.audience, requiredClaims: ['exp', 'sub'] }
    const [{ jwtVerify }, resolved] = await Promise.all([loadJose(), loadKey()])
    const { payload } =
      // Stryker disable next-line all: both arms make the same call; the check only picks jwtVerify's overload for TypeScript
      typeof resolved === 'function'
        ? await jwtVerify(token, resolved, options)
        : await jwtVerify(token, resolved, options)
    const claims = ClaimsSchema.parse(payload)
    const principal: Principal = {
      sub: claims.sub,
      scopes: effectiveScopes(claims.scope),
      states: claims.states ?? null,
    }
    if (verified.size >= 1000) verified.clear()
    // exp is a required claim: jwtVerify refused the token without it.
    verified.set(token, { principal, until: Math.min(Date.now() + 60_000, (payload.exp as number) * 1000) })
    return principal
  }
}

function describeFailure(err: unknown): string {
  const code = (err as { code?: string }).code
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'The token has expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      // jose names the claim on every error of this code.
      return `The token's ${(err as { claim: string }).claim} claim is not accepted`
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The token is signed with an algorithm this service does not accept'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'The token signature is not valid'
    default:
      return err instanceof z.ZodError ? 'The token claims are malformed' : 'The token is not valid'
  }
}

export interface AuthOptions {
  jwt: JwtConfig
  publicRead: boolean
}

/**
 * Verifies the bearer token on every request without failing there, so the rate limiter
 * can key on the verified subject; the failure is raised before the body is parsed.
 */
const auth: FastifyPluginAsync<AuthOptions> = async (app, opts) => {
  const verify = createVerifier(opts.jwt)
  // Stryker disable StringLiteral: declared for the request object's shape (speed); an undeclared property reads as undefined, which every reader treats as null or false
  app.decorateRequest('principal', null)
  app.decorateRequest('authError', null)
  app.decorateRequest('restrictedRead', false)
  app.decorateRequest('disclosedContacts', null)
  app.decorateRequest('accessReader', null)
  // Stryker restore StringLiteral

  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization
    if (header === undefined) return
    const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,8192})$/i.exec(header.trim())
    if (!match?.[1]) {
      request.authError = unauthorized('The Authorization header must be "Bearer <token>"', 'invalid_request')
      return
    }
    try {
      request.principal = await verify(match[1])
    } catch (err) {
      if (err instanceof VerifierUnavailable) throw err
      request.authError = unauthorized(describeFailure(err), 'invalid_token')
    }
  })

  // Before the body is parsed: DESIGN's order is token (401), scope (403), then the body
  // (400/415), so an unparsable body or a wrong content type never answers before the token.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.authError) throw request.authError
    const scope = request.routeOptions.config.scope
    if (scope) {
      requireScope(request, scope)
      return payload
    }
    if (opts.publicRead || request.routeOptions.config.alwaysPublic) return payload
    if (!request.principal) throw unauthorized('A bearer token is required')
    if (!request.principal.scopes.has('directory:read')) {
      throw forbidden('The token lacks the directory:read scope')
    }
    return payload
  })
}

export const authPlugin = fp(auth, { name: 'auth' })

/** Whether the principal may see restricted contact details and notes (no side effect). */
export const readsRestricted = (principal: Principal | null): boolean =>
  principal?.scopes.has('directory:read') ?? false

/**
 * Whether the reader may see restricted contact details and notes. A route that asks this for
 * a reader who may must declare its access logging (lib/access-log.ts), or it answers 500.
 */
export const canSeeRestricted = (request: FastifyRequest): boolean => {
  const see = readsRestricted(request.principal)
  if (see) request.restrictedRead = true
  return see
}

export function requireScope(request: FastifyRequest, scope: Scope): Principal {
  const p = request.principal
  if (!p) throw unauthorized(`A bearer token with the ${scope} scope is required`)
  if (!p.scopes.has(scope)) throw forbidden(`The token lacks the ${scope} scope`)
  return p
}

/** A states-limited token may touch only records of its states; null is international. */
export function requireStates(p: Principal, stateCodes: Iterable<string | null>): void {
  if (p.states === null) return
  for (const code of stateCodes) {
    if (code === null) {
      throw forbidden('Records without a state need a token that is not limited to states')
    }
    if (!p.states.includes(code)) {
      throw forbidden(`The token may not change records of state ${code}`)
    }
  }
}

/** Shared vocabulary (roles, states) is changed only by tokens not limited to states, admin included. */
export function requireUnlimited(p: Principal, what: string): void {
  if (p.states !== null) throw forbidden(`A token limited to states may not change ${what}`)
}
