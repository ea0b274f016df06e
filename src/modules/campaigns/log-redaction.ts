import type { FastifyServerOptions } from 'fastify'

/** A campaign link's token sits in its path; logs get the path with the token replaced. */
const LINK_PATH = /(\/(?:v1\/verification|verify)\/)[^/?#]*/gi

export function redactLinkTokens(url: string): string {
  let decoded = url
  try {
    decoded = decodeURIComponent(url)
  } catch {
    // not percent-encoded UTF-8: match the raw text
  }
  return LINK_PATH.test(decoded) || LINK_PATH.test(url) ? decoded.replace(LINK_PATH, '$1[redacted]') : url
}

interface LoggedRequest {
  method: string
  url: string
  host?: string
  ip?: string
  socket?: { remotePort?: number }
}

/**
 * Logger options whose request serializer (Fastify's own fields) redacts link tokens from the
 * URL. A logger given as an instance or as true/false is passed through as is.
 */
export function withLinkTokensRedacted(
  logger: FastifyServerOptions['logger'],
): FastifyServerOptions['logger'] {
  if (!logger || typeof logger !== 'object') return logger
  return {
    ...logger,
    serializers: {
      ...(logger as { serializers?: Record<string, unknown> }).serializers,
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: redactLinkTokens(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  } as FastifyServerOptions['logger']
}
