import { z } from 'zod'
import type { ContactDetail } from '../db/schema.js'
import { lazy } from './lazy.js'
import { ContactDetailType, MAX_DETAIL_LABEL, MAX_DETAIL_VALUE, MAX_DETAILS, Visibility } from './schemas.js'

export const phoneNumbers = lazy<typeof import('libphonenumber-js')>('libphonenumber-js')

const Email = z.email()
const Url = z.url({ protocol: /^https?$/ })

/** Refuses the detail's value with `message`. */
function invalid(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({
    // Stryker disable next-line StringLiteral: the issue code is zod's own; errors[] carry path and message only
    code: 'custom',
    path: ['value'],
    message,
  })
  return z.NEVER
}

/**
 * One contact detail as clients send it. Emails are lower-cased, phone numbers become E.164
 * (libphonenumber), websites must be http(s) URLs. Visibility defaults to restricted.
 */
export const ContactDetailIn = z
  .strictObject({
    type: ContactDetailType,
    value: z.string().trim().min(1).max(MAX_DETAIL_VALUE),
    label: z.string().trim().max(MAX_DETAIL_LABEL).nullable().optional(),
    visibility: Visibility.default('restricted'),
  })
  .transform((d, ctx): ContactDetail => {
    let value = d.value
    if (d.type === 'email') {
      if (!Email.safeParse(value).success) return invalid(ctx, 'is not a valid email address')
      value = value.toLowerCase()
    } else if (d.type === 'phone' || d.type === 'mobile' || d.type === 'fax') {
      const phone = phoneNumbers().parsePhoneNumberFromString(value)
      if (!phone?.isValid())
        return invalid(ctx, 'is not a valid international phone number (e.g. +996 312 123456)')
      value = phone.number
    } else if (d.type === 'website' && !Url.safeParse(value).success) {
      return invalid(ctx, 'is not an http(s) URL')
    }
    return { type: d.type, value, label: d.label ?? null, visibility: d.visibility }
  })

export const ContactDetailsIn = z.array(ContactDetailIn).max(MAX_DETAILS)

/** Readers without directory:read see public details only. */
export const visibleDetails = (details: ContactDetail[], seeRestricted: boolean) =>
  seeRestricted ? details : details.filter((d) => d.visibility === 'public')
