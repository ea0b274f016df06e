import type { Schemas } from '../api'
import type { FieldSpec } from './edit-form'

type Assignment = Schemas['Assignment']

/** The fields of a tenure the console edits. */
export const ASSIGNMENT_FIELDS: readonly FieldSpec[] = [
  { name: 'startDate', kind: 'date', required: true },
  { name: 'endDate', kind: 'date' },
  { name: 'endReason' },
  { name: 'isPrimary', kind: 'checkbox' },
  { name: 'designationRef' },
  { name: 'designationDate', kind: 'date' },
]

const today = () => new Date().toISOString().slice(0, 10)
/** Current: not ended, or ending after today (a planned end). */
export const isCurrent = (a: Assignment) => a.endDate === null || a.endDate > today()
