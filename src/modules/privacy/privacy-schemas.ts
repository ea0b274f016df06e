import { z } from 'zod'
import { Cursor, Id, StateCode, Timestamp } from '../../lib/schemas.js'
import { Assignment } from '../assignments/assignments-schemas.js'
import { Correction } from '../campaigns/campaigns-schemas.js'
import { Contact } from '../contacts/contacts-schemas.js'
import { Revision } from '../revisions/revisions-schemas.js'
import { Participation, TrainingEvent } from '../training/training-schemas.js'

/** A timestamp with its length bounded (the contract's string-limit rule). */
const At = Timestamp.max(40)

export const EraseBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .describe(
        'Why the person is erased (their request, the end of the purpose); kept in the erase revision',
      ),
  })
  .meta({ id: 'EraseRequest', example: { reason: 'Request of the person, letter of 2026-11-30' } })

export const AccessLogEntry = z
  .object({
    id: z.number().int().min(1).meta({ format: 'int64' }),
    at: At,
    reader: z.string().max(200).describe('The token subject that read'),
    method: z.string().max(10),
    route: z.string().max(200).describe('The route pattern, e.g. /v1/contacts/:id'),
    requestId: z.string().max(128).describe('x-request-id of the read'),
    contactIds: z.array(Id).max(100_000).describe('Whose restricted details or notes the answer carried'),
  })
  .meta({ id: 'AccessLogEntry' })
export const AccessLogList = z
  .object({
    items: z.array(AccessLogEntry).max(500),
    nextCursor: Cursor.nullable().describe('Pass as ?cursor= to get the next page'),
  })
  .meta({ id: 'AccessLogList' })

export const AccessLogQuery = z
  .strictObject({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(500)
      .default(50)
      .meta({ format: 'int32' })
      .describe('Page size, 1..500 (default 50)'),
    cursor: Cursor.optional(),
    contact: Id.optional().describe('Entries that disclosed this contact'),
    reader: z.string().min(1).max(200).optional().describe('Entries of this token subject'),
    from: At.optional().describe('Entries at or after this instant'),
    to: At.optional().describe('Entries before this instant'),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'must be after from', path: ['to'] })
export type AccessLogQuery = z.infer<typeof AccessLogQuery>

export const PersonalData = z
  .object({
    contactId: Id,
    generatedAt: At,
    erased: z.boolean().describe('Whether the person is erased: nothing was written since their last erase'),
    deletedAt: At.nullable().describe('When the record was deleted; null when it is live'),
    record: Contact.describe('The record with notes and restricted details'),
    tenures: z.array(Assignment).max(10_000).describe('Every live assignment, oldest first'),
    history: z.array(Revision).max(100_000).describe("The record's revisions, oldest first"),
    accessLog: z.array(AccessLogEntry).max(100_000).describe('Who read their restricted data, oldest first'),
    training: z
      .array(
        z.object({
          event: TrainingEvent,
          participation: Participation,
          post: z
            .object({
              assignmentId: Id,
              role: z.string().max(200),
              organization: z.string().max(400),
              stateCode: StateCode.nullable(),
            })
            .nullable()
            .describe('The post held at the event; null when none was recorded'),
        }),
      )
      .max(10_000)
      .describe('Their live participations in live training events, with notes, oldest event first'),
    campaigns: z
      .array(
        z.object({
          campaignId: Id,
          title: z.string().max(200),
          issuedAt: At,
          expiresAt: At,
          outcome: z.enum(['confirmed', 'corrected']).nullable(),
          answeredAt: At.nullable(),
          corrections: z.array(Correction).max(100).describe('What they proposed through the link'),
        }),
      )
      .max(10_000)
      .describe('Their verification-campaign links (never the token) and what they answered, oldest first'),
  })
  .meta({ id: 'PersonalData' })

export const PrivacyNotice = z
  .object({
    controller: z
      .string()
      .max(500)
      .nullable()
      .describe('Who controls the personal data (PRIVACY_CONTROLLER)'),
    contact: z.string().max(500).nullable().describe('Where to ask about it (PRIVACY_CONTACT)'),
    purpose: z.string().max(2000).describe('Why it is held (PRIVACY_PURPOSE)'),
    retention: z
      .object({
        endedTenureMonths: z
          .number()
          .int()
          .min(1)
          .max(1200)
          .meta({ format: 'int32' })
          .nullable()
          .describe(
            'People are erased this many months after their last tenure ended; null: not automatically',
          ),
        accessLogDays: z.number().int().min(1).max(36500).meta({ format: 'int32' }),
      })
      .describe('How long data is kept'),
    text: z
      .string()
      .max(100_000)
      .nullable()
      .describe('The full notice (PRIVACY_NOTICE_FILE), when configured'),
  })
  .meta({ id: 'PrivacyNotice' })
