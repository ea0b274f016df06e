import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
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
  /** Erasure keeps the person's name in the record and its history (else "Former PoC"). */
  erasureKeepName: boolean
  /** People whose last tenure ended more than this many months ago are erased; null: never. */
  retentionEndedMonths: number | null
  /** Whether reads of restricted details and notes are recorded in the access log. */
  accessLog: boolean
  /** Access-log entries older than this many days are removed by the daily retention job. */
  accessLogRetentionDays: number
  /** The privacy notice served at /v1/privacy. */
  privacyNotice: PrivacyNoticeConfig
  webhooks: WebhookConfig
  /** The console's sign-in through an identity provider; null: pasted tokens only. */
  oidc: OidcConfig | null
  /** The service's public origin (and path prefix), for links in campaign mail; null: links are paths. */
  publicBaseUrl: string | null
  /** Where campaign mail is sent (SMTP_URL) and from whom; null: no sending, mail-merge only. */
  smtp: { url: string; from: string } | null
}

/** What the console needs for Authorization Code with PKCE (public, served to browsers). */
export interface OidcConfig {
  /** The provider's issuer URL (its discovery document is under it). */
  issuer: string
  clientId: string
  /** Space-separated scopes the console asks for. */
  scopes: string
  /** RFC 8707 resource indicator sent with the request, when the provider needs one. */
  resource: string | null
}

/** Webhook delivery (docs/webhooks.md); every duration in milliseconds. */
export interface WebhookConfig {
  /** Run the delivery loop in this process (off: subscriptions wait, nothing is sent). */
  delivery: boolean
  /** Targets on loopback addresses allowed, over http too (tests, local development). */
  allowLoopback: boolean
  /** Targets on private, link-local and unique-local addresses allowed (still https). */
  allowPrivate: boolean
  timeoutMs: number
  retryBaseMs: number
  retryMaxMs: number
  /** A subscription failing continuously this long is disabled. */
  disableAfterMs: number
  /** After a rotation, deliveries are signed with the old secret too for this long. */
  secretOverlapMs: number
  /** Delivery log entries kept per subscription. */
  logKeep: number
  /** How often the loop looks for new feed entries when no write nudged it. */
  pollMs: number
}

export interface PrivacyNoticeConfig {
  controller: string | null
  contact: string | null
  purpose: string
  /** The text of PRIVACY_NOTICE_FILE, when set. */
  text: string | null
}

const DEFAULT_PURPOSE =
  'To let the officials and organizations who implement UN Security Council resolution 1540 ' +
  'find and reach the national Points of Contact, and to keep a record of who held which post when.'

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

