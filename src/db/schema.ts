import { sql } from 'drizzle-orm'
import { type AnySQLiteColumn, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

export type ContactDetailType = 'email' | 'phone' | 'mobile' | 'fax' | 'address' | 'website'
export type Visibility = 'public' | 'restricted'
export interface ContactDetail {
  type: ContactDetailType
  value: string
  label: string | null
  visibility: Visibility
}

/** Bookkeeping every mutable record carries; `deletedAt` marks a tombstone. */
const versioned = {
  version: integer('version').notNull().default(1),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
  deletedAt: text('deleted_at'),
}

export const states = sqliteTable('states', {
  code: text('code').primaryKey(),
  iso3: text('iso3').notNull(),
  name: text('name').notNull(),
  officialName: text('official_name').notNull(),
  names: text('names', { mode: 'json' }).$type<Record<string, string>>().notNull(),
  unMember: integer('un_member', { mode: 'boolean' }).notNull(),
  osceParticipating: integer('osce_participating', { mode: 'boolean' }).notNull(),
  ...versioned,
})

export const organizations = sqliteTable(
  'organizations',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    acronym: text('acronym'),
    kind: text('kind', {
      enum: ['government', 'international', 'regional', 'ngo', 'academic', 'other'],
    }).notNull(),
    stateCode: text('state_code').references(() => states.code),
    parentId: text('parent_id').references((): AnySQLiteColumn => organizations.id),
    website: text('website'),
    contactDetails: text('contact_details', { mode: 'json' }).$type<ContactDetail[]>().notNull(),
    externalId: text('external_id'),
    lastVerifiedAt: text('last_verified_at'),
    ...versioned,
  },
  (t) => [
    // Lists page by id within a filter: (filter, id) reads one page, never sorts a state's rows.
    index('organizations_state_id_idx').on(t.stateCode, t.id),
    index('organizations_kind_id_idx').on(t.kind, t.id),
    index('organizations_parent_id_idx').on(t.parentId, t.id),
    // updatedSince: a narrow window's ids are read from the index alone (src/lib/updated-since.ts).
    index('organizations_updated_id_idx').on(t.updatedAt, t.id),
    // The stale report's index (its order, live records only) is an expression index drizzle-kit
    // cannot write: hand-written in migrations/0006_list_indexes.sql, on contacts too.
    uniqueIndex('organizations_external_id_uq')
      .on(t.externalId)
      .where(sql`${t.externalId} is not null and ${t.deletedAt} is null`),
  ],
)

