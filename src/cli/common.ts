/** Shared pieces of the `pocdir` command line: failures, the local database, tokens, progress. */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SingleBar } from 'cli-progress'
import { SignJWT } from 'jose'
import { buildApp } from '../app.js'
import { type Config, ConfigError, loadConfig } from '../config.js'
import { type Db, openDatabase } from '../db/client.js'
import { runMigrations } from '../db/migrate.js'
import { seed } from '../db/seed.js'
import { ProblemError } from '../lib/problem.js'

/** A failure the user can act on: printed as one line (no stack trace), exit code 1. */
export class CliError extends Error {
  override name = 'CliError'
}

/** The configuration the server would read, or a CliError naming the bad variable. */
export function config(): Config {
  try {
    return loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message)
    throw err
  }
}

/** The database the server would use (DATABASE_PATH), migrated and seeded. */
export function openLocalDatabase(): Db {
  const db = openDatabase(config().databasePath)
  runMigrations(db)
  seed(db)
  return db
}

/** The file holding the HS256 secret the server generates when no key is configured. */
export function secretFileOf(c: Config): string {
  const dir = c.databasePath === ':memory:' ? './data' : dirname(c.databasePath)
  return join(dir, 'jwt-secret')
}

export interface ProblemLike {
  status: number
  title: string
  detail: string
  errors?: ({ row: number; field: string; message: string } | { path: string; message: string })[]
}

/** Prints a problem readably, one line per bad row or field. */
export function printProblem(problem: ProblemLike): void {
  console.error(`${problem.status} ${problem.title}: ${problem.detail}`)
  for (const e of problem.errors ?? []) {
    if ('row' in e) console.error(`  row ${e.row}, ${e.field}: ${e.message}`)
    else console.error(`  ${e.path}: ${e.message}`)
  }
}

export function problemOf(err: unknown): ProblemLike | undefined {
  if (err instanceof ProblemError) return err.toBody()
  return undefined
}

/**
 * The bearer token for --url: from the file given with --token-file, else POCDIR_TOKEN.
 * Never from the command line, where shells and npm echo and keep it.
 */
export function tokenFrom(opts: { tokenFile?: string }): string | undefined {
  if (opts.tokenFile) {
    if (!existsSync(opts.tokenFile)) throw new CliError(`token file ${opts.tokenFile} does not exist`)
    const token = readFileSync(opts.tokenFile, 'utf8').trim()
    if (!token) throw new CliError(`token file ${opts.tokenFile} is empty`)
    return token
  }
  const env = process.env.POCDIR_TOKEN?.trim()
  return env || undefined
}

/** A bar on a terminal (stderr); plain progress lines elsewhere, so logs stay readable. */
export function progress(label: string, unit: string) {
  const tty = process.stderr.isTTY === true
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} ${unit}`, stream: process.stderr })
  let started = false
  return {
    start(total: number) {
      started = true
      if (tty) bar.start(total, 0)
      else console.error(`${label} 0/${total} ${unit}`)
    },
    update(done: number, total: number) {
      if (!started) return
      if (tty) bar.update(done)
      else console.error(`${label} ${done}/${total} ${unit}`)
    },
    stop() {
      if (tty && started) bar.stop()
      started = false
    },
  }
}

export interface Answer {
  status: number
  body: unknown
}

/** The API, reached over HTTP (--url) or in-process against the local database. */
export interface ApiClient {
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer>
  close(): Promise<void>
}

export function remoteClient(url: string, token: string | undefined): ApiClient {
  return {
    async request(method, path, body) {
      let res: Response
      try {
        res = await fetch(new URL(path, url), {
          method,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
      } catch (err) {
        throw new CliError(
          `cannot reach ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
        )
      }
      const text = await res.text()
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined }
    },
    async close() {},
  }
}

/**
 * The local database through the service itself: the app is built in-process and requests are
 * injected with a one-off admin token signed by a throw-away key, so every write goes through
 * the same routes, checks and revisions as over HTTP. `actor` becomes the revisions' actor.
 */
export async function localClient(actor: string): Promise<ApiClient> {
  const c = config()
  const secret = randomBytes(32).toString('base64url')
  const db = openLocalDatabase()
  const app = await buildApp({
    // The running service delivers webhooks; a second sender would break their order.
    config: { ...c, rateLimitMax: 0, jwt: { secret }, webhooks: { ...c.webhooks, delivery: false } },
    db,
  })
  const token = await new SignJWT({ scope: 'directory:admin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(actor)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret))
  return {
    async request(method, path, body) {
      const res = await app.inject({
        method,
        url: path,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        payload: body === undefined ? undefined : JSON.stringify(body),
      })
      return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as unknown) : undefined }
    },
    async close() {
      await app.close()
      db.$client.close()
    },
  }
}

/** The answer's body when it is 2xx; otherwise its problem as one CliError line. */
export function expectOk<T>(answer: Answer, what: string): T {
  if (answer.status >= 200 && answer.status < 300) return answer.body as T
  const p = answer.body as Partial<ProblemLike> | undefined
  const rows = (p?.errors ?? [])
    .map((e) => ('row' in e ? `row ${e.row} ${e.field}: ${e.message}` : `${e.path}: ${e.message}`))
    .filter((line) => !p?.detail?.includes(line))
  throw new CliError(
    `${what}: ${answer.status} ${p?.title ?? ''}${p?.detail ? `: ${p.detail}` : ''}${rows.length ? ` (${rows.join('; ')})` : ''}`,
  )
}
