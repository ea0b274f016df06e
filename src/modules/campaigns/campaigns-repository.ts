import { createHash, randomBytes } from 'node:crypto'
import { and, asc, desc, eq, isNull, lt, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import {
  type CampaignLinkRow,
  type CampaignPost,
  type CampaignRow,
  type ContactRow,
  type CorrectionRow,
  campaignLinks,
  campaigns,
  contacts,
  corrections,
} from '../../db/schema.js'
import { paginate } from '../../lib/pagination.js'
import { clientOf, findLive } from '../../lib/statements.js'
import type { Tx } from '../../lib/write-path.js'

/** A link token: 32 random bytes (256 bits), base64url; only its SHA-256 is ever stored. */
export const newToken = (): string => randomBytes(32).toString('base64url')
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** A link works until the end of the due day (UTC): the instant the next day begins, exclusive. */
export function linkExpiry(dueDate: string): string {
  return new Date(Date.parse(`${dueDate}T00:00:00.000Z`) + 86_400_000).toISOString()
}

export function findCampaign(db: Tx, id: string): CampaignRow | undefined {
  return findLive(db, campaigns, campaigns.id, id)
}

/** Campaigns newest first (ids are UUIDv7); a limited token sees those wholly within its states. */
export function listCampaigns(
  db: Db,
  limitedTo: readonly string[] | null,
  query: { limit: number; cursor?: string | undefined },
) {
  return paginate(
    db,
    query,
    (r: CampaignRow) => r.id,
    (after, take) =>
      db
        .select()
        .from(campaigns)
        .where(
          and(
            isNull(campaigns.deletedAt),
            after ? lt(campaigns.id, after) : undefined,
            limitedTo === null
              ? undefined
              : sql`not exists (select 1 from json_each(${campaigns.stateCodes}) where value not in (select value from json_each(${JSON.stringify(limitedTo)})))`,
          ),
        )
        .orderBy(desc(campaigns.id))
        .limit(take)
        .all(),
  )
}

export interface Target {
  contactId: string
  posts: CampaignPost[]
}

/** The current holders (today) of the roles (null: every role) in the states, one entry per person. */
export function findTargets(db: Tx, stateCodes: string[], roleIds: string[] | null, day: string): Target[] {
  const rows = clientOf(db)
    .prepare(
      `select a.id as assignmentId, a.contact_id as contactId, a.state_code as stateCode, a.role_id as roleId
         from assignments a join contacts c on c.id = a.contact_id and c.deleted_at is null
        where a.deleted_at is null
          and a.state_code in (select value from json_each(?))
          and (? is null or a.role_id in (select value from json_each(?)))
          and a.start_date <= ? and (a.end_date is null or a.end_date > ?)
        order by a.contact_id, a.state_code, a.role_id, a.id`,
    )
    .all(
      JSON.stringify(stateCodes),
      roleIds === null ? null : 1,
      JSON.stringify(roleIds ?? []),
      day,
      day,
    ) as (CampaignPost & { contactId: string })[]
  const byPerson = new Map<string, CampaignPost[]>()
  for (const { contactId, ...post } of rows) {
    const posts = byPerson.get(contactId) ?? []
    posts.push(post)
    byPerson.set(contactId, posts)
  }
  return [...byPerson].map(([contactId, posts]) => ({ contactId, posts }))
}

export function insertLink(tx: Tx, row: CampaignLinkRow): void {
  tx.insert(campaignLinks).values(row).run()
}

export function linksOf(db: Tx, campaignId: string): CampaignLinkRow[] {
  return db
    .select()
    .from(campaignLinks)
    .where(eq(campaignLinks.campaignId, campaignId))
    .orderBy(asc(campaignLinks.id))
    .all()
}

/** Gives a link a new token (the old one stops working) and answers the new token. */
export function reissueLink(tx: Tx, linkId: string, at: string): string {
  const token = newToken()
  tx.update(campaignLinks)
    .set({ tokenHash: hashToken(token), issuedAt: at })
    .where(eq(campaignLinks.id, linkId))
    .run()
  return token
}

export interface UsableLink {
  link: CampaignLinkRow
  campaign: CampaignRow
  contact: ContactRow
}

/**
 * The link a token opens, if it still works: known, unanswered, not expired, its campaign and
 * person not deleted. Every token costs the same: one hash and one indexed lookup.
 */
export function findUsableLink(db: Tx, token: string, at: string): UsableLink | undefined {
  const row = db
    .select({ link: campaignLinks, campaign: campaigns })
    .from(campaignLinks)
    .innerJoin(campaigns, eq(campaigns.id, campaignLinks.campaignId))
    .where(eq(campaignLinks.tokenHash, hashToken(token)))
    .get()
  if (!row || row.link.outcome !== null || row.link.expiresAt <= at || row.campaign.deletedAt !== null) {
    return undefined
  }
  const contact = findLive(db, contacts, contacts.id, row.link.contactId)
  return contact ? { ...row, contact } : undefined
}

export function markAnswered(tx: Tx, linkId: string, outcome: 'confirmed' | 'corrected', at: string): void {
  tx.update(campaignLinks).set({ outcome, answeredAt: at }).where(eq(campaignLinks.id, linkId)).run()
}

export function insertCorrection(tx: Tx, row: CorrectionRow): void {
  tx.insert(corrections).values(row).run()
}

export function findCorrection(db: Tx, id: string): CorrectionRow | undefined {
  return db.select().from(corrections).where(eq(corrections.id, id)).get()
}

export function correctionsOf(
  db: Db,
  campaignId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  return paginate(
    db,
    query,
    (r: CorrectionRow) => r.id,
    (after, take) =>
      db
        .select()
        .from(corrections)
        .where(
          and(eq(corrections.campaignId, campaignId), after ? sql`${corrections.id} > ${after}` : undefined),
        )
        .orderBy(asc(corrections.id))
        .limit(take)
        .all(),
  )
}

/** Latest correction status per link of a campaign. */
export function correctionStatuses(db: Db, campaignId: string): Map<string, CorrectionRow['status']> {
  const out = new Map<string, CorrectionRow['status']>()
  const rows = db
    .select({ linkId: corrections.linkId, status: corrections.status })
    .from(corrections)
    .where(eq(corrections.campaignId, campaignId))
    .orderBy(asc(corrections.id))
    .all()
  for (const r of rows) out.set(r.linkId, r.status)
  return out
}

export function reviewCorrection(
  tx: Tx,
  id: string,
  review: Pick<CorrectionRow, 'status' | 'reviewedBy' | 'reviewedAt' | 'reason'>,
): CorrectionRow {
  tx.update(corrections).set(review).where(eq(corrections.id, id)).run()
  return findCorrection(tx, id) as CorrectionRow
}

/** Current holders (today) of the state's mission-poc role. */
export function missionPocs(db: Db, stateCode: string, day: string): { contactId: string; name: string }[] {
  return db.$client
    .prepare(
      `select c.id as contactId, c.display_name as name
         from assignments a
         join roles r on r.id = a.role_id and r.key = 'mission-poc' and r.deleted_at is null
         join contacts c on c.id = a.contact_id and c.deleted_at is null
        where a.deleted_at is null and a.state_code = ?
          and a.start_date <= ? and (a.end_date is null or a.end_date > ?)
        order by a.is_primary desc, a.start_date, c.id`,
    )
    .all(stateCode, day, day) as { contactId: string; name: string }[]
}
