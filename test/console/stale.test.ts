import { beforeAll, describe, expect, it, vi } from 'vitest'
import { expectAccessible, openConsole, screenshot, signInWithToken, useConsole, WIDTHS } from './harness.js'

const ui = useConsole()

beforeAll(async () => {
  // The tests use a period of three seconds: they start once the report lists every seeded
  // record (a wait on that condition, not on a guessed time).
  const count = (sql: string) => (ui.server.db.$client.prepare(sql).get() as { n: number }).n
  const records =
    count('select count(*) as n from contacts where deleted_at is null') +
    count('select count(*) as n from organizations where deleted_at is null')
  await vi.waitFor(async () => expect(await staleNames()).toHaveLength(records), {
    timeout: 30_000,
    interval: 250,
  })
}, 60_000)

async function staleNames(): Promise<string[]> {
  const res = await ui.server.app.inject({ method: 'GET', url: '/v1/reports/stale?olderThan=PT3S&limit=100' })
  return (res.json() as { items: { name: string }[] }).items.map((i) => i.name)
}

const rowNames = async (page: import('playwright-core').Page) =>
  (await page.locator('[data-testid="stale"] tbody tr td:first-child').allInnerTexts()).map((t) => t.trim())

describe('the stale records page', () => {
  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`lists what the report lists, stalest first, at ${width} px, and passes axe`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await page.goto(`${ui.server.url}/console/stale?olderThan=PT3S`)
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
    const { page, context } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/stale`)
    await page.locator('[data-testid="stale-empty"], [data-testid="stale"]').first().waitFor()
    await expect(page.getByLabel('Period').inputValue()).resolves.toBe('P12M')
    const res = await ui.server.app.inject({ method: 'GET', url: '/v1/reports/stale?limit=100' })
    const expected = (res.json() as { items: { name: string }[] }).items.map((i) => i.name)
    await expect(rowNames(page)).resolves.toEqual(expected)
    await context.close()
  })

  it('verifies a record in one click; the report then leaves it out', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'editor' })
    await page.goto(`${ui.server.url}/console/stale?olderThan=PT3S`)
    await page.getByTestId('stale').waitFor()
    const before = await staleNames()
    expect(before).toContain('Aida Sadykova')
    await page.getByRole('button', { name: 'Verified today: Aida Sadykova' }).click()
    await page.getByRole('status').filter({ hasText: 'Verified' }).waitFor()
    await expect(
      page.getByRole('button', { name: 'Verified today: Aida Sadykova' }).isDisabled(),
    ).resolves.toBe(true)
    expect(await staleNames()).toEqual(before.filter((n) => n !== 'Aida Sadykova'))
    const res = await ui.server.app.inject({ method: 'GET', url: `/v1/contacts/${ui.seed.sadykova.id}` })
    expect((res.json() as { lastVerifiedAt: string }).lastVerifiedAt.slice(0, 10)).toBe(
      new Date().toISOString().slice(0, 10),
    )
    expect(problems).toEqual([])
    await context.close()
  })
})
