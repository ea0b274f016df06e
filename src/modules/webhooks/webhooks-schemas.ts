import { z } from 'zod'
import { Bookkeeping, Cursor, Id, patchOf, StateCode, Timestamp, withoutControls } from '../../lib/schemas.js'
import { EntityName } from '../revisions/revisions-schemas.js'

const Limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(500)
  .default(50)
  .meta({ format: 'int32' })
  .describe('Page size, 1..500 (default 50)')
const PageQuery = z.strictObject({ limit: Limit, cursor: Cursor.optional() })
const Instant = Timestamp.meta({ maxLength: 40 })
const Timestamps = { ...Bookkeeping, createdAt: Instant, updatedAt: Instant }

const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item).max(500),
      nextCursor: z.string().max(600).nullable().describe('Pass as ?cursor= to get the next page'),
    })
    .meta({ id })

const distinct = <T extends z.ZodType>(item: T, max: number, what: string) =>
  z
    .array(item)
    .min(1)
    .max(max)
    .refine((list) => new Set(list as unknown[]).size === list.length, `must not name a ${what} twice`)

export const webhookFields = {
  url: z
    .string()
    .max(2000)
    .describe(
      'Where deliveries are POSTed: https (http only to loopback when WEBHOOK_ALLOW_LOOPBACK is on); ' +
        'no credentials in the URL; a host resolving to a private, link-local or loopback address is refused',
    ),
  entities: distinct(EntityName, EntityName.options.length, 'type')
    .nullable()
    .optional()
    .describe('Entity types delivered; null or absent: all'),
  states: distinct(StateCode, 300, 'state')
    .nullable()
    .optional()
    .describe(
      "Only changes of these states (attributed as the token `states` claim is: an organization's or assignment's " +
        'state, a contact through its assignments); null or absent: every change, state-less ones included',
    ),
  active: z
    .boolean()
    .default(true)
    .describe('Deliveries run while true; setting it true again resumes from the position'),
  description: withoutControls(z.string().trim().max(2000)).nullable().optional(),
  includeRestricted: z
    .boolean()
    .default(false)
    .describe(
      'Deliver restricted contact details and notes (as a directory:read reader sees them); default redacted',
    ),
}

export const WebhookCreate = z.strictObject(webhookFields).meta({
  id: 'WebhookCreate',
  example: {
    url: 'https://partner.example.org/pocdir/hooks',
    entities: ['contact', 'assignment'],
    states: ['KE'],
    description: 'Regional centre mirror',
  },
})
export type WebhookInput = z.infer<typeof WebhookCreate>
export const WebhookPatch = patchOf(webhookFields, 'WebhookPatch')

export const WebhookDelivery = z
  .object({
    position: z
      .number()
      .int()
      .min(0)
      .meta({ format: 'int64' })
      .describe('The last change-feed seq delivered (or passed over by the filters)'),
    attempt: z
      .number()
      .int()
      .min(0)
      .meta({ format: 'int32' })
      .describe('Failed attempts at the next entry (0: none)'),
    nextAttemptAt: Instant.nullable().describe('When the next retry is due; null when not waiting'),
    failingSince: Instant.nullable().describe('Start of the current run of failures; null when healthy'),
  })
  .meta({ id: 'WebhookDeliveryState' })

const record = {
  id: Id,
  url: z.string().max(2000),
  entities: z.array(EntityName).max(EntityName.options.length).nullable(),
  states: z.array(StateCode).max(300).nullable(),
  active: z.boolean(),
  description: z.string().max(2000).nullable(),
  includeRestricted: z.boolean(),
  disabledReason: z
    .string()
    .max(2000)
    .nullable()
    .describe('Why the service turned the subscription off (410 Gone, or failing too long); null otherwise'),
  secretRotatedAt: Instant.nullable(),
  ...Timestamps,
}

export const Webhook = z
  .object({ ...record, delivery: WebhookDelivery })
  .meta({ id: 'Webhook', description: 'A subscription; its secret is shown only on create and rotate' })
export const WebhookWithSecret = z
  .object({
    ...record,
    delivery: WebhookDelivery,
    secret: z
      .string()
      .max(100)
      .describe('The Standard Webhooks signing secret (whsec_…): shown only in this answer, keep it now'),
  })
  .meta({ id: 'WebhookWithSecret' })
export const WebhookList = pageOf(Webhook, 'WebhookList')

export const WebhookListQuery = PageQuery
export const WebhookHistoryQuery = PageQuery

const nullableChange = (value: z.ZodType) =>
  z.strictObject({ before: value.nullable(), after: value.nullable() }).optional()

export const WebhookRevision = z
  .object({
    seq: z.number().int().min(1).meta({ format: 'int64' }),
    at: Instant,
    actor: z
      .string()
      .max(200)
      .describe('The token subject, or `pocdir:webhooks` when the service disabled the subscription'),
    action: z.enum(['create', 'update', 'delete']),
    entity: z.literal('webhook'),
    entityId: z.string().max(64),
    requestId: z.string().max(200),
    version: z.number().int().min(1).meta({ format: 'int64' }),
    changes: z
      .strictObject({
        id: nullableChange(z.string().max(64)),
        url: nullableChange(z.string().max(2000)),
        entities: nullableChange(z.array(EntityName).max(EntityName.options.length)),
        states: nullableChange(z.array(StateCode).max(300)),
        active: nullableChange(z.boolean()),
        description: nullableChange(z.string().max(2000)),
        includeRestricted: nullableChange(z.boolean()),
        disabledReason: nullableChange(z.string().max(2000)),
        secretRotatedAt: nullableChange(Instant),
      })
      .describe('Changed fields, each { before, after }; the secret itself never appears'),
  })
  .meta({ id: 'WebhookRevision' })
export const WebhookRevisionList = pageOf(WebhookRevision, 'WebhookRevisionList')

export const DeliveryLogEntry = z
  .object({
    id: z.number().int().min(1).meta({ format: 'int64' }),
    kind: z.enum(['change', 'ping']),
    seq: z
      .number()
      .int()
      .min(1)
      .meta({ format: 'int64' })
      .nullable()
      .describe('The change-feed seq sent (the webhook-id header); null for a ping'),
    attempt: z.number().int().min(1).meta({ format: 'int32' }),
    at: Instant,
    status: z
      .number()
      .int()
      .min(100)
      .max(599)
      .meta({ format: 'int32' })
      .nullable()
      .describe("The target's HTTP status; null when no answer came"),
    durationMs: z.number().int().min(0).meta({ format: 'int32' }),
    error: z.string().max(2000).nullable().describe('Why the attempt failed; null when it succeeded'),
  })
  .meta({ id: 'WebhookDeliveryLogEntry' })
export const DeliveryLog = pageOf(DeliveryLogEntry, 'WebhookDeliveryLog')
export const DeliveryLogQuery = PageQuery
