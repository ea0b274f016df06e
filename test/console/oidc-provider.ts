/**
 * A real OpenID Provider (panva's oidc-provider) in the test process, on its own port: the
 * console signs in at it with Authorization Code and PKCE, and its JWT access tokens are what the
 * service verifies through JWKS_URL. Its development login form takes any login name as `sub`;
 * the login name "bishkek" gets a `states: ["KG"]` claim.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'

export const CLIENT_ID = 'pocdir-console'
export const RESOURCE = 'https://pocdir.test/'

export interface TestProvider {
  issuer: string
  jwksUrl: string
  /** Registers the console's redirect URI, once the service's port is known. */
  start(consoleOrigin: string): void
  close(): Promise<void>
}

export async function startProvider(): Promise<TestProvider> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test-key' }
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    start(consoleOrigin) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: CLIENT_ID,
            token_endpoint_auth_method: 'none',
            application_type: 'web',
            redirect_uris: [`${consoleOrigin}/console/callback`],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        jwks: { keys: [jwk as never] },
        pkce: { required: () => true },
        // The console calls discovery and the token endpoint from the browser.
        clientBasedCORS: () => true,
        findAccount: async (_ctx: unknown, sub: string) => ({
          accountId: sub,
          claims: async () => ({ sub }),
        }),
        features: {
          devInteractions: { enabled: true },
          resourceIndicators: {
            enabled: true,
            defaultResource: async () => RESOURCE,
            useGrantedResource: async () => true,
            getResourceServerInfo: async () => ({
              scope: 'directory:read directory:write',
              audience: 'pocdir',
              accessTokenFormat: 'jwt',
              accessTokenTTL: 3600,
              jwt: { sign: { alg: 'RS256' } },
            }),
          },
        },
        extraTokenClaims: async (_ctx: unknown, token: { accountId?: string }) =>
          token.accountId === 'bishkek' ? { states: ['KG'] } : undefined,
      })
      server.on('request', provider.callback())
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
