import type { Db } from '../../db/client.js'
import type { CampaignLinkRow, CampaignRow, ContactRow, CorrectionRow } from '../../db/schema.js'
import { applyMergePatch } from '../../lib/merge-patch.js'
import { badRequest, conflict, forbidden, invalidField } from '../../lib/problem.js'
import { mustExist } from '../../lib/references.js'
import { clientOf } from '../../lib/statements.js'
import { today } from '../../lib/tenure.js'
import { createRecord, newId, now, type Tx, updateRecord, type WriteContext } from '../../lib/write-path.js'
import type { Principal } from '../../plugins/auth.js'
import { requireStates } from '../../plugins/auth.js'
import { issuesToErrors, validationProblem } from '../../plugins/errors.js'
import { contactFields, contactToInput } from '../contacts/contact-fields.js'
import { findContact, mayChangeContact } from '../contacts/contacts-repository.js'
import { ContactCreate } from '../contacts/contacts-schemas.js'
import { findRoleByKeyOrId } from '../roles/roles-repository.js'
import { findState } from '../states/states-repository.js'
import {
  correctionStatuses,
  findCampaign,
  findTargets,
  findUsableLink,
  hashToken,
  insertCorrection,
  insertLink,
  linkExpiry,
  linksOf,
  markAnswered,
  missionPocs,
  newToken,
  reissueLink,
  reviewCorrection,
  type UsableLink,
} from './campaigns-repository.js'
import { type CampaignCreate, MAX_TARGETS } from './campaigns-schemas.js'

/**
 * Verification campaigns: staff target the current holders of some states' roles, each person
 * gets a single-use link to confirm or correct their own entry. HTTP lives in the routes; the
 * JSON API and the HTML page call these same functions.
 */

export const linkPath = (token: string) => `/verify/${token}`
export const linkOf = (base: string | null, token: string) => `${base ?? ''}${linkPath(token)}`

export const firstEmail = (contact: ContactRow): string | null =>
  contact.contactDetails.find((d) => d.type === 'email')?.value ?? null

/** The proposer named in a contact's history: the campaign whose link was used. */
export const campaignActor = (campaignId: string) => `campaign:${campaignId}`

export function presentCampaign(row: CampaignRow) {
  const { deletedAt: _d, ...rest } = row
  return rest
}

/** A limited token reads and works only on campaigns wholly within its states. */
export function requireCampaignStates(principal: Principal, campaign: CampaignRow): void {
  if (principal.states === null) return
  if (!campaign.stateCodes.every((s) => principal.states?.includes(s))) {
    throw forbidden('The campaign targets states this token may not change')
  }
}

export interface IssuedLink {
  contactId: string
  name: string
  email: string | null
  token: string
  link: string
  expiresAt: string
}

/**
 * Creates the campaign (a record through the write path) and one link per targeted person. The
 * check order is DESIGN's: the body (400), the states rule (403), then references (400).
 */
export function createCampaign(
  tx: Tx,
  ctx: WriteContext,
  principal: Principal,
  input: CampaignCreate,
  base: string | null,
): { campaign: CampaignRow; links: IssuedLink[] } {
  const day = today()
  if (input.dueDate < day) throw invalidField('dueDate', `must be today (${day}) or later`)
  const stateCodes = [...new Set(input.stateCodes)].sort()
  requireStates(principal, stateCodes)
  for (const code of stateCodes) mustExist(findState(tx, code), 'stateCodes', `state ${code}`)
  const roleIds = input.roles
    ? [
        ...new Set(input.roles.map((r) => mustExist(findRoleByKeyOrId(tx, r), 'roles', `role ${r}`).id)),
      ].sort()
    : null
  const targets = findTargets(tx, stateCodes, roleIds, day)
  if (targets.length > MAX_TARGETS) {
    throw badRequest(
      `The campaign would target ${targets.length} people; at most ${MAX_TARGETS} per campaign`,
    )
  }
  const campaign = createRecord(tx, ctx, 'campaign', {
    id: newId(),
    title: input.title,
    message: input.message,
    dueDate: input.dueDate,
    stateCodes,
    roleIds,
  })
  const at = now()
  const expiresAt = linkExpiry(input.dueDate)
  const links = targets.map((target) => {
    const token = newToken()
    insertLink(tx, {
      id: newId(),
      campaignId: campaign.id,
      contactId: target.contactId,
      posts: target.posts,
      tokenHash: hashToken(token),
      expiresAt,
      issuedAt: at,
      outcome: null,
      answeredAt: null,
    })
    const contact = clientOf(tx)
      .prepare('select display_name as name, contact_details as details from contacts where id = ?')
      .get(target.contactId) as { name: string; details: string }
    const email =
      (JSON.parse(contact.details) as ContactRow['contactDetails']).find((d) => d.type === 'email')?.value ??
      null
    return {
      contactId: target.contactId,
      name: contact.name,
      email,
      token,
      link: linkOf(base, token),
      expiresAt,
    }
  })
  links.sort((a, b) => a.name.localeCompare(b.name) || a.contactId.localeCompare(b.contactId))
  return { campaign, links }
}

