import { and, asc, type Column, eq, gt, isNull, ne, or, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import {
  type ContactDetail,
  type ContactRow,
  contacts,
  type OrganizationRow,
  organizations,
  searchDocuments,
} from '../db/schema.js'
import { invalidField } from './problem.js'
import { FOLDING_VERSION, foldedTokens, plainTokens, queryWords, searchText } from './search-text.js'
import { insertMany, statement, type Tx } from './statements.js'

/**
 * Keeps `search_documents` and the FTS5 `search_index` over it in step with
 * contacts and organizations, and turns a `q` into the FTS queries that find and rank them.
 * The write path calls these inside its transaction, so the index never disagrees with the
 * records. Restricted text (restricted e-mail addresses) sits in its own columns, which anonymous
 * searches never name, so a search cannot reveal what a read would hide.
 */

export type SearchedEntity = 'contact' | 'organization'

interface SearchSource {
  public: (string | null)[]
  restricted: (string | null)[]
}

const emails = (details: ContactDetail[], visibility: ContactDetail['visibility']) =>
  details.filter((d) => d.type === 'email' && d.visibility === visibility).map((d) => d.value)

const SOURCES = {
  contact: {
    fields: [
      'givenName',
      'familyName',
      'displayName',
      'nameOriginal',
      'nameLatin',
      'positionTitle',
      'contactDetails',
    ],
    source: (r: ContactRow): SearchSource => ({
      public: [
        r.givenName,
        r.familyName,
        r.displayName,
        r.nameOriginal,
        r.nameLatin,
        r.positionTitle,
        ...emails(r.contactDetails, 'public'),
      ],
      restricted: emails(r.contactDetails, 'restricted'),
    }),
  },
  organization: {
    fields: ['name', 'acronym', 'contactDetails'],
    source: (r: OrganizationRow): SearchSource => ({
      public: [r.name, r.acronym, ...emails(r.contactDetails, 'public')],
      restricted: emails(r.contactDetails, 'restricted'),
    }),
  },
} as const

export const isSearched = (entity: string): entity is SearchedEntity => entity in SOURCES

/** Whether an update that changed `fields` changes what the record is found by. */
export const touchesSearch = (entity: SearchedEntity, fields: string[]): boolean =>
  fields.some((f) => (SOURCES[entity].fields as readonly string[]).includes(f))

function documentOf(entity: SearchedEntity, row: ContactRow | OrganizationRow) {
  const source =
    entity === 'contact'
      ? SOURCES.contact.source(row as ContactRow)
      : SOURCES.organization.source(row as OrganizationRow)
  return [
    searchText(source.public, plainTokens),
    searchText(source.public, foldedTokens),
    searchText(source.restricted, plainTokens),
    searchText(source.restricted, foldedTokens),
  ]
}

const TEXT_COLUMNS = 'public_plain, public_folded, restricted_plain, restricted_folded'

function currentDocument(tx: Tx, entity: SearchedEntity, id: string) {
  return statement(
    tx,
    'search:current',
    () => `select doc, ${TEXT_COLUMNS} from search_documents where entity = ? and entity_id = ?`,
  )
    .raw()
    .get(entity, id) as [number, string, string, string, string] | undefined
}

/** Takes a document's old text out of the FTS index (external content needs the old values). */
function removeFromIndex(tx: Tx, old: [number, string, string, string, string]): void {
  statement(
    tx,
    'search:fts-delete',
    () => `insert into search_index(search_index, rowid, ${TEXT_COLUMNS}) values ('delete', ?, ?, ?, ?, ?)`,
  ).run(...old)
}

/** Inserts a document row only (the FTS index is the caller's business). */
function writeDocument(
  tx: Tx,
  entity: SearchedEntity,
  row: ContactRow | OrganizationRow,
  text = documentOf(entity, row),
): number | bigint {
  return statement(
    tx,
    'search:insert',
    () =>
      `insert into search_documents (entity, entity_id, folding, ${TEXT_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?)`,
  ).run(entity, row.id, FOLDING_VERSION, ...text).lastInsertRowid
}

/** Writes (or rewrites) the record's document and its FTS entry. `isNew` skips looking for an old one. */
export function indexRecord(
  tx: Tx,
  entity: SearchedEntity,
  row: ContactRow | OrganizationRow,
  isNew = false,
): void {
  const text = documentOf(entity, row)
  const old = isNew ? undefined : currentDocument(tx, entity, row.id)
  let doc: number | bigint
  if (old) {
    removeFromIndex(tx, old)
    doc = old[0]
    statement(
      tx,
      'search:update',
      () =>
        'update search_documents set folding = ?, public_plain = ?, public_folded = ?, restricted_plain = ?, restricted_folded = ? where doc = ?',
    ).run(FOLDING_VERSION, ...text, doc)
  } else {
    doc = writeDocument(tx, entity, row, text)
  }
  statement(
    tx,
    'search:fts-insert',
    () => `insert into search_index(rowid, ${TEXT_COLUMNS}) values (?, ?, ?, ?, ?)`,
  ).run(doc, ...text)
}

/** Indexes records created in bulk: their documents in multi-row inserts, then their FTS entries in one statement. */
export function indexNewRecords(
  tx: Tx,
  records: { entity: SearchedEntity; row: ContactRow | OrganizationRow }[],
): void {
  if (records.length === 0) return
  const last = statement(tx, 'search:last', () => 'select coalesce(max(doc), 0) from search_documents')
    .pluck()
    .get() as number
  insertMany(
    tx,
    'search_documents',
    ['entity', 'entity_id', 'folding', ...TEXT_COLUMNS.split(', ')],
    records.map(({ entity, row }) => [entity, row.id, FOLDING_VERSION, ...documentOf(entity, row)]),
  )
  statement(
    tx,
    'search:fts-new',
    () =>
      `insert into search_index(rowid, ${TEXT_COLUMNS}) select doc, ${TEXT_COLUMNS} from search_documents where doc > ?`,
  ).run(last)
}

export function unindexRecord(tx: Tx, entity: SearchedEntity, id: string): void {
  const old = currentDocument(tx, entity, id)
  if (!old) return
  removeFromIndex(tx, old)
  statement(tx, 'search:delete', () => 'delete from search_documents where doc = ?').run(old[0])
}

/**
 * Indexes live records that have no document or one folded by older rules (a database from
 * before search, or after the folding changed), in one transaction. Runs after migrations.
 */
/**
 * Every live record has a current document: answered from indexes alone (each start-up runs
 * it; scanning the documents themselves took 20–40 ms on 23,000 contacts).
 */
export const INDEX_COMPLETE = `select (select count(*) from contacts where deleted_at is null)
      + (select count(*) from organizations where deleted_at is null)
      = (select count(*) from search_documents where folding = ?)`

export function ensureSearchIndex(db: Db): number {
  // The usual case, answered from counts: every live record has a current document.
  const complete = db.$client.prepare(INDEX_COMPLETE).pluck().get(FOLDING_VERSION)
  if (complete === 1) return 0
  const stale = <T extends typeof contacts | typeof organizations>(table: T, entity: SearchedEntity) =>
    db
      .select({ row: table })
      .from(table)
      .leftJoin(
        searchDocuments,
        and(eq(searchDocuments.entity, entity), eq(searchDocuments.entityId, table.id)),
      )
      .where(
        and(
          isNull(table.deletedAt),
          or(isNull(searchDocuments.doc), ne(searchDocuments.folding, FOLDING_VERSION)),
        ),
      )
      .all()
  return db.transaction((tx) => {
    // Repair mode: documents first, then the FTS index rebuilt from them in one pass, which
    // also drops whatever a damaged index held.
    tx.run(sql`delete from search_documents where folding <> ${FOLDING_VERSION}`)
    tx.run(sql`delete from search_documents where (entity = 'contact' and entity_id not in
      (select id from contacts where deleted_at is null)) or (entity = 'organization' and entity_id not in
      (select id from organizations where deleted_at is null))`)
    const people = stale(contacts, 'contact')
    for (const { row } of people) writeDocument(tx, 'contact', row as ContactRow)
    const bodies = stale(organizations, 'organization')
    for (const { row } of bodies) writeDocument(tx, 'organization', row as OrganizationRow)
    tx.run(sql`insert into search_index(search_index) values ('rebuild')`)
    return people.length + bodies.length
  })
}

const quote = (token: string) => `"${token}"` // tokens are [a-z0-9]+, so quoting is enough

/** The FTS5 queries for `q`: any match (plain or folded prefixes), per word, plain prefixes, plain words. */
export function ftsQueries(q: string, seeRestricted: boolean) {
  const words = queryWords(q)
  const plain = seeRestricted ? '{public_plain restricted_plain}' : '{public_plain}'
  const folded = seeRestricted ? '{public_folded restricted_folded}' : '{public_folded}'
  const all = (tokens: string[], columns: string, star: string) =>
    tokens.map((t) => `${columns} : ${quote(t)}${star}`).join(' AND ')
  const perWord = words.map((w) => `(${all(w.plain, plain, '*')}) OR (${all(w.folded, folded, '*')})`)
  return {
    /** One query per word, for matching words across records (the directory's contact or organization). */
    perWord,
    any: perWord.map((w) => `(${w})`).join(' AND '),
    prefix: words.map((w) => all(w.plain, plain, '*')).join(' AND '),
    exact: words.map((w) => all(w.plain, plain, '')).join(' AND '),
  }
}

const HITS =
  'select d.entity_id from search_index s join search_documents d on d.doc = s.rowid where search_index match'
const hits = (entity: SearchedEntity, query: string) =>
  sql`(${sql.raw(HITS)} ${query} and d.entity = ${entity})`

/** Raw SQL: the ids of `entity` records matching the FTS query in the named parameter. */
export const hitsSql = (entity: SearchedEntity, param: string): string =>
  `(${HITS} ${param} and d.entity = '${entity}')`

/**
 * The order of a list of contacts or organizations: by id, or with `q`, by rank (0 every word a
 * whole plain word, 1 every word a plain prefix, 2 a variant spelling), then id. Gives the
 * drizzle pieces a repository's keyset query needs: select `tier` beside the row, add
 * `where(after)`, order by `orderBy`; `keyOf` is the cursor key of a selected row.
 */
export function listOrder(entity: SearchedEntity, id: Column, q: string | undefined, seeRestricted: boolean) {
  if (!q) {
    return {
      tier: sql<number>`0`,
      where: (after: string | undefined): SQL[] => (after ? [gt(id, refuseRankedKey(after))] : []),
      orderBy: [asc(id)],
      keyOf: (r: { row: { id: string } }) => r.row.id,
    }
  }
  const fts = ftsQueries(q, seeRestricted)
  const tier = sql<number>`(case when ${id} in ${hits(entity, fts.exact)} then 0
    when ${id} in ${hits(entity, fts.prefix)} then 1 else 2 end)`
  return {
    tier,
    where: (after: string | undefined): SQL[] => [
      sql`${id} in ${hits(entity, fts.any)}`,
      ...(after ? [afterRanked(tier, id, after)] : []),
    ],
    orderBy: [asc(tier), asc(id)],
    keyOf: (r: { row: { id: string }; tier: number }) => `r:${r.tier}:${r.row.id}`,
  }
}

/**
 * A ranked cursor (`r:tier:id`) works only with the same `q`: on a list without `q` it would
 * silently end the list. A record whose text changes between pages may move to another tier
 * and be skipped or seen twice; id-ordered lists (without `q`) never do that.
 */
function refuseRankedKey(key: string): string {
  if (key.startsWith('r:')) throw invalidField('cursor', 'belongs to a search; repeat the same q with it')
  return key
}

function afterRanked(tier: SQL<number>, id: Column, key: string): SQL {
  const match = /^r:([0-2]):(.+)$/.exec(key)
  if (!match) throw invalidField('cursor', 'is not a cursor this service issued')
  return sql`(${tier}, ${id}) > (${Number(match[1])}, ${match[2]})`
}
