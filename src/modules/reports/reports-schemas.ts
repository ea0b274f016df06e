import { z } from 'zod'
import { BooleanString, Cursor, Id, ListLimit, StateCode, Timestamp } from '../../lib/schemas.js'

export const CoverageQuery = z.strictObject({
  roles: z.string().max(1000).optional().describe('Comma list of required role keys (default national-poc)'),
  osce: BooleanString.optional().describe('Only OSCE participating States (true) or others'),
  state: StateCode.optional(),
  limit: ListLimit,
  cursor: Cursor.optional(),
})

export const Coverage = z
  .object({
    roles: z.array(z.string()).describe('The required role keys checked'),
    items: z.array(
      z.object({
        stateCode: StateCode,
        name: z.string(),
        roles: z.array(
          z.object({
            role: z.string().describe('Role key'),
            holders: z.number().int().describe('Current holders today'),
            vacant: z.boolean(),
          }),
        ),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'Coverage' })

export const StaleQuery = z.strictObject({
  olderThan: z.iso.duration().describe('ISO 8601 duration, e.g. P12M, P1Y, P30D, PT2S').default('P12M'),
  limit: ListLimit,
  cursor: Cursor.optional(),
})

export const Stale = z
  .object({
    items: z.array(
      z.object({
        entity: z.enum(['contact', 'organization']),
        id: Id,
        name: z.string(),
        lastVerifiedAt: Timestamp.nullable(),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'StaleRecords' })
