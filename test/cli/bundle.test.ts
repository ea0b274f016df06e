import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundle } from '../../scripts/bundle.js'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'
import { bearer, TEST_SECRET } from '../helpers/build-test-app.js'
import { CREATED_ALL, directoryRows, toCsv } from '../imports/support.js'
import { startReceiver } from '../webhooks/receiver.js'
import { type Server, startServer } from './run.js'

/**
 * `npm run build` bundles the service and its worker threads (scripts/bundle.ts): the bundled
 * server finds the migrations, answers from all three workers (import, export, webhook
 * delivery) and generates the same contract. The bundles go to a checkout-shaped folder under
 * tmp/ (node_modules found above it, migrations beside its dist/), as dist/ sits in the image.
 */

const T = 180_000
const root = resolve('tmp')
mkdirSync(root, { recursive: true })
const dir = mkdtempSync(join(root, 'bundle-'))
symlinkSync(resolve('migrations'), join(dir, 'migrations'))
let server: Server
let base: string

beforeAll(async () => {
  await bundle(join(dir, 'dist'))
  server = startServer(
    {
      DATABASE_PATH: join(dir, 'pocdir.db'),
      JWT_SECRET: TEST_SECRET,
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      WEBHOOK_TIMEOUT_MS: '20000',
    },
    [join(dir, 'dist', 'server.js')],
  )
  base = await server.url
}, T)

afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const summary = () => {
  const line = server
    .output()
    .split('\n')
    .find((l) => l.includes('pocdir is running'))
  return JSON.parse(line ?? '{}') as Record<string, string>
}

describe('the bundled build (node dist/server.js)', () => {
  it('migrates and seeds a new database from the migrations beside dist/', { timeout: T }, async () => {
    await new Promise((r) => setTimeout(r, 200))
    expect(summary()).toMatchObject({
      database: `created ${join(dir, 'pocdir.db')}`,
      migrations: '14 applied',
      seed: '194 States and 11 roles added',
      api: `${base}/v1`,
    })
    expect(server.output()).toContain('the console is not built and cannot be built here')
  })

  it('serves the committed contract at /openapi.json and the reference at /docs/', {
    timeout: T,
  }, async () => {
    const doc = await fetch(`${base}/openapi.json`)
    expect(doc.status).toBe(200)
    expect(`${JSON.stringify(await doc.json(), null, 2)}\n`).toBe(
      readFileSync('openapi/openapi.json', 'utf8'),
    )
    const css = await fetch(`${base}/docs/static/swagger-ui.css`)
    expect(css.status).toBe(200)
    expect(await css.text()).toContain('.swagger-ui')
  })

  it('imports through the import worker and exports through the export worker', { timeout: T }, async () => {
    const imported = await fetch(`${base}/v1/imports`, {
      method: 'POST',
      headers: { ...(await bearer('directory:import directory:read')), 'content-type': 'text/csv' },
      body: toCsv(directoryRows()),
    })
    expect(imported.status).toBe(200)
    expect(await imported.json()).toEqual(CREATED_ALL)
    const csv = await fetch(`${base}/v1/contacts`, {
      headers: { ...(await bearer('directory:read')), accept: 'text/csv' },
    })
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    // The same bytes as the sources answer over the same database.
    const path = join(dir, 'pocdir.db')
    const db = openDatabase(path)
    const app = await buildApp({ config: loadConfig({ DATABASE_PATH: path, JWT_SECRET: TEST_SECRET }), db })
    try {
      const fromSources = await app.inject({
        method: 'GET',
        url: '/v1/contacts',
        headers: { ...(await bearer('directory:read')), accept: 'text/csv' },
      })
      expect(fromSources.statusCode).toBe(200)
      const text = await csv.text()
      expect(text.split('\n').length).toBeGreaterThan(CREATED_ALL.created.contacts)
      expect(text).toBe(fromSources.body)
    } finally {
      await app.close()
      db.$client.close()
    }
  })

  it('pings a subscription through the delivery worker', { timeout: T }, async () => {
    const receiver = await startReceiver()
    try {
      const admin = await bearer('directory:admin')
      const created = await fetch(`${base}/v1/webhooks`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, entities: ['contact'] }),
      })
      expect(created.status).toBe(201)
      const { id } = (await created.json()) as { id: string }
      const ping = await fetch(`${base}/v1/webhooks/${id}/ping`, { method: 'POST', headers: admin })
      expect(ping.status).toBe(200)
      expect(await ping.json()).toMatchObject({
        kind: 'ping',
        seq: null,
        attempt: 1,
        status: 204,
        error: null,
      })
      expect(receiver.received).toHaveLength(1)
    } finally {
      await receiver.close()
    }
  })
})
