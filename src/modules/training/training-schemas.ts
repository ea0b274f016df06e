import { z } from 'zod'
import {
  Bookkeeping,
  Cursor,
  Id,
  CalendarDate as IsoDate,
  ListLimit,
  ListQueryBase,
  listOf,
  NameText,
  patchOf,
  StateCode,
  UpdatedSince,
} from '../../lib/schemas.js'
import { LanguageTag } from '../contacts/contacts-schemas.js'

/** A calendar date; its length bound told to clients (and linters) too. */
const CalendarDate = IsoDate.meta({ minLength: 10, maxLength: 10 })

export const TrainingKind = z
  .enum(['regional-course', 'specialised-course', 'national-roundtable', 'workshop', 'e-learning', 'other'])
  .describe('What sort of training it is')

export const ParticipationStatus = z
  .enum(['invited', 'attended', 'completed', 'no-show'])
  .describe('Only `completed` counts as trained in the trained-coverage report')

const trainingEventFields = {
  title: NameText(300),
  kind: TrainingKind,
  organisers: z
    .array(NameText(200))
    .max(20)
    .optional()
    .describe('Who ran it (OSCE, UNODA, the 1540 Committee…)'),
  hostStateCode: StateCode.nullable()
    .optional()
    .describe(
      'The state that hosted it; null for regional or online events (then only unlimited tokens write it)',
    ),
  location: NameText(300).nullable().optional(),
  startDate: CalendarDate,
  endDate: CalendarDate.describe('Last day of the event (the day a completed participation counts from)'),
  languages: z.array(LanguageTag).max(20).optional(),
  description: z.string().trim().min(1).max(10_000).nullable().optional(),
  externalRef: NameText(200).nullable().optional().describe("The organiser's reference for the event"),
}

export const TrainingEventCreate = z
  .strictObject(trainingEventFields)
  .refine((e) => e.endDate >= e.startDate, { path: ['endDate'], message: 'must not be before startDate' })
  .meta({
    id: 'TrainingEventCreate',
    example: {
      title: 'National round table on UNSCR 1540 implementation',
      kind: 'national-roundtable',
      organisers: ['OSCE Conflict Prevention Centre', 'UNODA'],
      hostStateCode: 'KG',
      location: 'Bishkek',
      startDate: '2025-09-16',
      endDate: '2025-09-17',
      languages: ['ru', 'en'],
    },
  })
export const TrainingEventPatch = patchOf(trainingEventFields, 'TrainingEventPatch')
export type TrainingEventInput = z.infer<typeof TrainingEventCreate>

export const TrainingEvent = z
  .object({
    id: Id,
    title: z.string().max(300),
    kind: TrainingKind,
    organisers: z.array(z.string().max(200)).max(20),
    hostStateCode: StateCode.nullable(),
    location: z.string().max(300).nullable(),
    startDate: CalendarDate,
    endDate: CalendarDate,
    languages: z.array(z.string().max(35)).max(20),
    description: z.string().max(10_000).nullable(),
    externalRef: z.string().max(200).nullable(),
    ...Bookkeeping,
  })
  .meta({ id: 'TrainingEvent' })
export const TrainingEventList = listOf(TrainingEvent, 'TrainingEventList')

export const TrainingEventListQuery = z.strictObject({
  ...ListQueryBase,
  hostState: StateCode.optional().describe('Events hosted by this state'),
  kind: TrainingKind.optional(),
  from: CalendarDate.optional().describe('Events ending on or after this day'),
  to: CalendarDate.optional().describe('Events starting on or before this day'),
  updatedSince: UpdatedSince,
})
export type TrainingEventListQuery = z.infer<typeof TrainingEventListQuery>

const participationFields = {
  eventId: Id,
  contactId: Id,
  assignmentId: Id.nullable()
    .optional()
    .describe(
      "The post the person held at the event; absent or null: the contact's assignment held on the event's start date",
    ),
  status: ParticipationStatus,
  certificateRef: NameText(200).nullable().optional(),
  notes: z.string().max(10_000).nullable().optional().describe('Restricted: needs directory:read'),
}

export const ParticipationCreate = z.strictObject(participationFields).meta({
  id: 'ParticipationCreate',
  example: {
    eventId: '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e60',
    contactId: '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f',
    status: 'completed',
    certificateRef: 'RC-2025-017',
  },
})
export const ParticipationPatch = patchOf(participationFields, 'ParticipationPatch')
export type ParticipationInput = z.infer<typeof ParticipationCreate>

export const Participation = z
  .object({
    id: Id,
    eventId: Id,
    contactId: Id,
    assignmentId: Id.nullable().describe('The post held at the time; kept as it was after a handover'),
    status: ParticipationStatus,
    certificateRef: z.string().max(200).nullable(),
    notes: z
      .string()
      .max(10_000)
      .nullable()
      .optional()
      .describe('Present only for readers with directory:read'),
    ...Bookkeeping,
  })
  .meta({ id: 'Participation' })
export const ParticipationList = listOf(Participation, 'ParticipationList')

export const ParticipationListQuery = z.strictObject({
  ...ListQueryBase,
  event: Id.optional().describe("An event's participants"),
  contact: Id.optional().describe("A person's participations"),
  status: ParticipationStatus.optional(),
  updatedSince: UpdatedSince,
})
export type ParticipationListQuery = z.infer<typeof ParticipationListQuery>

export const TrainingRecordQuery = z.strictObject({ limit: ListLimit, cursor: Cursor.optional() })

export const TrainingRecord = z
  .object({
    items: z
      .array(z.object({ event: TrainingEvent, participation: Participation }))
      .max(500)
      .describe('Newest event first'),
    nextCursor: z.string().max(512).nullable(),
  })
  .meta({ id: 'TrainingRecord', description: "A person's training: each participation with its event" })

export const ATTENDANCE_COLUMNS = [
  'externalId',
  'email',
  'familyName',
  'status',
  'certificateRef',
  'notes',
] as const

export const AttendanceQuery = z.strictObject({
  dryRun: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('Validate and report what would change, writing nothing'),
})

export const AttendanceResult = z
  .object({
    dryRun: z.boolean(),
    created: z.number().int().min(0).meta({ format: 'int32' }).describe('Participations recorded'),
    updated: z.number().int().min(0).meta({ format: 'int32' }),
    unchanged: z.number().int().min(0).meta({ format: 'int32' }),
  })
  .meta({ id: 'AttendanceResult' })
export type AttendanceResult = z.infer<typeof AttendanceResult>
