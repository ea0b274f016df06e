import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { type Db, openDatabase } from './db/client.js'
import { runMigrations } from './db/migrate.js'
import { seed } from './db/seed.js'
import { consoleBuilt } from './plugins/console.js'

/** A start-up failure the operator can act on: printed as one line, exit code 1. */
class StartupError extends Error {}

/** With no key configured, a random HS256 secret is generated once and kept beside the data. */
function ensureSecret(config: Config): { config: Config; secretFile?: string } {
  const { jwt } = config
  if (jwt.secret || jwt.publicKey || jwt.jwksUrl) return { config }
  const dataDir = config.databasePath === ':memory:' ? './data' : dirname(config.databasePath)
  const secretFile = resolve(join(dataDir, 'jwt-secret'))
  try {
    if (!existsSync(secretFile)) {
      mkdirSync(dirname(secretFile), { recursive: true })
      writeFileSync(secretFile, randomBytes(48).toString('base64url'), { mode: 0o600 })
    }
    chmodSync(secretFile, 0o600)
    const secret = readFileSync(secretFile, 'utf8').trim()
    return { config: { ...config, jwt: { ...jwt, secret } }, secretFile }
  } catch (err) {
    throw new StartupError(`Cannot keep the generated JWT secret at ${secretFile}: ${(err as Error).message}`)
  }
}

const appliedMigrations = (db: Db): number => {
  const table = db.$client
    .prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'")
    .get()
  return table
    ? (db.$client.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n
    : 0
}

/** Opens, migrates and seeds the database, saying what each step did. */
function prepareDatabase(path: string) {
  const created = path === ':memory:' || !existsSync(path)
  let db: Db
  try {
    db = openDatabase(path)
  } catch (err) {
    throw new StartupError(`Cannot open the database at ${path} (DATABASE_PATH): ${(err as Error).message}`)
  }
  try {
    const before = appliedMigrations(db)
    runMigrations(db)
    const migrations = appliedMigrations(db) - before
    const seeded = seed(db)
    return { db, created, migrations, seeded }
  } catch (err) {
    db.$client.close()
    throw new StartupError(`Cannot prepare the database at ${path}: ${(err as Error).message}`)
  }
}

function listenFailure(err: NodeJS.ErrnoException, config: Config): StartupError {
  const where = `${config.host}:${config.port}`
  switch (err.code) {
    case 'EADDRINUSE':
      return new StartupError(`Cannot listen on ${where}: the port is in use (set PORT to another)`)
    case 'EACCES':
      return new StartupError(
        `Cannot listen on ${where}: permission denied (ports below 1024 need privileges)`,
      )
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`Cannot listen on ${where}: HOST is not an address of this machine`)
    default:
      return new StartupError(`Cannot listen on ${where}: ${err.message}`)
  }
}

/**
 * `npm install` builds the console; a checkout that skipped it (--ignore-scripts) gets it built
 * on the first start, in a child process so the API answers meanwhile (/console/ answers 503
 * not-ready until the build is there). Without the build script or Vite (a production image
 * built without the console), it says so once.
 */
function buildConsoleIfMissing(app: Awaited<ReturnType<typeof buildApp>>) {
  if (consoleBuilt()) return
  const script = fileURLToPath(new URL('../scripts/build-console.ts', import.meta.url))
  if (!existsSync(script)) {
    app.log.warn('the console is not built and cannot be built here: /console/ answers 503')
    return
  }
  app.log.info('building the console (npm run console:build); /console/ answers 503 until it is done')
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--if-possible'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: 'ignore',
  })
  child.on('exit', (code) => {
    if (code === 0 && consoleBuilt()) app.log.info('the console is built')
    else app.log.warn(`the console could not be built (exit ${code}): run npm run console:build`)
  })
}

async function main() {
  let loaded: Config
  try {
    loaded = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) throw new StartupError(err.message)
    throw err
  }
  const { config, secretFile } = ensureSecret(loaded)
  const { db, created, migrations, seeded } = prepareDatabase(config.databasePath)

  const app = await buildApp({ config, db, logger: { level: config.logLevel } })
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
    db.$client.close()
  })
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    await app.close().catch(() => {})
    db.$client.close()
    throw listenFailure(err as NodeJS.ErrnoException, config)
  }

  buildConsoleIfMissing(app)

  const { port } = app.server.address() as AddressInfo
  const wildcard = config.host === '0.0.0.0' || config.host === '::'
  const host = wildcard ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host
  const base = `http://${host}:${port}`
  const urls: Record<string, string> = { api: `${base}/v1`, docs: `${base}/docs` }
  if (app.hasRoute({ method: 'GET', url: '/console/' })) urls.console = `${base}/console/`
  const mint =
    config.jwt.publicKey || config.jwt.jwksUrl
      ? 'tokens come from your identity provider (JWT_PUBLIC_KEY or JWKS_URL is set)'
      : 'TOKEN=$(npm run -s pocdir -- token --scope directory:admin)'
  const database = `${created ? 'created' : 'opened'} ${config.databasePath}`
  const seedLine = `${seeded.states} States and ${seeded.roles} roles added`
  const summary = {
    database,
    migrations: `${migrations} applied`,
    seed: seedLine,
    ...urls,
    ...(secretFile ? { secretFile } : {}),
    token: mint,
  }
  if (process.stdout.isTTY) {
    const width = Math.max(...Object.keys(summary).map((k) => k.length))
    const lines = Object.entries(summary).map(([k, v]) => `  ${`${k}:`.padEnd(width + 2)}${v}`)
    process.stdout.write(`\npocdir is running\n${lines.join('\n')}\n\n`)
  } else {
    app.log.info(summary, `pocdir is running: ${urls.api}, docs at ${urls.docs}; mint a token with: ${mint}`)
  }
}

main().catch((err) => {
  if (err instanceof StartupError) console.error(err.message)
  else console.error(`Cannot start: ${(err as Error)?.message ?? err}`)
  process.exit(1)
})