export const roles = sqliteTable(
  'roles',
  {
    id: text('id').primaryKey(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    domain: text('domain', {
      enum: ['general', 'nuclear', 'chemical', 'biological', 'export-control', 'border', 'finance', 'legal'],
    }).notNull(),
    ...versioned,
  },
  (t) => [uniqueIndex('roles_key_uq').on(t.key).where(sql`${t.deletedAt} is null`)],
)

export const contacts = sqliteTable(
  'contacts',
  {
    id: text('id').primaryKey(),
    honorific: text('honorific'),
    givenName: text('given_name'),
    familyName: text('family_name').notNull(),
    displayName: text('display_name').notNull(),
    nameOriginal: text('name_original'),
    nameLatin: text('name_latin'),
    positionTitle: text('position_title'),
    languages: text('languages', { mode: 'json' }).$type<string[]>().notNull(),
    contactDetails: text('contact_details', { mode: 'json' }).$type<ContactDetail[]>().notNull(),
    notes: text('notes'),
    externalId: text('external_id'),
    lastVerifiedAt: text('last_verified_at'),
    ...versioned,
  },
  (t) => [
    index('contacts_updated_id_idx').on(t.updatedAt, t.id),
    uniqueIndex('contacts_external_id_uq')
      .on(t.externalId)
      .where(sql`${t.externalId} is not null and ${t.deletedAt} is null`),
  ],
)

const primaryFirst = sql`is_primary desc`

export const assignments = sqliteTable(
  'assignments',
  {
    id: text('id').primaryKey(),
    contactId: text('contact_id')
      .notNull()
      .references(() => contacts.id),
    roleId: text('role_id')
      .notNull()
      .references(() => roles.id),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id),
    stateCode: text('state_code').references(() => states.code),
    startDate: text('start_date').notNull(),
    endDate: text('end_date'),
    endReason: text('end_reason'),
    isPrimary: integer('is_primary', { mode: 'boolean' }).notNull().default(false),
    succeededBy: text('succeeded_by').references((): AnySQLiteColumn => assignments.id),
    designationRef: text('designation_ref'),
    designationDate: text('designation_date'),
    ...versioned,
  },
  (t) => [
    // The directory's page order within a role (primary first, then startDate, id), so a page
    // reads only its own rows whatever the size of the state, organization or whole directory.
    index('assignments_state_role_order_idx').on(t.stateCode, t.roleId, primaryFirst, t.startDate, t.id),
    index('assignments_org_role_order_idx').on(t.organizationId, t.roleId, primaryFirst, t.startDate, t.id),
    index('assignments_role_order_idx').on(t.roleId, primaryFirst, t.startDate, t.id),
    // GET /v1/assignments pages by id within its filter.
    index('assignments_state_id_idx').on(t.stateCode, t.id),
    index('assignments_org_id_idx').on(t.organizationId, t.id),
    index('assignments_contact_id_idx').on(t.contactId, t.id),
    index('assignments_updated_idx').on(t.updatedAt),
    // GET /v1/contacts?state=|organization=|role= pages by contact id through live tenures: the
    // end date (and, on the narrower two, the role) is checked in the index, not the table.
    index('assignments_state_contact_idx')
      .on(t.stateCode, t.contactId, t.roleId, t.endDate)
      .where(sql`${t.deletedAt} is null`),
    index('assignments_org_contact_idx')
      .on(t.organizationId, t.contactId, t.roleId, t.endDate)
      .where(sql`${t.deletedAt} is null`),
    index('assignments_role_contact_idx')
      .on(t.roleId, t.contactId, t.endDate)
      .where(sql`${t.deletedAt} is null`),
  ],
)

/** A course, round table or workshop PoCs are trained at (issue #16). */
export const trainingEvents = sqliteTable(
  'training_events',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    kind: text('kind', {
      enum: [
        'regional-course',
        'specialised-course',
        'national-roundtable',
        'workshop',
        'e-learning',
        'other',
      ],
    }).notNull(),
    organisers: text('organisers', { mode: 'json' }).$type<string[]>().notNull(),
    hostStateCode: text('host_state_code').references(() => states.code),
    location: text('location'),
    startDate: text('start_date').notNull(),
    endDate: text('end_date').notNull(),
    languages: text('languages', { mode: 'json' }).$type<string[]>().notNull(),
    description: text('description'),
    externalRef: text('external_ref'),
    ...versioned,
  },
  (t) => [
    index('training_events_start_idx').on(t.startDate, t.id),
    index('training_events_host_idx').on(t.hostStateCode),
    index('training_events_updated_idx').on(t.updatedAt),
  ],
)

/**
 * A person's part in a training event, with the post (assignment) they held then: a handover
 * ends that assignment but never changes this record, so it keeps naming the post of the time.
 */
export const participations = sqliteTable(
  'participations',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => trainingEvents.id),
    contactId: text('contact_id')
      .notNull()
      .references(() => contacts.id),
    assignmentId: text('assignment_id').references(() => assignments.id),
    status: text('status', { enum: ['invited', 'attended', 'completed', 'no-show'] }).notNull(),
    certificateRef: text('certificate_ref'),
    notes: text('notes'),
    ...versioned,
  },
  (t) => [
    uniqueIndex('participations_event_contact_uq')
      .on(t.eventId, t.contactId)
      .where(sql`${t.deletedAt} is null`),
    index('participations_contact_idx').on(t.contactId),
    index('participations_updated_idx').on(t.updatedAt),
  ],
)

