import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer } from './run.js'

/** What start-up says: a summary of what happened, or one line naming the cause and exit 1. */

const T = 120_000
const dir = mkdtempSync(join(tmpdir(), 'pocdir-startup-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('start-up', () => {
  it('logs what happened to the database, the URLs and how to mint a token', { timeout: T }, async () => {
    const db = join(dir, 'fresh', 'pocdir.db')
    const s = startServer({ DATABASE_PATH: db })
    try {
      const url = await s.url
      await new Promise((r) => setTimeout(r, 200))
      const line = s
        .output()
        .split('\n')
        .find((l) => l.includes('pocdir is running'))
      const summary = JSON.parse(line ?? '{}') as Record<string, string>
      expect(summary).toMatchObject({
        database: `created ${db}`,
        migrations: '14 applied',
        seed: '194 States and 11 roles added',
        api: `${url}/v1`,
        docs: `${url}/docs`,
        secretFile: join(dir, 'fresh', 'jwt-secret'),
        token: 'TOKEN=$(npm run -s pocdir -- token --scope directory:admin)',
      })
    } finally {
      await s.stop()
    }
    const again = startServer({ DATABASE_PATH: db })
    try {
      await again.url
      await new Promise((r) => setTimeout(r, 200))
      const line = again
        .output()
        .split('\n')
        .find((l) => l.includes('pocdir is running'))
      expect(JSON.parse(line ?? '{}')).toMatchObject({
        database: `opened ${db}`,
        migrations: '0 applied',
        seed: '0 States and 0 roles added',
      })
    } finally {
      await again.stop()
    }
  })

  it('a busy port and a HOST that is not this machine: one line each, exit 1', { timeout: T }, async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    try {
      const busy = startServer({ DATABASE_PATH: join(dir, 'busy.db'), PORT: String(port) })
      expect(await busy.exited).toBe(1)
      expect(busy.output()).toBe(
        `Cannot listen on 127.0.0.1:${port}: the port is in use (set PORT to another)\n`,
      )
    } finally {
      blocker.close()
    }
    const host = startServer({ DATABASE_PATH: join(dir, 'host.db'), HOST: '192.0.2.1' })
    expect(await host.exited).toBe(1)
    expect(host.output()).toBe('Cannot listen on 192.0.2.1:0: HOST is not an address of this machine\n')
  })

  it('SIGTERM to `npm start` stops the server, not only npm', { timeout: T }, async () => {
    const child = spawn('npm', ['start'], {
      env: { ...process.env, DATABASE_PATH: join(dir, 'npm', 'pocdir.db'), PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => {
      output += d
    })
    const exited = new Promise<void>((r) => child.on('exit', () => r()))
    let url: string | undefined
    while (!url) {
      await new Promise((r) => setTimeout(r, 50))
      url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    child.kill('SIGTERM')
    await exited
    await new Promise((r) => setTimeout(r, 1500))
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
  })

  it('on a terminal: a human-readable summary before the JSON log lines', { timeout: T }, async () => {
    // util-linux script(1) gives the server a pseudo-terminal as stdout.
    const db = join(dir, 'tty', 'pocdir.db')
    const child = spawn('script', ['-qfec', `${process.execPath} --import tsx src/server.ts`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_PATH: db, PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => {
      output += d
    })
    const exited = new Promise<void>((r) => child.on('exit', () => r()))
    try {
      const deadline = Date.now() + 60_000
      while (!output.includes('token:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      const text = output.replaceAll('\r', '')
      const port = /api: +http:\/\/127\.0\.0\.1:(\d+)\/v1/.exec(text)?.[1]
      expect(text).toContain(
        [
          'pocdir is running',
          `  database:   created ${db}`,
          '  migrations: 14 applied',
          '  seed:       194 States and 11 roles added',
          `  api:        http://127.0.0.1:${port}/v1`,
          `  docs:       http://127.0.0.1:${port}/docs`,
          `  secretFile: ${join(dir, 'tty', 'jwt-secret')}`,
          '  token:      TOKEN=$(npm run -s pocdir -- token --scope directory:admin)',
        ].join('\n'),
      )
    } finally {
      child.kill('SIGTERM')
      await exited
    }
  })
})
