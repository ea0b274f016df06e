import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { signToken } from '../helpers/build-test-app.js'
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

describe('the state page', () => {
  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`shows an anonymous visitor the public view only, with no controls, at ${width} px`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      const apiCalls: string[] = []
      page.on('request', (r) => {
        if (new URL(r.url()).pathname.startsWith('/v1/')) apiCalls.push(new URL(r.url()).pathname)
      })
      await page.goto(`${ui.server.url}/console/states/KG`)
      const holder = page.getByTestId('holder-national-poc')
      await holder.waitFor()
      await expect(holder.locator('a').first().textContent()).resolves.toBe('Бакыт Жумабеков')
      await expect(holder.locator('.details').textContent()).resolves.toBe('phone: +996312620545')
      const text = await page.locator('main').textContent()
      expect(text).not.toContain('b.zhumabekov@mfa.example.kg')
      expect(text).not.toContain('Prefers calls')
      expect(text).toContain('You see the public view.')
      await expect(page.getByRole('button', { name: /Hand over/ }).count()).resolves.toBe(0)
      await expect(page.getByTestId('organizations').textContent()).resolves.toBe(
        'Ministry of Foreign Affairs of the Kyrgyz Republic (MFA)',
      )
      // Other roles are vacant and not listed; the national PoC is always listed.
      await expect(page.locator('.post').count()).resolves.toBe(1)
      expect(apiCalls.sort()).toEqual(['/v1/directory', '/v1/organizations', '/v1/roles'])
      await expectAccessible(page)
      await screenshot(page, 'state-anonymous')
      expect(problems).toEqual([])
      await context.close()
    })
  }

  it('shows a vacant post as vacant', async () => {
    const { page, context } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/states/FR`)
    await expect(page.locator('[data-role="national-poc"] .status').textContent()).resolves.toBe('Vacant')
    await expectAccessible(page)
    await screenshot(page, 'state-vacant')
    await context.close()
  })

  it('shows restricted details to a reader with directory:read', async () => {
    const { page, context } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:read', sub: 'reader' })
    await page.goto(`${ui.server.url}/console/states/KG`)
    const holder = page.getByTestId('holder-national-poc')
    await holder.waitFor()
    await expect(holder.locator('.details li').allTextContents()).resolves.toEqual([
      'email: b.zhumabekov@mfa.example.kgrestricted',
      'phone: +996312620545',
    ])
    await expect(holder.locator('.notes').textContent()).resolves.toBe('Notes: Prefers calls in the morning')
    await expect(
      page.getByRole('button', { name: 'Hand over National point of contact' }).isDisabled(),
    ).resolves.toBe(true)
    await expect(page.locator('.hint span').last().textContent()).resolves.toBe(
      'Your token may only read (it lacks directory:write).',
    )
    await context.close()
  })
})

describe("the state page's exports", () => {
  /** Clicks an export button; the file as the browser saved it. */
  async function download(page: Page, button: string) {
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: button }).click(),
    ])
    expect(file.url()).toMatch(/^blob:/)
    return { name: file.suggestedFilename(), text: readFileSync((await file.path()) as string, 'utf8') }
  }

  it("saves the state's directory as CSV, the public view for an anonymous visitor", async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/states/KG`)
    await page.getByTestId('holder-national-poc').waitFor()
    const file = await download(page, 'Export directory (CSV)')
    const today = new Date().toISOString().slice(0, 10)
    const api = await ui.server.app.inject({
      url: `/v1/directory?state=KG&asOf=${today}`,
      headers: { accept: 'text/csv' },
    })
    expect(api.statusCode).toBe(200)
    expect(file.text).toBe(api.body)
    expect(file.text).toContain('Жумабеков')
    expect(file.text).not.toContain('b.zhumabekov@mfa.example.kg')
    expect(file.name).toBe(
      /filename="?([^";]+)"?/.exec(String(api.headers['content-disposition']))?.[1] ?? 'directory-KG.csv',
    )
    expect(problems).toEqual([])
    await context.close()
  })

  it("saves the state's contacts as vCard with the token in a header only, restricted details for a reader", async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    const claims = { scope: 'directory:read', sub: 'reader' }
    await signInWithToken(page, ui.server.url, claims)
    const urls: string[] = []
    const authorized: string[] = []
    page.on('request', (r) => {
      urls.push(r.url())
      if (r.headers().authorization) authorized.push(new URL(r.url()).pathname)
    })
    await page.goto(`${ui.server.url}/console/states/KG`)
    await page.getByTestId('holder-national-poc').waitFor()
    const file = await download(page, 'Export contacts (vCard)')
    const api = await ui.server.app.inject({
      url: '/v1/contacts?state=KG',
      headers: { accept: 'text/vcard', authorization: `Bearer ${await signToken(claims)}` },
    })
    expect(api.statusCode).toBe(200)
    expect(file.text).toBe(api.body)
    expect(file.text).toContain('FN:Бакыт Жумабеков')
    expect(file.text).toContain('EMAIL:b.zhumabekov@mfa.example.kg')
    expect(file.text.match(/BEGIN:VCARD/g)).toHaveLength(
      (await ui.stored<{ items: unknown[] }>('/v1/contacts?state=KG&limit=100')).items.length,
    )
    expect(authorized).toContain('/v1/contacts')
    expect(urls.filter((u) => /token|eyJ/.test(u))).toEqual([])
    expect(problems).toEqual([])
    await context.close()
  })
})

