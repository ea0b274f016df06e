import { z } from 'zod'
import { ContactDetailsIn } from '../../lib/contact-details.js'
import {
  Bookkeeping,
  ContactDetailOut,
  Id,
  ListQueryBase,
  listOf,
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

export const organizationFields = {
  name: NameText(300),
  acronym: NameText(40).nullable().optional(),
  kind: OrganizationKind,
  stateCode: StateCode.nullable()
    .optional()
    .describe('Required for government bodies; null for international and regional ones'),
  parentId: Id.nullable().optional().describe('The organization this one is a department of'),
  website: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .nullable()
    .optional(),
  contactDetails: ContactDetailsIn.optional(),
  externalId: z.string().trim().min(1).max(200).nullable().optional(),
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
    name: z.string(),
    acronym: z.string().nullable(),
    kind: OrganizationKind,
    stateCode: StateCode.nullable(),
    parentId: Id.nullable(),
    website: z.string().nullable(),
    contactDetails: z.array(ContactDetailOut),
    externalId: z.string().nullable(),
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