/**
 * New tokens for everyone who has not answered (the links issued before stop working), for a
 * mail merge or a mailing. A campaign past its due date has nothing left to send: 409.
 */
export function reissueUnanswered(
  tx: Tx,
  campaign: CampaignRow,
  base: string | null,
): { link: IssuedLink; contact: ContactRow }[] {
  const at = now()
  if (linkExpiry(campaign.dueDate) <= at) {
    throw conflict(`The campaign was due on ${campaign.dueDate}; its links have expired`)
  }
  const out: { link: IssuedLink; contact: ContactRow }[] = []
  for (const link of linksOf(tx, campaign.id)) {
    if (link.outcome !== null) continue
    const row = findContact(tx, link.contactId)
    if (!row) continue
    const token = reissueLink(tx, link.id, at)
    out.push({
      contact: row,
      link: {
        contactId: row.id,
        name: row.displayName,
        email: firstEmail(row),
        token,
        link: linkOf(base, token),
        expiresAt: link.expiresAt,
      },
    })
  }
  out.sort(
    (a, b) => a.link.name.localeCompare(b.link.name) || a.link.contactId.localeCompare(b.link.contactId),
  )
  return out
}

/** What the person behind a link may see: their own record (all their details) and current posts. */
export function ownRecord(db: Db, usable: UsableLink) {
  const { contact, campaign } = usable
  const posts = db.$client
    .prepare(
      `select r.name as role, o.name as organization, a.state_code as stateCode, a.start_date as startDate,
              a.is_primary as isPrimary
         from assignments a
         join roles r on r.id = a.role_id
         join organizations o on o.id = a.organization_id
        where a.contact_id = ? and a.deleted_at is null
          and a.start_date <= ? and (a.end_date is null or a.end_date > ?)
        order by r.key, a.start_date, a.id`,
    )
    .all(contact.id, today(), today()) as {
    role: string
    organization: string
    stateCode: string | null
    startDate: string
    isPrimary: number
  }[]
  return {
    campaign: { title: campaign.title, message: campaign.message, dueDate: campaign.dueDate },
    contact: {
      honorific: contact.honorific,
      givenName: contact.givenName,
      familyName: contact.familyName,
      displayName: contact.displayName,
      nameOriginal: contact.nameOriginal,
      nameLatin: contact.nameLatin,
      positionTitle: contact.positionTitle,
      languages: contact.languages,
      contactDetails: contact.contactDetails,
      lastVerifiedAt: contact.lastVerifiedAt,
    },
    posts: posts.map((p) => ({ ...p, isPrimary: p.isPrimary === 1 })),
  }
}

export function openLink(db: Tx, token: string): UsableLink | undefined {
  return findUsableLink(db, token, now())
}

/** The person confirms: lastVerifiedAt is set through the write path, the campaign as actor. */
export function confirmLink(tx: Tx, token: string, requestId: string) {
  const usable = openLink(tx, token)
  if (!usable) return undefined
  const at = now()
  updateRecord(tx, { actor: campaignActor(usable.campaign.id), requestId }, 'contact', usable.contact, {
    lastVerifiedAt: at,
  })
  markAnswered(tx, usable.link.id, 'confirmed', at)
  return { outcome: 'confirmed' as const, at }
}

/** The patched record as a contact create body, or the 400 naming what is wrong with it. */
function patched(contact: ContactRow, patch: Record<string, unknown>) {
  const parsed = ContactCreate.safeParse(applyMergePatch(contactToInput(contact), patch))
  if (!parsed.success) throw validationProblem(issuesToErrors(parsed.error.issues))
  return parsed.data
}