export const revisions = sqliteTable(
  'revisions',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    at: text('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action', { enum: ['create', 'update', 'delete', 'erase'] }).notNull(),
    entity: text('entity', {
      enum: [
        'state',
        'organization',
        'role',
        'contact',
        'assignment',
        'webhook',
        'training-event',
        'participation',
        'campaign',
      ],
    }).notNull(),
    entityId: text('entity_id').notNull(),
    requestId: text('request_id').notNull(),
    changes: text('changes', { mode: 'json' })
      .$type<Record<string, { before: unknown; after: unknown }>>()
      .notNull(),

    /** The record's version after this change (1 for its create). */
    version: integer('version').notNull().default(0),
    /** Why an `erase` was made (the admin's reason or the retention rule); null otherwise. */
    reason: text('reason'),
  },
  (t) => [index('revisions_entity_idx').on(t.entity, t.entityId, t.seq)],
)

/** A verification campaign ("ping"): a record with history like any other (the write path). */
export const campaigns = sqliteTable('campaigns', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  message: text('message').notNull(),
  dueDate: text('due_date').notNull(),
  stateCodes: text('state_codes', { mode: 'json' }).$type<string[]>().notNull(),
  /** Role ids targeted; null targets every role. */
  roleIds: text('role_ids', { mode: 'json' }).$type<string[] | null>(),
  ...versioned,
})

/** What a person was asked to verify: each current post that made them a target. */
export interface CampaignPost {
  assignmentId: string
  stateCode: string | null
  roleId: string
}

/**
 * One person's single-use link in a campaign. Only the SHA-256 of the token is kept; re-issuing
 * replaces the hash, so the older link stops working. `outcome` is set once, by the answer.
 */
export const campaignLinks = sqliteTable(
  'campaign_links',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    contactId: text('contact_id')
      .notNull()
      .references(() => contacts.id),
    posts: text('posts', { mode: 'json' }).$type<CampaignPost[]>().notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: text('expires_at').notNull(),
    issuedAt: text('issued_at').notNull(),
    outcome: text('outcome', { enum: ['confirmed', 'corrected'] }),
    answeredAt: text('answered_at'),
  },
  (t) => [
    uniqueIndex('campaign_links_token_uq').on(t.tokenHash),
    uniqueIndex('campaign_links_person_uq').on(t.campaignId, t.contactId),
  ],
)

/** A change a person proposed through their link, waiting for staff to accept or reject it. */
export const corrections = sqliteTable(
  'corrections',
  {
    id: text('id').primaryKey(),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    linkId: text('link_id')
      .notNull()
      .references(() => campaignLinks.id),
    contactId: text('contact_id')
      .notNull()
      .references(() => contacts.id),
    patch: text('patch', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** The contact's version the patch was proposed against; accepting needs it unchanged. */
    baseVersion: integer('base_version').notNull(),
    status: text('status', { enum: ['pending', 'accepted', 'rejected'] }).notNull(),
    proposedAt: text('proposed_at').notNull(),
    reviewedBy: text('reviewed_by'),
    reviewedAt: text('reviewed_at'),
    reason: text('reason'),
  },
  (t) => [index('corrections_campaign_idx').on(t.campaignId, t.proposedAt)],
)

/**
 * The search text of each contact and organization, folded (lib/search-text.ts) and split by
 * who may see it. Written by the write path in the same transaction as the record; the FTS5
 * index `search_index` (migration 0002) is written beside it, so a committed record and its
 * index entry always agree.
 */
export const searchDocuments = sqliteTable(
  'search_documents',
  {
    doc: integer('doc').primaryKey(),
    entity: text('entity', { enum: ['organization', 'contact'] }).notNull(),
    entityId: text('entity_id').notNull(),
    folding: integer('folding').notNull(),
    publicPlain: text('public_plain').notNull(),
    publicFolded: text('public_folded').notNull(),
    restrictedPlain: text('restricted_plain').notNull(),
    restrictedFolded: text('restricted_folded').notNull(),
  },
  (t) => [
    uniqueIndex('search_documents_entity_uq').on(t.entity, t.entityId),
    // The start-up check counts current documents by folding: from this index, not the table.
    index('search_documents_folding_idx').on(t.folding),
  ],
)

/**
 * Who read whose restricted details or notes (docs/privacy.md): one row per answer, the
 * contacts it disclosed as a JSON array (one insert per read keeps the log cheap; filtering by
 * contact is an admin's occasional query). Append-only: triggers (migration 0006, hand-written
 * part) refuse updates, and deletes of entries younger than a day, so only retention removes any.
 */
export const accessLog = sqliteTable(
  'access_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at').notNull(),
    reader: text('reader').notNull(),
    method: text('method').notNull(),
    route: text('route').notNull(),
    requestId: text('request_id').notNull(),
    contactIds: text('contact_ids', { mode: 'json' }).$type<string[]>().notNull(),
  },
  (t) => [index('access_log_at_idx').on(t.at)],
)

