import type { Page, Request } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { type ConsolePage, openConsole, signInWithToken, useConsole } from './harness.js'

/**
 * The bar "a page needs at most 3 API calls to render", measured: every API request (`/v1/…`)
 * a page sends from a fresh load until it has rendered and the network has been quiet for a
 * while, so a look-up that completes a page after its first paint is counted too.
 */
const ui = useConsole()

const MAX_CALLS = 3
/** Quiet time after which a page is taken as done: well past the search box's 150 ms pause. */
const QUIET_MS = 750

const today = () => new Date().toISOString().slice(0, 10)

/** Records the API requests a page sends while `act` runs and until the network is quiet. */
async function apiCalls(page: Page, act: () => Promise<void>): Promise<string[]> {
  const calls: string[] = []
  let inFlight = 0
  const started = (r: Request) => {
    const url = new URL(r.url())
    if (!url.pathname.startsWith('/v1/')) return
    calls.push(`${r.method()} ${url.pathname}${url.search}`)
    inFlight++
  }
  const ended = (r: Request) => {
    if (new URL(r.url()).pathname.startsWith('/v1/')) inFlight--
  }
  page.on('request', started)
  page.on('requestfinished', ended)
  page.on('requestfailed', ended)
  try {
    await act()
    for (let seen = -1; seen !== calls.length || inFlight > 0; ) {
      seen = calls.length
      await page.waitForTimeout(QUIET_MS)
    }
  } finally {
    page.off('request', started)
    page.off('requestfinished', ended)
    page.off('requestfailed', ended)
  }
  return calls.sort()
}

interface PageCase {
  name: string
  path: () => string
  /** What shows that the page has rendered its data. */
  rendered: (page: Page) => Promise<void>
  /** The requests it sends, exactly. */
  calls: () => string[] | Promise<string[]>
}

const PAGES: PageCase[] = [
  {
    name: 'overview',
    path: () => '/console/',
    rendered: (page) => page.getByTestId('totals').waitFor(),
    calls: () => ['GET /v1/directory?role=national-poc&limit=500', 'GET /v1/reports/coverage?limit=500'],
  },
  {
    name: 'state',
    path: () => '/console/states/KG',
    rendered: (page) => page.getByTestId('holder-national-poc').waitFor(),
    calls: () => [
      `GET /v1/directory?state=KG&asOf=${today()}&limit=500`,
      'GET /v1/organizations?state=KG&limit=500',
      'GET /v1/roles?limit=100',
    ],
  },
  {
    name: 'person',
    path: () => `/console/contacts/${ui.seed.nurlanova.id}`,
    rendered: async (page) => {
      await page.getByTestId('timeline').waitFor()
      await page
        .getByRole('link', { name: 'Ministry of Foreign Affairs of the Republic of Kazakhstan' })
        .waitFor()
    },
    calls: () => [
      `GET /v1/contacts/${ui.seed.nurlanova.id}`,
      `GET /v1/contacts/${ui.seed.nurlanova.id}/history?limit=100`,
      `GET /v1/contacts/${ui.seed.nurlanova.id}/tenures?limit=500`,
    ],
  },
  {
    name: 'organization',
    path: () => `/console/organizations/${ui.seed.kgMfa.id}`,
    rendered: async (page) => {
      await page.getByTestId('timeline').waitFor()
      await page.getByRole('link', { name: 'Бакыт Жумабеков' }).waitFor()
    },
    calls: () => [
      `GET /v1/organizations/${ui.seed.kgMfa.id}`,
      `GET /v1/organizations/${ui.seed.kgMfa.id}/history?limit=100`,
      `GET /v1/organizations/${ui.seed.kgMfa.id}/tenures?limit=500`,
    ],
  },
  {
    name: 'stale records',
    path: () => '/console/stale',
    rendered: (page) => page.locator('[data-testid="stale-empty"], [data-testid="stale"]').first().waitFor(),
    calls: () => ['GET /v1/reports/stale?olderThan=P12M&limit=100'],
  },
  {
    name: 'changes',
    path: () => '/console/changes',
    rendered: (page) => page.getByTestId('timeline').waitFor(),
    calls: async () => {
      // The newest page: the 50 revisions before the feed's head.
      const { nextAfter: head } = await ui.stored<{ nextAfter: number }>('/v1/changes?after=latest')
      return [
        'GET /v1/changes?after=latest',
        `GET /v1/changes?after=${Math.max(0, head - 50)}&limit=50&names=true`,
      ]
    },
  },
  {
    name: 'import',
    path: () => '/console/import',
    rendered: (page) => page.getByRole('heading', { level: 1 }).waitFor(),
    calls: () => [],
  },
  {
    name: 'sign-in',
    path: () => '/console/sign-in',
    rendered: (page) => page.getByLabel('Token', { exact: true }).waitFor(),
    calls: () => [],
  },
]

/** Every page the console has, each measured anonymously and signed in. */
const counted = new Map<string, number>()

async function measure(opened: ConsolePage, c: PageCase, who: string) {
  const calls = await apiCalls(opened.page, async () => {
    await opened.page.goto(`${ui.server.url}${c.path()}`)
    await c.rendered(opened.page)
  })
  expect(calls, `${c.name} (${who})`).toEqual([...(await c.calls())].sort())
  expect(calls.length).toBeLessThanOrEqual(MAX_CALLS)
  counted.set(`${c.name} (${who})`, calls.length)
}

describe('API calls a page needs to render (the bar: at most 3)', () => {
  for (const who of ['anonymous', 'signed in (directory:write)'] as const) {
    it(`counts them for every page, ${who}`, async () => {
      const opened = await openConsole(ui.browser)
      if (who !== 'anonymous') {
        await signInWithToken(opened.page, ui.server.url, { scope: 'directory:write', sub: 'osce-staff' })
      }
      for (const c of PAGES) await measure(opened, c, who)
      expect(opened.problems).toEqual([])
      await opened.context.close()
    })
  }

  it('counts a search: one call for people and one for organizations, once typing pauses', async () => {
    const { page, context, problems } = await openConsole(ui.browser)
    await page.goto(`${ui.server.url}/console/import`)
    await page.getByRole('heading', { level: 1 }).waitFor()
    const box = page.getByRole('combobox', { name: 'Search people and organizations' })
    const calls = await apiCalls(page, async () => {
      await box.fill('Жумабеков')
      await page
        .locator('#search-results')
        .getByRole('option', { name: /Бакыт Жумабеков/ })
        .waitFor()
    })
    const q = encodeURIComponent('Жумабеков')
    expect(calls).toEqual([`GET /v1/contacts?q=${q}&limit=6`, `GET /v1/organizations?q=${q}&limit=6`])
    counted.set('search (one query)', calls.length)
    expect(problems).toEqual([])
    await context.close()
  })

  it('logs the figures', () => {
    // The figures for the note: one line per page.
    console.log(
      [...counted].map(([name, n]) => `${name}: ${n} API call${n === 1 ? '' : 's'} to render`).join('\n'),
    )
    expect(counted.size).toBe(PAGES.length * 2 + 1)
  })
})
