import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { serializerCompiler } from '../../src/lib/serializer.js'

/**
 * Pages (an object whose `items` is an array) are serialized item by item
 * to bytes (src/lib/serializer.ts): the same JSON as a whole-object serialization, and the
 * same allow-list. Everything that reaches a client through a route is also checked against
 * the contract by the test helper; these pin the serializer's own edges.
 */
const Contact = z
  .object({ id: z.string(), name: z.string(), details: z.array(z.object({ value: z.string() })) })
  .meta({ id: 'SerializerTestContact' })
const Page = z
  .object({
    state: z.object({ code: z.string() }).nullable(),
    items: z.array(Contact).max(10),
    note: z.string().optional(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'SerializerTestPage' })

const compile = (schema: z.ZodType) =>
  serializerCompiler({ schema, method: 'GET', url: '/test', httpStatus: '200' }) as (
    data: unknown,
  ) => string | Buffer

const page = compile(Page)
const person = (id: string) => ({ id, name: `Ілля ${id} 李`, details: [{ value: `${id}@x.example` }] })

describe('the page serializer', () => {
  it('writes UTF-8 bytes equal to JSON.stringify of the declared fields, in declared order', () => {
    const out = page({ nextCursor: 'c', items: [person('a'), person('b')], state: { code: 'KG' } })
    expect(Buffer.isBuffer(out)).toBe(true)
    expect(out.toString()).toBe(
      '{"state":{"code":"KG"},"items":[' +
        '{"id":"a","name":"Ілля a 李","details":[{"value":"a@x.example"}]},' +
        '{"id":"b","name":"Ілля b 李","details":[{"value":"b@x.example"}]}' +
        '],"nextCursor":"c"}',
    )
  })

  it('writes an empty page, a null state, and the optional field only when present', () => {
    expect(page({ state: null, items: [], nextCursor: null }).toString()).toBe(
      '{"state":null,"items":[],"nextCursor":null}',
    )
    expect(page({ state: null, items: [], note: 'n', nextCursor: null }).toString()).toBe(
      '{"state":null,"items":[],"note":"n","nextCursor":null}',
    )
  })

  it('leaves out undeclared fields at every level (the allow-list that keeps restricted fields private)', () => {
    const leaky = {
      restricted: 'top',
      state: { code: 'KG' },
      items: [{ ...person('a'), restricted: 'item', details: [{ value: 'v', restricted: 'detail' }] }],
      nextCursor: null,
    }
    const text = page(leaky).toString()
    expect(text).not.toContain('restricted')
    expect(JSON.parse(text)).toEqual({
      state: { code: 'KG' },
      items: [{ id: 'a', name: 'Ілля a 李', details: [{ value: 'v' }] }],
      nextCursor: null,
    })
  })

  it('refuses an undeclared field in a nullable object (a 500, never a leak), as the whole-object serializer does', () => {
    expect(() => page({ state: { code: 'KG', restricted: 'x' }, items: [], nextCursor: null })).toThrow(
      'does not match schema definition',
    )
  })

  it('refuses a page without a required field, as the whole-object serializer does', () => {
    expect(() => page({ state: null, items: [] })).toThrow('"nextCursor" is required!')
  })

  it('keeps other schemas, arrays in records included, on the whole-object serializer (a string)', () => {
    const record = compile(Contact)
    expect(record({ ...person('a'), restricted: 'x' })).toBe(
      '{"id":"a","name":"Ілля a 李","details":[{"value":"a@x.example"}]}',
    )
  })
})
