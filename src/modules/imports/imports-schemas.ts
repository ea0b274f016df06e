import { z } from 'zod'
import {
  BooleanString,
  CalendarDate,
  INT32_MAX,
  int32,
  NameText,
  StateCode,
  Visibility,
} from '../../lib/schemas.js'
import { OrganizationKind } from '../organizations/organizations-schemas.js'

/** The spreadsheet columns, in export order. */
export const IMPORT_COLUMNS = [
  'stateCode',
  'organization',
  'organizationKind',
  'role',
  'externalId',
  'honorific',
  'givenName',
  'familyName',
  'nameOriginal',
  'positionTitle',
  'email',
  'phone',
  'startDate',
  'endDate',
  'emailVisibility',
  'phoneVisibility',
] as const
export type ImportColumn = (typeof IMPORT_COLUMNS)[number]

const text = (max: number) => z.string().trim().min(1).max(max)
// Names and titles refuse control characters other than tab and newline (NameText), as the
// contacts and organizations APIs do: a bad cell is a 422 row error like any other.

/**
 * One directory row after empty cells were dropped (an empty cell means "not given").
 * A row without organization, role and startDate only upserts the person. It names the person by
 * externalId (or the record id an export writes there) or, for a token that may read restricted
 * values, by email; a token without directory:read may not use an email as a key (it would tell
 * whether a restricted address exists).
 */
function importRow(matchByEmail: boolean) {
  return z
    .strictObject({
      stateCode: StateCode.optional(),
      organization: NameText(300).optional(),
      organizationKind: OrganizationKind.optional(),
      role: text(60).optional(),
      externalId: text(200).optional(),
      honorific: NameText(40).optional(),
      givenName: NameText(200).optional(),
      familyName: NameText(200),
      nameOriginal: NameText(400).optional(),
      positionTitle: NameText(300).optional(),
      email: z
        .email('is not a valid email address')
        .max(320)
        .transform((e) => e.toLowerCase())
        .optional(),
      phone: text(60).optional(),
      startDate: CalendarDate.optional(),
      endDate: CalendarDate.optional(),
      emailVisibility: Visibility.optional(),
      phoneVisibility: Visibility.optional(),
    })
    .superRefine((r, ctx) => {
      const tenure = [r.organization, r.role, r.startDate].filter((v) => v !== undefined).length
      if (tenure !== 0 && tenure !== 3) {
        for (const field of ['organization', 'role', 'startDate'] as const) {
          if (r[field] === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message: 'is required when organization, role or startDate is given',
            })
          }
        }
      }
      if (r.externalId === undefined && (r.email === undefined || !matchByEmail)) {
        // Without a key the same row would create the same person again on every import.
        ctx.addIssue({
          code: 'custom',
          path: ['externalId'],
          message: matchByEmail
            ? 'give externalId or email to identify the person'
            : 'give externalId (or the record id) to identify the person; without directory:read an email is not a match key',
        })
      }
      if (r.endDate && r.startDate && r.endDate < r.startDate) {
        ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'must not be before startDate' })
      }
      const kind = r.organizationKind ?? (r.stateCode ? 'government' : undefined)
      if (r.organization && kind === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['organizationKind'],
          message: 'is required for rows without a stateCode',
        })
      }
      if ((kind === 'international' || kind === 'regional') && r.stateCode) {
        ctx.addIssue({
          code: 'custom',
          path: ['stateCode'],
          message: `must be empty for ${kind} organizations`,
        })
      }
      if (kind === 'government' && !r.stateCode) {
        ctx.addIssue({
          code: 'custom',
          path: ['stateCode'],
          message: 'is required for government organizations',
        })
      }
    })
}

/** A row of an import by a token that may read restricted values (people matched by email too). */
export const ImportRow = importRow(true)
/** A row of an import by a token without directory:read (people matched by externalId or id only). */
export const ImportRowByKey = importRow(false)
export type ImportRow = z.infer<typeof ImportRow>

export const ImportQuery = z.strictObject({
  dryRun: BooleanString.optional().describe('Validate and report what would change, writing nothing'),
})

const Count = int32(z.number().int().min(0).max(INT32_MAX))
const Counts = z.object({ organizations: Count, contacts: Count, assignments: Count })

export const ImportResult = z
  .object({ dryRun: z.boolean(), created: Counts, updated: Counts, unchanged: Counts })
  .meta({ id: 'ImportResult' })
export type ImportResult = z.infer<typeof ImportResult>
