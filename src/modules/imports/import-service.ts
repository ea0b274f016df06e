import { isNull } from 'drizzle-orm'
import type { CountryCode } from 'libphonenumber-js'
import type { Db } from '../../db/client.js'
import {
  type AssignmentRow,
  assignments,
  type ContactDetail,
  type ContactRow,
  contacts,
  type OrganizationRow,
  organizations,
  roles,
  states,
} from '../../db/schema.js'
import { rebuildPays, withoutSecondaryIndexes } from '../../lib/bulk-indexes.js'
import { phoneNumbers } from '../../lib/contact-details.js'
import { forbidden, ProblemError, problemType, type RowError } from '../../lib/problem.js'
import { MAX_DETAILS } from '../../lib/schemas.js'
import { statement } from '../../lib/statements.js'
import {
  createRecord,
  newId,
  type Tx,
  updateRecord,
  type WriteContext,
  withBulkCreates,
} from '../../lib/write-path.js'
import { contactFields, contactToInput } from '../contacts/contact-fields.js'
import type { ContactInput } from '../contacts/contacts-schemas.js'
import type { ParsedRows } from './import-parse.js'
import { type ImportResult, ImportRow, ImportRowByKey } from './imports-schemas.js'
import { PersonIndex } from './person-match.js'

type Entity = 'organizations' | 'contacts' | 'assignments'
type Outcome = 'created' | 'updated' | 'unchanged'

/** Each record counts once, with its strongest outcome (created > updated > unchanged). */
class Tally {
  private readonly seen: Record<Entity, Map<string, Outcome>> = {
    organizations: new Map(),
    contacts: new Map(),
    assignments: new Map(),
  }
  note(entity: Entity, id: string, outcome: Outcome) {
    const seen = this.seen[entity]
    const prev = seen.get(id)
    if (prev === 'created' || (prev === 'updated' && outcome === 'unchanged')) return
    seen.set(id, outcome)
  }
  result(dryRun: boolean): ImportResult {
    const zero = () => ({ organizations: 0, contacts: 0, assignments: 0 })
    const out: ImportResult = { dryRun, created: zero(), updated: zero(), unchanged: zero() }
    for (const entity of ['organizations', 'contacts', 'assignments'] as const) {
      for (const outcome of this.seen[entity].values()) out[outcome][entity]++
    }
    return out
  }
}

/**
 * A record as the rows of one file gave it: the first row that named it and what that row gave
 * (the row's own cells, not a copy: an import notes every field of every record and keeps all of
 * it to its end), plus only where a later row gave a field first, that field's value and row.
 */
interface Seen {
  row: number
  given: Readonly<Record<string, string | undefined>>
  values?: Record<string, string>
  rows?: Record<string, number>
}

/**
 * What the rows of one file give each record. Two rows that give one record's field different
 * values would make every import of the file write one, then the other (two revisions a run,
 * never `unchanged`), so both rows are rejected, naming each other. An empty cell gives nothing
 * and conflicts with nothing; rows that repeat a value agree.
 */
export class Conflicts {
  // Keyed by what the record is, then by its key: a record's id is then key enough (no string
  // built per row and kept to the end of the import).
  private readonly first = new Map<string, Map<string, Seen>>()
  readonly errors: RowError[] = []
  /** `record` keys the record among those `what` names in the message ("the same person"). */
  note(record: string, what: string, field: string, row: number, value: string | undefined) {
    if (value === undefined) return
    this.noteAll(record, what, [field], row, { [field]: value })
  }
  /**
   * What row `row` gives a record's `fields` (a field `given` leaves undefined gives nothing).
   * A record's fields are noted through one list of fields: `given` may hold other columns too.
   */
  noteAll(
    record: string,
    what: string,
    fields: readonly string[],
    row: number,
    given: Readonly<Record<string, string | undefined>>,
  ) {
    let records = this.first.get(what)
    if (!records) {
      records = new Map()
      this.first.set(what, records)
    }
    const seen = records.get(record)
    if (!seen) {
      if (fields.some((field) => given[field] !== undefined)) records.set(record, { row, given })
      return
    }
    for (const field of fields) {
      const value = given[field]
      if (value === undefined) continue
      const firstValue = seen.given[field] ?? seen.values?.[field]
      if (firstValue === undefined) {
        seen.values ??= {}
        seen.values[field] = value
        seen.rows ??= {}
        seen.rows[field] = row
      } else if (firstValue !== value) {
        const firstRow = seen.given[field] === undefined ? (seen.rows?.[field] ?? seen.row) : seen.row
        this.errors.push(
          {
            row: firstRow,
            field,
            message: `row ${row} gives ${what} another ${field} (${JSON.stringify(value)})`,
          },
          {
            row,
            field,
            message: `row ${firstRow} gives ${what} another ${field} (${JSON.stringify(firstValue)})`,
          },
        )
      }
    }
  }
}

