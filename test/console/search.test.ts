import { describe, expect, it } from 'vitest'
import { expectAccessible, openConsole, screenshot, useConsole, WIDTHS } from './harness.js'

const ui = useConsole()

describe('the search box', () => {
  it.each([['Zhumabekov'], ['Jumabekov'], ['Жумабеков'], ['zhumab']])(
    'finds Бакыт Жумабеков typed as %s',
    async (typed) => {
      const { page, context, problems } = await openConsole(ui.browser)
      await page.goto(`${ui.server.url}/console/`)
      const box = page.getByRole('combobox', { name: 'Search people and organizations' })
      await box.pressSequentially(typed)
      await expect(
        page.locator('#search-results').getByRole('option').first().locator('.hit-label').textContent(),
      ).resolves.toBe('Бакыт Жумабеков')
      expect(problems).toEqual([])
      await context.close()
    },
  )

  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`is used by keyboard alone at ${width} px: arrows move, Enter opens the person`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await page.goto(`${ui.server.url}/console/`)
      await page.getByTestId('totals').waitFor()
      // Tab from the top of the page: skip link, the brand, then the search box.
      await page.keyboard.press('Tab')
      await page.keyboard.press('Tab')
      await page.keyboard.press('Tab')
      await expect(page.evaluate('document.activeElement.id')).resolves.toBe('search-input')
      await page.keyboard.type('Kyrgyz')
      const options = page.locator('#search-results').getByRole('option')
      await expect.poll(() => options.count()).toBe(1)
      await expect(options.first().textContent()).resolves.toBe(
        'Ministry of Foreign Affairs of the Kyrgyz Republic MFA · KG · organization',
      )
      await page.keyboard.press('Backspace')
      await page.keyboard.press('Control+A')
      await page.keyboard.type('Nurlan')
      await expect.poll(() => options.first().locator('.hit-label').textContent()).toBe('Aigerim Nurlanova')
      await expectAccessible(page)
      await screenshot(page, 'search-open')
      await page.keyboard.press('ArrowDown')
      await page.keyboard.press('Enter')
      await page.waitForURL(`${ui.server.url}/console/contacts/${ui.seed.nurlanova.id}`)
      expect(problems).toEqual([])
      await context.close()
    })
  }

  it('says when nothing is found, and Escape closes the list', async () => {
    const { page, context } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/`)
    const box = page.getByRole('combobox', { name: 'Search people and organizations' })
    await box.pressSequentially('Qwertyuiop')
    await expect(page.locator('#search-results').getByRole('option').textContent()).resolves.toBe(
      'Nobody and nothing found for “Qwertyuiop”',
    )
    await box.press('Escape')
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('false')
    await context.close()
  })
})
