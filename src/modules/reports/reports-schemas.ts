import { z } from 'zod'
import {
  BooleanString,
  Cursor,
  Id,
  INT32_MAX,
  int32,
  ListLimit,
  MAX_PAGE,
  NextCursor,
  StateCode,
  Timestamp,
} from '../../lib/schemas.js'
import { DERIVED_DISPLAY_NAME } from '../contacts/contacts-schemas.js'
import { ORGANIZATION_LIMITS } from '../organizations/organizations-schemas.js'
import { MAX_ROLE_KEY } from '../roles/roles-schemas.js'
import { MAX_STATE_NAME } from '../states/states-schemas.js'

const MAX_ROLES_PARAM = 1000
/** `roles` is a comma list within MAX_ROLES_PARAM characters: at most this many keys. */
const MAX_REQUIRED_ROLES = Math.ceil(MAX_ROLES_PARAM / 2)

export const CoverageQuery = z.strictObject({
  roles: z
    .string()
    .max(MAX_ROLES_PARAM)
    .optional()
    .describe('Comma list of required role keys (default national-poc)'),
  osce: BooleanString.optional().describe('Only OSCE participating States (true) or others'),
  state: StateCode.optional(),
  limit: ListLimit,
  cursor: Cursor.optional(),
})

export const Coverage = z
  .object({
    roles: z
      .array(z.string().max(MAX_ROLE_KEY))
      .max(MAX_REQUIRED_ROLES)
      .describe('The required role keys checked'),
    items: z
      .array(
        z.object({
          stateCode: StateCode,
          name: z.string().max(MAX_STATE_NAME),
          roles: z
            .array(
              z.object({
                role: z.string().max(MAX_ROLE_KEY).describe('Role key'),
                holders: int32(z.number().int().min(0).max(INT32_MAX)).describe('Current holders today'),
                vacant: z.boolean(),
              }),
            )
            .max(MAX_REQUIRED_ROLES),
        }),
      )
      .max(MAX_PAGE),
    nextCursor: NextCursor,
  })
  .meta({ id: 'Coverage' })

export const StaleQuery = z.strictObject({
  olderThan: z.iso
    .duration()
    .max(64)
    .describe('ISO 8601 duration, e.g. P12M, P1Y, P30D, PT2S')
    .default('P12M'),
  limit: ListLimit,
  cursor: Cursor.optional(),
})

export const Stale = z
  .object({
    items: z
      .array(
        z.object({
          entity: z.enum(['contact', 'organization']),
          id: Id,
          name: z
            .string()
            .max(Math.max(DERIVED_DISPLAY_NAME, ORGANIZATION_LIMITS.name))
            .describe("A contact's displayName or an organization's name"),
          lastVerifiedAt: Timestamp.nullable(),
        }),
      )
      .max(MAX_PAGE),
    nextCursor: NextCursor,
  })
  .meta({ id: 'StaleRecords' })