/** The person proposes a change to their own entry; staff review it. The link is then spent. */
export function proposeCorrection(tx: Tx, token: string, patch: Record<string, unknown>) {
  const usable = openLink(tx, token)
  if (!usable) return undefined
  if (Object.keys(patch).length === 0) throw badRequest('The correction changes nothing; confirm instead')
  patched(usable.contact, patch)
  const at = now()
  insertCorrection(tx, {
    id: newId(),
    campaignId: usable.campaign.id,
    linkId: usable.link.id,
    contactId: usable.contact.id,
    patch,
    baseVersion: usable.contact.version,
    status: 'pending',
    proposedAt: at,
    reviewedBy: null,
    reviewedAt: null,
    reason: null,
  })
  markAnswered(tx, usable.link.id, 'corrected', at)
  return { outcome: 'corrected' as const, at }
}

function reviewable(tx: Tx, principal: Principal, correction: CorrectionRow): ContactRow | undefined {
  if (!mayChangeContact(tx, principal.states, correction.contactId)) {
    throw forbidden('The contact has no assignment in the states this token may change')
  }
  if (correction.status !== 'pending') throw conflict(`The correction was already ${correction.status}`)
  return findContact(tx, correction.contactId)
}

/**
 * Applies a proposed correction through the write path. The revision's actor names both the
 * reviewer (the token's subject) and the proposer (the campaign link). The contact must be at
 * the version the person saw, or the change could undo someone else's: 409.
 */
export function acceptCorrection(tx: Tx, principal: Principal, correction: CorrectionRow, requestId: string) {
  const contact = reviewable(tx, principal, correction)
  if (!contact) throw conflict('The contact was deleted since the correction was proposed')
  if (contact.version !== correction.baseVersion) {
    throw conflict(
      `The contact changed since the correction was proposed (version ${correction.baseVersion} then, ${contact.version} now); apply it by hand or reject it`,
    )
  }
  const input = patched(contact, correction.patch)
  const at = now()
  const actor = `${principal.sub} accepting a correction from ${campaignActor(correction.campaignId)}`
  updateRecord(tx, { actor, requestId }, 'contact', contact, {
    ...contactFields(input, contact.id, contact),
    lastVerifiedAt: at,
  })
  return reviewCorrection(tx, correction.id, {
    status: 'accepted',
    reviewedBy: principal.sub,
    reviewedAt: at,
    reason: null,
  })
}

export function rejectCorrection(tx: Tx, principal: Principal, correction: CorrectionRow, reason: string) {
  reviewable(tx, principal, correction)
  return reviewCorrection(tx, correction.id, {
    status: 'rejected',
    reviewedBy: principal.sub,
    reviewedAt: now(),
    reason,
  })
}

export function campaignReport(db: Db, campaign: CampaignRow) {
  const day = today()
  const overdue = day > campaign.dueDate
  const statuses = correctionStatuses(db, campaign.id)
  const names = new Map(
    (
      db.$client
        .prepare(
          `select c.id, c.display_name as name from campaign_links l join contacts c on c.id = l.contact_id
            where l.campaign_id = ?`,
        )
        .all(campaign.id) as { id: string; name: string }[]
    ).map((r) => [r.id, r.name]),
  )
  const byState = new Map<string | null, { link: CampaignLinkRow; name: string }[]>()
  for (const link of linksOf(db, campaign.id)) {
    const name = names.get(link.contactId) ?? ''
    for (const state of new Set(link.posts.map((p) => p.stateCode))) {
      const people = byState.get(state) ?? []
      people.push({ link, name })
      byState.set(state, people)
    }
  }
  const order = (a: { name: string; link: CampaignLinkRow }, b: { name: string; link: CampaignLinkRow }) =>
    a.name.localeCompare(b.name) || a.link.contactId.localeCompare(b.link.contactId)
  const states = [...byState].sort(([a], [b]) => (a ?? '').localeCompare(b ?? ''))
  const escalations = []
  for (const [stateCode, people] of states) {
    people.sort(order)
    if (!overdue) continue
    const pocs = stateCode ? missionPocs(db, stateCode, day) : []
    for (const { link, name } of people) {
      if (link.outcome === null)
        escalations.push({ contactId: link.contactId, name, stateCode, missionPocs: pocs })
    }
  }
  return {
    campaign: { id: campaign.id, title: campaign.title, dueDate: campaign.dueDate },
    asOf: day,
    overdue,
    states: states.map(([stateCode, people]) => ({
      stateCode,
      people: people.map(({ link, name }) => ({
        contactId: link.contactId,
        name,
        outcome: link.outcome ?? ('no-answer' as const),
        answeredAt: link.answeredAt,
        correction: statuses.get(link.id) ?? null,
      })),
    })),
    escalations,
  }
}

export { findCampaign }
