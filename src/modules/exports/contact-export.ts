import { and, eq, inArray, isNull } from 'drizzle-orm'
import ICAL from 'ical.js'
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
import { lazy } from '../../lib/lazy.js'
import { isCurrent } from '../../lib/tenure.js'
import { IMPORT_COLUMNS, type ImportColumn } from '../imports/imports-schemas.js'

/**
 * Contacts out, in the shape the import takes (one row per person in a role), so an export
 * re-imports as unchanged; and as vCard 4.0 (RFC 6350) through ical.js. Readers without
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
export const csvLines = (rows: Row[]): string =>
  rows.length === 0 ? '' : csv().stringify(rows, { columns: [...IMPORT_COLUMNS] })

export function toVCard(contact: ContactRow, tenures: Tenure[], seeRestricted: boolean): string {
  const card = new ICAL.Component('vcard')
  card.addPropertyWithValue('version', '4.0')
  card.addPropertyWithValue('uid', `urn:uuid:${contact.id}`)
  card.addPropertyWithValue('fn', contact.displayName)
  const n = new ICAL.Property('n')
  n.setValue([contact.familyName, contact.givenName ?? '', '', contact.honorific ?? '', ''])
  card.addProperty(n)
  if (contact.nameOriginal && contact.nameOriginal !== contact.displayName) {
    card.addPropertyWithValue('nickname', contact.nameOriginal)
  }
  const current = tenures.find((t) => isCurrent(t.assignment.endDate)) ?? tenures[tenures.length - 1]
  if (current) card.addPropertyWithValue('org', current.organization.name)
  if (contact.positionTitle) card.addPropertyWithValue('title', contact.positionTitle)
  for (const d of visibleDetails(contact.contactDetails, seeRestricted)) {
    if (d.type === 'email') card.addPropertyWithValue('email', d.value)
    else if (d.type === 'phone' || d.type === 'mobile' || d.type === 'fax') {
      const tel = card.addPropertyWithValue('tel', `tel:${d.value}`)
      tel.setParameter('value', 'uri')
      tel.setParameter('type', d.type === 'phone' ? 'voice' : d.type === 'mobile' ? 'cell' : 'fax')
    } else if (d.type === 'website') card.addPropertyWithValue('url', d.value)
    else if (d.type === 'address') {
      const adr = new ICAL.Property('adr')
      adr.setParameter('label', d.value)
      adr.setValue(['', '', '', '', '', '', ''])
      card.addProperty(adr)
    }
  }
  contact.languages.forEach((lang, i) => {
    const p = card.addPropertyWithValue('lang', lang)
    p.setParameter('pref', String(i + 1))
  })
  if (seeRestricted && contact.notes) card.addPropertyWithValue('note', contact.notes)
  card.addPropertyWithValue('rev', contact.updatedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z'))
  return `${card.toString().replace(/\r?\n/g, '\r\n')}\r\n`
}
