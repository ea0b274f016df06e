import type { ContactRow } from '../../db/schema.js'

/**
 * The import's identity rules (docs/imports-exports.md, "How rows are matched"), shared by every
 * bulk write that names people: the directory import and a training event's attendance list.
 * A row names a person by `externalId`, or by the record id (what an export writes there for a
 * person without externalId), or, for a token that may read restricted values, by e-mail
 * unless that person is keyed by another externalId.
 */
export class PersonIndex {
  private readonly byId = new Map<string, ContactRow>()
  private readonly byExternalId = new Map<string, ContactRow>()
  private readonly byEmail = new Map<string, ContactRow>()

  constructor(people: Iterable<ContactRow>) {
    for (const c of people) this.remember(c)
  }

  /** How many people the index holds. */
  // Stryker disable next-line BlockStatement: the size only decides whether the import rebuilds the contacts' indexes at its end (speed), never what it writes
  get size(): number {
    return this.byId.size
  }

  /** Adds or refreshes a person (after a create or update in the same run). */
  remember(c: ContactRow): void {
    this.byId.set(c.id, c)
    if (c.externalId) this.byExternalId.set(c.externalId, c)
    for (const d of c.contactDetails)
      if (d.type === 'email' && !this.byEmail.has(d.value)) this.byEmail.set(d.value, c)
  }

  /**
   * The person a row names. `keyedById`: the row's externalId is that person's record id (so it
   * is not theirs to store); `field`: the column that matched, for error messages.
   */
  match(
    externalId: string | undefined,
    email: string | undefined,
    seesRestricted: boolean,
  ): { contact: ContactRow | undefined; keyedById: boolean; field: 'externalId' | 'email' } {
    const emailMatch = email && seesRestricted ? this.byEmail.get(email) : undefined
    const idMatch = externalId ? this.byId.get(externalId) : undefined
    const keyedById = idMatch !== undefined && idMatch.externalId === null
    const byKey = externalId ? this.byExternalId.get(externalId) : undefined
    const contact =
      byKey ??
      (keyedById ? idMatch : undefined) ??
      (emailMatch && (!externalId || !emailMatch.externalId) ? emailMatch : undefined)
    return { contact, keyedById, field: keyedById || byKey !== undefined ? 'externalId' : 'email' }
  }
}
