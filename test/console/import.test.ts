import { describe, expect, it } from 'vitest'
import {
  adminHeaders,
  expectAccessible,
  openConsole,
  screenshot,
  signInWithToken,
  useConsole,
  WIDTHS,
} from './harness.js'

const ui = useConsole()

const HEADER = 'stateCode,organization,role,givenName,familyName,email,phone,startDate'
const BAD = [
  HEADER,
  'KG,State Customs Service,national-poc,Nurlan,Osmonov,n.osmonov@customs.gov.kg,0312 51,2024-05-01',
  'KG,State Customs Service,national-poc,Timur,Akhmetov,t.akhmetov@customs,0312 512 240,2024-13-01',
].join('\n')
const GOOD = [
  HEADER,
  'KG,State Customs Service,national-poc,Nurlan,Osmonov,n.osmonov@customs.gov.kg,0312 512 240,2024-05-01',
].join('\n')

async function contactsCount(): Promise<number> {
  const res = await ui.server.app.inject({
    method: 'GET',
    url: '/v1/contacts?limit=500',
    headers: await adminHeaders(),
  })
  return (res.json() as { items: unknown[] }).items.length
}

const file = (name: string, text: string) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) })

describe('the import page', () => {
  it('shows row errors as a table, then dry-runs and imports a clean file', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, {
      scope: 'directory:import directory:read',
      sub: 'osce-import',
    })
    await page.goto(`${ui.server.url}/console/import`)
    const before = await contactsCount()

    await page.getByLabel('File (CSV, NDJSON or JSON)').setInputFiles(file('bad.csv', BAD))
    await page.getByRole('button', { name: 'Dry run' }).click()
    await page.getByTestId('row-errors').waitFor()
    const rows = (await page.locator('[data-testid="row-errors"] tbody tr').allInnerTexts()).map((r) =>
      r.split('\t'),
    )
    expect(rows).toEqual([
      ['1', 'phone', "is not a valid phone number for the row's state"],
      ['2', 'email', 'is not a valid email address'],
      ['2', 'startDate', 'Invalid ISO date'],
    ])
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'Unprocessable Content: 2 row(s) rejected; nothing was imported Fix the rows below and try again.',
    )
    await expect(page.getByRole('button', { name: 'Import', exact: true }).isDisabled()).resolves.toBe(true)
    await expectAccessible(page)
    await screenshot(page, 'import-errors')

    await page.getByLabel('File (CSV, NDJSON or JSON)').setInputFiles(file('good.csv', GOOD))
    await page.getByRole('button', { name: 'Dry run' }).click()
    const counts = page.getByTestId('dry-run-counts')
    await counts.waitFor()
    await expect(counts.locator('tbody').innerText()).resolves.toBe(
      'organizations\t1\t0\t0\ncontacts\t1\t0\t0\nassignments\t1\t0\t0',
    )
    // The dry run wrote nothing.
    expect(await contactsCount()).toBe(before)
    await expectAccessible(page)
    await screenshot(page, 'import-dry-run')

    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page.getByTestId('import-counts').waitFor()
    await expect(page.getByTestId('import-counts').locator('caption').textContent()).resolves.toBe(
      'Imported good.csv',
    )
    expect(await contactsCount()).toBe(before + 1)
    expect(problems).toEqual([])
    await context.close()
  })

  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`keeps a token without directory:import from importing, at ${width} px, and passes axe`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'editor' })
      await page.goto(`${ui.server.url}/console/import`)
      await expect(page.getByLabel('File (CSV, NDJSON or JSON)').isDisabled()).resolves.toBe(true)
      await expect(page.locator('#import-reason').textContent()).resolves.toBe(
        'Your token may not import: that needs directory:import.',
      )
      await expect(page.getByRole('button', { name: 'Dry run' }).isDisabled()).resolves.toBe(true)
      await expectAccessible(page)
      await screenshot(page, 'import')
      expect(problems).toEqual([])
      await context.close()
    })
  }

  it('exports the contacts of a state as vCard through a Blob', async () => {
    const { page, context } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/import`)
    await page.getByLabel('State (alpha-2 code; empty for all contacts)').fill('kg')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Contacts (vCard)' }).click(),
    ])
    expect(download.url()).toMatch(/^blob:/)
    const { readFileSync } = await import('node:fs')
    const vcf = readFileSync((await download.path()) as string, 'utf8')
    // KG's national PoC and the person the first test imported.
    expect(vcf.match(/^FN:.*$/gm)).toEqual(['FN:Бакыт Жумабеков', 'FN:Nurlan Osmonov'])
    // Anonymous: the public view, without the restricted e-mail.
    expect(vcf).not.toContain('b.zhumabekov@mfa.example.kg')
    await context.close()
  })
})
