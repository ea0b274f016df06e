import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer } from '../cli/run.js'

/**
 * The README's commands, run as written: every ```sh block, in order, in one bash against a
 * fresh server on a temporary database (its URL in place of http://127.0.0.1:3000). Blocks
 * marked otherwise (```shell, ```text) are shown, not run. And every relative link resolves.
 */

const README = readFileSync('README.md', 'utf8')
const dir = mkdtempSync(join(tmpdir(), 'pocdir-readme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const shBlocks = (text = README) => [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string)

/** The docs pages whose ```sh blocks run, in this order, in one shell (later pages use earlier variables). */
// training.md runs before imports-exports: after that page's `pocdir export` commands the shell's
// standard output is a broken pipe here (SIGPIPE, exit 141) for any later command that prints.
const RUNNABLE_PAGES = ['api-guide', 'access', 'partner-sync', 'training', 'imports-exports']

function bash(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d
    })
    child.on('error', fail)
    child.on('close', (code) => done({ code, out, err }))
  })
}

describe('README', () => {
  it('is at most 250 lines', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(250)
  })

  it('links only to files that exist', () => {
    const broken = [...README.matchAll(/\]\(((?!https?:|#)[^)#]+)(#[^)]*)?\)/g)]
      .map((m) => m[1] as string)
      .filter((link) => !existsSync(resolve(link)))
    expect(broken).toEqual([])
    for (const page of readdirSync('docs').filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(`docs/${page}`, 'utf8')
      const missing = [...text.matchAll(/\]\(((?!https?:|#)[^)#]+)(#[^)]*)?\)/g)]
        .map((m) => m[1] as string)
        .filter((link) => !existsSync(resolve('docs', link)))
      expect(missing, page).toEqual([])
    }
  })

  it("the first five minutes' commands succeed as written against a fresh server", {
    timeout: 300_000,
  }, async () => {
    const blocks = shBlocks()
    expect(blocks.length).toBeGreaterThanOrEqual(5)
    const db = join(dir, 'data', 'pocdir.db')
    const server = startServer({ DATABASE_PATH: db, RATE_LIMIT_MAX: '600' })
    try {
      const url = await server.url
      const script = blocks.join('\n').replaceAll('http://127.0.0.1:3000', url)
      const run = await bash(script, { DATABASE_PATH: db, TMPDIR: dir })
      expect(run.code, `${run.out}\n${run.err}`).toBe(0)
      const lines = run.out.split('\n')
      expect(lines).toContain('{"code":"KG","name":"Kyrgyzstan","osceParticipating":true}')
      expect(lines).toContain('national-poc')
      expect(lines).toContain('{"organizations":2,"contacts":3,"assignments":3}')
      expect(lines).toContain('national-poc: Asan Zhumabekov')
      expect(run.out).toContain('"ended": "2026-01-15",\n  "started": "2026-01-15"')
      expect(run.out).toMatch(
        /^Handed over: assignment \S+ ends 2026-02-01; assignment \S+ \(contact \S+\) starts 2026-02-01$/m,
      )
      expect(lines).toContain(
        'stateCode,organization,organizationKind,role,externalId,honorific,givenName,familyName',
      )
      // The successor (the export writes the record id where no externalId is kept).
      expect(
        lines.some((l) =>
          /^KG,Ministry of Foreign Affairs,government,national-poc,[0-9a-f-]{36},,Nurlan,Abdyldaev$/.test(l),
        ),
      ).toBe(true)
      expect(lines).toContain(
        'KG,Ministry of Foreign Affairs,government,alternate-poc,kg-003,Mr.,Bakyt,Osmonov',
      )
      expect(lines.filter((l) => l.startsWith('{"action"')).slice(-2)).toEqual([
        '{"action":"create","entity":"assignment","actor":"alice"}',
        '{"action":"update","entity":"assignment","actor":"alice"}',
      ])
      // The export went to the temporary directory, not the working tree.
      expect(existsSync('kg.csv')).toBe(false)
    } finally {
      await server.stop()
    }
  })

  it("the docs pages' commands succeed as written against a fresh server", { timeout: 400_000 }, async () => {
    // Pages not listed show only commands that cannot run here (Docker, a stopped service): those
    // are ```shell blocks, so no page has a ```sh block the test leaves out.
    for (const page of ['operations', 'configuration', 'development', 'rules']) {
      expect(shBlocks(readFileSync(`docs/${page}.md`, 'utf8')), page).toEqual([])
    }
    const blocks = RUNNABLE_PAGES.flatMap((page) => shBlocks(readFileSync(`docs/${page}.md`, 'utf8')))
    expect(blocks.length).toBeGreaterThanOrEqual(20)
    const db = join(dir, 'docs', 'pocdir.db')
    const server = startServer({ DATABASE_PATH: db, RATE_LIMIT_MAX: '0' })
    try {
      const url = await server.url
      const run = await bash(blocks.join('\n').replaceAll('http://127.0.0.1:3000', url), {
        DATABASE_PATH: db,
        TMPDIR: dir,
      })
      expect(run.code, `${run.out}\n${run.err}`).toBe(0)
      expect(run.out).toContain('BEGIN:VCARD')
      expect(existsSync('kg-contacts.csv')).toBe(false)
    } finally {
      await server.stop()
    }
  })
})
