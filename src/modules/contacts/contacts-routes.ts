import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Db } from '../../db/client.js'
import type { ContactRow } from '../../db/schema.js'
import { visibleDetails } from '../../lib/contact-details.js'
import { registerCrudRoutes } from '../../lib/crud-routes.js'
import { conflict, forbidden } from '../../lib/problem.js'
import { mustExist } from '../../lib/references.js'
import { Id } from '../../lib/schemas.js'
import { newId } from '../../lib/write-path.js'
import { csvHeader, csvLines, csvRowsOf, tenuresOf, toVCard } from '../exports/contact-export.js'
import { closeExports, exportStream } from '../exports/export-runner.js'
import { findOrganization } from '../organizations/organizations-repository.js'
import { findRoleByKeyOrId } from '../roles/roles-repository.js'
import { findState } from '../states/states-repository.js'
import { contactFields, contactToInput } from './contact-fields.js'
import {
  findContact,
  findContactByExternalId,
  hasCurrentAssignments,
  listContacts,
  mayChangeContact,
} from './contacts-repository.js'
import {
  Contact,
  ContactCreate,
  type ContactInput,
  ContactList,
  ContactListQuery,
  ContactPatch,
} from './contacts-schemas.js'

/** The contacts list with its filters resolved (an unknown state, organization or role is 400). */
export function listContactsFiltered(
  database: Db,
  { role, ...query }: ContactListQuery,
  seeRestricted: boolean,
) {
  if (query.state) mustExist(findState(database, query.state), 'query.state', 'state')
  if (query.organization) {
    mustExist(findOrganization(database, query.organization), 'query.organization', 'organization')
  }
  const roleId = role ? mustExist(findRoleByKeyOrId(database, role), 'query.role', 'role').id : undefined
  return listContacts(database, { ...query, roleId }, seeRestricted)
}

/**
 * Every matching contact (from the cursor on, 500 at a time) as CSV rows or vCards. The first
 * page is read at once, so a bad filter is a 400 before anything streams.
 */
export function exportContacts(
  database: Db,
  query: ContactListQuery,
  seeRestricted: boolean,
  format: 'csv' | 'vcard',
  onPage?: (contacts: ContactRow[]) => void,
): Iterable<string> {
  const first = listContactsFiltered(database, { ...query, limit: 500 }, seeRestricted)
  const render = (items: ContactRow[]) => {
    onPage?.(items)
    const tenures = tenuresOf(
      database,
      items.map((c) => c.id),
    )
    return format === 'csv'
      ? csvLines(items.flatMap((c) => csvRowsOf(c, tenures.get(c.id) ?? [], seeRestricted)))
      : items.map((c) => toVCard(c, tenures.get(c.id) ?? [], seeRestricted)).join('')
  }
  return (function* () {
    if (format === 'csv') yield csvHeader()
    let page = first
    yield render(page.items)
    while (page.nextCursor) {
      page = listContactsFiltered(database, { ...query, limit: 500, cursor: page.nextCursor }, seeRestricted)
      yield render(page.items)
    }
  })()
}

export function presentContact(row: ContactRow, seeRestricted: boolean) {
  const { deletedAt: _d, notes, ...rest } = row
  return {
    ...rest,
    contactDetails: visibleDetails(row.contactDetails, seeRestricted),
    ...(seeRestricted ? { notes } : {}),
  }
}

export const contactsRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.addHook('onClose', () => closeExports(db))
  registerCrudRoutes<'contact', ContactInput, ContactListQuery>(app, db, {
    entity: 'contact',
    basePath: '/v1/contacts',
    tag: 'Contacts',
    noun: 'contact',
    keyParam: Id,
    writeScope: 'directory:write',
    verifiable: true,
    schemas: {
      record: Contact,
      list: ContactList,
      create: ContactCreate,
      patch: ContactPatch,
      listQuery: ContactListQuery,
    },
    keyOf: (row) => row.id,
    find: findContact,
    list: listContactsFiltered,
    present: presentContact,
    exports: {
      list: {
        // Read and written by the export worker (off the request thread), streamed back.
        'text/csv': (database, query, seeRestricted, disclosed) =>
          exportStream(database, { what: 'contacts', query, seeRestricted, format: 'csv' }, disclosed),
        'text/vcard': (database, query, seeRestricted, disclosed) =>
          exportStream(database, { what: 'contacts', query, seeRestricted, format: 'vcard' }, disclosed),
      },
      read: {
        'text/vcard': (database, row, see) =>
          toVCard(row, tenuresOf(database, [row.id]).get(row.id) ?? [], see),
      },
    },
    toInput: contactToInput,
    prepare: (_tx, input, current) => contactFields(input, current?.id ?? newId(), current),
    // A contact belongs to no state until assigned; then to every state it was assigned in.
    authorize: (tx, principal, before) => {
      if (before && !mayChangeContact(tx, principal.states, before.id)) {
        throw forbidden('The contact has no assignment in the states this token may change')
      }
    },
    check: (tx, fields) => {
      if (fields.externalId === null) return
      const clash = findContactByExternalId(tx, fields.externalId)
      if (clash && clash.id !== fields.id)
        throw conflict(`externalId ${fields.externalId} belongs to another contact`)
    },
    beforeDelete: (tx, row) => {
      if (hasCurrentAssignments(tx, row.id)) {
        throw conflict('The contact holds current assignments; end or hand them over first')
      }
    },
  })
}
