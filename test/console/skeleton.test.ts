import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { CONSOLE_DIST } from '../../src/plugins/console.js'
import { expectAccessible, openConsole, screenshot, useConsole, WIDTHS } from './harness.js'

const ui = useConsole()

beforeAll(async () => {
  // The server's first answer on a route pays for compiling the test helper's contract
  // validator; the bar is the browser's first load, so the route is warmed first.
  await fetch(`${ui.server.url}/v1/reports/coverage?limit=500`)
}, 60_000)

const CSP =
  "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; " +
  "frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; " +
  "script-src-attr 'none'; style-src 'self'; upgrade-insecure-requests"

describe('the console is served by the service', () => {
  it('answers /console/ with the built page under a CSP without inline scripts or styles', async () => {
    const res = await fetch(`${ui.server.url}/console/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toBe(CSP)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    const html = await res.text()
    // Vite's output: external module script and stylesheet only, nothing inline.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/<style|\sstyle=/)
    expect(html).toMatch(
      /<script type="module" crossorigin src="\/console\/assets\/index-[\w-]+\.js"><\/script>/,
    )
  })

  it('answers any page of the console with the same page (the console routes itself)', async () => {
    const [root, deep] = await Promise.all([
      fetch(`${ui.server.url}/console/`).then((r) => r.text()),
      fetch(`${ui.server.url}/console/states/KG`).then((r) => r.text()),
    ])
    expect(deep).toBe(root)
  })

  it('serves assets precompressed and immutable, and 404 for an asset that does not exist', async () => {
    const html = await (await fetch(`${ui.server.url}/console/`)).text()
    const js = /\/console\/assets\/index-[\w-]+\.js/.exec(html)?.[0]
    const res = await fetch(`${ui.server.url}${js}`, { headers: { 'accept-encoding': 'gzip' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    const missing = await fetch(`${ui.server.url}/console/assets/missing.js`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-type')).toBe('application/problem+json')
  })

  it("passes the file's validators through, and answers a HEAD with the headers and no body", async () => {
    const html = await (await fetch(`${ui.server.url}/console/`)).text()
    const js = `${ui.server.url}${/\/console\/assets\/index-[\w-]+\.js/.exec(html)?.[0]}`
    const first = await fetch(js, { headers: { 'accept-encoding': 'identity' } })
    const body = await first.arrayBuffer()
    expect(first.headers.get('etag')).toMatch(/^(W\/)?"[^"]+"$/)
    expect(Date.parse(first.headers.get('last-modified') ?? '')).not.toBeNaN()
    const head = await fetch(js, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-security-policy')).toBe(CSP)
    expect(head.headers.get('etag')).toBe(first.headers.get('etag'))
    expect(head.headers.get('content-length')).toBe(String(body.byteLength))
    expect((await head.arrayBuffer()).byteLength).toBe(0)
  })

  it('never serves files outside the build', async () => {
    for (const path of ['/console/assets/../../package.json', '/console/assets/%2e%2e/%2e%2e/package.json']) {
      const res = await fetch(`${ui.server.url}${path}`)
      expect(await res.text()).not.toContain('"name": "pocdir"')
    }
  })

  it('links the console from the front page', async () => {
    const res = await fetch(`${ui.server.url}/`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<a href="/console/">Staff console</a>')
  })

  it('serves the public configuration the console reads: no identity provider by default', async () => {
    const res = await fetch(`${ui.server.url}/console/config.json`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ oidc: null })
  })
})

describe('when the console is not built', () => {
  it('answers /console/ 503 not-ready with Retry-After, and the front page and the API still answer', async () => {
    const { default: Fastify } = await import('fastify')
    const { errorsPlugin } = await import('../../src/plugins/errors.js')
    const { consolePlugin } = await import('../../src/plugins/console.js')
    const app = Fastify()
    await app.register(errorsPlugin)
    await app.register(consolePlugin, { oidc: null, root: `${tmpdir()}/pocdir-no-console-${process.pid}/` })
    const res = await app.inject({ url: '/console/states/KG' })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('10')
    expect(res.json()).toEqual({
      type: 'urn:pocdir:problem:not-ready',
      title: 'Service Unavailable',
      status: 503,
      detail:
        'The console is not built yet: it is built by npm install and on the first start (npm run console:build builds it by hand); try again shortly',
      instance: '/console/states/KG',
    })
    expect((await app.inject({ url: '/' })).statusCode).toBe(200)
    await app.close()
  })
})

describe('the bars', () => {
  it('keeps all JavaScript and CSS, map data included, within 250 KB gzipped', () => {
    const assets = `${CONSOLE_DIST}assets/`
    const files = readdirSync(assets).filter((f) => /\.(js|css)$/.test(f))
    const gzipped = files.reduce((sum, f) => sum + gzipSync(readFileSync(assets + f), { level: 9 }).length, 0)
    console.log(`console JS and CSS: ${files.length} files, ${(gzipped / 1024).toFixed(1)} KB gzipped`)
    expect(gzipped).toBeLessThanOrEqual(250 * 1024)
  })
})

describe('in the browser', () => {
  it('loads the overview in under a second (median of three loads with an empty cache)', async () => {
    const times: number[] = []
    for (let i = 0; i < 3; i++) {
      const { page, context } = await openConsole(ui.browser)
      // Noted by the page itself when the totals (drawn from the API) appear: the test's own
      // round trips to the ui.browser, slow on a loaded machine, are not counted.
      await page.addInitScript({
        content: `new MutationObserver((_, observer) => {
          if (!document.querySelector('[data-testid="totals"]')) return
          window.__totalsAt = performance.now()
          observer.disconnect()
        }).observe(document, { childList: true, subtree: true })`,
      })
      await page.goto(`${ui.server.url}/console/`)
      await page.getByTestId('totals').waitFor()
      times.push((await page.evaluate('window.__totalsAt')) as number)
      await context.close()
    }
    times.sort((a, b) => a - b)
    // A time says nothing about the console on a machine running more than twice the work it
    // has cores for (CI runs many test files at once): the bar is asserted only where it can be
    // measured, and the log says which (docs/console.md, "Figures").
    const load = loadavg()[0] ?? 0
    const measurable = load <= availableParallelism() * 2
    console.log(
      `overview first load: ${times.map((t) => Math.round(t)).join(', ')} ms, median ${Math.round(times[1] ?? 0)} ms ` +
        `(1-min load average ${load.toFixed(2)} on ${availableParallelism()} cores: ` +
        `${measurable ? 'bar of 1 s asserted' : 'overloaded, bar not asserted'})`,
    )
    if (measurable) expect(times[1]).toBeLessThan(1000)
  })

  for (const width of [WIDTHS.phone, WIDTHS.desktop]) {
    it(`shows the overview at ${width} px with no CSP violation and no serious axe finding`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await page.goto(`${ui.server.url}/console/`)
      await page.getByTestId('totals').waitFor()
      // Every page links the privacy notice (#17) from its footer.
      await expect(
        page.getByRole('contentinfo').getByRole('link', { name: 'Privacy notice' }).getAttribute('href'),
      ).resolves.toBe('/v1/privacy')
      await expectAccessible(page)
      await screenshot(page, 'overview')
      expect(problems).toEqual([])
      await context.close()
    })

    it(`shows an unknown address as "Page not found" at ${width} px`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await page.goto(`${ui.server.url}/console/no-such-page`)
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Page not found')
      await expect(page.title()).resolves.toBe('Page not found · pocdir console')
      await expectAccessible(page)
      await screenshot(page, 'not-found')
      expect(problems).toEqual([])
      await context.close()
    })

    it(`shows the sign-in callback's failure when no identity provider is configured, at ${width} px`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await page.goto(`${ui.server.url}/console/callback?code=x&state=y`)
      await expect(
        page.getByRole('heading', { level: 1, name: 'Sign-in failed' }).textContent(),
      ).resolves.toBe('Sign-in failed')
      await expect(page.getByRole('alert').textContent()).resolves.toBe(
        'This service has no identity provider configured.',
      )
      // The code and state left the address bar at once.
      expect(page.url()).toBe(`${ui.server.url}/console/callback`)
      await expectAccessible(page)
      await screenshot(page, 'callback-failed')
      expect(problems).toEqual([])
      await context.close()
    })

    it(`shows the sign-in page at ${width} px`, async () => {
      const { page, context, problems } = await openConsole(ui.browser, width)
      await page.goto(`${ui.server.url}/console/sign-in`)
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in')
      await expect(page.title()).resolves.toBe('Sign in · pocdir console')
      await expectAccessible(page)
      await screenshot(page, 'sign-in')
      expect(problems).toEqual([])
      await context.close()
    })
  }
})