/** Service-wide values kept with the data (the cursor signing key, made by its migration). */
export const settings = sqliteTable('settings', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
})

/**
 * Webhook subscriptions: versioned records written through the write path (their revisions
 * carry entity `webhook` and stay out of the public change feed). The signing secret and the
 * delivery position live in tables of their own, so no revision ever holds them.
 */
export const webhooks = sqliteTable('webhooks', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** Entity types delivered; null: all. */
  entities: text('entities', { mode: 'json' }).$type<Exclude<EntityName, 'webhook'>[]>(),
  /** States whose changes are delivered; null: all. */
  states: text('states', { mode: 'json' }).$type<string[]>(),
  active: integer('active', { mode: 'boolean' }).notNull(),
  description: text('description'),
  includeRestricted: integer('include_restricted', { mode: 'boolean' }).notNull(),
  disabledReason: text('disabled_reason'),
  secretRotatedAt: text('secret_rotated_at'),
  ...versioned,
})

export const webhookSecrets = sqliteTable('webhook_secrets', {
  webhookId: text('webhook_id')
    .primaryKey()
    .references(() => webhooks.id),
  secret: text('secret').notNull(),
  /** The secret before the last rotation, still signed with until `previousUntil`. */
  previousSecret: text('previous_secret'),
  previousUntil: text('previous_until'),
})

/** Where each subscription stands in the change feed, and its retry state (epoch ms). */
export const webhookCursors = sqliteTable('webhook_cursors', {
  webhookId: text('webhook_id')
    .primaryKey()
    .references(() => webhooks.id),
  /** The last feed seq delivered (or skipped by the filters). */
  position: integer('position').notNull(),
  /** Failed attempts at the entry after `position`. */
  attempt: integer('attempt').notNull().default(0),
  nextAttemptAt: integer('next_attempt_at').notNull().default(0),
  failingSince: integer('failing_since'),
})

export type StateRow = typeof states.$inferSelect
export type OrganizationRow = typeof organizations.$inferSelect
export type RoleRow = typeof roles.$inferSelect
export type ContactRow = typeof contacts.$inferSelect
export type AssignmentRow = typeof assignments.$inferSelect
export type WebhookRow = typeof webhooks.$inferSelect
export type TrainingEventRow = typeof trainingEvents.$inferSelect
export type ParticipationRow = typeof participations.$inferSelect
export type CampaignRow = typeof campaigns.$inferSelect
export type CampaignLinkRow = typeof campaignLinks.$inferSelect
export type CorrectionRow = typeof corrections.$inferSelect
export type RevisionRow = typeof revisions.$inferSelect
export type EntityName = RevisionRow['entity']
export type AccessLogRow = typeof accessLog.$inferSelect
