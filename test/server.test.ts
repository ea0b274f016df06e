import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

/** The real server process, as `npm start` runs it, on a throwaway data directory. */
const dir = mkdtempSync(join(tmpdir(), 'pocdir-server-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d) => {
    output += d
  })
  child.stderr?.on('data', (d) => {
    output += d
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (m?.[1]) {
        clearInterval(timer)
        resolve(m[1])
      }
    }, 25)
    exited.then(() => {
      clearInterval(timer)
      reject(new Error(`server exited: ${output}`))
    })
  })
  return { child, exited, listening, output: () => output }
}

function stop(child: ChildProcess) {
  if (child.exitCode === null) child.kill('SIGTERM')
}

describe('the server process', () => {
  it('starts with no configuration: generates a 0600 secret, says how to mint a token, serves, stops on SIGTERM', async () => {
    const databasePath = join(dir, 'data', 'pocdir.db')
    const s = start({ DATABASE_PATH: databasePath })
    try {
      const base = await s.listening
      const ready = await fetch(`${base}/readyz`)
      expect(ready.status).toBe(200)
      expect(await ready.json()).toEqual({ status: 'ready' })
      expect(ready.headers.get('x-request-id')).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      )
      const secretFile = join(dir, 'data', 'jwt-secret')
      expect(statSync(secretFile).mode & 0o777).toBe(0o600)
      expect(readFileSync(secretFile, 'utf8').length).toBeGreaterThanOrEqual(32)
      expect(s.output()).toContain('TOKEN=$(npm run -s pocdir -- token --scope directory:admin)')
      // Logs are JSON lines.
      const firstLine = s
        .output()
        .split('\n')
        .find((l) => l.startsWith('{'))
      expect(() => JSON.parse(firstLine ?? '')).not.toThrow()
      const states = await fetch(`${base}/v1/states?limit=1`)
      expect(((await states.json()) as { items: { code: string }[] }).items[0]?.code).toBe('AD')
      s.child.kill('SIGTERM')
      expect(await s.exited).toBe(0)
    } finally {
      stop(s.child)
    }
    // A second start reuses the same secret and the seeded database.
    const secretBefore = readFileSync(join(dir, 'data', 'jwt-secret'), 'utf8')
    const again = start({ DATABASE_PATH: databasePath })
    try {
      await again.listening
      expect(readFileSync(join(dir, 'data', 'jwt-secret'), 'utf8')).toBe(secretBefore)
    } finally {
      stop(again.child)
      await again.exited
    }
  })

  it('refuses a bad configuration value with one clear line and exit code 1', async () => {
    const s = start({ PORT: 'abc', DATABASE_PATH: join(dir, 'bad.db') })
    await expect(s.listening).rejects.toThrow()
    expect(await s.exited).toBe(1)
    expect(s.output().trim()).toBe('Invalid configuration: PORT must be a port number')
  })
})
