/**
 * The baseline: bare Fastify + one better-sqlite3 prepared statement answering the same
 * directory page as GET /v1/directory (same rows, same embedded shape), with none of the
 * service's plumbing (no auth, validation, serializer schemas, rate limit or headers).
 *
 *   DATABASE_PATH=... PORT=... node --import tsx bench/bare-server.ts
 */
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import Fastify from 'fastify'

export function buildBareApp(path: string) {
  const db = new Database(path, { readonly: true })
  // The same two queries the service runs: the page's ids in order, then their rows.
  const JOINS = `from assignments a join roles r on r.id = a.role_id join contacts c on c.id = a.contact_id
  join organizations o on o.id = a.organization_id`
  const pageStmt = db
    .prepare(`select a.id ${JOINS}
   where a.deleted_at is null and c.deleted_at is null and o.deleted_at is null
     and a.state_code = ? and a.start_date <= ? and (a.end_date is null or a.end_date > ?)
   order by r.key, a.is_primary desc, a.start_date, a.id limit ?`)
    .pluck()
  const rowsStmt = db.prepare(`
  select a.*, r.id r_id, r.key r_key, r.name r_name, r.description r_description, r.domain r_domain,
         r.version r_version, r.created_at r_created_at, r.updated_at r_updated_at,
         c.id c_id, c.honorific, c.given_name, c.family_name, c.display_name, c.name_original, c.name_latin,
         c.position_title, c.languages, c.contact_details c_details, c.notes, c.external_id c_external_id,
         c.last_verified_at c_verified, c.version c_version, c.created_at c_created_at, c.updated_at c_updated_at,
         o.id o_id, o.name o_name, o.acronym, o.kind, o.state_code o_state, o.parent_id, o.website,
         o.contact_details o_details, o.external_id o_external_id, o.last_verified_at o_verified,
         o.version o_version, o.created_at o_created_at, o.updated_at o_updated_at
    ${JOINS} where a.id in (select value from json_each(?))`)
  const stmt = {
    all(state: string, asOf: string, _asOf: string, take: number) {
      const ids = pageStmt.all(state, asOf, asOf, take) as string[]
      const rows = new Map(
        (rowsStmt.all(JSON.stringify(ids)) as Record<string, unknown>[]).map((r) => [r.id, r]),
      )
      return ids.map((id) => rows.get(id))
    },
  }
  const stateStmt = db.prepare('select * from states where code = ?')

  type R = Record<string, unknown>
  const app = Fastify()
  app.get('/directory', async (request) => {
    const q = request.query as { state: string; limit?: string }
    const asOf = new Date().toISOString().slice(0, 10)
    const limit = Number(q.limit ?? 50)
    const rows = stmt.all(q.state, asOf, asOf, limit + 1) as R[]
    const state = stateStmt.get(q.state) as R
    return {
      state: { ...state, names: JSON.parse(state.names as string) },
      organization: null,
      asOf,
      items: rows.slice(0, limit).map((x) => ({
        role: {
          id: x.r_id,
          key: x.r_key,
          name: x.r_name,
          description: x.r_description,
          domain: x.r_domain,
          version: x.r_version,
          createdAt: x.r_created_at,
          updatedAt: x.r_updated_at,
        },
        organization: {
          id: x.o_id,
          name: x.o_name,
          acronym: x.acronym,
          kind: x.kind,
          stateCode: x.o_state,
          parentId: x.parent_id,
          website: x.website,
          contactDetails: JSON.parse(x.o_details as string),
          externalId: x.o_external_id,
          lastVerifiedAt: x.o_verified,
          version: x.o_version,
          createdAt: x.o_created_at,
          updatedAt: x.o_updated_at,
        },
        contact: {
          id: x.c_id,
          honorific: x.honorific,
          givenName: x.given_name,
          familyName: x.family_name,
          displayName: x.display_name,
          nameOriginal: x.name_original,
          nameLatin: x.name_latin,
          positionTitle: x.position_title,
          languages: JSON.parse(x.languages as string),
          contactDetails: JSON.parse(x.c_details as string),
          notes: x.notes,
          externalId: x.c_external_id,
          lastVerifiedAt: x.c_verified,
          version: x.c_version,
          createdAt: x.c_created_at,
          updatedAt: x.c_updated_at,
        },
        assignment: {
          id: x.id,
          contactId: x.contact_id,
          roleId: x.role_id,
          organizationId: x.organization_id,
          stateCode: x.state_code,
          startDate: x.start_date,
          endDate: x.end_date,
          endReason: x.end_reason,
          isPrimary: x.is_primary === 1,
          succeededBy: x.succeeded_by,
          designationRef: x.designation_ref,
          designationDate: x.designation_date,
          version: x.version,
          createdAt: x.created_at,
          updatedAt: x.updated_at,
        },
      })),
      nextCursor: rows.length > limit ? 'x' : null,
    }
  })
  return app
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = buildBareApp(process.env.DATABASE_PATH ?? './data/pocdir.db')
  await app.listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' })
  console.log('bare server ready')
}