/**
 * Live tenures by (person, role, organization, startDate), the import's key for a tenure: each
 * person's few in a list rather than a key string per tenure kept to the end of the import.
 */
class Tenures {
  private readonly byPerson = new Map<string, AssignmentRow[]>()
  /** How many tenures it holds. */
  size = 0
  get(contactId: string, roleId: string, organizationId: string, startDate: string) {
    return this.byPerson
      .get(contactId)
      ?.find((a) => a.roleId === roleId && a.organizationId === organizationId && a.startDate === startDate)
  }
  /** Adds a tenure, or replaces the one with its key. */
  set(tenure: AssignmentRow): void {
    const list = this.byPerson.get(tenure.contactId)
    if (!list) {
      this.byPerson.set(tenure.contactId, [tenure])
      this.size++
      return
    }
    const i = list.findIndex(
      (a) =>
        a.roleId === tenure.roleId &&
        a.organizationId === tenure.organizationId &&
        a.startDate === tenure.startDate,
    )
    if (i === -1) {
      list.push(tenure)
      this.size++
    } else list[i] = tenure
  }
}

export const rowsRejected = (errors: RowError[]) =>
  new ProblemError(422, `${new Set(errors.map((e) => e.row)).size} row(s) rejected; nothing was imported`, {
    type: problemType('import-rows-rejected'),
    errors,
  })

class DryRunRollback extends Error {}

const revisionCount = (tx: Tx) =>
  statement(tx, 'revisions:count', () => 'select count(*) from revisions')
    .pluck()
    .get() as number

const orgKey = (stateCode: string | null, name: string) =>
  `${stateCode ?? ''}|${name.toLowerCase().replace(/\s+/g, ' ').trim()}`

interface ValidRow {
  row: number
  data: ImportRow
  phone?: string
}

/**
 * Validates every row (shape, phone numbers with the row's state as region, role and state codes).
 * Without `matchByEmail` (a token that may not read restricted values) a row needs externalId.
 */
