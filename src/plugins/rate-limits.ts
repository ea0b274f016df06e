import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError, problemType } from '../lib/problem.js'

export interface RateLimitsOptions {
  /** Requests per minute per client; 0 turns rate limiting off. */
  max: number
  /** Requests per minute per client for heavy work (exports, searches, imports). */
  heavyMax: number
}

const EXPORT_TYPES = /\btext\/(csv|vcard)\b/i
const LINK_PATHS = /^\/(v1\/verification|verify)\//i

/**
 * Exports, searches and imports cost far more than a record read, so they draw on a budget of
 * their own: one client looping over full exports cannot take the service from everyone else.
 */
export function isHeavy(request: FastifyRequest): boolean {
  if (request.method === 'POST' && request.url.startsWith('/v1/imports')) return true
  // Campaign links: no account, so guessing is bounded per address by the smaller budget.
  if (LINK_PATHS.test(request.url)) return true
  // Stryker disable next-line StringLiteral: without an Accept header, any fallback text that is not an export type matches nothing
  if (EXPORT_TYPES.test(request.headers.accept ?? '')) return true
  return typeof (request.query as Record<string, unknown>).q === 'string'
}

/** Per client: the verified token's subject, else the address (see TRUST_PROXY for proxies). */
const clientOf = (request: FastifyRequest) =>
  request.principal ? `sub:${request.principal.sub}` : `ip:${request.ip}`

const limits: FastifyPluginAsync<RateLimitsOptions> = async (app, { max, heavyMax }) => {
  if (max === 0) return
  await app.register(rateLimit, {
    timeWindow: '1 minute',
    keyGenerator: (request) => `${isHeavy(request) ? 'heavy' : 'any'}|${clientOf(request)}`,
    max: (_request, key) => (key.startsWith('heavy|') ? heavyMax : max),
    errorResponseBuilder: (request, ctx) =>
      new ProblemError(
        429,
        `Rate limit of ${ctx.max} ${isHeavy(request) ? 'exports, searches, imports and link requests' : 'requests'} per minute exceeded; retry in ${ctx.after}`,
        { type: problemType('rate-limited') },
      ),
  })
}

// Stryker disable next-line ObjectLiteral,StringLiteral,ArrayDeclaration: app.ts registers auth first; name and dependency only make fastify-plugin check that order
export const rateLimitsPlugin = fp(limits, { name: 'rate-limits', dependencies: ['auth'] })
