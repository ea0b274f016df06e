/**
 * Writes the OpenAPI document generated from the route schemas to openapi/openapi.json.
 * `npm run openapi` after changing a route; the contract test fails until you do.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url))

/** The document as the running service serves it, pretty-printed with a final newline. */
export async function renderOpenApi(): Promise<string> {
  // The contract does not depend on configuration; a throwaway secret and database suffice.
  const config = loadConfig({ DATABASE_PATH: ':memory:', JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent' })
  const db = openDatabase(':memory:')
  runMigrations(db)
  const app = await buildApp({ config, db })
  await app.ready()
  const doc = await app.openApiDocument()
  await app.close()
  db.$client.close()
  return `${JSON.stringify(doc, null, 2)}\n`
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await renderOpenApi()
  mkdirSync(dirname(OPENAPI_FILE), { recursive: true })
  writeFileSync(OPENAPI_FILE, text)
  console.log(`wrote ${OPENAPI_FILE}`)
}
