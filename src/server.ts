import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { openDatabase } from './db/client.js'
import { runMigrations } from './db/migrate.js'
import { seed } from './db/seed.js'

/** With no key configured, a random HS256 secret is generated once and kept beside the data. */
function ensureSecret(config: Config): { config: Config; secretFile?: string } {
  const { jwt } = config
  if (jwt.secret || jwt.publicKey || jwt.jwksUrl) return { config }
  const dataDir = config.databasePath === ':memory:' ? './data' : dirname(config.databasePath)
  const secretFile = resolve(join(dataDir, 'jwt-secret'))
  if (!existsSync(secretFile)) {
    mkdirSync(dirname(secretFile), { recursive: true })
    writeFileSync(secretFile, randomBytes(48).toString('base64url'), { mode: 0o600 })
  }
  chmodSync(secretFile, 0o600)
  const secret = readFileSync(secretFile, 'utf8').trim()
  return { config: { ...config, jwt: { ...jwt, secret } }, secretFile }
}

async function main() {
  let loaded: Config
  try {
    loaded = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
  const { config, secretFile } = ensureSecret(loaded)
  const db = openDatabase(config.databasePath)
  runMigrations(db)
  seed(db)

  const app = await buildApp({ config, db, logger: { level: config.logLevel } })
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
    db.$client.close()
  })
  await app.listen({ port: config.port, host: config.host })
  if (secretFile) {
    app.log.info(
      { secretFile },
      `No JWT key configured: using the generated HS256 secret in ${secretFile}. ` +
        'Mint a development token with: npm run token -- --scope "directory:admin"',
    )
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
