import { z } from 'zod'
import { ContactDetailsIn } from '../../lib/contact-details.js'
import {
  Bookkeeping,
  BooleanString,
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

const Name = (max: number) => z.string().trim().min(1).max(max)

/** BCP 47 tags, canonicalised by the runtime's Intl (e.g. "EN-gb" -> "en-GB"). */
export const LanguageTag = z
  .string()
  .max(35)
  .transform((tag, ctx) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(tag)
      if (canonical) return canonical
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'is not a BCP 47 language tag' })
    return z.NEVER
  })

export const contactFields = {
  honorific: NameText(40).nullable().optional(),
  givenName: NameText(200).nullable().optional(),
  familyName: NameText(200),
  displayName: NameText(400).nullable().optional().describe('Derived from the names when absent'),
  nameOriginal: NameText(400).nullable().optional().describe('The name in its native script'),
  nameLatin: NameText(400)
    .nullable()
    .optional()
    .describe('Latin transliteration; derived from nameOriginal or displayName when absent'),
  positionTitle: NameText(300).nullable().optional(),
  languages: z.array(LanguageTag).max(20).optional(),
  contactDetails: ContactDetailsIn.optional(),
  notes: z.string().max(10_000).nullable().optional().describe('Restricted: needs directory:read'),
  externalId: Name(200).nullable().optional(),
}

export const ContactCreate = z.strictObject(contactFields).meta({
  id: 'ContactCreate',
  example: {
    honorific: 'Mr.',
    givenName: 'Asan',
    familyName: 'Zhumabekov',
    nameOriginal: 'Асан Жумабеков',
    positionTitle: 'Head of Export Control Division',
    languages: ['ky', 'ru', 'en'],
    contactDetails: [
      { type: 'email', value: 'a.zhumabekov@mfa.gov.kg', visibility: 'public' },
      { type: 'phone', value: '+996 312 620545', label: 'office' },
    ],
  },
})
export const ContactPatch = patchOf(contactFields, 'ContactPatch')

export const Contact = z
  .object({
    id: Id,
    honorific: z.string().nullable(),
    givenName: z.string().nullable(),
    familyName: z.string(),
    displayName: z.string(),
    nameOriginal: z.string().nullable(),
    nameLatin: z.string().nullable(),
    positionTitle: z.string().nullable(),
    languages: z.array(z.string()),
    contactDetails: z.array(ContactDetailOut),
    notes: z.string().nullable().optional().describe('Present only for readers with directory:read'),
    externalId: z.string().nullable(),
    lastVerifiedAt: Timestamp.nullable(),
    ...Bookkeeping,
  })
  .meta({ id: 'Contact' })
export const ContactList = listOf(Contact, 'ContactList')

export const ContactListQuery = z.strictObject({
  ...ListQueryBase,
  state: StateCode.optional().describe('Contacts with an assignment in this state'),
  organization: Id.optional(),
  role: z.string().min(1).max(64).optional().describe('Role key or id'),
  current: BooleanString.optional().describe(
    'true (default): through current assignments; false: through any assignment',
  ),
  q: SearchQuery,
  updatedSince: UpdatedSince,
})
export type ContactListQuery = z.infer<typeof ContactListQuery>
export type ContactInput = z.infer<typeof ContactCreate>
