import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, parsePublicKey } from '../../src/config.js'

/** Every configuration bound: the last allowed value, one past it, the exact one-line message. */
const refused = (env: Record<string, string>) => {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).name).toBe('ConfigError')
    return (err as Error).message
  }
  throw new Error(`accepted ${JSON.stringify(env)}`)
}

const pem = (key: { export: (o: { type: 'spki'; format: 'pem' }) => string | Buffer }) =>
  key.export({ type: 'spki', format: 'pem' }).toString()

describe('numeric bounds', () => {
  it.each([
    ['PORT', '0', 'port', 0],
    ['PORT', '65535', 'port', 65535],
    ['BODY_LIMIT', '1024', 'bodyLimit', 1024],
    ['IMPORT_BODY_LIMIT', '1024', 'importBodyLimit', 1024],
    ['RATE_LIMIT_MAX', '0', 'rateLimitMax', 0],
    ['RATE_LIMIT_MAX', '1', 'rateLimitMax', 1],
    ['RATE_LIMIT_HEAVY_MAX', '1', 'rateLimitHeavyMax', 1],
    ['IMPORT_MAX_ROWS', '1', 'importMaxRows', 1],
    ['IMPORT_WORKER_MEMORY_MB', '16', 'importWorkerMemoryMb', 16],
    ['IMPORT_WORKER_MEMORY_MB', '16384', 'importWorkerMemoryMb', 16384],
    ['READ_CACHE_MB', '0', 'readCacheBytes', 0],
    ['READ_CACHE_MB', '1', 'readCacheBytes', 1_048_576],
    ['READ_CACHE_MB', '1024', 'readCacheBytes', 1024 * 1_048_576],
  ])('%s=%s is the last allowed value', (name, value, key, expected) => {
    expect(loadConfig({ [name]: value })).toMatchObject({ [key]: expected })
  })

  const DAY = 86_400_000
  it.each([
    ['WEBHOOK_TIMEOUT_MS', '100', 'timeoutMs', 100],
    ['WEBHOOK_TIMEOUT_MS', '60000', 'timeoutMs', 60_000],
    ['WEBHOOK_RETRY_BASE_MS', '10', 'retryBaseMs', 10],
    ['WEBHOOK_RETRY_BASE_MS', '3600000', 'retryBaseMs', 3_600_000],
    ['WEBHOOK_RETRY_MAX_MS', '5000', 'retryMaxMs', 5000],
    ['WEBHOOK_RETRY_MAX_MS', String(7 * DAY), 'retryMaxMs', 7 * DAY],
    ['WEBHOOK_DISABLE_AFTER_MS', '1000', 'disableAfterMs', 1000],
    ['WEBHOOK_DISABLE_AFTER_MS', String(30 * DAY), 'disableAfterMs', 30 * DAY],
    ['WEBHOOK_SECRET_OVERLAP_MS', '0', 'secretOverlapMs', 0],
    ['WEBHOOK_SECRET_OVERLAP_MS', String(30 * DAY), 'secretOverlapMs', 30 * DAY],
    ['WEBHOOK_LOG_KEEP', '1', 'logKeep', 1],
    ['WEBHOOK_LOG_KEEP', '100000', 'logKeep', 100_000],
    ['WEBHOOK_POLL_MS', '10', 'pollMs', 10],
    ['WEBHOOK_POLL_MS', '60000', 'pollMs', 60_000],
    ['WEBHOOK_DELIVERY', 'false', 'delivery', false],
    ['WEBHOOK_ALLOW_LOOPBACK', '1', 'allowLoopback', true],
    ['WEBHOOK_ALLOW_PRIVATE', 'true', 'allowPrivate', true],
  ])('%s=%s is accepted', (name, value, key, expected) => {
    expect(loadConfig({ [name]: value }).webhooks).toMatchObject({ [key]: expected })
  })

  it.each([
    ['WEBHOOK_TIMEOUT_MS', '99', 'milliseconds from 100 to 60000'],
    ['WEBHOOK_TIMEOUT_MS', '60001', 'milliseconds from 100 to 60000'],
    ['WEBHOOK_TIMEOUT_MS', '5s', 'milliseconds from 100 to 60000'],
    ['WEBHOOK_RETRY_BASE_MS', '9', 'milliseconds from 10 to 3600000'],
    ['WEBHOOK_RETRY_BASE_MS', '3600001', 'milliseconds from 10 to 3600000'],
    ['WEBHOOK_RETRY_MAX_MS', String(7 * DAY + 1), 'milliseconds from 10 to 604800000'],
    ['WEBHOOK_DISABLE_AFTER_MS', '999', 'milliseconds from 1000 to 2592000000'],
    ['WEBHOOK_DISABLE_AFTER_MS', String(30 * DAY + 1), 'milliseconds from 1000 to 2592000000'],
    ['WEBHOOK_SECRET_OVERLAP_MS', '-1', 'milliseconds from 0 to 2592000000'],
    ['WEBHOOK_SECRET_OVERLAP_MS', '1.5', 'milliseconds from 0 to 2592000000'],
    ['WEBHOOK_LOG_KEEP', '0', 'entries from 1 to 100000'],
    ['WEBHOOK_LOG_KEEP', '100001', 'entries from 1 to 100000'],
    ['WEBHOOK_POLL_MS', '9', 'milliseconds from 10 to 60000'],
    ['WEBHOOK_POLL_MS', '60001', 'milliseconds from 10 to 60000'],
  ])('%s=%s is refused', (name, value, range) => {
    expect(refused({ [name]: value })).toBe(
      `Invalid configuration: ${name} must be a whole number of ${range}`,
    )
  })

  it.each([
    ['WEBHOOK_DELIVERY', 'on'],
    ['WEBHOOK_ALLOW_LOOPBACK', 'yes'],
    ['WEBHOOK_ALLOW_PRIVATE', 'no'],
  ])('%s=%s is refused', (name, value) => {
    expect(refused({ [name]: value })).toBe(`Invalid configuration: ${name} must be true or false`)
  })

  it('WEBHOOK_RETRY_MAX_MS may equal WEBHOOK_RETRY_BASE_MS, not be less', () => {
    expect(
      loadConfig({ WEBHOOK_RETRY_BASE_MS: '500', WEBHOOK_RETRY_MAX_MS: '500' }).webhooks.retryMaxMs,
    ).toBe(500)
    expect(refused({ WEBHOOK_RETRY_BASE_MS: '500', WEBHOOK_RETRY_MAX_MS: '499' })).toBe(
      'Invalid configuration: WEBHOOK_RETRY_MAX_MS must not be less than WEBHOOK_RETRY_BASE_MS',
    )
  })

  it.each([
    ['PORT', '-1', 'must be between 0 and 65535'],
    ['PORT', '65536', 'must be between 0 and 65535'],
    ['PORT', '80.5', 'must be a port number'],
    ['PORT', 'http', 'must be a port number'],
    ['BODY_LIMIT', '1023', 'must be at least 1024 bytes'],
    ['BODY_LIMIT', '2048.5', 'must be a whole number of bytes'],
    ['BODY_LIMIT', '1mb', 'must be a whole number of bytes'],
    ['IMPORT_BODY_LIMIT', '1023', 'must be at least 1024 bytes'],
    ['IMPORT_BODY_LIMIT', '4096.5', 'must be a whole number of bytes'],
    ['IMPORT_BODY_LIMIT', '20mb', 'must be a whole number of bytes'],
    ['RATE_LIMIT_MAX', '-1', 'must not be negative'],
    ['RATE_LIMIT_MAX', '1.5', 'must be a whole number (0 turns rate limiting off)'],
    ['RATE_LIMIT_MAX', 'many', 'must be a whole number (0 turns rate limiting off)'],
    ['IMPORT_MAX_ROWS', '0', 'must be a whole number of rows of at least 1'],
    ['IMPORT_MAX_ROWS', '10.5', 'must be a whole number of rows of at least 1'],
    ['IMPORT_MAX_ROWS', 'all', 'must be a whole number of rows of at least 1'],
    ['IMPORT_WORKER_MEMORY_MB', '15', 'must be at least 16'],
    ['IMPORT_WORKER_MEMORY_MB', '16385', 'must be at most 16384'],
    ['IMPORT_WORKER_MEMORY_MB', '64.5', 'must be a whole number of MiB'],
    ['IMPORT_WORKER_MEMORY_MB', '1g', 'must be a whole number of MiB'],
    ['RATE_LIMIT_HEAVY_MAX', '0', 'must be a whole number of at least 1'],
    ['RATE_LIMIT_HEAVY_MAX', '2.5', 'must be a whole number of at least 1'],
    ['RATE_LIMIT_HEAVY_MAX', 'lots', 'must be a whole number of at least 1'],
    ['READ_CACHE_MB', '-1', 'must not be negative'],
    ['READ_CACHE_MB', '1025', 'must be at most 1024'],
    ['READ_CACHE_MB', '1.5', 'must be a whole number of MiB (0 turns the cache off)'],
    ['READ_CACHE_MB', '16mb', 'must be a whole number of MiB (0 turns the cache off)'],
    ['JWT_SECRET', 's'.repeat(31), 'must be at least 32 characters'],
    ['JWKS_URL', 'ftp://idp.example/jwks', 'must be an http(s) URL'],
    ['JWKS_URL', 'not a url', 'must be an http(s) URL'],
    ['JWKS_URL', 'xhttps://idp.example/jwks', 'must be an http(s) URL'],
    ['JWKS_URL', 'httpsx://idp.example/jwks', 'must be an http(s) URL'],
    ['PUBLIC_READ', 'yes', 'must be true or false'],
    ['OIDC_ISSUER', 'ftp://idp.example/', 'must be an http(s) URL'],
    ['OIDC_RESOURCE', 'pocdir', 'must be an http(s) URL'],
    ['OIDC_SCOPES', 'openid  directory:write', 'must be space-separated scopes'],
    ['OIDC_SCOPES', 'openid "x"', 'must be space-separated scopes'],
  ])('%s=%s is refused: %s', (name, value, message) => {
    expect(refused({ [name]: value })).toBe(`Invalid configuration: ${name} ${message}`)
  })

  it('names LOG_LEVEL and the allowed levels', () => {
    expect(refused({ LOG_LEVEL: 'loud' })).toBe(
      'Invalid configuration: LOG_LEVEL Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
    )
  })
})

