import { z } from 'zod'
import { ContactDetailsIn } from '../../lib/contact-details.js'
import {
  Bookkeeping,
  BooleanString,
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

const Name = (max: number) => z.string().trim().min(1).max(max)

/** Bounds of a contact's text, enforced on input and declared on the record. */
export const CONTACT_LIMITS = {
  honorific: 40,
  givenName: 200,
  familyName: 200,
  displayName: 400,
  nameOriginal: 400,
  nameLatin: 400,
  positionTitle: 300,
  notes: 10_000,
  externalId: 200,
  languageTag: 35,
  languages: 20,
} as const
/** A displayName not given is `givenName familyName`. */
export const DERIVED_DISPLAY_NAME = CONTACT_LIMITS.givenName + 1 + CONTACT_LIMITS.familyName
/**
 * A nameLatin not given is transliterated from nameOriginal or displayName: the transliteration
 * library writes at most 12 letters and a separating space for one UTF-16 unit
 * (test/resources/contacts-limits.test.ts checks every character).
 */
export const LATIN_PER_UNIT = 13
export const DERIVED_NAME_LATIN =
  LATIN_PER_UNIT * Math.max(CONTACT_LIMITS.nameOriginal, CONTACT_LIMITS.displayName, DERIVED_DISPLAY_NAME)

/** BCP 47 tags, canonicalised by the runtime's Intl (e.g. "EN-gb" -> "en-GB"). */
export const LanguageTag = z
  .string()
  .max(CONTACT_LIMITS.languageTag)
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
  honorific: NameText(CONTACT_LIMITS.honorific).nullable().optional(),
  givenName: NameText(CONTACT_LIMITS.givenName).nullable().optional(),
  familyName: NameText(CONTACT_LIMITS.familyName),
  displayName: NameText(CONTACT_LIMITS.displayName)
    .nullable()
    .optional()
    .describe('Derived from the names when absent'),
  nameOriginal: NameText(CONTACT_LIMITS.nameOriginal)
    .nullable()
    .optional()
    .describe('The name in its native script'),
  nameLatin: NameText(CONTACT_LIMITS.nameLatin)
    .nullable()
    .optional()
    .describe('Latin transliteration; derived from nameOriginal or displayName when absent'),
  positionTitle: NameText(CONTACT_LIMITS.positionTitle).nullable().optional(),
  languages: z.array(LanguageTag).max(CONTACT_LIMITS.languages).optional(),
  contactDetails: ContactDetailsIn.optional(),
  notes: z
    .string()
    .max(CONTACT_LIMITS.notes)
    .nullable()
    .optional()
    .describe('Restricted: needs directory:read'),
  externalId: Name(CONTACT_LIMITS.externalId).nullable().optional(),
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
    honorific: z.string().max(CONTACT_LIMITS.honorific).nullable(),
    givenName: z.string().max(CONTACT_LIMITS.givenName).nullable(),
    familyName: z.string().max(CONTACT_LIMITS.familyName),
    displayName: z.string().max(DERIVED_DISPLAY_NAME),
    nameOriginal: z.string().max(CONTACT_LIMITS.nameOriginal).nullable(),
    nameLatin: z
      .string()
      .max(DERIVED_NAME_LATIN)
      .nullable()
      .describe(
        `At most ${CONTACT_LIMITS.nameLatin} characters as given; a derived transliteration may be longer`,
      ),
    positionTitle: z.string().max(CONTACT_LIMITS.positionTitle).nullable(),
    languages: z.array(z.string().max(CONTACT_LIMITS.languageTag)).max(CONTACT_LIMITS.languages),
    contactDetails: z.array(ContactDetailOut).max(MAX_DETAILS),
    notes: z
      .string()
      .max(CONTACT_LIMITS.notes)
      .nullable()
      .optional()
      .describe('Present only for readers with directory:read'),
    externalId: z.string().max(CONTACT_LIMITS.externalId).nullable(),
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
