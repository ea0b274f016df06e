import { SignJWT } from 'jose'
import { type AppDeps, buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { type Db, openDatabase } from '../../src/db/client.js'
import { runMigrations } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'
import { closeDeliveryLog, openDeliveryLog } from '../../src/modules/webhooks/delivery-log.js'
import { checkResponsesAgainstContract } from './contract.js'

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop'

export interface TokenClaims {
  sub?: string
  scope?: string
  states?: unknown
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number
  iss?: string
  aud?: string
  secret?: string
  [claim: string]: unknown
}

/** Signs an HS256 token; defaults to a one-hour token for `sub` "tester". */
export async function signToken(claims: TokenClaims = {}): Promise<string> {
  const { sub = 'tester', expiresIn = 3600, iss, aud, secret = TEST_SECRET, ...rest } = claims
  let jwt = new SignJWT(rest)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
  if (iss) jwt = jwt.setIssuer(iss)
  if (aud) jwt = jwt.setAudience(aud)
  return jwt.sign(new TextEncoder().encode(secret))
}

/** `{ authorization: 'Bearer …' }` for a token with the given scope and claims. */
export async function bearer(scope: string, claims: TokenClaims = {}) {
  return { authorization: `Bearer ${await signToken({ scope, ...claims })}` }
}

/**
 * The bare app over a fresh migrated and seeded database, without the contract check: for tests
 * that need a logger of their own (`logger`) or add routes the contract does not know.
 */
export async function buildSeededApp(
  env: Record<string, string> = {},
  options: Pick<AppDeps, 'logger'> = {},
) {
  const config = loadConfig({
    JWT_SECRET: TEST_SECRET,
    DATABASE_PATH: ':memory:',
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'silent',
    ...env,
  })
  const db = openDatabase(config.databasePath)
  runMigrations(db)
  seed(db)
  const app = await buildApp({ config, db, ...options })
  return { app, db, config }
}

/**
 * A fresh app over a fresh migrated and seeded database. `env` overrides the environment
 * the config is read from, exactly as the server reads it.
 */
export async function buildTestApp(env: Record<string, string> = {}) {
  const { app, db, config } = await buildSeededApp(env)
  // Every answer is checked against the committed contract; a violation fails the request
  // that caused it (or, for requests over a socket, closing the app).
  const violations: string[] = []
  checkResponsesAgainstContract(app, (v) => violations.push(v))
  const takeViolations = () => {
    if (violations.length === 0) return
    const found = violations.splice(0)
    throw new Error(`The response breaks openapi/openapi.json:\n  ${found.join('\n  ')}`)
  }
  const inject = app.inject.bind(app) as (...args: unknown[]) => unknown
  app.inject = ((...args: unknown[]) => {
    const result = inject(...args)
    if (args.length !== 1) return result
    // Without a callback, inject answers a thenable chain.
    return (result as PromiseLike<unknown>).then((res) => {
      takeViolations()
      return res
    })
  }) as typeof app.inject
  await app.ready()
  return {
    app,
    db,
    config,
    async close() {
      await app.close()
      db.$client.close()
      takeViolations()
    },
  }
}

/** Every row of every table, to prove a rejected request wrote nothing. */
export function snapshot(db: Db): string {
  const tables = [
    'states',
    'organizations',
    'roles',
    'contacts',
    'assignments',
    'revisions',
    'search_documents',
    'training_events',
    'participations',
    'campaigns',
    'campaign_links',
    'corrections',
    'webhooks',
    'webhook_secrets',
    'webhook_cursors',
  ]
  const rows = (client: Db['$client'], t: string) => client.prepare(`select * from ${t} order by rowid`).all()
  // The delivery log is a file of its own beside a database file (in memory, a table of the database).
  const deliveryLog = openDeliveryLog(db)
  try {
    return JSON.stringify([
      ...tables.map((t) => rows(db.$client, t)),
      rows(deliveryLog.$client, 'webhook_deliveries'),
    ])
  } finally {
    closeDeliveryLog(deliveryLog, db)
  }
}

export function roleId(db: Db, key: string): string {
  const row = db.$client.prepare('select id from roles where key = ?').get(key) as { id: string } | undefined
  if (!row) throw new Error(`no role ${key}`)
  return row.id
}
