import { z } from 'zod'
import {
  Bookkeeping,
  CalendarDate,
  ContactDetailOut,
  Cursor,
  Id,
  ListLimit,
  NameText,
  patchOf,
  StateCode,
  Timestamp,
} from '../../lib/schemas.js'
import { contactFields } from '../contacts/contacts-schemas.js'

// Bounded copies of the shared date and time formats, so the contract states their lengths.
const Day = CalendarDate.max(10)
const At = Timestamp.max(30)
const Limit = ListLimit.meta({ format: 'int32' })

/** Most people one campaign may target: the report answers them in one page. */
export const MAX_TARGETS = 5000

export const Campaign = z
  .object({
    id: Id,
    title: z.string().max(200),
    message: z
      .string()
      .max(5000)
      .optional()
      .describe('The text sent to each person; in the change feed only for readers with directory:read'),
    dueDate: Day.describe('Links work until the end of this day (UTC)'),
    stateCodes: z.array(StateCode).max(300).describe('The states whose current holders are targeted'),
    roleIds: z.array(Id).max(50).nullable().describe('The roles targeted; null: every role'),
    version: Bookkeeping.version,
    createdAt: At,
    updatedAt: At,
  })
  .meta({ id: 'Campaign' })

export const CampaignCreate = z
  .strictObject({
    title: NameText(200),
    message: z.string().trim().min(1).max(5000),
    dueDate: Day.describe('Today or later; links expire at the end of this day (UTC)'),
    stateCodes: z.array(StateCode).min(1).max(300),
    roles: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(50)
      .nullable()
      .optional()
      .describe('Role keys or ids; absent or null targets every role'),
  })
  .meta({
    id: 'CampaignCreate',
    example: {
      title: 'Annual check 2026',
      message: 'Please confirm that your details in the 1540 PoC directory are still correct.',
      dueDate: '2030-06-30',
      stateCodes: ['KG'],
      roles: ['national-poc', 'mission-poc'],
    },
  })
export type CampaignCreate = z.infer<typeof CampaignCreate>

const LinkText = z.string().max(2200).describe('The link to send; a path when PUBLIC_BASE_URL is not set')

export const IssuedLink = z
  .object({
    contactId: Id,
    name: z.string().max(400),
    email: z.string().max(320).nullable().describe("The person's first e-mail address, if any"),
    token: z.string().max(64).describe('Shown once: only its SHA-256 is stored'),
    link: LinkText,
    expiresAt: At,
  })
  .meta({ id: 'IssuedLink' })

export const CampaignCreated = z
  .object({ campaign: Campaign, links: z.array(IssuedLink).max(MAX_TARGETS) })
  .meta({ id: 'CampaignCreated' })

export const CampaignList = z
  .object({ items: z.array(Campaign).max(500), nextCursor: z.string().max(512).nullable() })
  .meta({ id: 'CampaignList' })
export const CampaignListQuery = z.strictObject({ limit: Limit, cursor: Cursor.optional() })

export const CampaignParams = z.strictObject({ id: Id })

export const Outcome = z.enum(['confirmed', 'corrected', 'no-answer'])
export const CorrectionStatus = z.enum(['pending', 'accepted', 'rejected'])

const PersonRef = z.object({ contactId: Id, name: z.string().max(400) })

export const CampaignReport = z
  .object({
    campaign: z.object({ id: Id, title: z.string().max(200), dueDate: Day }),
    asOf: Day,
    overdue: z.boolean().describe('The due date has passed'),
    states: z
      .array(
        z.object({
          stateCode: StateCode.nullable(),
          people: z
            .array(
              PersonRef.extend({
                outcome: Outcome,
                answeredAt: At.nullable(),
                correction: CorrectionStatus.nullable().describe('The review state of a proposed correction'),
              }),
            )
            .max(MAX_TARGETS),
        }),
      )
      .max(300),
    escalations: z
      .array(
        PersonRef.extend({
          stateCode: StateCode.nullable(),
          missionPocs: z
            .array(PersonRef)
            .max(50)
            .describe("Current holders of the state's mission-poc role, to follow up with; empty when none"),
        }),
      )
      .max(MAX_TARGETS)
      .describe('After the due date: everyone who has not answered'),
  })
  .meta({ id: 'CampaignReport' })

/** What a person may correct about themselves: not notes, not the external id. */
const { notes: _notes, externalId: _externalId, ...ownFields } = contactFields
export const CorrectionPatch = patchOf(ownFields, 'CorrectionPatch').meta({
  example: {
    positionTitle: 'Counsellor, Permanent Mission to the United Nations',
    contactDetails: [{ type: 'email', value: 'b.asanova@un.int', visibility: 'public' }],
  },
})

export const Correction = z
  .object({
    id: Id,
    campaignId: Id,
    contactId: Id,
    patch: z.record(z.string().max(40), z.unknown()).describe('The proposed RFC 7396 merge patch'),
    baseVersion: z.number().int().min(1).meta({ format: 'int64' }),
    status: CorrectionStatus,
    proposedAt: At,
    reviewedBy: z.string().max(200).nullable(),
    reviewedAt: At.nullable(),
    reason: z.string().max(2000).nullable(),
  })
  .meta({ id: 'Correction' })

export const CorrectionList = z
  .object({ items: z.array(Correction).max(500), nextCursor: z.string().max(512).nullable() })
  .meta({ id: 'CorrectionList' })

export const RejectBody = z
  .strictObject({ reason: z.string().trim().min(1).max(2000).describe('Why, for the record') })
  .meta({ id: 'CorrectionReject', example: { reason: 'The mission confirmed the current title by letter' } })

export const SendResult = z
  .object({
    sent: z.array(PersonRef).max(MAX_TARGETS),
    withoutEmail: z.array(PersonRef).max(MAX_TARGETS).describe('Unanswered people with no e-mail address'),
    failed: z.array(PersonRef).max(MAX_TARGETS).describe('The mail server refused these; send again later'),
  })
  .meta({ id: 'CampaignSendResult' })

export const LinkCode = z.strictObject({
  code: z.string().min(1).max(128).describe("The code at the end of the person's link"),
})

/** What a person sees through their own link: their record and their current posts, nothing else. */
export const OwnRecord = z
  .object({
    campaign: z.object({ title: z.string().max(200), message: z.string().max(5000), dueDate: Day }),
    contact: z.object({
      honorific: z.string().max(40).nullable(),
      givenName: z.string().max(200).nullable(),
      familyName: z.string().max(200),
      displayName: z.string().max(400),
      nameOriginal: z.string().max(400).nullable(),
      nameLatin: z.string().max(400).nullable(),
      positionTitle: z.string().max(300).nullable(),
      languages: z.array(z.string().max(35)).max(20),
      contactDetails: z.array(ContactDetailOut).max(50),
      lastVerifiedAt: At.nullable(),
    }),
    posts: z
      .array(
        z.object({
          role: z.string().max(200),
          organization: z.string().max(400),
          stateCode: StateCode.nullable(),
          startDate: Day,
          isPrimary: z.boolean(),
        }),
      )
      .max(100),
  })
  .meta({ id: 'VerificationRecord' })

export const Answered = z
  .object({
    outcome: z.enum(['confirmed', 'corrected']),
    at: At,
  })
  .meta({ id: 'VerificationAnswer' })