export function validateRows(
  db: Db,
  parsed: ParsedRows,
  matchByEmail: boolean,
): { valid: ValidRow[]; errors: RowError[] } {
  const schema = matchByEmail ? ImportRow : ImportRowByKey
  const errors = [...parsed.errors]
  const roleKeys = new Set(
    db
      .select({ key: roles.key })
      .from(roles)
      .where(isNull(roles.deletedAt))
      .all()
      .map((r) => r.key),
  )
  const stateCodes = new Set(
    db
      .select({ code: states.code })
      .from(states)
      .where(isNull(states.deletedAt))
      .all()
      .map((s) => s.code),
  )
  // The same number in the same state parses the same (a person's rows repeat it).
  const phones = new Map<string, string | null>()
  const valid: ValidRow[] = []
  for (const { row, cells } of parsed.rows) {
    const result = schema.safeParse(cells)
    if (!result.success) {
      for (const issue of result.error.issues) {
        const field =
          issue.code === 'unrecognized_keys' ? issue.keys.join(',') : String(issue.path[0] ?? '(row)')
        errors.push({ row, field, message: issue.message })
      }
      continue
    }
    const data = result.data
    const before = errors.length
    if (data.stateCode && !stateCodes.has(data.stateCode))
      errors.push({ row, field: 'stateCode', message: `no state ${data.stateCode}` })
    if (data.role && !roleKeys.has(data.role))
      errors.push({ row, field: 'role', message: `no role with key ${data.role}` })
    let phone: string | undefined
    if (data.phone) {
      const phoneKey = `${data.stateCode ?? ''}|${data.phone}`
      let e164 = phones.get(phoneKey)
      if (e164 === undefined) {
        const parsedPhone = phoneNumbers().parsePhoneNumberFromString(
          data.phone,
          data.stateCode as CountryCode | undefined,
        )
        e164 = parsedPhone?.isValid() ? parsedPhone.number : null
        phones.set(phoneKey, e164)
      }
      if (e164 !== null) phone = e164
      else errors.push({ row, field: 'phone', message: "is not a valid phone number for the row's state" })
    }
    if (errors.length === before) valid.push({ row, data, phone })
  }
  errors.sort((a, b) => a.row - b.row)
  return { valid, errors }
}

/** A states-limited token may import only rows of its states: 403 naming the others. */
export function checkRowStates(limitedTo: readonly string[] | null, rows: ValidRow[]): void {
  if (limitedTo === null) return
  const errors: RowError[] = rows
    .filter((r) => !r.data.stateCode || !limitedTo.includes(r.data.stateCode))
    .map((r) => ({
      row: r.row,
      field: 'stateCode',
      message: r.data.stateCode
        ? `the token may not import rows of state ${r.data.stateCode}`
        : 'rows without a state need a token that is not limited to states',
    }))
  if (errors.length > 0)
    throw forbidden('The import has rows of states this token may not change; nothing was imported', errors)
}

/** The person's own fields a row gives (its details are added, never replaced). */
const CONTACT_FIELDS = [
  'externalId',
  'honorific',
  'givenName',
  'familyName',
  'nameOriginal',
  'positionTitle',
] as const

const EMAIL_VISIBILITY = ['emailVisibility'] as const
const PHONE_VISIBILITY = ['phoneVisibility'] as const
const ORGANIZATION_KIND = ['organizationKind'] as const
const END_DATE = ['endDate'] as const

const PHONE_TYPES = new Set(['phone', 'mobile', 'fax'])
const sameKind = (a: ContactDetail['type'], b: ContactDetail['type']) =>
  a === b || (PHONE_TYPES.has(a) && PHONE_TYPES.has(b))

const hasDetail = (details: ContactDetail[], detail: ContactDetail) =>
  details.some((d) => sameKind(d.type, detail.type) && d.value === detail.value)

/**
 * Adds a detail unless the person has it already (a number counts whether phone, mobile or fax);
 * one they have takes the row's visibility when the row gives one (an empty cell keeps it).
 */
function withDetail(
  details: ContactDetail[],
  detail: ContactDetail | undefined,
  visibilityGiven: boolean,
): ContactDetail[] {
  if (!detail) return details
  const i = details.findIndex((d) => sameKind(d.type, detail.type) && d.value === detail.value)
  if (i === -1) return [...details, detail]
  // Stryker disable next-line OptionalChaining: i was just found by findIndex, so details[i] exists
  if (!visibilityGiven || details[i]?.visibility === detail.visibility) return details
  return details.map((d, j) => (j === i ? { ...d, visibility: detail.visibility } : d))
}

/**
 * True when whether `given` details change the person depends on a restricted detail: one of
 * them is not among the person's public details, so it is either added or matches a restricted
 * one. A token that may not read restricted values then counts the person as updated either way.
 */
const turnsOnRestricted = (contact: ContactRow, given: (ContactDetail | undefined)[]) =>
  given.some(
    (d) =>
      d !== undefined &&
      !hasDetail(
        contact.contactDetails.filter((s) => s.visibility === 'public'),
        d,
      ),
  )

