import { z } from 'zod'
import {
  BooleanString,
  Cursor,
  int32,
  MAX_PAGE,
  MAX_REQUEST_ID_LENGTH,
  MAX_SUBJECT_LENGTH,
  NextCursor,
  Timestamp,
} from '../../lib/schemas.js'
import { Assignment } from '../assignments/assignments-schemas.js'
import { Campaign } from '../campaigns/campaigns-schemas.js'
import { Contact, DERIVED_DISPLAY_NAME } from '../contacts/contacts-schemas.js'
import { Organization } from '../organizations/organizations-schemas.js'
import { Role } from '../roles/roles-schemas.js'
import { State } from '../states/states-schemas.js'
import { Participation, TrainingEvent } from '../training/training-schemas.js'

const MAX_FEED_PAGE = 1000

export const EntityName = z.enum([
  'state',
  'organization',
  'role',
  'contact',
  'assignment',
  'training-event',
  'participation',
  'campaign',
])

const BOOKKEEPING = new Set(['version', 'createdAt', 'updatedAt', 'deletedAt'])

const bare = (field: z.ZodType): z.ZodType => {
  if (field instanceof z.ZodOptional || field instanceof z.ZodNullable)
    return bare(field.unwrap() as z.ZodType)
  return field
}

/**
 * A revision's `changes` for one entity: each stored field of the record (bookkeeping aside)
 * may appear, as its value before and after (null when absent: before a create).
 */
function changesOf(record: z.ZodObject, name: string) {
  const fields = Object.entries(record.shape).filter(([field]) => !BOOKKEEPING.has(field))
  return z
    .strictObject(
      Object.fromEntries(
        fields.map(([field, type]) => {
          const value = bare(type as z.ZodType).nullable()
          return [field, z.strictObject({ before: value, after: value }).optional()]
        }),
      ),
    )
    .meta({
      id: `${name}Changes`,
      description:
        'Changed fields, each { before, after }; on create every field (before null); empty on delete',
    })
}

const ENTITIES = [
  ['state', State, 'State'],
  ['organization', Organization, 'Organization'],
  ['role', Role, 'Role'],
  ['contact', Contact, 'Contact'],
  ['assignment', Assignment, 'Assignment'],
  ['training-event', TrainingEvent, 'TrainingEvent'],
  ['participation', Participation, 'Participation'],
  ['campaign', Campaign, 'Campaign'],
] as const

const revisionOf = <E extends z.infer<typeof EntityName>>(entity: E, record: z.ZodObject, name: string) =>
  z
    .object({
      seq: z
        .number()
        .int()
        .min(1)
        .meta({ format: 'int64' })
        .describe('Position in the change feed; strictly increasing'),
      at: Timestamp,
      actor: z.string().max(MAX_SUBJECT_LENGTH).describe('The token subject that made the change'),
      // Only people are erased: the other entities' revisions never carry `erase`.
      action:
        entity === 'contact'
          ? z
              .enum(['create', 'update', 'delete', 'erase'])
              .describe(
                'erase: the personal fields of the contact were erased here and in its earlier ' +
                  'revisions; erase your copies (docs/partner-sync.md)',
              )
          : z.enum(['create', 'update', 'delete']),
      reason: z
        .string()
        .max(2000)
        .optional()
        .describe('Why an erase was made; present on erase revisions for readers with directory:read'),
      entity: z.literal(entity),
      entityId: z.string().max(64).describe("The record's id (a state's code)"),
      requestId: z
        .string()
        .max(MAX_REQUEST_ID_LENGTH)
        .describe('x-request-id of the request that made the change'),
      version: z
        .number()
        .int()
        .min(1)
        .meta({ format: 'int64' })
        .describe("The record's version after this change (1 for its create)"),
      changes: changesOf(record, name),
    })
    .meta({ id: `${name}Revision` })

export const Revision = z
  .discriminatedUnion(
    'entity',
    ENTITIES.map(([entity, record, name]) => revisionOf(entity, record as unknown as z.ZodObject, name)) as [
      ReturnType<typeof revisionOf>,
      ...ReturnType<typeof revisionOf>[],
    ],
  )
  .meta({
    id: 'Revision',
    description: 'One write: its actor, time, request and the fields before and after',
    discriminator: {
      propertyName: 'entity',
      mapping: Object.fromEntries(
        ENTITIES.map(([entity, , name]) => [entity, `#/components/schemas/${name}Revision`]),
      ),
    },
  } as never)

export type PresentedRevision = z.output<typeof Revision>

export const RevisionList = z
  .object({ items: z.array(Revision).max(MAX_PAGE), nextCursor: NextCursor })
  .meta({ id: 'RevisionList' })

export const HistoryQuery = z.strictObject({
  limit: int32(z.coerce.number().int().min(1).max(MAX_PAGE))
    .default(50)
    .describe('Page size, 1..500 (default 50)'),
  cursor: Cursor.optional(),
})

export const ChangesQuery = z.strictObject({
  after: z
    .string()
    .regex(/^(\d{1,15}|latest)$/, 'must be a sequence number (0 or more) or latest')
    .transform((v) => (v === 'latest' ? ('latest' as const) : Number(v)))
    .default(0)
    // The wire carries text; the contract says what the text must be: a seq or `latest`.
    .meta({
      type: undefined,
      pattern: undefined,
      default: 0,
      anyOf: [
        { type: 'integer', format: 'int64', minimum: 0, maximum: 999_999_999_999_999 },
        { type: 'string', const: 'latest' },
      ],
    } as never)
    .describe(
      'Return changes with seq greater than this; 0 for the beginning; latest answers no items and ' +
        "the feed's head as nextAfter, so a partner can start mirroring from now",
    ),
  limit: int32(z.coerce.number().int().min(1).max(MAX_FEED_PAGE))
    .default(100)
    .describe('Page size, 1..1000 (default 100)'),
  names: BooleanString.optional().describe(
    'true: also answer `names`, the current name of each state, organization, role and contact the ' +
      "page's revisions are about or point to (the `after` of a contactId, organizationId, roleId, " +
      'parentId or stateCode change), so a reader can show them without a read per record',
  ),
})

/** A record a feed page mentions, by its current name (public in every view). */
export const FeedName = z
  .object({
    entity: z.enum(['state', 'organization', 'role', 'contact']),
    id: z.string().max(64),
    name: z.string().max(DERIVED_DISPLAY_NAME),
  })
  .meta({ id: 'FeedName' })

export const ChangeFeed = z
  .object({
    items: z.array(Revision).max(MAX_FEED_PAGE),
    names: z
      .array(FeedName)
      // Each revision names its subject and at most four records it points to.
      .max(MAX_FEED_PAGE * 5)
      .optional()
      .describe('With names=true: the live records the items mention, each once; deleted ones are left out'),
    nextAfter: z
      .number()
      .int()
      .min(0)
      .meta({ format: 'int64' })
      .describe('Pass as ?after= for the next page (the last seq seen)'),
  })
  .meta({ id: 'ChangeFeed' })
