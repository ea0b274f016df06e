import { z } from 'zod'
import { PROBLEM_LIMITS, PROBLEM_TYPES, type ProblemSlug, problemType } from './problem.js'
import { MAX_QUERY_WORDS, queryWords } from './search-text.js'

/** Bounds of a contact detail (lib/contact-details.ts enforces them on input). */
export const MAX_DETAIL_VALUE = 500
export const MAX_DETAIL_LABEL = 100
/** Contact details per record. */
export const MAX_DETAILS = 50

/** Shared zod pieces; every module builds its resource schemas from these. */

/**
 * Names and titles hold no control characters but tab and newline (DESIGN.md, Text hygiene):
 * a CR, NUL, escape or C1 character in a name would reach exports and search unseen.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$/
export const withoutControls = (text: z.ZodString) =>
  text.regex(NO_CONTROL_CHARACTERS, 'must not hold control characters other than tab and newline')

/** A name or title: trimmed, 1..max characters, no control characters but tab and newline. */
export const NameText = (max: number) => withoutControls(z.string().trim().min(1).max(max))

// The service's ids are UUIDv7; the format tells clients so (an id that is no UUID is unknown:
// 400 in a body, 404 in a path), while the server keeps its own, clearer messages.
export const Id = z.string().min(1).max(64).meta({ format: 'uuid' }).describe('Record identifier (a UUIDv7)')
export const StateCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code in upper case')
  // The pattern fixes the length; the bounds say so to clients (and linters) too.
  .meta({ minLength: 2, maxLength: 2 })
  .describe('ISO 3166-1 alpha-2 state code')
// The format fixes a date's length; a timestamp's fraction of a second is open, hence a bound.
export const CalendarDate = z.iso.date().meta({ maxLength: 10 }).describe('Calendar date, YYYY-MM-DD')
export const Timestamp = z.iso.datetime().max(40).describe('RFC 3339 UTC timestamp')

/** Who made a change: a token's `sub` (the auth plugin refuses a longer one) or a local script's name. */
export const MAX_SUBJECT_LENGTH = 200
/** An x-request-id the service keeps (a caller's when sane, else a UUIDv7). */
export const MAX_REQUEST_ID_LENGTH = 128

/** A 32-bit integer in the contract (counts, page sizes, statuses, row numbers); give it a maximum. */
export const int32 = <T extends z.ZodType>(schema: T) => schema.meta({ format: 'int32' })
export const INT32_MAX = 2_147_483_647

export const Bookkeeping = {
  version: z
    .number()
    .int()
    .min(1)
    .meta({ format: 'int64' })
    .describe('Incremented by one on every change; the ETag'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
}

export const ContactDetailType = z.enum(['email', 'phone', 'mobile', 'fax', 'address', 'website'])
export const Visibility = z.enum(['public', 'restricted'])

export const ContactDetailOut = z
  .object({
    type: ContactDetailType,
    value: z.string().max(MAX_DETAIL_VALUE),
    label: z.string().max(MAX_DETAIL_LABEL).nullable(),
    visibility: Visibility,
  })
  .meta({ id: 'ContactDetail' })

export const FieldErrorSchema = z
  .object({
    path: z
      .string()
      .max(PROBLEM_LIMITS.path)
      .describe('The field, dotted (`contactDetails.0.value`; `query.limit` for a parameter)'),
    message: z.string().max(PROBLEM_LIMITS.message),
  })
  .meta({ id: 'FieldError', description: 'A field of the request that is wrong' })

export const RowErrorSchema = z
  .object({
    row: int32(z.number().int().min(1).max(INT32_MAX)).describe(
      'Data row, counted from 1 (a JSON array index + 1)',
    ),
    field: z.string().max(PROBLEM_LIMITS.path).describe('The column (or key) of the row'),
    message: z.string().max(PROBLEM_LIMITS.message),
  })
  .meta({ id: 'RowError', description: 'A row of an import that is wrong' })

export const ProblemSchema = z
  .object({
    // Open, not an enum: a new problem type must not be a breaking change for strict clients
    // (RFC 9457 asks clients to treat a type they do not know as about:blank).
    type: z
      .string()
      .max(200)
      .describe(
        `URI identifying the problem type (the list may grow; treat an unknown one as about:blank):\n${Object.entries(
          PROBLEM_TYPES,
        )
          .map(([slug, meaning]) => `- \`${problemType(slug as ProblemSlug)}\`: ${meaning}`)
          .join('\n')}\n- \`about:blank\`: no more than the status says`,
      ),
    title: z.string().max(PROBLEM_LIMITS.title).describe('Short summary of the problem type'),
    status: z.number().int().min(400).max(599).meta({ format: 'int32' }).describe('The HTTP status code'),
    detail: z
      .string()
      .max(PROBLEM_LIMITS.detail)
      .describe('What went wrong with this request, for a person (clipped, with …, past the bound)'),
    instance: z
      .string()
      .max(PROBLEM_LIMITS.instance)
      .describe('The request path (and query) this problem answers')
      .optional(),
    errors: z
      .union([
        z.array(FieldErrorSchema).max(PROBLEM_LIMITS.fieldErrors),
        // Unbounded by design: DESIGN promises every bad row of an import.
        z.array(RowErrorSchema),
      ])
      .describe(
        `Each field (the first ${PROBLEM_LIMITS.fieldErrors}) or, for imports, each row and column that is wrong`,
      )
      .optional(),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details (application/problem+json)',
    'x-problem-types': Object.fromEntries(
      Object.entries(PROBLEM_TYPES).map(([slug, meaning]) => [problemType(slug as ProblemSlug), meaning]),
    ),
    examples: [
      {
        type: 'urn:pocdir:problem:validation-error',
        title: 'Validation failed',
        status: 400,
        detail: 'familyName: must not be null: the field cannot be cleared',
        instance: '/v1/contacts/0190d9a4-6f2e-7c41-9a53-0c7e2b9f1a10',
        errors: [{ path: 'familyName', message: 'must not be null: the field cannot be cleared' }],
      },
    ],
  })

