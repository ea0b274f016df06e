/** `pocdir handover` and `pocdir verify`: the API's own requests, local or over --url. */
import { type ApiClient, CliError, expectOk } from './common.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface Page<T> {
  items: T[]
}
interface Assignment {
  id: string
  contactId: string
  organizationId: string
  startDate: string
}
interface Contact {
  id: string
  displayName: string
}

export interface HandoverOptions {
  state: string
  role: string
  successor: string
  date: string
  organization?: string
  endReason?: string
  designationRef?: string
  designationDate?: string
}

/** Finds the one current tenure and the one successor, then hands over. Returns what to print. */
export async function handover(api: ApiClient, o: HandoverOptions): Promise<string> {
  const q = new URLSearchParams({ state: o.state, role: o.role, current: 'true', limit: '100' })
  if (o.organization) q.set('organization', o.organization)
  const current = expectOk<Page<Assignment>>(
    await api.request('GET', `/v1/assignments?${q}`),
    'finding the current tenure',
  ).items
  if (current.length === 0) throw new CliError(`no current ${o.role} in ${o.state} to hand over`)
  if (current.length > 1) {
    throw new CliError(
      `${current.length} current ${o.role} tenures in ${o.state} (organizations ${current
        .map((a) => a.organizationId)
        .join(', ')}): name one with --organization`,
    )
  }
  const tenure = current[0] as Assignment
  let successorId = o.successor
  if (!UUID.test(o.successor)) {
    const found = expectOk<Page<Contact>>(
      await api.request(
        'GET',
        `/v1/contacts?${new URLSearchParams({ q: o.successor, current: 'false', limit: '10' })}`,
      ),
      'finding the successor',
    ).items
    const exact = found.filter((c) => c.displayName.toLowerCase().includes(o.successor.toLowerCase()))
    const candidates = exact.length ? exact : found
    if (candidates.length === 0)
      throw new CliError(`no contact matches "${o.successor}": create the successor first`)
    if (candidates.length > 1) {
      throw new CliError(
        `"${o.successor}" matches ${candidates.length} contacts (${candidates
          .map((c) => `${c.displayName} ${c.id}`)
          .join('; ')}): give the id`,
      )
    }
    successorId = (candidates[0] as Contact).id
  }
  const body: Record<string, string> = { contactId: successorId, date: o.date }
  if (o.endReason) body.endReason = o.endReason
  if (o.designationRef) body.designationRef = o.designationRef
  if (o.designationDate) body.designationDate = o.designationDate
  const answer = expectOk<{ ended: Assignment & { endDate: string }; started: Assignment }>(
    await api.request('POST', `/v1/assignments/${tenure.id}/handover`, body),
    'handover refused',
  )
  return `Handed over: assignment ${answer.ended.id} ends ${answer.ended.endDate}; assignment ${answer.started.id} (contact ${answer.started.contactId}) starts ${answer.started.startDate}`
}

export async function verify(api: ApiClient, kind: string, id: string): Promise<string> {
  const path = kind === 'contact' ? 'contacts' : kind === 'organization' ? 'organizations' : undefined
  if (!path) throw new CliError(`verify: contact or organization, not ${kind}`)
  const answer = expectOk<{ id: string; lastVerifiedAt: string }>(
    await api.request('POST', `/v1/${path}/${encodeURIComponent(id)}/verify`),
    'verify refused',
  )
  return `Verified ${kind} ${answer.id} at ${answer.lastVerifiedAt}`
}
