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

const contact = (id: string) =>
  ui.stored<{
    positionTitle: string | null
    honorific: string | null
    version: number
    lastVerifiedAt: string | null
    familyName: string
  }>(`/v1/contacts/${id}`)

describe('the person page', () => {
  it('never shows an anonymous visitor the restricted e-mail or the notes, and offers no write', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/contacts/${ui.seed.zhumabekov.id}`)
    await page.getByTestId('timeline').waitFor()
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Бакыт Жумабеков')
    const html = await page.content()
    expect(html).not.toContain('b.zhumabekov@mfa.example.kg')
    expect(html).not.toContain('Prefers calls in the morning')
    await expect(page.getByTestId('contact-details').innerText()).resolves.toBe('phone: +996312620545 public')
    // The tenure names its role and organization (embedded in the tenures read).
    await page.getByText('Ministry of Foreign Affairs of the Kyrgyz Republic (MFA)').waitFor()
    await expect(page.locator('main button:enabled').allInnerTexts()).resolves.toEqual(['Export vCard'])
    await expect(
      page.getByRole('button', { name: 'Verified today' }).getAttribute('aria-describedby'),
    ).resolves.toBe(`verify-reason-${ui.seed.zhumabekov.id}`)
    await expect(page.locator(`#verify-reason-${ui.seed.zhumabekov.id}`).textContent()).resolves.toBe(
      'Sign in with a token that has directory:write to change records.',
    )
    expect(problems).toEqual([])
    await context.close()
  })

  it('shows a read-only token the restricted details but no enabled edit control', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:read', sub: 'reader' })
    await page.goto(`${ui.server.url}/console/contacts/${ui.seed.zhumabekov.id}`)
    await page.getByTestId('timeline').waitFor()
    await expect(page.getByTestId('contact-details').innerText()).resolves.toBe(
      'email: b.zhumabekov@mfa.example.kg restricted\nphone: +996312620545 public',
    )
    await page.getByText('Prefers calls in the morning', { exact: true }).waitFor()
    await expect(page.locator('main button:enabled').allInnerTexts()).resolves.toEqual(['Export vCard'])
    await expect(page.locator(`#edit-reason-contact`).textContent()).resolves.toBe(
      ' Your token may only read: changing records needs directory:write.',
    )
    expect(problems).toEqual([])
    await context.close()
  })

  it('keeps a KG-limited token from editing a person assigned in KZ only', async () => {
    const { page, context } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'bishkek', states: ['KG'] })
    await page.goto(`${ui.server.url}/console/contacts/${ui.seed.nurlanova.id}`)
    await page.getByTestId('timeline').waitFor()
    await expect(page.getByRole('button', { name: 'Edit details' }).isDisabled()).resolves.toBe(true)
    await expect(page.getByRole('button', { name: 'Edit tenure' }).isDisabled()).resolves.toBe(true)
    await expect(page.getByRole('button', { name: 'Verified today' }).isDisabled()).resolves.toBe(true)
    await expect(page.locator('#edit-reason-contact').textContent()).resolves.toBe(
      ' Your token may change records of KG only; this person is assigned elsewhere.',
    )
    // The same token may edit the KG person.
    await page.goto(`${ui.server.url}/console/contacts/${ui.seed.zhumabekov.id}`)
    await page.getByTestId('timeline').waitFor()
    await expect(page.getByRole('button', { name: 'Edit details' }).isDisabled()).resolves.toBe(false)
    await context.close()
  })

  it('meets a 412 when the record changed between load and save, shows the change and re-applies the edit', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'editor' })
    await page.goto(`${ui.server.url}/console/contacts/${ui.seed.sadykova.id}`)
    await page.getByTestId('timeline').waitFor()
    await page.getByRole('button', { name: 'Edit details' }).click()
    await page.getByLabel('Position').fill('Minister-Counsellor')

    // Someone else changes the record meanwhile, through the API.
    const other = await ui.server.app.inject({
      method: 'PATCH',
      url: `/v1/contacts/${ui.seed.sadykova.id}`,
      headers: {
        ...(await adminHeaders()),
        'content-type': 'application/merge-patch+json',
        'if-match': '"1"',
      },
      payload: { honorific: 'Ms.' },
    })
    expect(other.statusCode).toBe(200)

    await page.getByRole('button', { name: 'Save' }).click()
    const conflict = page.getByTestId('conflict')
    await conflict.waitFor()
    await expect(conflict.locator('h3').textContent()).resolves.toBe(
      'Someone changed this record meanwhile (now version 2)',
    )
    await expect(conflict.locator('ul').innerText()).resolves.toBe('Honorific: (empty) → Ms.')
    await expect(conflict.getByText('Your edit:').textContent()).resolves.toBe(
      'Your edit: Position → Minister-Counsellor',
    )
    // Nothing of the refused edit was written.
    expect(await contact(ui.seed.sadykova.id)).toMatchObject({
      positionTitle: 'Counsellor',
      honorific: 'Ms.',
      version: 2,
    })
    await expectAccessible(page)
    await screenshot(page, 'person-conflict')

    await page.getByRole('button', { name: 'Re-apply my edit on version 2' }).click()
    await page.getByTestId('conflict').waitFor({ state: 'detached' })
    await page.getByText('Minister-Counsellor', { exact: true }).first().waitFor()
    expect(await contact(ui.seed.sadykova.id)).toMatchObject({
      positionTitle: 'Minister-Counsellor',
      honorific: 'Ms.',
      version: 3,
    })
    // The timeline shows both changes, newest first, with who made them.
    const heads = await page.locator('.timeline-head').allInnerTexts()
    expect(heads.map((h) => h.replace(/ on .*$/, ''))).toEqual([
      'editor changed version 3',
      'setup changed version 2',
      'setup created version 1',
    ])
    await expect(page.locator('.timeline > li').first().locator('.changes').innerText()).resolves.toBe(
      'Position: Counsellor → Minister-Counsellor',
    )
    expect(problems).toEqual([])
    await context.close()
  })

  it('shows a refused field next to the field and writes nothing', async () => {
    const { page, context } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'editor' })
    await page.goto(`${ui.server.url}/console/contacts/${ui.seed.zhumabekov.id}`)
    await page.getByTestId('timeline').waitFor()
    await page.getByRole('button', { name: 'Edit details' }).click()
    await page.getByLabel('Family name').fill('')
    await page.getByRole('button', { name: 'Save' }).click()
    const error = page.locator('#contact-familyName-error')
    await error.waitFor()
    await expect(page.getByLabel('Family name').getAttribute('aria-describedby')).resolves.toBe(
      'contact-familyName-error',
    )
    await expect(page.getByLabel('Family name').getAttribute('aria-invalid')).resolves.toBe('true')
    await expect(error.textContent()).resolves.toBe('Too small: expected string to have >=1 characters')
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'Validation failed: see the fields marked below.',
    )
    expect(await contact(ui.seed.zhumabekov.id)).toMatchObject({ familyName: 'Жумабеков', version: 1 })
    await context.close()
  })

  it('edits contact details as a whole list; a refused detail is shown under the list', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'editor' })
    await page.goto(`${ui.server.url}/console/contacts/${ui.seed.sadykova.id}`)
    await page.getByTestId('timeline').waitFor()
    const version = (await contact(ui.seed.sadykova.id)).version
    await page.getByRole('button', { name: 'Edit details' }).click()
    await page.getByRole('button', { name: 'Add a contact detail' }).click()
    await page.getByLabel('Value of detail 1').fill('not-an-address')
    await page.getByRole('button', { name: 'Save' }).click()
    const error = page.locator('#contact-contactDetails-error')
    await error.waitFor()
    await expect(page.locator('#contact-contactDetails').getAttribute('aria-describedby')).resolves.toBe(
      'contact-contactDetails-error',
    )
    await expect(error.textContent()).resolves.toBe('#1 value: is not a valid email address')
    await expectAccessible(page)
    await screenshot(page, 'person-edit-details')
    expect((await contact(ui.seed.sadykova.id)).version).toBe(version)

    await page.getByLabel('Value of detail 1').fill('A.Sadykova@mfa.example.kg')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByTestId('contact-details').waitFor()
    await expect(page.getByTestId('contact-details').innerText()).resolves.toBe(
      'email: a.sadykova@mfa.example.kg restricted',
    )
    expect(problems).toEqual([])
    await context.close()

    // Restricted (the default): an anonymous visitor does not get it.
    const anonymous = await openConsole(ui.browser)
    await anonymous.page.goto(`${ui.server.url}/console/contacts/${ui.seed.sadykova.id}`)
    await anonymous.page.getByTestId('timeline').waitFor()
    expect(await anonymous.page.content()).not.toContain('a.sadykova@mfa.example.kg')
    await anonymous.context.close()
  })

  it('marks the person verified today in one click', async () => {
    const { page, context } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'bishkek', states: ['KG'] })
    await page.goto(`${ui.server.url}/console/contacts/${ui.seed.zhumabekov.id}`)
    await page.getByTestId('timeline').waitFor()
    await expect(page.getByTestId('last-verified').textContent()).resolves.toBe('never')
    await page.getByRole('button', { name: 'Verified today' }).click()
    await page.getByTestId('last-verified').filter({ hasNotText: 'never' }).waitFor()
    const stored = await contact(ui.seed.zhumabekov.id)
    expect(stored.lastVerifiedAt?.slice(0, 10)).toBe(new Date().toISOString().slice(0, 10))
    expect(stored.version).toBe(2)
    await context.close()
  })

  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`passes axe at ${width} px, signed in and editing`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'editor' })
      await page.goto(`${ui.server.url}/console/contacts/${ui.seed.zhumabekov.id}`)
      await page.getByTestId('timeline').waitFor()
      await page.getByText('Ministry of Foreign Affairs of the Kyrgyz Republic (MFA)').waitFor()
      await expectAccessible(page)
      await screenshot(page, 'person')
      await page.getByRole('button', { name: 'Edit tenure' }).click()
      await page.getByLabel('End reason').waitFor()
      await expectAccessible(page)
      await screenshot(page, 'person-edit-tenure')
      expect(problems).toEqual([])
      await context.close()
    })
  }
})

