import { and, eq, inArray, isNull } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import {
  type AssignmentRow,
  assignments,
  type ContactRow,
  type OrganizationRow,
  organizations,
  type RoleRow,
  roles,
} from '../../db/schema.js'
import { visibleDetails } from '../../lib/contact-details.js'
import { protectCell } from '../../lib/csv-cells.js'
import { lazy } from '../../lib/lazy.js'
import { isCurrent } from '../../lib/tenure.js'
import { IMPORT_COLUMNS, type ImportColumn } from '../imports/imports-schemas.js'

/**
 * Contacts out, in the shape the import takes (one row per person in a role), so an export
 * re-imports as unchanged; and as vCard 4.0 (RFC 6350). Readers without
 * directory:read get public details only and no notes.
 */

export interface Tenure {
  assignment: AssignmentRow
  organization: OrganizationRow
  role: RoleRow
}

/** Live tenures of a batch of contacts, with organization and role, in one query. */
export function tenuresOf(db: Db, contactIds: string[]): Map<string, Tenure[]> {
  const byContact = new Map<string, Tenure[]>()
  if (contactIds.length === 0) return byContact
  const rows = db
    .select({ assignment: assignments, organization: organizations, role: roles })
    .from(assignments)
    .innerJoin(organizations, eq(organizations.id, assignments.organizationId))
    .innerJoin(roles, eq(roles.id, assignments.roleId))
    .where(and(inArray(assignments.contactId, contactIds), isNull(assignments.deletedAt)))
    .orderBy(assignments.startDate, assignments.id)
    .all()
  for (const r of rows) {
    const list = byContact.get(r.assignment.contactId) ?? []
    list.push(r)
    byContact.set(r.assignment.contactId, list)
  }
  return byContact
}

type Row = Partial<Record<ImportColumn, string>>

export function csvRowsOf(contact: ContactRow, tenures: Tenure[], seeRestricted: boolean): Row[] {
  const details = visibleDetails(contact.contactDetails, seeRestricted)
  const email = details.find((d) => d.type === 'email')
  const phone = details.find((d) => d.type === 'phone' || d.type === 'mobile')
  const person: Row = {
    // Without an externalId the record id keys the person, so a re-import matches it.
    externalId: contact.externalId ?? contact.id,
    honorific: contact.honorific ?? '',
    givenName: contact.givenName ?? '',
    familyName: contact.familyName,
    nameOriginal: contact.nameOriginal ?? '',
    positionTitle: contact.positionTitle ?? '',
    email: email?.value ?? '',
    phone: phone?.value ?? '',
    emailVisibility: email?.visibility ?? '',
    phoneVisibility: phone?.visibility ?? '',
  }
  if (tenures.length === 0) return [person]
  return tenures.map(({ assignment, organization, role }) => ({
    ...person,
    stateCode: assignment.stateCode ?? '',
    organization: organization.name,
    organizationKind: organization.kind,
    role: role.key,
    startDate: assignment.startDate,
    endDate: assignment.endDate ?? '',
  }))
}

const csv = lazy<typeof import('csv-stringify/sync')>('csv-stringify/sync')

export const csvHeader = (): string => csv().stringify([[...IMPORT_COLUMNS]])

/** Rows as CSV lines; every cell that would start a spreadsheet formula is protected. */
export const csvLines = (rows: Row[]): string =>
  rows.length === 0
    ? ''
    : csv().stringify(rows.map((row) => IMPORT_COLUMNS.map((c) => protectCell(row[c] ?? ''))))

/**
 * vCard values, escaped so that no value can end its line or start a property or a card:
 * every line break a lenient reader might split on (CRLF, CR, LF, and VT, FF, FS, GS, RS, NEL,
 * U+2028 and U+2029, which Python's splitlines and JavaScript's `m` regexes count as line ends)
 * becomes the escape `\n`; `\`, `,` and `;` are escaped (RFC 6350 section 3.4); other control
 * characters, which vCard text may not hold, are left out; tab stays.
 */
