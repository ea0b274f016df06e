import { createPublicKey, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import { z } from 'zod'

/** Everything the service can be configured with, validated once at start. */
export interface Config {
  port: number
  host: string
  databasePath: string
  publicRead: boolean
  bodyLimit: number
  importBodyLimit: number
  /** Data rows one import may hold; more is 413 before the rows are parsed. */
  importMaxRows: number
  /** Heap limit of the import worker (MiB): an import that needs more is a 500, the service runs on. */
  importWorkerMemoryMb: number
  rateLimitMax: number
  /** Per client and minute for exports, searches and imports (their own, smaller budget). */
  rateLimitHeavyMax: number
  /** Bytes of serialized list, directory, report and feed pages kept in memory; 0 keeps none. */
  readCacheBytes: number
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  jwt: JwtConfig
  /** Fastify's trustProxy: false, the number of proxy hops, or the proxies' addresses/CIDRs. */
  trustProxy: false | number | string[]
  /** Browser origins allowed cross-origin requests (CORS); empty turns CORS off. */
  corsOrigins: string[]
  /** Prometheus metrics: off, or at /metrics for a directory:admin token. */
  metrics: 'off' | 'admin'
  /** The service's public origin (and path prefix), for links in campaign mail; null: links are paths. */
  publicBaseUrl: string | null
  /** Where campaign mail is sent (SMTP_URL) and from whom; null: no sending, mail-merge only. */
  smtp: { url: string; from: string } | null
}

export interface JwtConfig {
  /** HS256 shared secret (UTF-8 bytes of JWT_SECRET, or the generated one). */
  secret?: string
  /** Asymmetric verification key from JWT_PUBLIC_KEY with its pinned algorithms. */
  publicKey?: { key: KeyObject; algorithms: string[] }
  jwksUrl?: URL
  issuer?: string
  audience?: string
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v)
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional())
const byteSize = (fallback: number) =>
  z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'must be a whole number of bytes' })
      .int('must be a whole number of bytes')
      .min(1024, 'must be at least 1024 bytes')
      .default(fallback),
  )
const boolFlag = (fallback: boolean) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  )

const EnvSchema = z.object({
  PORT: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a port number')
      .min(0, 'must be between 0 and 65535')
      .max(65535, 'must be between 0 and 65535')
      .default(3000),
  ),
  HOST: z.preprocess(emptyAsUndefined, z.string().trim().min(1, 'must not be blank').default('127.0.0.1')),
  DATABASE_PATH: z.preprocess(emptyAsUndefined, z.string().min(1).default('./data/pocdir.db')),
  JWT_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  JWT_PUBLIC_KEY: optionalString,
  JWKS_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  ),
  JWT_ISSUER: optionalString,
  JWT_AUDIENCE: optionalString,
  PUBLIC_READ: boolFlag(true),
  BODY_LIMIT: byteSize(1024 * 1024),
  IMPORT_BODY_LIMIT: byteSize(20 * 1024 * 1024),
  IMPORT_MAX_ROWS: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'must be a whole number of rows of at least 1' })
      .int('must be a whole number of rows of at least 1')
      .min(1, 'must be a whole number of rows of at least 1')
      .default(50_000),
  ),
  IMPORT_WORKER_MEMORY_MB: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'must be a whole number of MiB' })
      .int('must be a whole number of MiB')
      .min(16, 'must be at least 16')
      .max(16384, 'must be at most 16384')
      .default(512),
  ),
  RATE_LIMIT_MAX: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'must be a whole number (0 turns rate limiting off)' })
      .int('must be a whole number (0 turns rate limiting off)')
      .min(0, 'must not be negative')
      .default(600),
  ),
  RATE_LIMIT_HEAVY_MAX: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'must be a whole number of at least 1' })
      .int('must be a whole number of at least 1')
      .min(1, 'must be a whole number of at least 1')
      .default(60),
  ),
  READ_CACHE_MB: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'must be a whole number of MiB (0 turns the cache off)' })
      .int('must be a whole number of MiB (0 turns the cache off)')
      .min(0, 'must not be negative')
      .max(1024, 'must be at most 1024')
      .default(16),
  ),
  TRUST_PROXY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('off')
      .transform((v, ctx): false | number | string[] => {
        const t = v.trim()
        if (t === 'off' || t === 'false') return false
        if (/^\d+$/.test(t)) {
          const hops = Number(t)
          if (hops >= 1 && hops <= 10) return hops
        }
        const list = t.split(',').map((x) => x.trim())
        const address = (x: string) => {
          const [ip, bits, extra] = x.split('/')
          if (extra !== undefined || !ip || !isIP(ip)) return false
          if (bits === undefined) return true
          const max = isIP(ip) === 4 ? 32 : 128
          return /^\d{1,3}$/.test(bits) && Number(bits) <= max
        }
        if (list.every(address)) return list
        ctx.addIssue({
          code: 'custom',
          message: 'must be off, a hop count from 1 to 10, or a comma list of proxy addresses or CIDRs',
        })
        return z.NEVER
      }),
  ),
  CORS_ORIGINS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('')
      .transform((v, ctx) => {
        const list = v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
        for (const origin of list) {
          let ok = false
          try {
            const u = new URL(origin)
            ok = (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === origin
          } catch {}
          if (!ok) {
            ctx.addIssue({
              code: 'custom',
              message: `must be a comma list of origins like https://tools.example.org (${origin} is not one)`,
            })
            return z.NEVER
          }
        }
        return list
      }),
  ),
  METRICS: z.preprocess(
    emptyAsUndefined,
    z.enum(['off', 'admin'], { error: 'must be off or admin' }).default('off'),
  ),
  PUBLIC_BASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://pocdir.example.org' })
      .refine((v) => !/[?#]/.test(v), 'must not carry a query or fragment')
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
  ),
  SMTP_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  ),
  SMTP_FROM: z.preprocess(emptyAsUndefined, z.string().trim().min(3).max(320).optional()),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
})