describe('defaults and accepted values', () => {
  it('every default, also for empty values', () => {
    const defaults = {
      port: 3000,
      host: '127.0.0.1',
      databasePath: './data/pocdir.db',
      publicRead: true,
      bodyLimit: 1_048_576,
      importBodyLimit: 20_971_520,
      rateLimitMax: 600,
      rateLimitHeavyMax: 60,
      readCacheBytes: 16 * 1_048_576,
      importMaxRows: 50_000,
      importWorkerMemoryMb: 512,
      trustProxy: false,
      corsOrigins: [],
      metrics: 'off',
      publicBaseUrl: null,
      smtp: null,
      logLevel: 'info',
      erasureKeepName: true,
      retentionEndedMonths: null,
      accessLog: true,
      accessLogRetentionDays: 365,
      privacyNotice: {
        controller: null,
        contact: null,
        purpose:
          'To let the officials and organizations who implement UN Security Council resolution 1540 ' +
          'find and reach the national Points of Contact, and to keep a record of who held which post when.',
        text: null,
      },
      webhooks: {
        delivery: true,
        allowLoopback: false,
        allowPrivate: false,
        timeoutMs: 5000,
        retryBaseMs: 5000,
        retryMaxMs: 3_600_000,
        disableAfterMs: 259_200_000,
        secretOverlapMs: 86_400_000,
        logKeep: 1000,
        pollMs: 1000,
      },
      oidc: null,
    }
    const names = ['PORT', 'HOST', 'DATABASE_PATH', 'JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWKS_URL', 'JWT_ISSUER']
    const more = [
      'IMPORT_MAX_ROWS',
      'IMPORT_WORKER_MEMORY_MB',
      'RATE_LIMIT_HEAVY_MAX',
      'READ_CACHE_MB',
      'TRUST_PROXY',
      'CORS_ORIGINS',
      'METRICS',
      'ERASURE_KEEP_NAME',
      'RETENTION_ENDED_MONTHS',
      'ACCESS_LOG',
      'ACCESS_LOG_RETENTION_DAYS',
      'PRIVACY_CONTROLLER',
      'PRIVACY_CONTACT',
      'PRIVACY_PURPOSE',
      'PRIVACY_NOTICE_FILE',
      'OIDC_ISSUER',
      'OIDC_CLIENT_ID',
      'OIDC_SCOPES',
      'OIDC_RESOURCE',
      'PUBLIC_BASE_URL',
      'SMTP_URL',
      'SMTP_FROM',
      'JWT_AUDIENCE',
      'PUBLIC_READ',
      'BODY_LIMIT',
      'IMPORT_BODY_LIMIT',
      'RATE_LIMIT_MAX',
      'LOG_LEVEL',
      'WEBHOOK_DELIVERY',
      'WEBHOOK_ALLOW_LOOPBACK',
      'WEBHOOK_ALLOW_PRIVATE',
      'WEBHOOK_TIMEOUT_MS',
      'WEBHOOK_RETRY_BASE_MS',
      'WEBHOOK_RETRY_MAX_MS',
      'WEBHOOK_DISABLE_AFTER_MS',
      'WEBHOOK_SECRET_OVERLAP_MS',
      'WEBHOOK_LOG_KEEP',
      'WEBHOOK_POLL_MS',
    ]
    for (const env of [{}, Object.fromEntries([...names, ...more].map((n) => [n, '']))]) {
      const c = loadConfig(env)
      expect({ ...c, jwt: { ...c.jwt } }).toEqual({
        ...defaults,
        jwt: {
          secret: undefined,
          publicKey: undefined,
          jwksUrl: undefined,
          issuer: undefined,
          audience: undefined,
        },
      })
      expect(Object.isFrozen(c)).toBe(true)
      expect(Object.isFrozen(c.jwt)).toBe(true)
      expect(Object.isFrozen(c.webhooks)).toBe(true)
    }
  })

  it('reads each value as given', () => {
    const secret = 'x'.repeat(32)
    const c = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_PATH: ':memory:',
      JWT_SECRET: secret,
      JWT_ISSUER: 'https://idp.example/',
      JWT_AUDIENCE: 'pocdir',
      BODY_LIMIT: '2048',
      IMPORT_BODY_LIMIT: '4096',
      RATE_LIMIT_MAX: '60',
      RATE_LIMIT_HEAVY_MAX: '7',
      IMPORT_MAX_ROWS: '1000',
      IMPORT_WORKER_MEMORY_MB: '256',
      READ_CACHE_MB: '3',
      LOG_LEVEL: 'warn',
    })
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databasePath: ':memory:',
      bodyLimit: 2048,
      importBodyLimit: 4096,
      rateLimitMax: 60,
      rateLimitHeavyMax: 7,
      importMaxRows: 1000,
      importWorkerMemoryMb: 256,
      readCacheBytes: 3 * 1_048_576,
      logLevel: 'warn',
    })
    expect(c.jwt).toMatchObject({ secret, issuer: 'https://idp.example/', audience: 'pocdir' })
  })

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('PUBLIC_READ=%s is %s', (value, expected) => {
    expect(loadConfig({ PUBLIC_READ: value }).publicRead).toBe(expected)
  })

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('LOG_LEVEL=%s', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level)
  })

  it('JWKS_URL over http and https becomes a URL', () => {
    for (const url of ['http://idp.example/jwks', 'https://idp.example/.well-known/jwks.json']) {
      const { jwksUrl } = loadConfig({ JWKS_URL: url }).jwt
      expect(jwksUrl).toBeInstanceOf(URL)
      expect(jwksUrl?.href).toBe(url)
    }
  })
})

