import { and, gt, isNotNull, isNull, lte, or, type SQL } from 'drizzle-orm'
import { assignments } from '../db/schema.js'

/**
 * A tenure covers [startDate, endDate): on its end date the person no longer holds the role,
 * so a handover on day D leaves exactly one holder on D. Current means not ended by today.
 */
export const today = (): string => new Date().toISOString().slice(0, 10)

export const isCurrent = (endDate: string | null, day = today()): boolean => endDate === null || endDate > day

export const currentTenure = (day = today()): SQL =>
  or(isNull(assignments.endDate), gt(assignments.endDate, day)) as SQL

export const endedTenure = (day = today()): SQL =>
  and(isNotNull(assignments.endDate), lte(assignments.endDate, day)) as SQL
