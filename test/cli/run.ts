import { type ChildProcess, spawn } from 'node:child_process'

/** Running `pocdir` (bin/pocdir.js, as npx and npm run do) and the server as child processes. */

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

export function pocdir(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/pocdir.js', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

export interface Server {
  child: ChildProcess
  url: Promise<string>
  exited: Promise<number | null>
  output: () => string
  stop: () => Promise<number | null>
}

/**
 * The server as `npm start` runs it (node --import tsx src/server.ts), or as `args` say (a
 * compiled build: `['dist/server.js']`), JSON logs, port 0.
 */
export function startServer(
  env: Record<string, string>,
  args = ['--import', 'tsx', 'src/server.ts'],
): Server {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0', ...env },
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
  const url = new Promise<string>((resolve, reject) => {
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
  // Awaited by the tests that expect a start; a failed start is their answer, not a stray rejection.
  url.catch(() => undefined)
  return {
    child,
    url,
    exited,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