describe("handing over Kyrgyzstan's national PoC", () => {
  it('takes 5 actions after sign-in, no id typed, and the page shows the new holder and the succession', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'osce-staff' })
    await page.goto(`${ui.server.url}/console/states/KG`)
    const actions: string[] = []
    // 1. Open the handover form on the post.
    await page.getByRole('button', { name: 'Hand over National point of contact' }).click()
    actions.push('click Hand over')
    // 2. Type the successor's name; Enter picks the first person found.
    const box = page.getByRole('combobox', { name: 'Successor' })
    await box.pressSequentially('Sadyk')
    await page.getByRole('option', { name: /Aida Sadykova/ }).waitFor()
    await box.press('Enter')
    actions.push('type a name + Enter')
    await expect(page.getByTestId('successor').textContent()).resolves.toBe('Aida Sadykova')
    // The focus moved on to the date.
    // (Preact moves it after the render that shows the successor: wait for it, do not race it.)
    await expect.poll(() => page.evaluate('document.activeElement.type')).toBe('date')
    // 3-5. The date, the reason, the designation reference + Enter.
    await page.getByLabel('Takes over on').fill('2026-11-01')
    actions.push('date')
    await page.getByLabel('Why Бакыт Жумабеков leaves (optional)').fill('Rotated to another post')
    actions.push('reason')
    await expectAccessible(page)
    await screenshot(page, 'state-handover-form')
    const designation = page.getByLabel('Designation reference (optional)')
    await designation.fill('Note verbale No. 15/101')
    await designation.press('Enter')
    actions.push('designation + Enter')
    expect(actions.length).toBeLessThanOrEqual(6)

    await expect(page.getByTestId('notice').textContent()).resolves.toBe(
      'Aida Sadykova now holds National point of contact.',
    )
    // Waits on what the page shows, not on time: a loaded machine answers late.
    const holder = page.getByTestId('holder-national-poc')
    await expect.poll(() => holder.locator('a').first().textContent()).toBe('Aida Sadykova')
    await expect
      .poll(() => holder.locator('p.muted').textContent())
      .toBe('Since 2026-11-01 · Note verbale No. 15/101')
    await expect
      .poll(() => page.getByTestId('succession-national-poc').locator('li').allTextContents())
      .toEqual([
        '2026-11-01 – now: Aida Sadykova',
        '2022-03-01 – 2026-11-01: Бакыт Жумабеков (Rotated to another post)',
      ])
    await screenshot(page, 'state-after-handover')

    // The service recorded exactly that: the old tenure ended, the new one started, linked.
    const old = await ui.server.app.inject({
      url: `/v1/assignments/${ui.seed.kgPoc.id}`,
      headers: await adminHeaders(),
    })
    expect(old.json()).toMatchObject({
      endDate: '2026-11-01',
      endReason: 'Rotated to another post',
      version: 2,
    })
    const history = await ui.server.app.inject({
      url: `/v1/assignments/${ui.seed.kgPoc.id}/history`,
      headers: await adminHeaders(),
    })
    expect((history.json() as { items: { actor: string }[] }).items.map((r) => r.actor)).toContain(
      'osce-staff',
    )

    // The directory on the day before still names the predecessor.
    await page.getByLabel('Directory as of').fill('2026-10-31')
    await expect.poll(() => holder.locator('a').first().textContent()).toBe('Бакыт Жумабеков')
    expect(problems).toEqual([])
    await context.close()
  })

  it('creates the successor inline when the search finds nobody', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:admin', sub: 'osce-admin' })
    await page.goto(`${ui.server.url}/console/states/KZ`)
    await page.getByRole('button', { name: 'Hand over National point of contact' }).click()
    const box = page.getByRole('combobox', { name: 'Successor' })
    await box.pressSequentially('Dana Akhmetova')
    await page.getByRole('option', { name: 'Create a new person: Dana Akhmetova' }).waitFor()
    await box.press('Enter')
    await expect(page.getByLabel('Given name').inputValue()).resolves.toBe('Dana')
    await expect(page.getByLabel('Family name').inputValue()).resolves.toBe('Akhmetova')
    await page.getByRole('button', { name: 'Hand over to Dana Akhmetova' }).click()
    await expect(page.getByTestId('notice').textContent()).resolves.toBe(
      'Dana Akhmetova now holds National point of contact.',
    )
    expect(problems).toEqual([])
    await context.close()
  })
})

describe('a token limited to Kyrgyzstan', () => {
  it('may hand over in KG but not in KZ, where the control says why', async () => {
    const { page, context } = await openConsole(ui.browser)
    await signInWithToken(page, ui.server.url, { scope: 'directory:write', sub: 'bishkek', states: ['KG'] })
    await page.goto(`${ui.server.url}/console/states/KZ`)
    const button = page.getByRole('button', { name: 'Hand over National point of contact' })
    await expect(button.isDisabled()).resolves.toBe(true)
    await expect(page.locator('.hint span').last().textContent()).resolves.toBe(
      'Your token may change records of KG only.',
    )
    await expectAccessible(page)
    await screenshot(page, 'state-kg-token-on-kz')
    await page.goto(`${ui.server.url}/console/states/KG`)
    await expect(
      page.getByRole('button', { name: 'Hand over National point of contact' }).isEnabled(),
    ).resolves.toBe(true)
    await context.close()
  })
})
