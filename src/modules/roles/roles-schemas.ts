import { z } from 'zod'
import { Bookkeeping, Id, ListQueryBase, listOf, NameText, patchOf, UpdatedSince } from '../../lib/schemas.js'

export const RoleDomain = z.enum([
  'general',
  'nuclear',
  'chemical',
  'biological',
  'export-control',
  'border',
  'finance',
  'legal',
])

const MAX_ROLE_DESCRIPTION = 2000
export const MAX_ROLE_KEY = 60

export const roleFields = {
  key: z
    .string()
    .min(2)
    .max(MAX_ROLE_KEY)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lower-case slug such as national-poc'),
  name: NameText(200),
  description: z.string().trim().max(MAX_ROLE_DESCRIPTION).nullable().optional(),
  domain: RoleDomain,
}

export const RoleCreate = z.strictObject(roleFields).meta({
  id: 'RoleCreate',
  example: {
    key: 'customs-poc',
    name: 'Customs point of contact',
    description: 'Customs administration liaison for export-control matters',
    domain: 'export-control',
  },
})
export const RolePatch = patchOf(roleFields, 'RolePatch')
export const Role = z
  .object({
    id: Id,
    ...roleFields,
    description: z.string().max(MAX_ROLE_DESCRIPTION).nullable(),
    ...Bookkeeping,
  })
  .meta({ id: 'Role' })
export const RoleList = listOf(Role, 'RoleList')

export const RoleListQuery = z.strictObject({
  ...ListQueryBase,
  domain: RoleDomain.optional(),
  updatedSince: UpdatedSince,
})
export type RoleListQuery = z.infer<typeof RoleListQuery>
export type RoleInput = z.infer<typeof RoleCreate>