const LINE_BREAKS = new Set([
  '\r\n',
  '\n',
  '\v',
  '\f',
  '\r',
  '\x1c',
  '\x1d',
  '\x1e',
  '\x85',
  '\u2028',
  '\u2029',
])
const TEXT_SPECIALS = /\r\n|[\p{Cc}\u2028\u2029\\,;]/gu
const PARAM_SPECIALS = /\r\n|[\p{Cc}\u2028\u2029^"]/gu
const NOT_IN_URI = /[\p{Cc}\u2028\u2029 "<>\\^`{|}]/gu

const text = (value: string): string =>
  value.replace(TEXT_SPECIALS, (c) =>
    c === '\\' || c === ',' || c === ';' ? `\\${c}` : c === '\t' ? c : LINE_BREAKS.has(c) ? '\\n' : '',
  )

/** A parameter value (RFC 6868: `^n`, `^^`, `^'`), quoted when it holds `:`, `;` or `,`. */
function param(value: string): string {
  const escaped = value.replace(PARAM_SPECIALS, (c) =>
    c === '^' ? '^^' : c === '"' ? "^'" : c === '\t' ? c : LINE_BREAKS.has(c) ? '^n' : '',
  )
  return /[:;,]/.test(escaped) ? `"${escaped}"` : escaped
}

/** A URI value: characters a URI cannot hold are percent-encoded (a URI is not backslash-escaped). */
const uri = (value: string): string => value.replace(NOT_IN_URI, encodeURIComponent)

/**
 * One content line, folded (RFC 6350 section 3.2) so that no physical line exceeds 75 octets:
 * continuation lines start with a space; a fold never splits a character or an escape.
 */
function contentLine(name: string, params: [string, string][], value: string): string {
  const line = `${name}${params.map(([k, v]) => `;${k}=${param(v)}`).join('')}:${value}`
  if (line.length <= 25 || (line.length <= 75 && Buffer.byteLength(line) <= 75)) return `${line}\r\n`
  let out = ''
  let start = 0
  let bytes = 0
  for (let i = 0; i < line.length; ) {
    const code = line.charCodeAt(i)
    const next = line.charCodeAt(i + 1)
    // A unit a fold never splits: an escape (a backslash and its ASCII letter), a surrogate pair,
    // or one character; its UTF-8 size.
    let width = 1
    let size = code < 0x80 ? 1 : code < 0x800 ? 2 : 3
    if (code === 0x5c && next < 0x80) [width, size] = [2, 2]
    else if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) [width, size] = [2, 4]
    if (bytes + size > 75) {
      out += `${line.slice(start, i)}\r\n `
      start = i
      bytes = 1
    }
    bytes += size
    i += width
  }
  return `${out}${line.slice(start)}\r\n`
}

/** vCard 4.0 (RFC 6350) of a contact; readers without directory:read get public details only. */
export function toVCard(contact: ContactRow, tenures: Tenure[], seeRestricted: boolean): string {
  const lines: string[] = []
  const add = (name: string, value: string, params: [string, string][] = []) =>
    lines.push(contentLine(name, params, value))
  add('VERSION', '4.0')
  add('UID', uri(`urn:uuid:${contact.id}`))
  add('FN', text(contact.displayName))
  add('N', [contact.familyName, contact.givenName ?? '', '', contact.honorific ?? '', ''].map(text).join(';'))
  if (contact.nameOriginal && contact.nameOriginal !== contact.displayName) {
    add('NICKNAME', text(contact.nameOriginal))
  }
  const current = tenures.find((t) => isCurrent(t.assignment.endDate)) ?? tenures[tenures.length - 1]
  if (current) add('ORG', text(current.organization.name))
  if (contact.positionTitle) add('TITLE', text(contact.positionTitle))
  for (const d of visibleDetails(contact.contactDetails, seeRestricted)) {
    if (d.type === 'email') add('EMAIL', text(d.value))
    else if (d.type === 'phone' || d.type === 'mobile' || d.type === 'fax') {
      const type = d.type === 'phone' ? 'voice' : d.type === 'mobile' ? 'cell' : 'fax'
      add('TEL', uri(`tel:${d.value}`), [
        ['VALUE', 'uri'],
        ['TYPE', type],
      ])
    } else if (d.type === 'website') add('URL', uri(d.value))
    else if (d.type === 'address') add('ADR', ';;;;;;', [['LABEL', d.value]])
  }
  contact.languages.forEach((lang, i) => {
    add('LANG', text(lang), [['PREF', String(i + 1)]])
  })
  if (seeRestricted && contact.notes) add('NOTE', text(contact.notes))
  add('REV', contact.updatedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z'))
  return `BEGIN:VCARD\r\n${lines.join('')}END:VCARD\r\n`
}