/**
 * True when every given field equals the stored one, so contactFields(contactToInput(c) + given)
 * would rebuild the stored record (derived names re-derive from unchanged sources).
 */
function sameAsStored(contact: ContactRow, given: Record<string, unknown>): boolean {
  for (const k in given) if (given[k] !== contact[k as keyof ContactRow]) return false
  // contactFields would derive a missing nameLatin and drop repeated languages.
  return contact.nameLatin !== null && new Set(contact.languages).size === contact.languages.length
}

export interface ImportOptions {
  dryRun: boolean
  /** The token's `states` claim: rows and people of other states are refused (403). */
  limitedTo: readonly string[] | null
  /**
   * Whether the importer may read restricted values (directory:read). Without it, people are
   * matched by externalId or record id only, and a person whose only difference may be a
   * restricted detail counts as updated, so neither the counts nor a 403 tell whether a
   * restricted e-mail or phone number exists.
   */
  seesRestricted: boolean
  onProgress?: (done: number, total: number) => void
}

/**
 * Applies validated rows in one transaction through the write path: upserts organizations by
 * (state, name), people by externalId then email, tenures by (person, role, organization,
 * startDate). A dry run does the same work and rolls it back, so it reports exactly. Rows that
 * give one record conflicting values are rejected (422) before a states-limited token's people
 * of other states (403).
 */
