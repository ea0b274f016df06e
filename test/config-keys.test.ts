import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'

/** JWT_PUBLIC_KEY takes only public keys of the curves and types a token can be verified with. */
const pair = (type: 'rsa' | 'ec', namedCurve?: string) =>
  type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: namedCurve as string })

const load = (JWT_PUBLIC_KEY: string) => loadConfig({ JWT_PUBLIC_KEY })
const refusal = (detail: string) =>
  `Invalid configuration: JWT_PUBLIC_KEY is not a PEM or JWK public key (${detail})`

describe('JWT_PUBLIC_KEY refuses a private key (Node would derive and accept its public half)', () => {
  const rsa = pair('rsa')
  const ec = pair('ec', 'prime256v1')
  it.each([
    ['a PKCS#8 PEM', () => rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string],
    ['a PKCS#1 PEM', () => rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string],
    ['a SEC1 EC PEM', () => ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string],
    [
      'a PEM with literal \\n',
      () => (rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).replace(/\n/g, '\\n'),
    ],
    ['a private JWK', () => JSON.stringify(ec.privateKey.export({ format: 'jwk' }))],
  ])('%s', (_name, key) => {
    expect(() => load(key())).toThrow(refusal('it is a private key; give only the public key'))
  })

  it('the public halves of the same keys are accepted', () => {
    expect(
      load(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string).jwt.publicKey?.algorithms,
    ).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'])
    expect(load(JSON.stringify(ec.publicKey.export({ format: 'jwk' }))).jwt.publicKey?.algorithms).toEqual([
      'ES256',
    ])
  })
})

describe('EC curves', () => {
  it.each([
    ['prime256v1', 'ES256'],
    ['secp384r1', 'ES384'],
    ['secp521r1', 'ES512'],
  ])('%s verifies %s only', (curve, alg) => {
    const key = pair('ec', curve).publicKey.export({ type: 'spki', format: 'pem' }) as string
    expect(load(key).jwt.publicKey?.algorithms).toEqual([alg])
  })

  it('secp256k1 is refused instead of being pinned to an algorithm it can never verify', () => {
    const key = pair('ec', 'secp256k1').publicKey.export({ type: 'spki', format: 'pem' }) as string
    expect(() => load(key)).toThrow(refusal('unsupported EC curve secp256k1; use P-256, P-384 or P-521'))
  })
})

describe('HOST', () => {
  it.each([' ', '\t '])('%j is refused as blank', (host) => {
    expect(() => loadConfig({ HOST: host, JWT_SECRET: 'x'.repeat(32) })).toThrow(
      'Invalid configuration: HOST must not be blank',
    )
  })
  it('surrounding spaces are trimmed', () => {
    expect(loadConfig({ HOST: ' 0.0.0.0 ', JWT_SECRET: 'x'.repeat(32) }).host).toBe('0.0.0.0')
  })
})

describe('OIDC_* (the console signs in through an identity provider)', () => {
  const jwks = { JWKS_URL: 'https://idp.example/jwks' }
  it('is off by default and when both are empty', () => {
    expect(loadConfig({}).oidc).toBeNull()
    expect(loadConfig({ OIDC_ISSUER: '', OIDC_CLIENT_ID: '' }).oidc).toBeNull()
  })

  it('reads the issuer, client id, default scopes and no resource', () => {
    expect(
      loadConfig({ ...jwks, OIDC_ISSUER: 'https://idp.example/', OIDC_CLIENT_ID: 'pocdir-console' }).oidc,
    ).toEqual({
      issuer: 'https://idp.example/',
      clientId: 'pocdir-console',
      scopes: 'openid directory:write',
      resource: null,
    })
    expect(
      loadConfig({
        ...jwks,
        OIDC_ISSUER: 'https://idp.example/',
        OIDC_CLIENT_ID: ' c ',
        OIDC_SCOPES: 'openid directory:read',
        OIDC_RESOURCE: 'https://pocdir.example/',
      }).oidc,
    ).toEqual({
      issuer: 'https://idp.example/',
      clientId: 'c',
      scopes: 'openid directory:read',
      resource: 'https://pocdir.example/',
    })
  })

  it.each([[{ OIDC_ISSUER: 'https://idp.example/' }], [{ OIDC_CLIENT_ID: 'pocdir-console' }]])(
    'refuses one without the other: %j',
    (env) => {
      expect(() => loadConfig({ ...jwks, ...env })).toThrow(
        'Invalid configuration: set both OIDC_ISSUER and OIDC_CLIENT_ID, or neither',
      )
    },
  )

  it('refuses a provider whose tokens the service could not verify (no JWKS_URL or JWT_PUBLIC_KEY)', () => {
    expect(() =>
      loadConfig({ JWT_SECRET: 'x'.repeat(32), OIDC_ISSUER: 'https://idp.example/', OIDC_CLIENT_ID: 'c' }),
    ).toThrow(
      "Invalid configuration: OIDC_ISSUER needs JWKS_URL or JWT_PUBLIC_KEY, so the service accepts the provider's tokens",
    )
  })
})

describe('campaign mail: PUBLIC_BASE_URL, SMTP_URL, SMTP_FROM', () => {
  it('reads them, dropping a trailing slash from the base URL', () => {
    const c = loadConfig({
      PUBLIC_BASE_URL: 'https://pocdir.example.org/directory/',
      SMTP_URL: 'smtps://user:pass@mail.example.org:465',
      SMTP_FROM: 'PoC directory <directory@example.org>',
    })
    expect(c.publicBaseUrl).toBe('https://pocdir.example.org/directory')
    expect(c.smtp).toEqual({
      url: 'smtps://user:pass@mail.example.org:465',
      from: 'PoC directory <directory@example.org>',
    })
    expect(loadConfig({ PUBLIC_BASE_URL: 'http://localhost:3000' }).smtp).toBeNull()
  })

  it.each([
    [
      { PUBLIC_BASE_URL: 'ftp://pocdir.example.org' },
      'PUBLIC_BASE_URL must be an http(s) URL like https://pocdir.example.org',
    ],
    [
      { PUBLIC_BASE_URL: 'https://pocdir.example.org/?x=1' },
      'PUBLIC_BASE_URL must not carry a query or fragment',
    ],
    [{ SMTP_URL: 'http://mail.example.org' }, 'SMTP_URL must be an smtp:// or smtps:// URL'],
    [
      { SMTP_URL: 'smtp://mail.example.org', SMTP_FROM: 'a@example.org' },
      'SMTP_URL needs SMTP_FROM (the sender) and PUBLIC_BASE_URL (to build the links)',
    ],
    [
      { SMTP_URL: 'smtp://mail.example.org', PUBLIC_BASE_URL: 'https://pocdir.example.org' },
      'SMTP_URL needs SMTP_FROM (the sender) and PUBLIC_BASE_URL (to build the links)',
    ],
  ])('%j is refused', (env, message) => {
    expect(() => loadConfig(env)).toThrow(`Invalid configuration: ${message}`)
  })
})
