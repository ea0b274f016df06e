import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedConsoleData } from './fixtures.js'
import {
  ensureConsoleBuilt,
  expectAccessible,
  launchBrowser,
  openConsole,
  screenshot,
  signInWithToken,
  startServer,
  type TestServer,
  WIDTHS,
} from './harness.js'

let server: TestServer
let browser: Browser
let seed: Awaited<ReturnType<typeof seedConsoleData>>

beforeAll(async () => {
  await ensureConsoleBuilt()
  server = await startServer()
  seed = await seedConsoleData(server)
  browser = await launchBrowser()
  // Every seeded record is now older than three seconds.
  await new Promise((r) => setTimeout(r, 3100))
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function staleNames(): Promise<string[]> {
  const res = await server.app.inject({ method: 'GET', url: '/v1/reports/stale?olderThan=PT3S&limit=100' })
  return (res.json() as { items: { name: string }[] }).items.map((i) => i.name)
}

const rowNames = async (page: import('playwright-core').Page) =>
  (await page.locator('[data-testid="stale"] tbody tr td:first-child').allInnerTexts()).map((t) => t.trim())

describe('the stale records page', () => {
  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`lists what the report lists, stalest first, at ${width} px, and passes axe`, async () => {
      const { page, context, problems } = await openConsole(browser, width)
      await page.goto(`${server.url}/console/stale?olderThan=PT3S`)
      await page.getByTestId('stale').waitFor()
      await expect(rowNames(page)).resolves.toEqual(await staleNames())
      // Anonymous: every verify button is disabled, with the reason.
      await expect(page.locator('main button:enabled').count()).resolves.toBe(0)
      await expectAccessible(page)
      await screenshot(page, 'stale')
      expect(problems).toEqual([])
      await context.close()
    })
  }

  it('uses the default period (P12M) when none is asked for, as the report does', async () => {
    const { page, context } = await openConsole(browser)
    await page.goto(`${server.url}/console/stale`)
    await page.locator('[data-testid="stale-empty"], [data-testid="stale"]').first().waitFor()
    await expect(page.getByLabel('Period').inputValue()).resolves.toBe('P12M')
    const res = await server.app.inject({ method: 'GET', url: '/v1/reports/stale?limit=100' })
    const expected = (res.json() as { items: { name: string }[] }).items.map((i) => i.name)
    await expect(rowNames(page)).resolves.toEqual(expected)
    await context.close()
  })

  it('verifies a record in one click; the report then leaves it out', async () => {
    const { page, context, problems } = await openConsole(browser)
    await signInWithToken(page, server.url, { scope: 'directory:write', sub: 'editor' })
    await page.goto(`${server.url}/console/stale?olderThan=PT3S`)
    await page.getByTestId('stale').waitFor()
    const before = await staleNames()
    expect(before).toContain('Aida Sadykova')
    await page.getByRole('button', { name: 'Verified today: Aida Sadykova' }).click()
    await page.getByRole('status').filter({ hasText: 'Verified' }).waitFor()
    await expect(
      page.getByRole('button', { name: 'Verified today: Aida Sadykova' }).isDisabled(),
    ).resolves.toBe(true)
    expect(await staleNames()).toEqual(before.filter((n) => n !== 'Aida Sadykova'))
    const res = await server.app.inject({ method: 'GET', url: `/v1/contacts/${seed.sadykova.id}` })
    expect((res.json() as { lastVerifiedAt: string }).lastVerifiedAt.slice(0, 10)).toBe(
      new Date().toISOString().slice(0, 10),
    )
    expect(problems).toEqual([])
    await context.close()
  })
})
