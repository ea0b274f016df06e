/** How the record pages show field names and values. */

const LABELS: Record<string, string> = {
  id: 'Id',
  givenName: 'Given name',
  familyName: 'Family name',
  displayName: 'Display name',
  nameOriginal: 'Name in original script',
  nameLatin: 'Name in Latin script',
  positionTitle: 'Position',
  contactDetails: 'Contact details',
  externalId: 'External id',
  lastVerifiedAt: 'Last verified',
  stateCode: 'State',
  parentId: 'Parent organization',
  contactId: 'Person',
  roleId: 'Role',
  organizationId: 'Organization',
  startDate: 'Start date',
  endDate: 'End date',
  endReason: 'End reason',
  isPrimary: 'Primary holder',
  succeededBy: 'Succeeded by',
  designationRef: 'Designation reference',
  designationDate: 'Designation date',
}

export function fieldLabel(field: string): string {
  if (LABELS[field]) return LABELS[field]
  const words = field.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

function isDetail(v: unknown): v is { type: string; value: string; visibility?: string } {
  return typeof v === 'object' && v !== null && 'type' in v && 'value' in v
}

/** A stored value as one line of text; an absent value as "(empty)". */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(empty)'
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (Array.isArray(value)) {
    if (value.length === 0) return '(empty)'
    return value
      .map((v) =>
        isDetail(v) ? `${v.type} ${v.value}${v.visibility ? ` (${v.visibility})` : ''}` : formatValue(v),
      )
      .join('; ')
  }
  if (typeof value === 'object') return JSON.stringify(value)
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return formatInstant(value)
  return String(value)
}

/** An instant as the reader's local date and time. */
export function formatInstant(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })
}

/** Whether two stored values are the same (arrays and objects compared by content). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}
