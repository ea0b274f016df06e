import { z } from 'zod'
import { ContactDetailsIn } from '../../lib/contact-details.js'
import {
  Bookkeeping,
  ContactDetailOut,
  Id,
  ListQueryBase,
  listOf,
  MAX_DETAILS,
  NameText,
  patchOf,
  SearchQuery,
  StateCode,
  Timestamp,
  UpdatedSince,
} from '../../lib/schemas.js'

export const OrganizationKind = z.enum([
  'government',
  'international',
  'regional',
  'ngo',
  'academic',
  'other',
])

/** Bounds of an organization's text, enforced on input and declared on the record. */
export const ORGANIZATION_LIMITS = { name: 300, acronym: 40, website: 500, externalId: 200 } as const

export const organizationFields = {
  name: NameText(ORGANIZATION_LIMITS.name),
  acronym: NameText(ORGANIZATION_LIMITS.acronym).nullable().optional(),
  kind: OrganizationKind,
  stateCode: StateCode.nullable()
    .optional()
    .describe('Required for government bodies; null for international and regional ones'),
  parentId: Id.nullable().optional().describe('The organization this one is a department of'),
  website: z
    .url({ protocol: /^https?$/ })
    .max(ORGANIZATION_LIMITS.website)
    .nullable()
    .optional(),
  contactDetails: ContactDetailsIn.optional(),
  externalId: z.string().trim().min(1).max(ORGANIZATION_LIMITS.externalId).nullable().optional(),
}

export const OrganizationCreate = z.strictObject(organizationFields).meta({
  id: 'OrganizationCreate',
  example: {
    name: 'Ministry of Foreign Affairs',
    acronym: 'MFA',
    kind: 'government',
    stateCode: 'KG',
    website: 'https://mfa.gov.kg',
    contactDetails: [{ type: 'phone', value: '+996 312 620545', visibility: 'public' }],
  },
})
export const OrganizationPatch = patchOf(organizationFields, 'OrganizationPatch')

export const Organization = z
  .object({
    id: Id,
    name: z.string().max(ORGANIZATION_LIMITS.name),
    acronym: z.string().max(ORGANIZATION_LIMITS.acronym).nullable(),
    kind: OrganizationKind,
    stateCode: StateCode.nullable(),
    parentId: Id.nullable(),
    website: z.string().max(ORGANIZATION_LIMITS.website).nullable(),
    contactDetails: z.array(ContactDetailOut).max(MAX_DETAILS),
    externalId: z.string().max(ORGANIZATION_LIMITS.externalId).nullable(),
    lastVerifiedAt: Timestamp.nullable(),
    ...Bookkeeping,
  })
  .meta({ id: 'Organization' })
export const OrganizationList = listOf(Organization, 'OrganizationList')

export const OrganizationListQuery = z.strictObject({
  ...ListQueryBase,
  state: StateCode.optional(),
  kind: OrganizationKind.optional(),
  parent: Id.optional(),
  q: SearchQuery,
  updatedSince: UpdatedSince,
})
export type OrganizationListQuery = z.infer<typeof OrganizationListQuery>
export type OrganizationInput = z.infer<typeof OrganizationCreate>
