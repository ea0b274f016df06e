import { and, eq, isNull } from 'drizzle-orm'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Db } from '../../db/client.js'
import { assignments, organizations, type StateRow, states } from '../../db/schema.js'
import { registerCrudRoutes } from '../../lib/crud-routes.js'
import { conflict } from '../../lib/problem.js'
import { StateCode } from '../../lib/schemas.js'
import { requireUnlimited } from '../../plugins/auth.js'
import { findState, listStates } from './states-repository.js'
import {
  State,
  StateCreate,
  type StateInput,
  StateList,
  StateListQuery,
  StatePatch,
} from './states-schemas.js'

export const presentState = ({ deletedAt: _d, ...row }: StateRow) => row

export const statesRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  registerCrudRoutes<'state', StateInput, StateListQuery>(app, db, {
    entity: 'state',
    basePath: '/v1/states',
    tag: 'States',
    noun: 'state',
    keyParam: StateCode,
    writeScope: 'directory:admin',
    schemas: {
      record: State,
      list: StateList,
      create: StateCreate,
      patch: StatePatch,
      listQuery: StateListQuery,
    },
    keyOf: (row) => row.code,
    find: findState,
    list: listStates,
    present: (row) => presentState(row),
    toInput: ({ version: _v, createdAt: _c, updatedAt: _u, deletedAt: _d, ...input }) => input,
    prepare: (_tx, input) => input,
    authorize: (_tx, principal) => requireUnlimited(principal, 'states'),
    check: (tx, fields, current) => {
      if (current && fields.code !== current.code) {
        throw conflict('A state code cannot change; create the new state instead')
      }
      if (!current && tx.select().from(states).where(eq(states.code, fields.code)).get()) {
        throw conflict(`State ${fields.code} exists or existed; a deleted code is not reused`)
      }
    },
    beforeDelete: (tx, row) => {
      const org = tx
        .select({ id: organizations.id })
        .from(organizations)
        .where(and(eq(organizations.stateCode, row.code), isNull(organizations.deletedAt)))
        .get()
      const asg = tx
        .select({ id: assignments.id })
        .from(assignments)
        .where(and(eq(assignments.stateCode, row.code), isNull(assignments.deletedAt)))
        .get()
      if (org || asg) throw conflict(`State ${row.code} still has organizations or assignments`)
    },
  })
}
