import { z } from 'zod'
import {
  Bookkeeping,
  BooleanString,
  ListQueryBase,
  listOf,
  NameText,
  patchOf,
  StateCode,
  UpdatedSince,
  withoutControls,
} from '../../lib/schemas.js'

export const MAX_STATE_NAME = 200

const Names = z
  .record(z.string().min(2).max(20), withoutControls(z.string().min(1).max(200)))
  .describe('Names by BCP 47 language tag')

export const stateFields = {
  code: StateCode,
  iso3: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 3166-1 alpha-3 code in upper case')
    .meta({ minLength: 3, maxLength: 3 }),
  name: NameText(MAX_STATE_NAME),
  officialName: NameText(300),
  names: Names,
  unMember: z.boolean(),
  osceParticipating: z.boolean(),
}

export const StateCreate = z.strictObject(stateFields).meta({
  id: 'StateCreate',
  example: {
    code: 'XK',
    iso3: 'XKX',
    name: 'Kosovo',
    officialName: 'Republic of Kosovo',
    names: { en: 'Kosovo', fr: 'Kosovo' },
    unMember: false,
    osceParticipating: false,
  },
})
const { code: _code, ...patchable } = stateFields
export const StatePatch = patchOf(patchable, 'StatePatch')

export const State = z.object({ ...stateFields, ...Bookkeeping }).meta({ id: 'State' })
export const StateList = listOf(State, 'StateList')

export const StateListQuery = z.strictObject({
  ...ListQueryBase,
  osce: BooleanString.optional().describe('Only OSCE participating States (true) or others'),
  unMember: BooleanString.optional(),
  updatedSince: UpdatedSince,
})
export type StateListQuery = z.infer<typeof StateListQuery>
export type StateInput = z.infer<typeof StateCreate>
