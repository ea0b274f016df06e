import { and, eq, isNull } from 'drizzle-orm'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Db } from '../../db/client.js'
import { assignments, type RoleRow, roles } from '../../db/schema.js'
import { registerCrudRoutes } from '../../lib/crud-routes.js'
import { conflict } from '../../lib/problem.js'
import { Id } from '../../lib/schemas.js'
import { newId } from '../../lib/write-path.js'
import { requireUnlimited } from '../../plugins/auth.js'
import { findRole, listRoles } from './roles-repository.js'
import { Role, RoleCreate, type RoleInput, RoleList, RoleListQuery, RolePatch } from './roles-schemas.js'

export const presentRole = ({ deletedAt: _d, ...row }: RoleRow) => row

export const rolesRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  registerCrudRoutes<'role', RoleInput, RoleListQuery>(app, db, {
    entity: 'role',
    basePath: '/v1/roles',
    tag: 'Roles',
    noun: 'role',
    keyParam: Id,
    writeScope: 'directory:admin',
    schemas: {
      record: Role,
      list: RoleList,
      create: RoleCreate,
      patch: RolePatch,
      listQuery: RoleListQuery,
    },
    keyOf: (row) => row.id,
    find: findRole,
    list: listRoles,
    present: (row) => presentRole(row),
    toInput: ({ key, name, description, domain }) => ({ key, name, description, domain }),
    prepare: (_tx, input, current) => ({
      id: current?.id ?? newId(),
      key: input.key,
      name: input.name,
      description: input.description ?? null,
      domain: input.domain,
    }),
    authorize: (_tx, principal) => requireUnlimited(principal, 'roles'),
    check: (tx, fields) => {
      const clash = tx
        .select({ id: roles.id })
        .from(roles)
        .where(and(eq(roles.key, fields.key), isNull(roles.deletedAt)))
        .get()
      if (clash && clash.id !== fields.id) throw conflict(`Role key ${fields.key} is taken`)
    },
    beforeDelete: (tx, row) => {
      const used = tx
        .select({ id: assignments.id })
        .from(assignments)
        .where(and(eq(assignments.roleId, row.id), isNull(assignments.deletedAt)))
        .get()
      if (used) throw conflict(`Role ${row.key} is used by assignments; it cannot be deleted`)
    },
  })
}
