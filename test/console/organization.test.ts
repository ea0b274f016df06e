import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { expectAccessible, openConsole, screenshot, signInWithToken, useConsole, WIDTHS } from './harness.js'

const ui = useConsole()

const organization = (id: string) =>
  ui.stored<{ acronym: string | null; website: string | null; version: number }>(`/v1/organizations/${id}`)

describe('the organization page', () => {
  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`shows details, people and history at ${width} px, and passes axe`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await page.goto(`${ui.server.url}/console/organizations/${ui.seed.kgMfa.id}`)
      await page.getByTestId('timeline').waitFor()
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
        'Ministry of Foreign Affairs of the Kyrgyz Republic',
      )
      await expect(page.title()).resolves.toBe(
        'Ministry of Foreign Affairs of the Kyrgyz Republic · pocdir console',
      )
      const person = page.getByRole('link', { name: 'Бакыт Жумабеков' })
      await person.waitFor()
      await expect(person.getAttribute('href')).resolves.toBe(`/console/contacts/${ui.seed.zhumabekov.id}`)
      await expectAccessible(page)
      await screenshot(page, 'organization')
      expect(problems).toEqual([])
      await context.close()
    })
  }

  it('keeps a KZ-limited token from editing a KG organization, with the reason', async () => {
    const { page, context } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'astana', states: ['KZ'] })
    await page.goto(`${ui.server.url}/console/organizations/${ui.seed.kgMfa.id}`)
    await page.getByTestId('timeline').waitFor()
    await expect(page.getByRole('button', { name: 'Edit details' }).isDisabled()).resolves.toBe(true)
    await expect(page.locator('#edit-reason-organization').textContent()).resolves.toBe(
      ' Your token may change records of KZ only; this record belongs to KG.',
    )
    await context.close()
  })

  it('saves an edit with If-Match and shows it in the history', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'bishkek', states: ['KG'] })
    await page.goto(`${ui.server.url}/console/organizations/${ui.seed.kgMfa.id}`)
    await page.getByTestId('timeline').waitFor()
    await page.getByRole('button', { name: 'Edit details' }).click()
    await page.getByLabel('Website').fill('https://mfa.gov.kg')
    await page.getByLabel('Acronym').fill('')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.locator('.timeline > li').nth(1).waitFor()
    expect(await organization(ui.seed.kgMfa.id)).toMatchObject({
      acronym: null,
      website: 'https://mfa.gov.kg',
      version: 2,
    })
    await expect(page.locator('.timeline > li').first().locator('.changes').innerText()).resolves.toBe(
      'Acronym: MFA → (empty)\nWebsite: (empty) → https://mfa.gov.kg',
    )
    expect(problems).toEqual([])
    await context.close()
  })

  it('exports the people of the organization as CSV through a Blob (no token in a URL)', async () => {
    const { page, context } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:read', sub: 'reader' })
    await page.goto(`${ui.server.url}/console/organizations/${ui.seed.kgMfa.id}`)
    await page.getByTestId('timeline').waitFor()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export people (CSV)' }).click(),
    ])
    expect(download.url()).toMatch(/^blob:/)
    expect(download.suggestedFilename()).toBe('contacts.csv')
    const csv = readFileSync((await download.path()) as string, 'utf8')
    expect(csv).toContain('b.zhumabekov@mfa.example.kg')
    expect(csv.split(/\r?\n/).filter(Boolean)).toHaveLength(2)
    await context.close()
  })
})