/** Reads a PEM or JWK public key and the algorithms it may verify. */
export function parsePublicKey(text: string): { key: KeyObject; algorithms: string[] } {
  const trimmed = text.trim()
  let key: KeyObject
  let jwkAlg: string | undefined
  if (trimmed.startsWith('{')) {
    const jwk = JSON.parse(trimmed) as Record<string, unknown>
    // A private JWK (it has `d`) would be accepted: Node derives its public half.
    if ('d' in jwk) throw new Error('it is a private key; give only the public key')
    if (typeof jwk.alg === 'string') jwkAlg = jwk.alg
    key = createPublicKey({ key: jwk as never, format: 'jwk' })
  } else {
    // Environment files often carry PEM with literal "\n".
    const pem = trimmed.replace(/\\n/g, '\n')
    // A private key would be accepted too: Node derives its public half.
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
      throw new Error('it is a private key; give only the public key')
    }
    key = createPublicKey(pem)
  }
  if (jwkAlg) return { key, algorithms: [jwkAlg] }
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { key, algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] }
    case 'rsa-pss':
      return { key, algorithms: ['PS256', 'PS384', 'PS512'] }
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve
      const alg = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[curve ?? '']
      if (!alg) throw new Error(`unsupported EC curve ${curve}; use P-256, P-384 or P-521`)
      return { key, algorithms: [alg] }
    }
    case 'ed25519':
      return { key, algorithms: ['EdDSA'] }
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType}`)
  }
}

/** Parses the environment; throws ConfigError with one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const name = issue?.path.join('.') ?? 'environment'
    throw new ConfigError(`Invalid configuration: ${name} ${issue?.message ?? 'is invalid'}`)
  }
  const e = parsed.data
  const keySources = [e.JWT_SECRET, e.JWT_PUBLIC_KEY, e.JWKS_URL].filter(Boolean).length
  if (keySources > 1) {
    throw new ConfigError('Invalid configuration: set only one of JWT_SECRET, JWT_PUBLIC_KEY and JWKS_URL')
  }
  if (e.SMTP_URL && !(e.SMTP_FROM && e.PUBLIC_BASE_URL)) {
    throw new ConfigError(
      'Invalid configuration: SMTP_URL needs SMTP_FROM (the sender) and PUBLIC_BASE_URL (to build the links)',
    )
  }
  let publicKey: JwtConfig['publicKey']
  if (e.JWT_PUBLIC_KEY) {
    try {
      publicKey = parsePublicKey(e.JWT_PUBLIC_KEY)
    } catch (err) {
      throw new ConfigError(
        `Invalid configuration: JWT_PUBLIC_KEY is not a PEM or JWK public key (${(err as Error).message})`,
      )
    }
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databasePath: e.DATABASE_PATH,
    publicRead: e.PUBLIC_READ,
    bodyLimit: e.BODY_LIMIT,
    importBodyLimit: e.IMPORT_BODY_LIMIT,
    importMaxRows: e.IMPORT_MAX_ROWS,
    importWorkerMemoryMb: e.IMPORT_WORKER_MEMORY_MB,
    rateLimitMax: e.RATE_LIMIT_MAX,
    rateLimitHeavyMax: e.RATE_LIMIT_HEAVY_MAX,
    readCacheBytes: e.READ_CACHE_MB * 1024 * 1024,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    corsOrigins: e.CORS_ORIGINS,
    metrics: e.METRICS,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? null,
    smtp: e.SMTP_URL && e.SMTP_FROM ? Object.freeze({ url: e.SMTP_URL, from: e.SMTP_FROM }) : null,
    jwt: Object.freeze({
      secret: e.JWT_SECRET,
      publicKey,
      jwksUrl: e.JWKS_URL ? new URL(e.JWKS_URL) : undefined,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    }),
  })
}
