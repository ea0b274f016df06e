import { z } from 'zod'
import {
  Bookkeeping,
  BooleanString,
  CalendarDate,
  Id,
  ListQueryBase,
  listOf,
  patchOf,
  StateCode,
  UpdatedSince,
} from '../../lib/schemas.js'

/** Bounds of an assignment's text, enforced on input and declared on the record. */
export const ASSIGNMENT_LIMITS = { endReason: 500, designationRef: 200 } as const

export const assignmentFields = {
  contactId: Id,
  roleId: Id,
  organizationId: Id,
  stateCode: StateCode.nullable()
    .optional()
    .describe("The state served; defaults to the organization's state"),
  startDate: CalendarDate,
  endDate: CalendarDate.nullable().optional().describe('First day no longer held; null while current'),
  endReason: z.string().trim().min(1).max(ASSIGNMENT_LIMITS.endReason).nullable().optional(),
  isPrimary: z.boolean().optional(),
  designationRef: z
    .string()
    .trim()
    .min(1)
    .max(ASSIGNMENT_LIMITS.designationRef)
    .nullable()
    .optional()
    .describe('Reference of the note verbale or letter of designation'),
  designationDate: CalendarDate.nullable().optional(),
}

export const AssignmentCreate = z
  .strictObject(assignmentFields)
  .refine((a) => !a.endDate || a.endDate >= a.startDate, {
    path: ['endDate'],
    message: 'must not be before startDate',
  })
  .meta({
    id: 'AssignmentCreate',
    example: {
      contactId: '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e4f',
      roleId: '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e50',
      organizationId: '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e51',
      startDate: '2024-03-01',
      isPrimary: true,
      designationRef: 'Note verbale No. 12/345',
      designationDate: '2024-02-20',
    },
  })
export const AssignmentPatch = patchOf(assignmentFields, 'AssignmentPatch')

export const Assignment = z
  .object({
    id: Id,
    contactId: Id,
    roleId: Id,
    organizationId: Id,
    stateCode: StateCode.nullable(),
    startDate: CalendarDate,
    endDate: CalendarDate.nullable(),
    endReason: z.string().max(ASSIGNMENT_LIMITS.endReason).nullable(),
    isPrimary: z.boolean(),
    succeededBy: Id.nullable().describe('The assignment that took over at a handover'),
    designationRef: z.string().max(ASSIGNMENT_LIMITS.designationRef).nullable(),
    designationDate: CalendarDate.nullable(),
    ...Bookkeeping,
  })
  .meta({ id: 'Assignment' })
export const AssignmentList = listOf(Assignment, 'AssignmentList')

export const AssignmentListQuery = z.strictObject({
  ...ListQueryBase,
  state: StateCode.optional(),
  organization: Id.optional(),
  role: z.string().min(1).max(64).optional().describe('Role key or id'),
  contact: Id.optional(),
  current: BooleanString.optional().describe('true: current tenures only; false: ended ones only'),
  updatedSince: UpdatedSince,
})
export type AssignmentListQuery = z.infer<typeof AssignmentListQuery>
export type AssignmentInput = z.infer<typeof AssignmentCreate>

export const HandoverBody = z
  .strictObject({
    contactId: Id.describe('The successor'),
    date: CalendarDate.describe('The day the successor takes over (the old tenure ends on it)'),
    endReason: z.string().trim().min(1).max(ASSIGNMENT_LIMITS.endReason).optional(),
    designationRef: z.string().trim().min(1).max(ASSIGNMENT_LIMITS.designationRef).optional(),
    designationDate: CalendarDate.optional(),
  })
  .meta({
    id: 'Handover',
    example: {
      contactId: '0192f7a0-3c1e-7d2a-9b1e-6a5f1c2d3e52',
      date: '2025-09-01',
      endReason: 'Rotated to another post',
      designationRef: 'Note verbale No. 15/101',
    },
  })

export const HandoverResult = z
  .object({ ended: Assignment, started: Assignment })
  .meta({ id: 'HandoverResult' })
