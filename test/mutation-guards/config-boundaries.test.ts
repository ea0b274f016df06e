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
      'PUBLIC_BASE_URL',
      'SMTP_URL',
      'SMTP_FROM',
      'JWT_AUDIENCE',
      'PUBLIC_READ',
      'BODY_LIMIT',
      'IMPORT_BODY_LIMIT',
      'RATE_LIMIT_MAX',
      'LOG_LEVEL',
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
