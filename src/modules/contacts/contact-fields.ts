import type { ContactRow } from '../../db/schema.js'
import { toLatin } from '../../lib/search-text.js'
import type { ContactInput } from './contacts-schemas.js'

/**
 * A contact's stored fields from its input and back, shared by the contacts API and the bulk
 * writes (imports, campaign corrections). In a module of its own so the import worker loads it
 * without the routes.
 */

const deriveDisplayName = (given: string | null | undefined, family: string) =>
  given ? `${given} ${family}` : family
const deriveLatin = (nameOriginal: string | null, displayName: string) => toLatin(nameOriginal ?? displayName)

/** The stored contact as a create body; derived names are left out so a change to their source re-derives them. */
export function contactToInput(row: ContactRow): ContactInput {
  const derivedDisplay = deriveDisplayName(row.givenName, row.familyName)
  return {
    honorific: row.honorific,
    givenName: row.givenName,
    familyName: row.familyName,
    displayName: row.displayName === derivedDisplay ? undefined : row.displayName,
    nameOriginal: row.nameOriginal,
    nameLatin: row.nameLatin === deriveLatin(row.nameOriginal, row.displayName) ? undefined : row.nameLatin,
    positionTitle: row.positionTitle,
    languages: row.languages,
    contactDetails: row.contactDetails,
    notes: row.notes,
    externalId: row.externalId,
  }
}

/** Validated input to stored fields, deriving displayName and nameLatin when absent. */
export function contactFields(input: ContactInput, id: string, current: ContactRow | undefined) {
  const displayName = input.displayName ?? deriveDisplayName(input.givenName, input.familyName)
  const nameOriginal = input.nameOriginal ?? null
  return {
    id,
    honorific: input.honorific ?? null,
    givenName: input.givenName ?? null,
    familyName: input.familyName,
    displayName,
    nameOriginal,
    nameLatin: input.nameLatin ?? deriveLatin(nameOriginal, displayName),
    positionTitle: input.positionTitle ?? null,
    languages: [...new Set(input.languages ?? [])],
    contactDetails: input.contactDetails ?? [],
    notes: input.notes ?? null,
    externalId: input.externalId ?? null,
    lastVerifiedAt: current?.lastVerifiedAt ?? null,
  }
}
