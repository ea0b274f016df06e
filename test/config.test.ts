import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'

const secret = 's'.repeat(32)

describe('configuration', () => {
  it('has documented defaults', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databasePath: './data/pocdir.db',
      publicRead: true,
      bodyLimit: 1024 * 1024,
      importBodyLimit: 20 * 1024 * 1024,
      rateLimitMax: 600,
      logLevel: 'info',
    })
    expect(c.jwt.secret).toBeUndefined()
    expect(Object.isFrozen(c)).toBe(true)
  })

  it.each([
    [{ PORT: 'abc' }, /^Invalid configuration: PORT /],
    [{ PORT: '70000' }, /^Invalid configuration: PORT must be between 0 and 65535$/],
    [{ JWT_SECRET: 'short' }, /^Invalid configuration: JWT_SECRET must be at least 32 characters$/],
    [
      { JWT_PUBLIC_KEY: 'not a key' },
      /^Invalid configuration: JWT_PUBLIC_KEY is not a PEM or JWK public key/,
    ],
    [{ JWT_PUBLIC_KEY: '{"kty":"RSA"}' }, /^Invalid configuration: JWT_PUBLIC_KEY /],
    [{ JWKS_URL: 'ftp://idp.example/jwks' }, /^Invalid configuration: JWKS_URL must be an http\(s\) URL$/],
    [{ PUBLIC_READ: 'maybe' }, /^Invalid configuration: PUBLIC_READ must be true or false$/],
    [{ BODY_LIMIT: '1mb' }, /^Invalid configuration: BODY_LIMIT must be a whole number of bytes$/],
    [{ RATE_LIMIT_MAX: '-1' }, /^Invalid configuration: RATE_LIMIT_MAX must not be negative$/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL /],
    [{ JWT_SECRET: secret, JWKS_URL: 'https://idp.example/jwks' }, /set only one of/],
  ])('refuses %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  it('reads PEM (also with literal \\n) and JWK public keys and pins their algorithms', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey
    const pem = rsa.export({ type: 'spki', format: 'pem' }).toString()
    expect(loadConfig({ JWT_PUBLIC_KEY: pem }).jwt.publicKey?.algorithms).toContain('RS256')
    expect(loadConfig({ JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n') }).jwt.publicKey?.key.type).toBe('public')
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
    expect(loadConfig({ JWT_PUBLIC_KEY: JSON.stringify(ed) }).jwt.publicKey?.algorithms).toEqual(['EdDSA'])
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
    expect(
      loadConfig({ JWT_PUBLIC_KEY: JSON.stringify({ ...ec, alg: 'ES256' }) }).jwt.publicKey?.algorithms,
    ).toEqual(['ES256'])
  })

  it('treats empty values as unset and coerces numbers and flags', () => {
    const c = loadConfig({ PORT: '', PUBLIC_READ: 'false', RATE_LIMIT_MAX: '0', BODY_LIMIT: '4096' })
    expect(c).toMatchObject({ port: 3000, publicRead: false, rateLimitMax: 0, bodyLimit: 4096 })
  })
})