describe('the tenure form', () => {
  it('refuses an end before the start next to the field, then ends the tenure with If-Match', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'bishkek', states: ['KG'] })
    await page.goto(`${ui.server.url}/console/contacts/${ui.seed.zhumabekov.id}`)
    await page.getByTestId('timeline').waitFor()
    await page.getByRole('button', { name: 'Edit tenure' }).click()
    await page.getByLabel('End date').fill('2020-01-01')
    await page.getByRole('button', { name: 'Save' }).click()
    const error = page.locator(`#tenure-${ui.seed.kgPoc.id}-endDate-error`)
    await error.waitFor()
    await expect(error.textContent()).resolves.toBe('must not be before startDate')

    await page.getByLabel('End date').fill('2025-12-31')
    await page.getByLabel('End reason').fill('Retired')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByText('No current tenure.').waitFor()
    await expect(page.locator('.tenure .muted').first().textContent()).resolves.toBe(
      '2022-03-01 – 2025-12-31 · Retired',
    )
    const res = await ui.server.app.inject({ method: 'GET', url: `/v1/assignments/${ui.seed.kgPoc.id}` })
    expect(res.json()).toMatchObject({ endDate: '2025-12-31', endReason: 'Retired', version: 2 })
    expect(problems).toEqual([])
    await context.close()
  })
})
