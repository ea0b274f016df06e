import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { signToken } from '../helpers/build-test-app.js'
import { expectAccessible, openConsole, screenshot, signInWithToken, useConsole, WIDTHS } from './harness.js'
import { CLIENT_ID, RESOURCE, startProvider, type TestProvider } from './oidc-provider.js'

const ui = useConsole({ server: false })

const storage = (page: Page) =>
  page.evaluate(
    'JSON.stringify({ session: { ...sessionStorage }, local: { ...localStorage } })',
  ) as Promise<string>

describe('a pasted token', () => {
  const pasted = useConsole({ seed: false, browser: false })

  it('signs in for this tab only, never in a URL, and is forgotten on sign-out', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    const urls: string[] = []
    page.on('request', (r) => urls.push(r.url()))
    const token = await signToken({ scope: 'directory:write', sub: 'alice' })
    await page.goto(`${pasted.server.url}/console/sign-in`)
    await page.getByLabel('Token', { exact: true }).fill(token)
    await page.getByRole('button', { name: 'Sign in with this token' }).click()
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toBe('alice')
    expect(page.url()).toBe(`${pasted.server.url}/console/`)
    expect(JSON.parse(await storage(page))).toEqual({
      session: { 'pocdir.session': JSON.stringify({ token, via: 'token' }) },
      local: {},
    })
    // A reload in the same tab keeps the session; a new tab (context) does not have it.
    await page.reload()
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toBe('alice')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('link', { name: 'Sign in' }).waitFor()
    expect(JSON.parse(await storage(page))).toEqual({ session: {}, local: {} })
    expect(urls.filter((u) => u.includes(token))).toEqual([])
    expect(problems).toEqual([])
    await context.close()
  })

  it.each([
    ['not a token', 'hello', 'This is not a token: a token is three parts separated by dots (a JWT).'],
    [
      'an expired token',
      signToken({ scope: 'directory:read', expiresIn: -1 }),
      'The token has expired. Mint a new one.',
    ],
    [
      'a token the service does not accept',
      signToken({ scope: 'directory:read', secret: 'another-secret-0123456789-abcdefghijkl' }),
      'The service refused the token. Unauthorized: The token signature is not valid',
    ],
  ])('refuses %s, says why next to the field, and stores nothing', async (_name, token, message) => {
    const { page, context, problems } = await openConsole(ui.browser)
    await page.goto(`${pasted.server.url}/console/sign-in`)
    await page.getByLabel('Token', { exact: true }).fill(await token)
    await page.getByRole('button', { name: 'Sign in with this token' }).click()
    const error = page.getByRole('alert')
    await expect(error.textContent()).resolves.toBe(`Error: ${message}`)
    await expect(page.getByLabel('Token', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true')
    await expect(page.getByLabel('Token', { exact: true }).getAttribute('aria-describedby')).resolves.toBe(
      'token-error',
    )
    expect(JSON.parse(await storage(page))).toEqual({ session: {}, local: {} })
    await expect(page.getByRole('link', { name: 'Sign in' }).count()).resolves.toBe(1)
    await expectAccessible(page)
    await screenshot(page, `sign-in-refused-${_name.replaceAll(' ', '-')}`)
    expect(problems).toEqual([])
    await context.close()
  })

  it('drops the session when the token expires', async () => {
    const { page, context } = await openConsole(ui.browser)
    await signInWithToken(page, pasted.server.url, { scope: 'directory:read', sub: 'brief', expiresIn: 3 })
    await page.getByRole('link', { name: 'Sign in' }).waitFor({ timeout: 6000 })
    expect(JSON.parse(await storage(page))).toEqual({ session: {}, local: {} })
    await context.close()
  })
})

describe('OpenID Connect (Authorization Code with PKCE) against a provider in the test', () => {
  let provider: TestProvider
  const oidc = useConsole({
    seed: false,
    browser: false,
    env: async () => {
      provider = await startProvider()
      return {
        JWT_SECRET: '',
        JWKS_URL: provider.jwksUrl,
        JWT_ISSUER: provider.issuer,
        JWT_AUDIENCE: 'pocdir',
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
        OIDC_RESOURCE: RESOURCE,
      }
    },
    started: (server) => provider.start(server.url),
  })
  afterAll(async () => {
    await provider?.close()
  })

  it('publishes the provider to the console and allows fetches to it in the CSP', async () => {
    const res = await fetch(`${oidc.server.url}/console/config.json`)
    expect(await res.json()).toEqual({
      oidc: {
        issuer: provider.issuer,
        clientId: CLIENT_ID,
        scopes: 'openid directory:write',
        resource: RESOURCE,
      },
    })
    const csp = (await fetch(`${oidc.server.url}/console/`)).headers.get('content-security-policy')
    expect(csp).toContain(`connect-src 'self' ${provider.issuer};`)
  })

  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`signs in at the provider and back at ${width} px, the token never in a URL`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      const urls: string[] = []
      page.on('request', (r) => urls.push(r.url()))
      await page.goto(`${oidc.server.url}/console/sign-in`)
      await expectAccessible(page)
      await screenshot(page, 'sign-in-oidc')
      await page.getByRole('button', { name: `Sign in with ${new URL(provider.issuer).host}` }).click()
      // oidc-provider's development login form takes any login and password.
      await page.locator('input[name="login"]').fill('bishkek')
      await page.locator('input[name="password"]').fill('any')
      await page.locator('button[type="submit"]').click()
      await page.locator('button[type="submit"]', { hasText: /continue/i }).click()
      await expect(page.getByTestId('signed-in-as').textContent()).resolves.toBe('bishkek (KG)')
      expect(page.url()).toBe(`${oidc.server.url}/console/`)
      const { session } = JSON.parse(await storage(page)) as { session: Record<string, string> }
      const stored = JSON.parse(session['pocdir.session'] ?? '{}') as { token: string; via: string }
      expect(stored.via).toBe('oidc')
      // The service accepts the provider's token: a write-scoped read shows restricted details.
      const res = await fetch(`${oidc.server.url}/v1/roles?limit=1`, {
        headers: { authorization: `Bearer ${stored.token}` },
      })
      expect(res.status).toBe(200)
      expect(urls.filter((u) => u.includes(stored.token))).toEqual([])
      expect(
        urls.some(
          (u) => u.startsWith(`${provider.issuer}/auth?`) && u.includes('code_challenge_method=S256'),
        ),
      ).toBe(true)
      expect(problems).toEqual([])
      await context.close()
    })
  }
})