export function applyRows(
  db: Db,
  ctx: WriteContext,
  rows: ValidRow[],
  { dryRun, limitedTo, seesRestricted, onProgress }: ImportOptions,
): ImportResult {
  const tally = new Tally()
  const apply = () =>
    db.transaction(
      (tx) => {
        const roleIds = new Map(
          tx
            .select()
            .from(roles)
            .where(isNull(roles.deletedAt))
            .all()
            .map((r) => [r.key, r.id]),
        )
        const orgs = new Map<string, OrganizationRow>()
        for (const o of tx.select().from(organizations).where(isNull(organizations.deletedAt)).all()) {
          orgs.set(orgKey(o.stateCode, o.name), o)
        }
        const people = new PersonIndex(tx.select().from(contacts).where(isNull(contacts.deletedAt)).all())
        const tenures = new Tenures()
        // States each existing person is assigned in, for a states-limited token's rule.
        const statesOf = new Map<string, Set<string | null>>()
        for (const a of tx.select().from(assignments).where(isNull(assignments.deletedAt)).all()) {
          tenures.set(a)
          const set = statesOf.get(a.contactId) ?? new Set()
          set.add(a.stateCode)
          statesOf.set(a.contactId, set)
        }
        const outOfScope: RowError[] = []
        const conflicts = new Conflicts()

        let done = 0
        // A large import into a small directory builds the big tables' indexes once at the end.
        const tenureRows = rows.filter((r) => r.data.startDate !== undefined).length
        // Each row's organization key (a row with a tenure names one), made once.
        const orgKeys = rows.map(({ data: r }) =>
          r.organization && r.role && r.startDate ? orgKey(r.stateCode ?? null, r.organization) : undefined,
        )
        const newOrgs = new Set(orgKeys.filter((k) => k !== undefined && !orgs.has(k))).size
        const rebuilt = (
          [
            ['organizations', newOrgs, orgs.size],
            ['contacts', rows.length, people.size],
            ['assignments', tenureRows, tenures.size],
            ['revisions', rows.length + tenureRows, revisionCount(tx)],
          ] as const
        )
          .filter(([, adding, existing]) => rebuildPays(adding, existing))
          .map(([table]) => table)
        // Creates go out as multi-row inserts; updates flush them first (see withBulkCreates).
        withoutSecondaryIndexes(tx, rebuilt, () =>
          withBulkCreates(tx, () => {
            for (const [i, { row, data: r, phone }] of rows.entries()) {
              if (onProgress && ++done % 500 === 0) onProgress(done, rows.length)
              // The person.
              const email: ContactDetail | undefined = r.email
                ? {
                    type: 'email',
                    value: r.email,
                    label: null,
                    visibility: r.emailVisibility ?? 'restricted',
                  }
                : undefined
              const phoneDetail: ContactDetail | undefined = phone
                ? { type: 'phone', value: phone, label: null, visibility: r.phoneVisibility ?? 'restricted' }
                : undefined
              // By externalId; else by email, unless that person is already keyed by another
              // externalId (and only for a token that may read restricted e-mails).
              const matched = people.match(r.externalId, r.email, seesRestricted)
              const keyedById = matched.keyedById
              let contact = matched.contact
              const given = {
                honorific: r.honorific,
                givenName: r.givenName,
                familyName: r.familyName,
                nameOriginal: r.nameOriginal,
                positionTitle: r.positionTitle,
                externalId: keyedById ? undefined : r.externalId,
              }
              const defined: Partial<typeof given> = {}
              for (const k in given) {
                const v = given[k as keyof typeof given]
                if (v !== undefined) defined[k as keyof typeof given] = v
              }
              const assignedIn = contact ? statesOf.get(contact.id) : undefined
              if (
                limitedTo &&
                assignedIn &&
                ![...assignedIn].some((code) => code && limitedTo.includes(code))
              ) {
                outOfScope.push({
                  row,
                  field: matched.field,
                  message: 'matches a person assigned only in states this token may not change',
                })
              }
              const withEmail = contact
                ? withDetail(contact.contactDetails, email, r.emailVisibility !== undefined)
                : undefined
              const details = withEmail && withDetail(withEmail, phoneDetail, r.phoneVisibility !== undefined)
              if (withEmail && details && details.length > MAX_DETAILS) {
                // The API's own bound on a record's details holds for imports too.
                conflicts.errors.push({
                  row,
                  field: withEmail.length > MAX_DETAILS ? 'email' : 'phone',
                  message: `would give the person more than ${MAX_DETAILS} contact details`,
                })
              }
              // What is unchanged for a reader is "updated" where a restricted detail decides it.
              const unchanged: Outcome =
                contact && !seesRestricted && turnsOnRestricted(contact, [email, phoneDetail])
                  ? 'updated'
                  : 'unchanged'
              if (contact && details === contact.contactDetails && sameAsStored(contact, defined)) {
                // Nothing the row gives differs: the update below would write nothing.
                tally.note('contacts', contact.id, unchanged)
              } else if (contact) {
                const base = contactToInput(contact)
                const input = {
                  ...base,
                  ...defined,
                  contactDetails: details,
                }
                const next = updateRecord(
                  tx,
                  ctx,
                  'contact',
                  contact,
                  contactFields(input, contact.id, contact),
                )
                tally.note('contacts', contact.id, next === contact ? unchanged : 'updated')
                contact = next
              } else {
                // Assigned, not spread and extended (see createRecord): one hidden class for all.
                const input: ContactInput = Object.assign({}, defined, { familyName: r.familyName })
                // Stryker disable next-line BooleanLiteral: a new person has no stored detail whose visibility the flag could keep or replace
                input.contactDetails = withDetail(withDetail([], email, false), phoneDetail, false)
                contact = createRecord(tx, ctx, 'contact', contactFields(input, newId(), undefined))
                tally.note('contacts', contact.id, 'created')
              }
              people.remember(contact)
              const person = contact.id
              conflicts.noteAll(person, 'the same person', CONTACT_FIELDS, row, r)
              if (email && r.emailVisibility) {
                conflicts.noteAll(
                  `${person}|${email.value}`,
                  "the same person's email",
                  EMAIL_VISIBILITY,
                  row,
                  r,
                )
              }
              if (phoneDetail && r.phoneVisibility) {
                conflicts.noteAll(
                  `${person}|${phoneDetail.value}`,
                  "the same person's phone",
                  PHONE_VISIBILITY,
                  row,
                  r,
                )
              }

              const key = orgKeys[i]
              if (key === undefined || !r.organization || !r.role || !r.startDate) continue
              // The organization, matched within the state by name.
              const stateCode = r.stateCode ?? null
              const kind = r.organizationKind ?? 'government'
              let org = orgs.get(key)
              if (!org) {
                org = createRecord(tx, ctx, 'organization', {
                  id: newId(),
                  name: r.organization,
                  acronym: null,
                  kind,
                  stateCode,
                  parentId: null,
                  website: null,
                  contactDetails: [],
                  externalId: null,
                  lastVerifiedAt: null,
                })
                orgs.set(key, org)
                tally.note('organizations', org.id, 'created')
              } else if (r.organizationKind && r.organizationKind !== org.kind) {
                org = updateRecord(tx, ctx, 'organization', org, { kind: r.organizationKind })
                orgs.set(key, org)
                tally.note('organizations', org.id, 'updated')
              } else {
                tally.note('organizations', org.id, 'unchanged')
              }
              conflicts.noteAll(org.id, 'the same organization', ORGANIZATION_KIND, row, r)

              // The tenure.
              const roleId = roleIds.get(r.role) as string
              let tenure = tenures.get(contact.id, roleId, org.id, r.startDate)
              if (!tenure) {
                const created = createRecord(tx, ctx, 'assignment', {
                  id: newId(),
                  contactId: contact.id,
                  roleId,
                  organizationId: org.id,
                  stateCode: org.stateCode,
                  startDate: r.startDate,
                  endDate: r.endDate ?? null,
                  endReason: null,
                  isPrimary: false,
                  succeededBy: null,
                  designationRef: null,
                  designationDate: null,
                })
                tenures.set(created)
                tally.note('assignments', created.id, 'created')
                tenure = created
              } else if (r.endDate && r.endDate !== tenure.endDate) {
                const updated = updateRecord(tx, ctx, 'assignment', tenure, { endDate: r.endDate })
                tenures.set(updated)
                tally.note('assignments', tenure.id, 'updated')
                tenure = updated
              } else {
                tally.note('assignments', tenure.id, 'unchanged')
              }
              conflicts.noteAll(tenure.id, 'the same assignment', END_DATE, row, r)
            }
          }),
        )
        if (conflicts.errors.length > 0) throw rowsRejected(conflicts.errors.sort((a, b) => a.row - b.row))
        if (outOfScope.length > 0) {
          throw forbidden(
            'The import would change people of states this token may not change; nothing was imported',
            outOfScope,
          )
        }
        if (dryRun) throw new DryRunRollback()
      },
      { behavior: 'immediate' },
    )
  // One large transaction: no checkpoint at its commit (it would copy the whole WAL into the
  // database before the response); it runs right after, once the response is on its way.
  const client = db.$client
  const autocheckpoint = client.pragma('wal_autocheckpoint', { simple: true }) as number
  client.pragma('wal_autocheckpoint = 0')
  // Index builds (see withoutSecondaryIndexes) sort in memory, not in temporary files; the
  // connection's setting comes back once the import is over.
  const tempStore = client.pragma('temp_store', { simple: true }) as number
  client.pragma('temp_store = memory')
  let committed = false
  try {
    apply()
    committed = true
  } catch (err) {
    if (!(err instanceof DryRunRollback)) throw err
  } finally {
    client.pragma(`wal_autocheckpoint = ${autocheckpoint}`)
    client.pragma(`temp_store = ${tempStore}`)
  }
  if (committed && autocheckpoint > 0) {
    setImmediate(() => {
      if (client.open) client.pragma('wal_checkpoint(PASSIVE)')
    })
  }
  return tally.result(dryRun)
}

/** The whole import: validate every row, check the token's states, then apply atomically. */
export function runImport(
  db: Db,
  ctx: WriteContext,
  parsed: ParsedRows,
  options: ImportOptions,
): ImportResult {
  const { valid, errors } = validateRows(db, parsed, options.seesRestricted)
  if (errors.length > 0) throw rowsRejected(errors)
  checkRowStates(options.limitedTo, valid)
  return applyRows(db, ctx, valid, options)
}