const wholeNumber = (fallback: number, min: number, max: number, unit: string) => {
  const message = `must be a whole number of ${unit} from ${min} to ${max}`
  return z.preprocess(
    emptyAsUndefined,
    z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback),
  )
}
const DAY_MS = 86_400_000

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
  ERASURE_KEEP_NAME: boolFlag(true),
  RETENTION_ENDED_MONTHS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default('off')
      .transform((v, ctx): number | null => {
        const t = v.trim()
        if (t === 'off') return null
        if (/^\d{1,4}$/.test(t) && Number(t) >= 1 && Number(t) <= 1200) return Number(t)
        ctx.addIssue({ code: 'custom', message: 'must be off or a whole number of months from 1 to 1200' })
        return z.NEVER
      }),
  ),
  ACCESS_LOG: z.preprocess(
    emptyAsUndefined,
    z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  ),
  ACCESS_LOG_RETENTION_DAYS: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'must be a whole number of days from 1 to 36500' })
      .int('must be a whole number of days from 1 to 36500')
      .min(1, 'must be a whole number of days from 1 to 36500')
      .max(36500, 'must be a whole number of days from 1 to 36500')
      .default(365),
  ),
  PRIVACY_CONTROLLER: z.preprocess(emptyAsUndefined, z.string().max(500).optional()),
  PRIVACY_CONTACT: z.preprocess(emptyAsUndefined, z.string().max(500).optional()),
  PRIVACY_PURPOSE: z.preprocess(emptyAsUndefined, z.string().max(2000).default(DEFAULT_PURPOSE)),
  PRIVACY_NOTICE_FILE: optionalString,
  OIDC_ISSUER: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  ),
  OIDC_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().trim().min(1).max(200).optional()),
  OIDC_SCOPES: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .trim()
      .max(1000)
      .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'must be space-separated scopes')
      .default('openid directory:write'),
  ),
  OIDC_RESOURCE: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
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
  WEBHOOK_DELIVERY: boolFlag(true),
  WEBHOOK_ALLOW_LOOPBACK: boolFlag(false),
  WEBHOOK_ALLOW_PRIVATE: boolFlag(false),
  WEBHOOK_TIMEOUT_MS: wholeNumber(5000, 100, 60_000, 'milliseconds'),
  WEBHOOK_RETRY_BASE_MS: wholeNumber(5000, 10, 3_600_000, 'milliseconds'),
  WEBHOOK_RETRY_MAX_MS: wholeNumber(3_600_000, 10, 7 * DAY_MS, 'milliseconds'),
  WEBHOOK_DISABLE_AFTER_MS: wholeNumber(3 * DAY_MS, 1000, 30 * DAY_MS, 'milliseconds'),
  WEBHOOK_SECRET_OVERLAP_MS: wholeNumber(DAY_MS, 0, 30 * DAY_MS, 'milliseconds'),
  WEBHOOK_LOG_KEEP: wholeNumber(1000, 1, 100_000, 'entries'),
  WEBHOOK_POLL_MS: wholeNumber(1000, 10, 60_000, 'milliseconds'),
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
  if (Boolean(e.OIDC_ISSUER) !== Boolean(e.OIDC_CLIENT_ID)) {
    throw new ConfigError('Invalid configuration: set both OIDC_ISSUER and OIDC_CLIENT_ID, or neither')
  }
  if (e.OIDC_ISSUER && !e.JWKS_URL && !e.JWT_PUBLIC_KEY) {
    throw new ConfigError(
      "Invalid configuration: OIDC_ISSUER needs JWKS_URL or JWT_PUBLIC_KEY, so the service accepts the provider's tokens",
    )
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
  let noticeText: string | null = null
  if (e.PRIVACY_NOTICE_FILE) {
    try {
      noticeText = readFileSync(e.PRIVACY_NOTICE_FILE, 'utf8')
    } catch (err) {
      throw new ConfigError(
        `Invalid configuration: PRIVACY_NOTICE_FILE cannot be read (${(err as Error).message})`,
      )
    }
    if (noticeText.length > 100_000) {
      throw new ConfigError('Invalid configuration: PRIVACY_NOTICE_FILE must be at most 100000 characters')
    }
  }
  if (e.WEBHOOK_RETRY_MAX_MS < e.WEBHOOK_RETRY_BASE_MS) {
    throw new ConfigError(
      'Invalid configuration: WEBHOOK_RETRY_MAX_MS must not be less than WEBHOOK_RETRY_BASE_MS',
    )
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
    erasureKeepName: e.ERASURE_KEEP_NAME,
    retentionEndedMonths: e.RETENTION_ENDED_MONTHS,
    accessLog: e.ACCESS_LOG === 'on',
    accessLogRetentionDays: e.ACCESS_LOG_RETENTION_DAYS,
    privacyNotice: Object.freeze({
      controller: e.PRIVACY_CONTROLLER ?? null,
      contact: e.PRIVACY_CONTACT ?? null,
      purpose: e.PRIVACY_PURPOSE,
      text: noticeText,
    }),
    webhooks: Object.freeze({
      delivery: e.WEBHOOK_DELIVERY,
      allowLoopback: e.WEBHOOK_ALLOW_LOOPBACK,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: e.WEBHOOK_RETRY_MAX_MS,
      disableAfterMs: e.WEBHOOK_DISABLE_AFTER_MS,
      secretOverlapMs: e.WEBHOOK_SECRET_OVERLAP_MS,
      logKeep: e.WEBHOOK_LOG_KEEP,
      pollMs: e.WEBHOOK_POLL_MS,
    }),
    oidc:
      e.OIDC_ISSUER && e.OIDC_CLIENT_ID
        ? Object.freeze({
            issuer: e.OIDC_ISSUER,
            clientId: e.OIDC_CLIENT_ID,
            scopes: e.OIDC_SCOPES,
            resource: e.OIDC_RESOURCE ?? null,
          })
        : null,
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
