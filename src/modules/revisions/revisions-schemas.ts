import { z } from 'zod'
import { Cursor, Timestamp } from '../../lib/schemas.js'

export const EntityName = z.enum(['state', 'organization', 'role', 'contact', 'assignment'])

export const Revision = z
  .object({
    seq: z.number().int().describe('Position in the change feed; strictly increasing'),
    at: Timestamp,
    actor: z.string().describe('The token subject that made the change'),
    action: z.enum(['create', 'update', 'delete', 'erase']),
    entity: EntityName,
    entityId: z.string(),
    requestId: z.string(),
    version: z.number().int().min(1).describe("The record's version after this change (1 for its create)"),
    changes: z
      .record(z.string(), z.object({ before: z.unknown(), after: z.unknown() }))
      .describe('Changed fields; on create every field (before null); empty on delete'),
  })
  .meta({ id: 'Revision' })

export const RevisionList = z
  .object({ items: z.array(Revision), nextCursor: z.string().nullable() })
  .meta({ id: 'RevisionList' })

export const HistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('Page size, 1..500 (default 50)'),
  cursor: Cursor.optional(),
})

export const ChangesQuery = z.strictObject({
  after: z
    .string()
    .regex(/^(\d{1,15}|latest)$/, 'must be a sequence number (0 or more) or latest')
    .transform((v) => (v === 'latest' ? ('latest' as const) : Number(v)))
    .default(0)
    .describe(
      'Return changes with seq greater than this; 0 for the beginning; latest answers no items and ' +
        "the feed's head as nextAfter, so a partner can start mirroring from now",
    ),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Page size, 1..1000 (default 100)'),
})

export const ChangeFeed = z
  .object({
    items: z.array(Revision),
    nextAfter: z.number().int().describe('Pass as ?after= for the next page (the last seq seen)'),
  })
  .meta({ id: 'ChangeFeed' })
