/**
 * The console's browser tests: the real service listening on a port over a fresh seeded
 * database, the built console, and Debian's Chromium driven by playwright-core. Every page a
 * test opens is checked for CSP violations and console errors, and can be checked with axe-core
 * and saved as a screenshot under tmp/console-screenshots/.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect, vi } from 'vitest'
import { CONSOLE_DIST } from '../../src/plugins/console.js'
import { buildTestApp, signToken, type TokenClaims } from '../helpers/build-test-app.js'
import { seedConsoleData } from './fixtures.js'

// A browser test takes seconds, more on a loaded machine (CI shares two cores).
vi.setConfig({ testTimeout: 60_000 })

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const SCREENSHOTS = `${ROOT}tmp/console-screenshots/`
const require = createRequire(import.meta.url)

/** Newest modification time (ms) of a file or of any file under a folder. */
function newest(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let max = 0
  for (const name of readdirSync(path)) {
    if (name === 'dist' || name === 'generated') continue
    max = Math.max(max, newest(`${path}/${name}`))
  }
  return max
}

function builtAt(): number {
  try {
    return statSync(`${CONSOLE_DIST}index.html`).mtimeMs
  } catch {
    return 0
  }
}

/**
 * Builds the console when the build is missing or older than its sources or the contract, so
 * `npm test` after an edit tests the edit. Test files run in parallel processes: a lock folder
 * keeps them from building at once.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const sources = Math.max(newest(`${ROOT}console`), newest(`${ROOT}openapi/openapi.json`))
  if (builtAt() >= sources) return
  const lock = `${ROOT}tmp/console-build.lock`
  mkdirSync(`${ROOT}tmp`, { recursive: true })
  for (let waited = 0; ; waited += 250) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (waited > 120_000) throw new Error(`${lock} held for two minutes; remove it if no build runs`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  try {
    if (builtAt() < sources) {
      execFileSync(`${ROOT}node_modules/.bin/tsx`, ['scripts/build-console.ts'], {
        cwd: ROOT,
        stdio: 'inherit',
      })
    }
  } finally {
    rmdirSync(lock)
  }
}

export type TestServer = Awaited<ReturnType<typeof startServer>>

/** The service listening on 127.0.0.1 on a free port, over a fresh seeded database. */
export async function startServer(env: Record<string, string> = {}) {
  const t = await buildTestApp(env)
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const address = t.app.server.address()
  if (!address || typeof address === 'string') throw new Error('not listening')
  return {
    ...t,
    url: `http://127.0.0.1:${address.port}`,
    /**
     * Chromium keeps a preconnected socket that never sends a request; Node counts it as busy
     * until its headers timeout (60 s), so a graceful close would wait for it. The test is over.
     */
    async close() {
      const closing = t.close()
      t.app.server.closeAllConnections()
      await closing
    },
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // The sandbox cannot start as root (CI containers).
    args: ['--no-sandbox'],
  })
}

export const WIDTHS = { phone: 390, desktop: 1280 } as const

export interface ConsolePage {
  page: Page
  context: BrowserContext
  /** CSP violations and console errors seen so far. */
  problems: string[]
}

/** A fresh browser context (its own session storage) watching for CSP violations. */
export async function openConsole(browser: Browser, width: number = WIDTHS.desktop): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width, height: 900 } })
  const page = await context.newPage()
  const problems: string[] = []
  await page.exposeFunction('__reportCsp', (line: string) => problems.push(`CSP: ${line}`))
  // Page code as a string: the tests are type-checked without the DOM library.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) =>
      window.__reportCsp(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')'))`,
  })
  page.on('console', (msg) => {
    // A refused request (401/403/404/412) is logged by Chromium as a console error; the API's
    // answers are the tests' business, anything else is a fault of the console.
    // Only the console's own pages count (not an identity provider's login page).
    const own = new URL(page.url()).pathname.startsWith('/console')
    if (own && msg.type() === 'error' && !/Failed to load resource: the server responded/.test(msg.text())) {
      problems.push(`console: ${msg.text()}`)
    }
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  return { page, context, problems }
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: unknown[] }[]
}

/**
 * axe-core over the page as it is: no serious or critical violation. axe is evaluated through
 * the DevTools protocol, not added as a script tag: an inline tag would be refused by the CSP
 * under test.
 */
export async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(AXE)
  const violations = (await page.evaluate('axe.run().then((r) => r.violations)')) as AxeViolation[]
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`)
  expect(serious).toEqual([])
}

/** Saves a full-page screenshot as tmp/console-screenshots/<name>-<width>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const width = page.viewportSize()?.width ?? 0
  await page.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: true })
}

/** Signs in by pasting a token on the sign-in page, as a person would. */
export async function signInWithToken(page: Page, base: string, claims: TokenClaims): Promise<void> {
  const token = await signToken(claims)
  await page.goto(`${base}/console/sign-in`)
  await page.getByLabel('Token', { exact: true }).fill(token)
  await page.getByRole('button', { name: 'Sign in with this token' }).click()
  await page.getByTestId('signed-in-as').waitFor()
}

/** Admin headers for setting up data through the API itself. */
export async function adminHeaders() {
  return { authorization: `Bearer ${await signToken({ scope: 'directory:admin', sub: 'setup' })}` }
}

export type Seed = Awaited<ReturnType<typeof seedConsoleData>>

export interface UseConsoleOptions {
  /** Start the service (default true); `env` (or a function giving it, called in beforeAll) configures it. */
  server?: boolean
  env?: Record<string, string> | (() => Promise<Record<string, string>>)
  /** Called with the listening server, before the file's tests (and its other beforeAll hooks). */
  started?: (server: TestServer) => void | Promise<void>
  /** Seed the console's fixtures (default true, when there is a server). */
  seed?: boolean
  /** Launch Chromium (default true). */
  browser?: boolean
}

/** The handles useConsole() fills in before the file's tests run; reading one that was not asked for throws. */
export interface ConsoleHandles {
  readonly server: TestServer
  readonly browser: Browser
  readonly seed: Seed
  /** A record as the API answers an admin: what the service stored, beside what the page shows. */
  stored<T>(path: string): Promise<T>
}

/**
 * The setup every browser test file shares: registers a beforeAll that builds the console when
 * stale, starts the service over a fresh database, seeds it and launches Chromium, and an
 * afterAll that closes them. Call it at the top of a file (or of a describe); a file's own
 * beforeAll registered after it runs after it.
 */
export function useConsole(options: UseConsoleOptions = {}): ConsoleHandles {
  const { server: wantServer = true, seed: wantSeed = true, browser: wantBrowser = true } = options
  let server: TestServer | undefined
  let browser: Browser | undefined
  let seed: Seed | undefined
  beforeAll(async () => {
    await ensureConsoleBuilt()
    if (wantServer) {
      server = await startServer(typeof options.env === 'function' ? await options.env() : options.env)
      await options.started?.(server)
      if (wantSeed) seed = await seedConsoleData(server)
    }
    if (wantBrowser) browser = await launchBrowser()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })
  const handle = <T>(value: T | undefined, name: string): T => {
    if (value === undefined)
      throw new Error(`useConsole(): no ${name} (not asked for, or its beforeAll failed)`)
    return value
  }
  return {
    get server() {
      return handle(server, 'server')
    },
    get browser() {
      return handle(browser, 'browser')
    },
    get seed() {
      return handle(seed, 'seed')
    },
    async stored<T>(path: string) {
      const res = await handle(server, 'server').app.inject({ url: path, headers: await adminHeaders() })
      return res.json() as T
    },
  }
}
