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
type Serialize = (data: unknown) => string | Buffer
type JsonSchema = {
  $ref?: string
  $defs?: Record<string, JsonSchema>
  type?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
}

// Routes share schemas (Problem on every error status, the same record on read and write):
// each is compiled once, and only when first used, which keeps start-up short.
const compiled = new WeakMap<z.ZodType, Serialize>()

function compile(schema: z.ZodType): Serialize {
  let serialize = compiled.get(schema)
  // Stryker disable next-line ConditionalExpression: a cache; compiling again gives the same serializer
  if (!serialize) {
    const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema
    serialize = pageSerializer(json) ?? compileJson(json)
    compiled.set(schema, serialize)
  }
  return serialize
}

const compileJson = (json: JsonSchema) =>
  fastJson()(json as Parameters<typeof fastJsonType>[0]) as (data: unknown) => string

/**
 * A page (an object whose `items` is an array: a list, the directory, the feed) is written as
 * UTF-8 bytes item by item, each item by the item schema's own compiled serializer.
 * Written whole, a page of 50 embedded records is one string of ~85,000 characters built by
 * concatenation; turning that string into bytes (for Content-Length and the socket) costs
 * several times what serializing it does, most of it in flattening one large two-byte string.
 * Items written and encoded one by one stay small. The allow-list is the same: every piece is
 * written by fast-json-stringify from its declared sub-schema, and the envelope names only the
 * declared properties, in their declared order.
 */
function pageSerializer(json: JsonSchema): Serialize | null {
  const defs = json.$defs ?? {}
  // zod writes a schema with an id as a `$ref` to its entry in `$defs`.
  const root = (json.$ref ? defs[json.$ref.slice('#/$defs/'.length)] : json) as JsonSchema
  const properties = root.properties
  if (properties?.items?.type !== 'array' || !properties.items.items) return null
  const required = new Set(root.required)
  const withDefs = (sub: JsonSchema) => ({ ...sub, $defs: defs })
  const parts = Object.entries(properties).map(([key, sub]) => ({
    key,
    required: required.has(key),
    name: `,${JSON.stringify(key)}:`,
    whole: compileJson(withDefs(sub)),
    // Stryker disable next-line all: items one by one is the fast path; the whole-array serializer writes the same text
    item: key === 'items' && sub.items ? compileJson(withDefs(sub.items)) : null,
  }))
  const open = Buffer.from('{')
  const close = Buffer.from('}')
  const comma = Buffer.from(',')
  const arrayClose = Buffer.from(']')
  return (data) => {
    const record = data as Record<string, unknown>
    const chunks: Buffer[] = [open]
    let first = true
    for (const part of parts) {
      const value = record[part.key]
      if (value === undefined) {
        if (part.required) throw new Error(`"${part.key}" is required!`)
        continue
      }
      const name = first ? part.name.slice(1) : part.name
      first = false
      const writeItem = part.item
      // Stryker disable next-line ConditionalExpression: the whole-array serializer writes the same text, only slower
      if (writeItem && Array.isArray(value)) {
        chunks.push(Buffer.from(`${name}[`))
        value.forEach((item, i) => {
          if (i > 0) chunks.push(comma)
          chunks.push(Buffer.from(writeItem(item)))
        })
        chunks.push(arrayClose)
      } else {
        chunks.push(Buffer.from(name + part.whole(value)))
      }
    }
    chunks.push(close)
    return Buffer.concat(chunks)
  }
}

export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  let serialize: Serialize | undefined
  return (data) => {
    serialize ??= compile(schema)
    return serialize(data) as string
  }
}
