import { z } from 'zod'
import { Cursor, Id, CalendarDate as IsoDate, ListLimit, StateCode } from '../../lib/schemas.js'

/** A calendar date; its length bound told to clients (and linters) too. */
const CalendarDate = IsoDate.meta({ minLength: 10, maxLength: 10 })

export const TrainedCoverageQuery = z.strictObject({
  state: StateCode.optional(),
  role: z.string().min(1).max(64).optional().describe('Role key or id'),
  period: z.iso
    .duration()
    .max(64)
    .default('P3Y')
    .describe('ISO 8601 duration: a completion counts when its event ended on or after today minus it'),
  limit: ListLimit,
  cursor: Cursor.optional(),
})

const Untrained = z.object({
  contactId: Id,
  displayName: z.string().max(500),
  assignmentId: Id.describe('The current assignment that makes the person a holder'),
  lastCompleted: CalendarDate.nullable().describe(
    'End date of the last event the person completed (before the period); null: never trained',
  ),
})

/** Bounds the contract states for a state's entry: far above any real directory (DESIGN's largest
 * benchmark state has 3,000 holders in all). */
const MAX_ROLES_LISTED = 1000
const MAX_HOLDERS_LISTED = 100_000

export const TrainedCoverage = z
  .object({
    period: z.string().max(64),
    since: CalendarDate.describe('Completions of events ending on or after this day count'),
    items: z
      .array(
        z.object({
          stateCode: StateCode,
          name: z.string().max(200),
          roles: z
            .array(
              z.object({
                role: z.string().max(64).describe('Role key'),
                holders: z.number().int().min(0).meta({ format: 'int32' }).describe('Current holders today'),
                trained: z
                  .number()
                  .int()
                  .min(0)
                  .meta({ format: 'int32' })
                  .describe('Holders who completed training within the period'),
                untrained: z
                  .array(Untrained)
                  .max(MAX_HOLDERS_LISTED)
                  .describe('Holders to invite: never trained, or not within the period'),
              }),
            )
            .max(MAX_ROLES_LISTED),
        }),
      )
      .max(500),
    nextCursor: z.string().max(512).nullable(),
  })
  .meta({ id: 'TrainedCoverage' })
