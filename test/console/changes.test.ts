import { beforeAll, describe, expect, it } from 'vitest'
import { adminHeaders, expectAccessible, openConsole, screenshot, useConsole, WIDTHS } from './harness.js'

let head: number

const ui = useConsole()

beforeAll(async () => {
  const res = await ui.server.app.inject({
    method: 'PATCH',
    url: `/v1/contacts/${ui.seed.sadykova.id}`,
    headers: { ...(await adminHeaders()), 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    payload: { positionTitle: 'Minister-Counsellor' },
  })
  expect(res.statusCode).toBe(200)
  head = (
    (await ui.server.app.inject({ method: 'GET', url: '/v1/changes?after=latest' })).json() as {
      nextAfter: number
    }
  ).nextAfter
}, 60_000)

describe('the recent changes page', () => {
  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`shows the newest changes first, readable, at ${width} px, and passes axe`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await page.goto(`${ui.server.url}/console/changes`)
      await page.getByTestId('timeline').waitFor()
      const first = page.locator('.timeline > li').first()
      await first.getByRole('link', { name: 'Aida Sadykova' }).waitFor()
      await expect(first.locator('.timeline-head').innerText()).resolves.toMatch(
        /^setup changed Aida Sadykova, version 2 on /,
      )
      await expect(first.locator('.changes').innerText()).resolves.toBe(
        'Position: Counsellor → Minister-Counsellor',
      )
      await expect(page.locator('.timeline > li').count()).resolves.toBe(Math.min(50, head))
      await expectAccessible(page)
      await screenshot(page, 'changes')
      expect(problems).toEqual([])
      await context.close()
    }, 60_000)
  }

  it('pages back through the feed with after=, and forward again', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/changes`)
    await page.getByTestId('timeline').waitFor()
    const older = page.getByRole('button', { name: 'Older changes' })
    if (head <= 50) {
      await expect(older.count()).resolves.toBe(0)
    } else {
      await older.click()
      await page.waitForURL(`${ui.server.url}/console/changes?after=${Math.max(0, head - 100)}`)
      await page.getByText(`Changes ${Math.max(0, head - 100) + 1}–${head - 50}, newest first.`).waitFor()
      await expect(page.locator('.timeline > li').count()).resolves.toBe(50)
      await page.getByRole('button', { name: 'Newer changes' }).click()
      await page.waitForURL(`${ui.server.url}/console/changes?after=${head - 50}`)
      await page.getByText(`Changes ${head - 49}–${head}, newest first.`).waitFor()
      await expect(
        page.locator('.timeline > li').first().locator('.timeline-head').innerText(),
      ).resolves.toMatch(/^setup changed Aida Sadykova, version 2 on /)
    }
    expect(problems).toEqual([])
    await context.close()
  })
})