describe('one key source', () => {
  const secret = 's'.repeat(32)
  const key = pem(generateKeyPairSync('ed25519').publicKey)
  const url = 'https://idp.example/jwks'
  const message = 'Invalid configuration: set only one of JWT_SECRET, JWT_PUBLIC_KEY and JWKS_URL'

  it.each([
    [{ JWT_SECRET: secret, JWT_PUBLIC_KEY: key }],
    [{ JWT_SECRET: secret, JWKS_URL: url }],
    [{ JWT_PUBLIC_KEY: key, JWKS_URL: url }],
    [{ JWT_SECRET: secret, JWT_PUBLIC_KEY: key, JWKS_URL: url }],
  ])('two or three sources are refused: %o', (env) => {
    expect(refused(env)).toBe(message)
  })

  it('each source alone is accepted', () => {
    expect(loadConfig({ JWT_SECRET: secret }).jwt.secret).toBe(secret)
    expect(loadConfig({ JWT_PUBLIC_KEY: key }).jwt.publicKey?.algorithms).toEqual(['EdDSA'])
    expect(loadConfig({ JWKS_URL: url }).jwt.jwksUrl?.href).toBe(url)
  })
})

describe('public keys and their pinned algorithms', () => {
  it('RSA: RS* and PS*; RSA-PSS: PS* only', () => {
    expect(
      parsePublicKey(pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)).algorithms,
    ).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'])
    expect(
      parsePublicKey(pem(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey)).algorithms,
    ).toEqual(['PS256', 'PS384', 'PS512'])
  })

  it.each([
    ['P-256', 'ES256'],
    ['P-384', 'ES384'],
    ['P-521', 'ES512'],
  ])('EC %s: %s', (namedCurve, alg) => {
    expect(parsePublicKey(pem(generateKeyPairSync('ec', { namedCurve }).publicKey)).algorithms).toEqual([alg])
  })

  it('a JWK with alg is pinned to that alg; without, by its type', () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' })
    expect(parsePublicKey(JSON.stringify(jwk)).algorithms).toEqual(['ES384'])
    expect(parsePublicKey(`  ${JSON.stringify({ ...jwk, alg: 'ES384' })}\n`).algorithms).toEqual(['ES384'])
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' })
    expect(parsePublicKey(JSON.stringify({ ...rsa, alg: 'PS256' })).algorithms).toEqual(['PS256'])
    expect(parsePublicKey(JSON.stringify({ ...rsa, alg: 7 })).algorithms).toHaveLength(6)
  })

  it('PEM with surrounding blanks and with literal \\n', () => {
    const text = pem(generateKeyPairSync('ed25519').publicKey)
    expect(parsePublicKey(`\n  ${text}  \n`).key.type).toBe('public')
    expect(parsePublicKey(text.trim().replace(/\n/g, '\\n')).algorithms).toEqual(['EdDSA'])
  })

  it('an unsupported key type is refused with its name', () => {
    const x = pem(generateKeyPairSync('x25519').publicKey)
    expect(refused({ JWT_PUBLIC_KEY: x })).toBe(
      'Invalid configuration: JWT_PUBLIC_KEY is not a PEM or JWK public key (unsupported key type x25519)',
    )
  })
})
