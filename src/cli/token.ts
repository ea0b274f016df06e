/** `pocdir token`: an HS256 token signed with the server's own local secret. */
import { existsSync, readFileSync } from 'node:fs'
import { SignJWT } from 'jose'
import { SCOPES } from '../plugins/auth.js'
import { CliError, config, secretFileOf } from './common.js'

export interface TokenOptions {
  sub: string
  scope: string
  states?: string
  expires: string
}

export async function mintToken(opts: TokenOptions): Promise<string> {
  const scopes = opts.scope.split(' ').filter(Boolean)
  const unknown = scopes.find((s) => !(SCOPES as readonly string[]).includes(s))
  if (!scopes.length || unknown) {
    throw new CliError(`--scope: ${unknown ?? '(empty)'} is not a scope; scopes are ${SCOPES.join(', ')}`)
  }
  if (opts.states !== undefined && !/^[A-Z]{2}(,[A-Z]{2})*$/.test(opts.states)) {
    throw new CliError('--states: a comma list of alpha-2 codes, e.g. KG,KZ')
  }
  if (!/^\d+[smhd]$/.test(opts.expires)) throw new CliError('--expires: like 30m, 8h or 7d')
  const c = config()
  // The server verifies with a public key or a JWKS: a token signed here would be refused.
  if (c.jwt.publicKey || c.jwt.jwksUrl) {
    const by = c.jwt.publicKey ? 'JWT_PUBLIC_KEY' : 'JWKS_URL'
    throw new CliError(
      `the server verifies tokens with ${by}, not a local secret: get a token from your identity provider`,
    )
  }
  let secret = c.jwt.secret
  if (!secret) {
    const file = secretFileOf(c)
    if (!existsSync(file)) {
      throw new CliError(`no JWT_SECRET and no ${file}: start the server once (npm start) to generate it`)
    }
    secret = readFileSync(file, 'utf8').trim()
  }
  const claims: Record<string, unknown> = { scope: scopes.join(' ') }
  if (opts.states) claims.states = opts.states.split(',')
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(opts.sub)
    .setIssuedAt()
    .setExpirationTime(opts.expires)
  if (c.jwt.issuer) jwt = jwt.setIssuer(c.jwt.issuer)
  if (c.jwt.audience) jwt = jwt.setAudience(c.jwt.audience)
  return jwt.sign(new TextEncoder().encode(secret))
}
