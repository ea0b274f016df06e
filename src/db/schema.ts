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
    index('organizations_state_idx').on(t.stateCode),
    index('organizations_parent_idx').on(t.parentId),
    index('organizations_updated_idx').on(t.updatedAt),
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
    index('contacts_updated_idx').on(t.updatedAt),
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
    index('assignments_contact_idx').on(t.contactId),
    index('assignments_updated_idx').on(t.updatedAt),
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
      enum: ['state', 'organization', 'role', 'contact', 'assignment', 'campaign'],
    }).notNull(),
    entityId: text('entity_id').notNull(),
    requestId: text('request_id').notNull(),
    changes: text('changes', { mode: 'json' })
      .$type<Record<string, { before: unknown; after: unknown }>>()
      .notNull(),

    /** The record's version after this change (1 for its create). */
    version: integer('version').notNull().default(0),
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
  (t) => [uniqueIndex('search_documents_entity_uq').on(t.entity, t.entityId)],
)

/** Service-wide values kept with the data (the cursor signing key, made by its migration). */
export const settings = sqliteTable('settings', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
})

export type StateRow = typeof states.$inferSelect
export type OrganizationRow = typeof organizations.$inferSelect
export type RoleRow = typeof roles.$inferSelect
export type ContactRow = typeof contacts.$inferSelect
export type AssignmentRow = typeof assignments.$inferSelect
export type CampaignRow = typeof campaigns.$inferSelect
export type CampaignLinkRow = typeof campaignLinks.$inferSelect
export type CorrectionRow = typeof corrections.$inferSelect
export type RevisionRow = typeof revisions.$inferSelect
export type EntityName = RevisionRow['entity']
