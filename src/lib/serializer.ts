import fastJson from 'fast-json-stringify'
import type { FastifySerializerCompiler } from 'fastify/types/schema.js'
import { z } from 'zod'

/**
 * Response serialization compiled from each route's zod response schema: zod turns it into
 * JSON Schema once, fast-json-stringify compiles a serializer from that. Like zod's parse, it
 * writes only the declared properties, so the schema stays the allow-list that keeps
 * restricted fields private; unlike parse it does not rebuild every object per response, which
 * is most of the cost on large pages.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' })
  return fastJson(json as Parameters<typeof fastJson>[0]) as (data: unknown) => string
}