export const BooleanString = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .describe('true or false')

/** The largest page a list answers (ListLimit's maximum): a list's `items` never hold more. */
export const MAX_PAGE = 500

export const ListLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE)
  .meta({ format: 'int32' })
  .default(50)
  .describe('Page size, 1..500 (default 50)')

// The cursors the service issues hold a short sort key (an id, a role key and a date, a rank
// and an id) and a 22-character signature: well within the bound.
export const Cursor = z.string().min(1).max(512).describe('Opaque cursor from nextCursor')
export const NextCursor = z.string().max(512).nullable().describe('Pass as ?cursor= to get the next page')

export const listOf = <T extends z.ZodType>(item: T, id: string, maxItems = MAX_PAGE) =>
  z
    .object({
      items: z.array(item).max(maxItems),
      nextCursor: NextCursor,
    })
    .meta({ id })

export const IfMatchHeaders = z.object({
  'if-match': z.string().max(200).optional().describe('Entity tag from a previous read'),
})

export const IfNoneMatchHeaders = z.object({
  'if-none-match': z.string().max(200).optional(),
})

/**
 * A merge-patch body for a create shape: every field optional; null clears a field (in maps, an
 * entry), so only fields the create shape lets go unset accept null. A required field (a
 * contact's familyName, an organization's kind) refuses null with a 400 naming it.
 */
export const NOT_CLEARABLE = 'must not be null: this field cannot be cleared'

/** The same field, whose answer to a null names the rule (zod's own says "expected string"). */
const refusingNull = (field: z.ZodType): z.ZodType => {
  const refusing = field.clone({
    ...field._zod.def,
    error: (issue: { input?: unknown }) => (issue.input === null ? NOT_CLEARABLE : undefined),
  } as typeof field._zod.def)
  // A clone is a new schema: what the contract says of the field (bounds, description) comes along.
  const meta = field.meta()
  return meta ? refusing.meta(meta) : refusing
}

export function patchOf(shape: Record<string, z.ZodType>, id: string) {
  const patchable = (field: z.ZodType): z.ZodType => {
    const clearable = field.safeParse(undefined).success
    const inner =
      field instanceof z.ZodRecord
        ? z.record(field.keyType as z.ZodString, (field.valueType as z.ZodType).nullable())
        : field
    return clearable ? inner.nullable().optional() : refusingNull(inner).optional()
  }
  return z.strictObject(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, patchable(v)]))).meta({
    id,
    description: 'RFC 7396 merge patch: send only what changes; null clears a field that may be unset',
  })
}

export const ListQueryBase = {
  limit: ListLimit,
  cursor: Cursor.optional(),
}

export const SearchQuery = z
  .string()
  .max(200)
  .superRefine((q, ctx) => {
    const words = queryWords(q).length
    if (words === 0) ctx.addIssue({ code: 'custom', message: 'has no letters or digits to search for' })
    if (words > MAX_QUERY_WORDS)
      ctx.addIssue({ code: 'custom', message: `has more than ${MAX_QUERY_WORDS} words` })
  })
  .optional()
  .describe(
    'Search: every word must match a name, title or e-mail address (of organizations: name, acronym, e-mail) by ' +
      'prefix, folding case, diacritics, script and common transliteration variants (zh/j/dj, kh/h, ts/c, ye/e, ' +
      'y/i, doubled letters). Results rank whole words first, then prefixes, then variant spellings.',
  )

export const UpdatedSince = Timestamp.optional().describe('Only records updated at or after this instant')
