/**
 * Sign-in at the identity provider: Authorization Code with PKCE through oauth4webapi (a public
 * client: no secret in the browser). The verifier and state wait in sessionStorage for the
 * redirect back; the access token then becomes the session like a pasted one.
 */
import * as oauth from 'oauth4webapi'
import type { ConsoleConfig } from './console-config'
import { type Session, sessionFromToken } from './session'

type Oidc = NonNullable<ConsoleConfig['oidc']>

const PENDING = 'pocdir.oidc-pending'
export const redirectUri = () => `${location.origin}/console/callback`

/** A provider on plain http (development and tests only) needs oauth4webapi's explicit opt-in. */
function requestOptions(issuer: URL) {
  return issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}
}

async function discover(oidc: Oidc) {
  const issuer = new URL(oidc.issuer)
  const response = await oauth.discoveryRequest(issuer, requestOptions(issuer))
  return oauth.processDiscoveryResponse(issuer, response)
}

/** Sends the browser to the provider's authorization endpoint. */
export async function startSignIn(oidc: Oidc): Promise<void> {
  const as = await discover(oidc)
  if (!as.authorization_endpoint) throw new Error('The identity provider has no authorization endpoint')
  const codeVerifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  sessionStorage.setItem(PENDING, JSON.stringify({ codeVerifier, state }))
  const url = new URL(as.authorization_endpoint)
  url.searchParams.set('client_id', oidc.clientId)
  url.searchParams.set('redirect_uri', redirectUri())
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('scope', oidc.scopes)
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
  url.searchParams.set('code_challenge_method', 'S256')
  url.searchParams.set('state', state)
  if (oidc.resource) url.searchParams.set('resource', oidc.resource)
  location.assign(url)
}

/** Completes the sign-in on the redirect back: the code for a token, checked by oauth4webapi. */
export async function finishSignIn(oidc: Oidc, callback: URL): Promise<Session> {
  const pending = sessionStorage.getItem(PENDING)
  sessionStorage.removeItem(PENDING)
  if (!pending) throw new Error('No sign-in was started in this tab. Start again.')
  const { codeVerifier, state } = JSON.parse(pending) as { codeVerifier: string; state: string }
  const as = await discover(oidc)
  const client: oauth.Client = { client_id: oidc.clientId }
  const params = oauth.validateAuthResponse(as, client, callback, state)
  const issuer = new URL(oidc.issuer)
  const additionalParameters = oidc.resource ? { resource: oidc.resource } : undefined
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    codeVerifier,
    { ...requestOptions(issuer), additionalParameters },
  )
  const result = await oauth.processAuthorizationCodeResponse(as, client, response)
  const session = sessionFromToken(result.access_token, 'oidc')
  if (typeof session === 'string') throw new Error(`The provider's access token cannot be used: ${session}`)
  return session
}
