import { beforeAll, describe, expect, it } from 'vitest'
import { expectAccessible, openConsole, screenshot, useConsole, WIDTHS } from './harness.js'

let stateCount: number
let osceCount: number

const ui = useConsole()

beforeAll(async () => {
  const count = (sql: string) => (ui.server.db.$client.prepare(sql).get() as { n: number }).n
  stateCount = count('select count(*) as n from states where deleted_at is null')
  osceCount = count('select count(*) as n from states where deleted_at is null and osce_participating = 1')
}, 60_000)

describe('the overview', () => {
  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`colours each state by its national PoC (verified, stale, vacant) and counts them at ${width} px`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      const apiCalls: string[] = []
      page.on('request', (r) => {
        const url = new URL(r.url())
        if (url.pathname.startsWith('/v1/')) apiCalls.push(`${url.pathname}${url.search}`)
      })
      await page.goto(`${ui.server.url}/console/`)
      await page.locator('.world-map').waitFor()
      await expect(page.getByTestId('totals').textContent()).resolves.toBe(
        `${stateCount} states1 national PoC verified1 not verified within 12 months${stateCount - 2} vacant`,
      )
      await expect(page.locator('path[data-code="KG"]').getAttribute('class')).resolves.toBe(
        'country covered',
      )
      await expect(page.locator('path[data-code="KZ"]').getAttribute('class')).resolves.toBe('country stale')
      await expect(page.locator('path[data-code="FR"]').getAttribute('class')).resolves.toBe('country vacant')
      await expect(page.locator('path[data-code="KG"] title').textContent()).resolves.toBe(
        'Kyrgyzstan: National PoC, verified',
      )
      // The table twin says the same in words, for keyboards and screen readers.
      const kz = page.locator('tr[data-code="KZ"]')
      await expect(kz.locator('td').nth(1).textContent()).resolves.toBe('National PoC, not verified')
      await expect(kz.locator('td').nth(2).textContent()).resolves.toBe('Aigerim Nurlanova')
      expect(apiCalls.sort()).toEqual([
        '/v1/directory?role=national-poc&limit=500',
        '/v1/reports/coverage?limit=500',
      ])
      await expectAccessible(page)
      await screenshot(page, 'overview-map')
      expect(problems).toEqual([])
      await context.close()
    })
  }

  it('filters to the OSCE participating States with one more call, and takes a longer stale period', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    const apiCalls: string[] = []
    page.on('request', (r) => {
      const url = new URL(r.url())
      if (url.pathname.startsWith('/v1/')) apiCalls.push(`${url.pathname}${url.search}`)
    })
    await page.goto(`${ui.server.url}/console/`)
    await page.locator('.world-map').waitFor()
    await page.getByLabel('OSCE participating States only').check()
    await expect
      .poll(() => page.getByTestId('totals').textContent())
      .toBe(
        `${osceCount} OSCE participating States1 national PoC verified1 not verified within 12 months${osceCount - 2} vacant`,
      )
    await expect(page.locator('path[data-code="US"]').getAttribute('class')).resolves.toBe('country vacant')
    await expect(page.locator('path[data-code="BR"]').getAttribute('class')).resolves.toBe('country filtered')
    expect(apiCalls).toHaveLength(3)
    expect(apiCalls[2]).toBe('/v1/reports/coverage?limit=500&osce=true')
    // KZ was verified 30 months ago: stale within 24 months too. No call for a new period.
    await page.getByLabel('Stale when not verified within').selectOption('24')
    await expect(page.locator('path[data-code="KZ"]').getAttribute('class')).resolves.toBe('country stale')
    await page.getByLabel('OSCE participating States only').uncheck()
    await expect.poll(() => page.getByTestId('totals').textContent()).toContain(`${stateCount} states`)
    expect(apiCalls).toHaveLength(3)
    await screenshot(page, 'overview-osce')
    expect(problems).toEqual([])
    await context.close()
  })

  it('goes to the state when its country is clicked on the map', async () => {
    const { page, context } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/`)
    await page.locator('path[data-code="KG"]').click()
    await page.waitForURL(`${ui.server.url}/console/states/KG`)
    // The heading shows the code until the state's record arrives, then its name.
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Kyrgyzstan')
    await context.close()
  })

  it('answers the keyboard through the table: Tab to a state, Enter opens it', async () => {
    const { page, context } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/`)
    const link = page.getByRole('link', { name: 'Kazakhstan' })
    await link.focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(`${ui.server.url}/console/states/KZ`)
    await context.close()
  })
})
