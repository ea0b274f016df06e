/**
 * The import baseline DESIGN.md names: a bare Fastify + better-sqlite3 server that accepts the
 * same CSV over HTTP and inserts its rows into plain tables (organizations, contacts and
 * assignments, one transaction), with no validation, revisions or search index.
 *
 *   DATABASE_PATH=... PORT=... node --import tsx bench/bare-import-server.ts
 */
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import Papa from 'papaparse'

type Row = Record<string, string>

export function buildBareImportApp(path: string) {
  const c = new Database(path)
  c.pragma('journal_mode = WAL')
  c.pragma('synchronous = NORMAL')
  const role = new Map(
    (c.prepare('select id, key from roles').all() as { id: string; key: string }[]).map((r) => [r.key, r.id]),
  )
  const org = c.prepare(
    "insert into organizations (id, name, kind, state_code, contact_details, created_at, updated_at) values (?, ?, 'government', ?, '[]', ?, ?)",
  )
  const contact = c.prepare(
    'insert into contacts (id, given_name, family_name, display_name, name_original, languages, contact_details, external_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
  const assignment = c.prepare(
    'insert into assignments (id, contact_id, role_id, organization_id, state_code, start_date, end_date, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
  let batch = 0
  const insert = c.transaction((rows: Row[]) => {
    const now = new Date().toISOString()
    const orgs = new Map<string, string>()
    batch += 1
    rows.forEach((r, i) => {
      const key = `${r.stateCode}|${r.organization}`
      let orgId = orgs.get(key)
      if (!orgId) {
        orgId = `o-${batch}-${i}`
        org.run(orgId, r.organization, r.stateCode, now, now)
        orgs.set(key, orgId)
      }
      const details = JSON.stringify([
        { type: 'email', value: r.email, label: null, visibility: r.emailVisibility },
      ])
      const id = `${batch}-${i}`
      contact.run(
        `c-${id}`,
        r.givenName,
        r.familyName,
        `${r.givenName} ${r.familyName}`,
        r.nameOriginal || null,
        '[]',
        details,
        r.externalId,
        now,
        now,
      )
      assignment.run(
        `a-${id}`,
        `c-${id}`,
        role.get(r.role ?? ''),
        orgId,
        r.stateCode,
        r.startDate,
        r.endDate || null,
        now,
        now,
      )
    })
  })

  const app = Fastify({ bodyLimit: 64 * 1024 * 1024 })
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  app.get('/readyz', async () => ({ ok: true }))
  app.post('/import', async (request) => {
    const parsed = Papa.parse<Row>(request.body as string, { header: true, skipEmptyLines: true })
    insert(parsed.data)
    return { created: parsed.data.length }
  })
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = buildBareImportApp(process.env.DATABASE_PATH ?? 'bare-import.db')
  await app.listen({ port: Number(process.env.PORT ?? 3805), host: '127.0.0.1' })
}
