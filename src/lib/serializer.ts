import type fastJsonType from 'fast-json-stringify'
import type { FastifySerializerCompiler } from 'fastify/types/schema.js'
import { z } from 'zod'
import { lazy } from './lazy.js'

// Loaded with the first response: start-up does not need it.
const fastJson = lazy<typeof fastJsonType>('fast-json-stringify')

/**
 * Response serialization compiled from each route's zod response schema: zod turns it into
 * JSON Schema once, fast-json-stringify compiles a serializer from that. Like zod's parse, it
 * writes only the declared properties, so the schema stays the allow-list that keeps
 * restricted fields private; unlike parse it does not rebuild every object per response, which
 * is most of the cost on large pages.
 */
type Serialize = (data: unknown) => string

// Routes share schemas (Problem on every error status, the same record on read and write):
// each is compiled once, and only when first used, which keeps start-up short.
const compiled = new WeakMap<z.ZodType, Serialize>()

function compile(schema: z.ZodType): Serialize {
  let serialize = compiled.get(schema)
  if (!serialize) {
    const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' })
    serialize = fastJson()(json as Parameters<typeof fastJsonType>[0]) as Serialize
    compiled.set(schema, serialize)
  }
  return serialize
}

export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  let serialize: Serialize | undefined
  return (data) => {
    serialize ??= compile(schema)
    return serialize(data)
  }
}
