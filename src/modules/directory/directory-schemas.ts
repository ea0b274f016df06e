import { z } from 'zod'
import {
  CalendarDate,
  Cursor,
  Id,
  ListLimit,
  ListQueryBase,
  listOf,
  MAX_PAGE,
  NextCursor,
  SearchQuery,
  StateCode,
} from '../../lib/schemas.js'
import { Assignment } from '../assignments/assignments-schemas.js'
import { Contact } from '../contacts/contacts-schemas.js'
import { Organization } from '../organizations/organizations-schemas.js'
import { Role } from '../roles/roles-schemas.js'
import { State } from '../states/states-schemas.js'

export const DirectoryQuery = z.strictObject({
  state: StateCode.optional().describe('The state whose PoCs to list'),
  organization: Id.optional().describe('An organization, e.g. an international body'),
  role: z.string().min(1).max(64).optional().describe('Role key or id'),
  asOf: CalendarDate.optional().describe('The holders on this day (default: today)'),
  q: SearchQuery.describe(
    'Holders for whom every word matches their contact or their organization (as q on /v1/contacts ' +
      'and /v1/organizations); the directory order stays',
  ),
  limit: ListLimit,
  cursor: Cursor.optional(),
})
export type DirectoryQuery = z.infer<typeof DirectoryQuery>

export const DirectoryEntry = z
  .object({ role: Role, organization: Organization, contact: Contact, assignment: Assignment })
  .meta({ id: 'DirectoryEntry' })

export const Directory = z
  .object({
    state: State.nullable(),
    organization: Organization.nullable(),
    asOf: CalendarDate,
    items: z.array(DirectoryEntry).max(MAX_PAGE),
    nextCursor: NextCursor,
  })
  .meta({ id: 'Directory' })

/** A contact's or an organization's tenures: paging only (no filters). */
export const TenuresQuery = z.strictObject({ ...ListQueryBase })

/** Tenures with what a page needs to name them: each a directory entry, current or ended. */
export const TenureList = listOf(DirectoryEntry, 'TenureList')
